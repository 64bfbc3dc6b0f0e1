/**
 * Crash consistency of enroll(), call by call: the run "crashes" at each mutating file-system
 * call of a whole enrollment (the key, every state write, every install write: nothing runs after
 * the fault, not even cleanup, as in a killed process), then runs again on the real file system.
 * Each time: one account, one request, one certificate at the CA (and it is the live one); the
 * live key and certificate match; keys are 0600; no secret outside the credential store.
 * Killing real processes at the flow's labelled steps is kill.test.ts.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importPrivateKeyPem, keysMatch, parseCertificate } from '@certwizard/pki';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openFileStore } from '../credentials/file-store.js';
import { EMAIL, startTestCa, type TestCa } from '../enroll/test-support/reference-ca.js';
import { expectConsistent } from '../install/test-support/live-state.js';
import { faultFs, mutatingCalls } from '../install/test-support/fault-fs.js';
import { installationTokenKey } from '../methods/cacert/credential-keys.js';
import { enroll, type EnrollOptions } from './default-method.js';
import { submitRegistration } from './test-support/person.js';

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'certwizard-flow-crash-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A fresh CA and folders for one run of the sweep. */
async function world(label: string): Promise<{ ca: TestCa; dir: string; options: (extra?: Partial<EnrollOptions>) => Promise<EnrollOptions> }> {
  const ca = await startTestCa();
  const dir = join(root, label);
  const store = await openFileStore({ dir: join(dir, 'secrets') });
  return {
    ca,
    dir,
    options: async (extra = {}) => ({
      caUrl: ca.url,
      name: 'mail',
      baseDir: join(dir, 'certs'),
      names: { email: [EMAIL] },
      credentials: store,
      trustAnchorsPem: ca.caCertPem,
      registration: { prefill: { emailAddress: { value: EMAIL, sure: true } }, opener: (url) => submitRegistration(url), pollIntervalMs: 20 },
      pkcs12: { passphrase: 'bundle passphrase', iterations: 1000 },
      ...extra,
    }),
  };
}

/** Every invariant a finished enrollment must hold, whatever happened before. */
async function expectEnrolled(ca: TestCa, dir: string, token: string | undefined): Promise<void> {
  expect(await ca.counts()).toMatchObject({ accounts: 1, installation_tokens: 1, certificate_requests: 1, certificates: 1 });
  const base = join(dir, 'certs');
  const version = await expectConsistent(base, 'mail');
  expect(version).toBeGreaterThanOrEqual(1);
  const live = join(base, 'live', 'mail');
  const key = importPrivateKeyPem(readFileSync(join(live, 'privkey.pem'), 'utf8'));
  const certificate = parseCertificate(readFileSync(join(live, 'cert.pem'), 'utf8'));
  expect(keysMatch(key, certificate.publicKey)).toBe(true);
  // The live certificate is the one the CA signed and stored.
  expect((await ca.certificate(certificate.serialNumberHex))?.pem.trim()).toBe(certificate.pem.trim());
  // Nothing secret outside the credential store: no token, no pending key left behind.
  expect(token).toBeDefined();
  for (const entry of readdirSync(base, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    expect(readFileSync(path, 'latin1')).not.toContain(token);
    if (/PRIVATE KEY/.test(readFileSync(path, 'latin1'))) {
      expect(path).toMatch(/archive\/mail\/privkey\d+\.pem$/);
      expect(statSync(path).mode & 0o777).toBe(0o600);
    }
  }
  expect(readdirSync(join(base, 'enrollments'))).toEqual(['mail.json']);
}

describe('enroll() crash consistency, every mutating call', () => {
  it('leaves a state the next run completes, with no second account, request or certificate', { timeout: 240_000 }, async () => {
    // Count the mutating calls of a clean enrollment.
    const clean = await world('clean');
    const recorder = faultFs(undefined);
    await enroll(await clean.options({ fs: recorder.fs }));
    const total = mutatingCalls(recorder.calls).length;
    await clean.ca.dispose();
    expect(total).toBeGreaterThan(40);

    for (let at = 0; at < total; at++) {
      const { ca, dir, options } = await world(`at-${at}`);
      try {
        const shim = faultFs({ at, crash: true });
        const first = await enroll(await options({ fs: shim.fs })).then(
          () => undefined,
          (error: unknown) => error,
        );
        expect(shim.fired(), `call ${at}`).toBe(true);
        expect(first, `call ${at}`).toBeDefined();
        await enroll(await options());
        const store = await openFileStore({ dir: join(dir, 'secrets') });
        await expectEnrolled(ca, dir, await store.get(installationTokenKey(new URL(ca.url).origin)));
      } finally {
        await ca.dispose();
      }
    }
  });
});
