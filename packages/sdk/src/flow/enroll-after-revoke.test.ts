/**
 * enroll() of a name whose certificate revoke() revoked, against the real reference CA (ssl_api):
 * it starts afresh at `prepare-key` (a new key, a new request), installs a new version beside the
 * revoked one (which stays under revoked/), and listEnrollments() shows the new enrollment. A run
 * "crashed" at each of its mutating file-system calls (as crash.test.ts does) is finished by the
 * next: one new certificate at the CA, a matching pair live, never the revoked key.
 */
import { mkdtempSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importPrivateKeyPem, parseCertificate } from '@certwizard/pki';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openFileStore } from '../credentials/file-store.js';
import { startTestCa, type TestCa } from '../enroll/test-support/reference-ca.js';
import { expectConsistent } from '../install/test-support/live-state.js';
import { faultFs, mutatingCalls } from '../install/test-support/fault-fs.js';
import type { InstallFileSystem } from '../install/file-system.js';
import { sslApiMethod } from '../methods/ssl-api/ssl-api-method.js';
import { enroll, type EnrollOptions } from './default-method.js';
import { listEnrollments } from './list-enrollments.js';
import { revoke } from './revoke.js';
import { keySha256 } from './state-file.js';

let root: string;
let ca: TestCa;
let worlds = 0;
beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'certwizard-enroll-after-revoke-'));
  ca = await startTestCa();
});
afterAll(async () => {
  await ca.dispose();
  rmSync(root, { recursive: true, force: true });
});

/** A fresh folder whose enrollment `mail` was made and then revoked: its options, and the revoked serial and key hash. */
async function revokedWorld(): Promise<{ baseDir: string; options: (fs?: InstallFileSystem) => EnrollOptions; serialHex: string; revokedKey: string }> {
  const dir = join(root, `w${worlds++}`);
  const credentials = await openFileStore({ dir: join(dir, 'secrets') });
  const baseDir = join(dir, 'certs');
  const method = sslApiMethod({ caUrl: ca.url, client: 'vendor1' });
  const options = (fs?: InstallFileSystem): EnrollOptions => ({
    caUrl: ca.url,
    name: 'mail',
    baseDir,
    credentials,
    trustAnchorsPem: ca.caCertPem,
    names: { dns: ['mail.example.org'] },
    method,
    ...(fs === undefined ? {} : { fs }),
  });
  const { installed } = await enroll(options());
  const revokedKey = keySha256(importPrivateKeyPem(readFileSync(installed.paths.privkey, 'utf8')));
  const { serialHex } = await revoke({ baseDir, name: 'mail', credentials, method, reason: 'keyCompromise' });
  return { baseDir, options, serialHex, revokedKey };
}

/** A new enrollment is live, made with a new key, and the revoked set is still where revoke() put it. */
async function expectEnrolledAgain(baseDir: string, serialHex: string, revokedKey: string): Promise<void> {
  // A new version (a run crashed inside install() leaves a version it never made live: the next is above it).
  const version = await expectConsistent(baseDir, 'mail');
  expect(version).toBeGreaterThanOrEqual(2);
  const live = join(baseDir, 'live', 'mail');
  const certificate = parseCertificate(readFileSync(join(live, 'cert.pem'), 'utf8'));
  expect(certificate.serialNumberHex).not.toBe(serialHex);
  expect(keySha256(importPrivateKeyPem(readFileSync(join(live, 'privkey.pem'), 'utf8')))).not.toBe(revokedKey);
  expect(readlinkSync(join(baseDir, 'revoked', `mail-${serialHex}`))).toBe('../archive/mail/v1');
  const [listed] = await listEnrollments({ baseDir });
  expect(listed).toMatchObject({ name: 'mail', step: 'done', installed: { version } });
  expect(listed?.revoked).toBeUndefined();
}

describe('enroll() after revoke()', () => {
  it('starts afresh with a new key and request; list shows the new enrollment', async () => {
    const { baseDir, options, serialHex, revokedKey } = await revokedWorld();
    const before = (await ca.counts()).certificates ?? 0;
    const steps: string[] = [];
    const result = await enroll({ ...options(), onEvent: (e) => void (e.type === 'step' && steps.push(e.step)) });
    expect(steps[0]).toBe('prepare-key');
    expect(result.resumed).toBe(false);
    expect((await ca.counts()).certificates).toBe(before + 1);
    await expectEnrolledAgain(baseDir, serialHex, revokedKey);
  });

  it('is crash-safe: a run crashed at each mutating call is finished by the next, with one new certificate', { timeout: 240_000 }, async () => {
    const clean = await revokedWorld();
    const recorder = faultFs(undefined);
    await enroll(clean.options(recorder.fs));
    const total = mutatingCalls(recorder.calls).length;
    expect(total).toBeGreaterThan(10);
    for (let at = 0; at < total; at++) {
      const { baseDir, options, serialHex, revokedKey } = await revokedWorld();
      const before = (await ca.counts()).certificates ?? 0;
      const shim = faultFs({ at, crash: true });
      const first = await enroll(options(shim.fs)).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(shim.fired(), `call ${at}`).toBe(true);
      expect(first, `call ${at}`).toBeDefined();
      await enroll(options());
      // The ssl_api endpoint answers a resent request from what it stored: one certificate, not two.
      expect((await ca.counts()).certificates, `call ${at}`).toBe(before + 1);
      await expectEnrolledAgain(baseDir, serialHex, revokedKey);
    }
  });
});
