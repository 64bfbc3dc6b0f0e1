/**
 * methodForSlot's SCEP URL (issue 15): the one the slot recorded (a personal /scep/u/<handle>),
 * `<CA origin>/scep` for a version 1 slot, the caller's `caUrl` when it has a path; a recorded
 * URL on another origin is refused before anything is sent. A real HTTP server on 127.0.0.1:0
 * records where the method's first request (GetCACert) went.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openFileStore } from '../credentials/file-store.js';
import { sha256Hex } from '../methods/scep/scep-state.js';
import { methodForSlot, type RecordedSlot } from './slot-method.js';

let server: Server | undefined;
const dirs: string[] = [];
afterEach(async () => {
  await new Promise<void>((resolve) => (server === undefined ? resolve() : server.close(() => resolve())));
  server = undefined;
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A server that answers 404 to everything and records the paths asked for. */
async function recordingServer(): Promise<{ origin: string; paths: string[] }> {
  const paths: string[] = [];
  server = createServer((req, res) => {
    paths.push(new URL(req.url ?? '/', 'http://x').pathname);
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, paths };
}

const ca = Buffer.from('ca certificate der');
const ra = Buffer.from('ra certificate der');
const v1 = {
  caCertificateDerBase64: ca.toString('base64'),
  raCertificateDerBase64: ra.toString('base64'),
  caFingerprintSha256: sha256Hex(ca),
  raFingerprintSha256: sha256Hex(ra),
  capabilities: ['POSTPKIOperation', 'SHA-256'],
};

/** The path of the first request of the method methodForSlot gives for `slotState`. */
async function firstPath(origin: string, paths: string[], slotState: RecordedSlot, caUrl = origin): Promise<string | undefined> {
  const dir = mkdtempSync(join(tmpdir(), 'slot-method-'));
  dirs.push(dir);
  const credentials = await openFileStore({ dir });
  const method = await methodForSlot('scep', { name: 'scep', caUrl, caOrigin: origin, credentials, slotState });
  // No state given: the account step asks GetCACert, which the server refuses.
  await expect(method.ensureAccount?.({ request: { csrPem: '' }, credentials })).rejects.toMatchObject({ code: 'ERR_SDK_CA_PROTOCOL' });
  return paths.at(-1);
}

describe('methodForSlot for a scep slot', () => {
  it('uses the SCEP URL the slot recorded (a personal URL)', async () => {
    const { origin, paths } = await recordingServer();
    expect(await firstPath(origin, paths, { version: 2, state: { ...v1, url: `${origin}/scep/u/personal-handle-0123456789` } })).toBe(
      '/scep/u/personal-handle-0123456789',
    );
  });

  it("reads a version 1 slot's URL as the CA's /scep", async () => {
    const { origin, paths } = await recordingServer();
    expect(await firstPath(origin, paths, { version: 1, state: v1 })).toBe('/scep');
  });

  it("lets the caller's caUrl with a path win over the recorded URL", async () => {
    const { origin, paths } = await recordingServer();
    expect(await firstPath(origin, paths, { version: 2, state: { ...v1, url: `${origin}/scep/u/personal-handle-0123456789` } }, `${origin}/moved/scep`)).toBe(
      '/moved/scep',
    );
  });

  it('refuses a recorded URL on another origin before anything is sent', async () => {
    const { origin, paths } = await recordingServer();
    const dir = mkdtempSync(join(tmpdir(), 'slot-method-'));
    dirs.push(dir);
    const credentials = await openFileStore({ dir });
    const slotState = { version: 2, state: { ...v1, url: 'http://127.0.0.2:1/scep/u/personal-handle-0123456789' } };
    await expect(methodForSlot('scep', { name: 'scep', caUrl: origin, caOrigin: origin, credentials, slotState })).rejects.toMatchObject({
      code: 'ERR_SDK_STATE_FILE',
    });
    expect(paths).toEqual([]);
  });
});
