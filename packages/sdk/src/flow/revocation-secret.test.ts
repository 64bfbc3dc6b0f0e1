/**
 * The revocation secret the CA hands out with each new certificate, against the real reference
 * CA (ssl_api, which answers it with the certificate): enroll() keeps it in the credential store
 * under the name and serial (never in a file under the base folder); revoke() uses it when the
 * method cannot revoke, before the key, and forgets it; a secret the CA does not take falls back
 * to the key; a renewal keeps the new certificate's and forgets the replaced one's.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCertificate } from '@certwizard/pki';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CredentialStore } from '../credentials/credential-store.js';
import { openFileStore } from '../credentials/file-store.js';
import type { EnrollmentMethod } from '../enroll/enrollment-method.js';
import { crlEntry, startTestCa, type TestCa } from '../enroll/test-support/reference-ca.js';
import { sslApiMethod } from '../methods/ssl-api/ssl-api-method.js';
import { systemClock, type Clock } from '../registration/clock.js';
import { enroll } from './default-method.js';
import { renew } from './renew.js';
import { revocationSecretKey } from './revocation-secrets.js';
import { revoke, type RevokeEvent } from './revoke.js';

const DAY = 86_400_000;
// One CA for the file: a test that moves its clock moves the SDK's by as much (offsetMs), so the others' certificates stay valid.
let root: string;
let ca: TestCa;
let worlds = 0;
let offsetMs = 0;
const clock: Clock = { now: () => Date.now() + offsetMs, sleep: (ms, signal) => systemClock.sleep(ms, signal) };
beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'certwizard-revocation-secret-'));
  ca = await startTestCa();
});
afterAll(async () => {
  await ca.dispose();
  rmSync(root, { recursive: true, force: true });
});

/** The ssl_api method without its revocation: a method that cannot revoke, as a CA without that API. */
function withoutRevoke(): EnrollmentMethod {
  const { revoke: _revoke, ...rest } = sslApiMethod({ caUrl: ca.url, client: 'vendor1' });
  return rest;
}

/** A fresh folder with `mail` enrolled through ssl_api. */
async function enrolled(): Promise<{ baseDir: string; credentials: CredentialStore; serialHex: string; secretKey: string }> {
  const dir = join(root, `w${worlds++}`);
  const credentials = await openFileStore({ dir: join(dir, 'secrets') });
  const baseDir = join(dir, 'certs');
  const { installed } = await enroll({
    caUrl: ca.url,
    name: 'mail',
    baseDir,
    credentials,
    trustAnchorsPem: ca.caCertPem,
    names: { dns: ['mail.example.org'] },
    method: sslApiMethod({ caUrl: ca.url, client: 'vendor1' }),
    clock,
  });
  const serialHex = parseCertificate(readFileSync(installed.paths.cert, 'utf8')).serialNumberHex;
  return { baseDir, credentials, serialHex, secretKey: revocationSecretKey(new URL(ca.url).origin, 'mail', serialHex) };
}

describe('the revocation secret of an enrolled certificate', () => {
  it('is kept in the credential store under the name and serial, in no file under the base folder', async () => {
    const { baseDir, credentials, secretKey } = await enrolled();
    const secret = await credentials.get(secretKey);
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    for (const entry of readdirSync(baseDir, { recursive: true, withFileTypes: true })) {
      if (entry.isFile()) expect(readFileSync(join(entry.parentPath, entry.name), 'latin1')).not.toContain(secret);
    }
  });

  it('revokes when the method cannot, before the key, and is forgotten then', async () => {
    const { baseDir, credentials, serialHex, secretKey } = await enrolled();
    const events: RevokeEvent[] = [];
    const result = await revoke({ baseDir, name: 'mail', credentials, method: withoutRevoke(), reason: 'superseded', onEvent: (e) => events.push(e) });
    expect(result).toMatchObject({ serialHex, caStatus: 'revoked' });
    expect(events.map((e) => e.type)).toEqual(['revoking', 'revoking-with-secret', 'revoked']);
    expect(await crlEntry(ca, serialHex)).toMatchObject({ reason: 'superseded' });
    expect(await credentials.get(secretKey)).toBeUndefined();
  });

  it('falls back to the key when the CA does not take the kept secret', async () => {
    const { baseDir, credentials, serialHex, secretKey } = await enrolled();
    await credentials.set(secretKey, 'A'.repeat(43));
    const events: RevokeEvent[] = [];
    await revoke({ baseDir, name: 'mail', credentials, method: withoutRevoke(), reason: 'keyCompromise', onEvent: (e) => events.push(e) });
    expect(events.map((e) => e.type)).toEqual(['revoking', 'revoking-with-secret', 'revoking-with-key', 'revoked']);
    expect(await crlEntry(ca, serialHex)).toMatchObject({ reason: 'keyCompromise' });
    expect(await credentials.get(secretKey)).toBeUndefined();
  });

  it("is replaced by the new certificate's on renewal", async () => {
    const { baseDir, credentials, serialHex, secretKey } = await enrolled();
    await ca.advanceClock(80 * DAY);
    offsetMs += 80 * DAY;
    const outcome = await renew({
      name: 'mail',
      baseDir,
      credentials,
      trustAnchorsPem: ca.caCertPem,
      method: sslApiMethod({ caUrl: ca.url, client: 'vendor1' }),
      clock,
    });
    if (outcome.status !== 'renewed') throw new Error(`not renewed: ${outcome.status}`);
    const newSerial = parseCertificate(readFileSync(outcome.installed.paths.cert, 'utf8')).serialNumberHex;
    expect(newSerial).not.toBe(serialHex);
    expect(await credentials.get(secretKey)).toBeUndefined();
    expect(await credentials.get(revocationSecretKey(new URL(ca.url).origin, 'mail', newSerial))).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});
