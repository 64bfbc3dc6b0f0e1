/**
 * Crash consistency of renew(), call by call, as crash.test.ts does for enroll(): the renewal
 * "crashes" at each mutating file-system call (the due time's record, the new key, every state
 * write, every install write: nothing runs after the fault, as in a killed process), then runs
 * again on the real file system. Each time: two certificates at the CA (the first one and one
 * renewal, never a third), the live key and certificate match and the live certificate is the
 * one the CA signed, a version after the first is live, and no pending key is left behind. Until the switch
 * the old pair stays live and matching (expectConsistent checks the pair whatever version).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importPrivateKeyPem, keysMatch, parseCertificate } from '@certwizard/pki';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openFileStore } from '../credentials/file-store.js';
import { startTestCa, type TestCa } from '../enroll/test-support/reference-ca.js';
import { faultFs, mutatingCalls } from '../install/test-support/fault-fs.js';
import { expectConsistent } from '../install/test-support/live-state.js';
import type { InstallFileSystem } from '../install/file-system.js';
import { sslApiMethod } from '../methods/ssl-api/ssl-api-method.js';
import { systemClock, type Clock } from '../registration/clock.js';
import { enroll } from './default-method.js';
import { renew, type RenewOutcome } from './renew.js';

const INTO_THE_WINDOW_MS = 80 * 86_400_000;

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'certwizard-renew-crash-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A CA with one enrolled certificate, both clocks moved into its renewal window; `renewOnce` renews it. */
async function world(label: string): Promise<{ ca: TestCa; base: string; renewOnce: (fs?: InstallFileSystem) => Promise<RenewOutcome> }> {
  const ca = await startTestCa();
  const dir = join(root, label);
  const base = join(dir, 'certs');
  const credentials = await openFileStore({ dir: join(dir, 'secrets') });
  let offsetMs = 0;
  const clock: Clock = { now: () => Date.now() + offsetMs, sleep: (ms, signal) => systemClock.sleep(ms, signal) };
  const method = sslApiMethod({ caUrl: ca.url, client: 'vendor1', retries: 0 });
  const common = { name: 'web', baseDir: base, credentials, trustAnchorsPem: ca.caCertPem, method, clock };
  await enroll({ ...common, caUrl: ca.url, names: { dns: ['web.example.org'] } });
  await ca.advanceClock(INTO_THE_WINDOW_MS);
  offsetMs = INTO_THE_WINDOW_MS;
  return { ca, base, renewOnce: (fs) => renew({ ...common, ...(fs === undefined ? {} : { fs }) }) };
}

async function expectRenewed(ca: TestCa, base: string): Promise<void> {
  expect(await ca.counts()).toMatchObject({ certificates: 2 });
  // An install crashed half-way leaves files that only make the next version number higher.
  expect(await expectConsistent(base, 'web')).toBeGreaterThanOrEqual(2);
  const live = join(base, 'live', 'web');
  const certificate = parseCertificate(readFileSync(join(live, 'cert.pem'), 'utf8'));
  expect(keysMatch(importPrivateKeyPem(readFileSync(join(live, 'privkey.pem'), 'utf8')), certificate.publicKey)).toBe(true);
  expect((await ca.certificate(certificate.serialNumberHex))?.pem.trim()).toBe(certificate.pem.trim());
  expect(readdirSync(join(base, 'enrollments'))).toEqual(['web.json']);
}

describe('renew() crash consistency, every mutating call', () => {
  it('leaves the old pair live or the new one, and the next run finishes the renewal with one new certificate', { timeout: 300_000 }, async () => {
    const clean = await world('clean');
    const recorder = faultFs(undefined);
    expect(await clean.renewOnce(recorder.fs)).toMatchObject({ status: 'renewed' });
    const total = mutatingCalls(recorder.calls).length;
    await clean.ca.dispose();
    expect(total).toBeGreaterThan(15);

    for (let at = 0; at < total; at++) {
      const { ca, base, renewOnce } = await world(`at-${at}`);
      try {
        const shim = faultFs({ at, crash: true });
        const first = await renewOnce(shim.fs).then(
          (outcome) => outcome,
          (error: unknown) => ({ thrown: error }),
        );
        expect(shim.fired(), `call ${at}`).toBe(true);
        expect(first, `call ${at}`).not.toMatchObject({ status: 'renewed' });
        // Whatever the crash left, one of the two pairs is live and matches.
        expect(await expectConsistent(base, 'web'), `call ${at}`).toBeGreaterThanOrEqual(1);
        const second = await renewOnce();
        expect(['renewed', 'not-due'], `call ${at}: ${JSON.stringify(second)}`).toContain(second.status);
        await expectRenewed(ca, base);
      } finally {
        await ca.dispose();
      }
    }
  });
});
