/**
 * renew() and renewDue() against the real reference CA, its clock moved through the management
 * API (and the SDK's by the same amount): not due before the window, renewed inside it with a
 * new key beside the old pair and the post-install command run after the switch; a certificate
 * that does not chain to the pinned anchors never goes live, the failure is recorded with its
 * back-off and a later run finishes the same renewal; renewDue goes on past one that fails;
 * through the CAcert-style API, the installation token renews with no new registration.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importPrivateKeyPem, keysMatch, parseCertificate } from '@certwizard/pki';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CredentialStore } from '../credentials/credential-store.js';
import { openFileStore } from '../credentials/file-store.js';
import { approveOnAccountPage, EMAIL, startTestCa, type TestCa } from '../enroll/test-support/reference-ca.js';
import { nodeFileSystem } from '../install/file-system.js';
import { expectConsistent } from '../install/test-support/live-state.js';
import { createTestPki } from '../install/test-support/test-pki.js';
import { cacertMethod } from '../methods/cacert/cacert-method.js';
import { installationTokenKey } from '../methods/cacert/credential-keys.js';
import { sslApiMethod } from '../methods/ssl-api/ssl-api-method.js';
import { systemClock, type Clock } from '../registration/clock.js';
import { enroll } from './default-method.js';
import { listEnrollments } from './list-enrollments.js';
import { renew, renewDue, type RenewEvent, type RenewOptions } from './renew.js';
import { readState, statePaths } from './state-file.js';
import { submitRegistration } from './test-support/person.js';

const DAY = 86_400_000;
/** Past the reference CA's window and the own one for its 90-day certificates (60 to 75 days). */
const INTO_THE_WINDOW_MS = 80 * DAY;

let dir: string;
let store: CredentialStore;
let ca: TestCa;
/** The SDK's clock, moved with the CA's. */
let offsetMs: number;
const clock: Clock = { now: () => Date.now() + offsetMs, sleep: (ms, signal) => systemClock.sleep(ms, signal) };

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'certwizard-renew-'));
  store = await openFileStore({ dir: join(dir, 'secrets') });
  ca = await startTestCa({ retryAfterSeconds: 1 });
  offsetMs = 0;
});
afterEach(async () => {
  await ca.dispose();
  rmSync(dir, { recursive: true, force: true });
});

async function advance(ms: number): Promise<void> {
  await ca.advanceClock(ms);
  offsetMs += ms;
}

const baseDir = () => join(dir, 'certs');
const method = () => sslApiMethod({ caUrl: ca.url, client: 'vendor1', retries: 0 });

/** Enrolls `name` through ssl_api with a DNS name. */
async function enrolled(name = 'web'): Promise<void> {
  await enroll({
    caUrl: ca.url,
    name,
    baseDir: baseDir(),
    names: { dns: [`${name}.example.org`] },
    credentials: store,
    trustAnchorsPem: ca.caCertPem,
    method: method(),
    clock,
  });
}

function options(extra: Partial<RenewOptions> = {}): RenewOptions {
  return { name: 'web', baseDir: baseDir(), credentials: store, trustAnchorsPem: ca.caCertPem, method: method(), clock, ...extra };
}

/** The certificate of a CA that issued none of ours. */
async function otherAnchor(): Promise<string> {
  return createTestPki(mkdtempSync(join(dir, 'other-pki-'))).otherRootPem;
}

const liveSerial = (name = 'web') => parseCertificate(readFileSync(join(baseDir(), 'live', name, 'cert.pem'), 'utf8')).serialNumberHex;
const liveKeyPem = (name = 'web') => readFileSync(join(baseDir(), 'live', name, 'privkey.pem'), 'utf8');

describe('renew() through ssl_api', () => {
  it('is not due before the window, then renews inside it: new key, old pair archived, post-install command after the switch', async () => {
    await enrolled();
    const firstSerial = liveSerial();
    const firstKey = liveKeyPem();
    const notDue = await renew(options());
    expect(notDue).toMatchObject({ name: 'web', status: 'not-due' });
    if (notDue.status !== 'not-due') throw new Error('unreachable');
    // Inside the window: from two thirds of the 90-day lifetime (the CA's advice or the own rule agree).
    expect(notDue.dueAt.getTime() - Date.now()).toBeGreaterThan(59 * DAY);
    expect(notDue.dueAt.getTime() - Date.now()).toBeLessThan(76 * DAY);
    expect((await ca.counts()).certificates).toBe(1);
    // The due time is recorded, and the same on the next check.
    expect((await listEnrollments({ baseDir: baseDir() }))[0]?.renewal?.dueAt?.toISOString()).toBe(notDue.dueAt.toISOString());
    expect(await renew(options())).toEqual(notDue);

    await advance(INTO_THE_WINDOW_MS);
    const marker = join(dir, 'reloaded-with.pem');
    const events: RenewEvent['type'][] = [];
    const renewed = await renew(
      options({
        postInstall: {
          argv: [
            process.execPath,
            '-e',
            `require('fs').copyFileSync(${JSON.stringify(join(baseDir(), 'live', 'web', 'cert.pem'))}, ${JSON.stringify(marker)})`,
          ],
        },
        onEvent: (e) => events.push(e.type),
      }),
    );
    expect(renewed).toMatchObject({ status: 'renewed', previousSerialHex: firstSerial });
    expect(events.filter((t) => t !== 'flow')).toEqual(['renewal-due', 'renewed']);
    expect(liveSerial()).not.toBe(firstSerial);
    expect(liveKeyPem()).not.toBe(firstKey);
    expect(keysMatch(importPrivateKeyPem(liveKeyPem()), parseCertificate(readFileSync(join(baseDir(), 'live', 'web', 'cert.pem'), 'utf8')).publicKey)).toBe(
      true,
    );
    // The command ran once the new certificate was live.
    expect(parseCertificate(readFileSync(marker, 'utf8')).serialNumberHex).toBe(liveSerial());
    expect(await expectConsistent(baseDir(), 'web')).toBe(2);
    expect(readFileSync(join(baseDir(), 'archive', 'web', 'privkey1.pem'), 'utf8')).toBe(firstKey);
    expect(existsSync(join(baseDir(), 'enrollments', 'web.key.pem'))).toBe(false);
    const state = await readState(nodeFileSystem, statePaths(join(baseDir(), 'enrollments'), 'web'));
    expect(state).toMatchObject({ step: 'done', installedVersion: 2, renewal: { serialHex: liveSerial(), failures: 0 } });
    // The renewed certificate is not due again at once.
    expect(await renew(options())).toMatchObject({ status: 'not-due' });
    expect((await ca.counts()).certificates).toBe(2);
  });

  it('keeps the old pair live when the new certificate does not chain to the pinned anchors, backs off, and a later run finishes that renewal', async () => {
    await enrolled();
    const firstSerial = liveSerial();
    await advance(INTO_THE_WINDOW_MS);
    const failed = await renew(options({ trustAnchorsPem: await otherAnchor(), random: () => 0.5 }));
    expect(failed).toMatchObject({ status: 'failed', code: 'ERR_SDK_INSTALL_CHAIN', failures: 1 });
    if (failed.status !== 'failed') throw new Error('unreachable');
    // The first back-off: one hour (the jitter drawn at its middle).
    expect((failed.nextAttemptAt?.getTime() ?? 0) - clock.now()).toBeGreaterThan(59 * 60_000);
    expect((failed.nextAttemptAt?.getTime() ?? 0) - clock.now()).toBeLessThanOrEqual(60 * 60_000);
    expect(liveSerial()).toBe(firstSerial);
    const [listed] = await listEnrollments({ baseDir: baseDir() });
    expect(listed).toMatchObject({ step: 'install', renewal: { renewing: true, failures: 1, lastFailure: { code: 'ERR_SDK_INSTALL_CHAIN' } } });
    // Before the next attempt is due: nothing is tried.
    expect(await renew(options())).toMatchObject({ status: 'backing-off', lastFailure: { code: 'ERR_SDK_INSTALL_CHAIN' } });
    await advance(2 * 60 * 60 * 1000);
    const renewed = await renew(options());
    expect(renewed).toMatchObject({ status: 'renewed', previousSerialHex: firstSerial });
    // The certificate issued the first time is the one installed: one request, not two.
    expect((await ca.counts()).certificates).toBe(2);
    expect((await listEnrollments({ baseDir: baseDir() }))[0]).toMatchObject({ step: 'done', renewal: { renewing: false, failures: 0 } });
  });

  it('refuses a name nothing tracks with ERR_SDK_NOT_ENROLLED, and skips an unfinished enrollment', async () => {
    await expect(renew(options({ name: 'nothing' }))).rejects.toMatchObject({ code: 'ERR_SDK_NOT_ENROLLED' });
    await enrolled();
    writeFileSync(
      join(baseDir(), 'enrollments', 'web.json'),
      JSON.stringify({ ...JSON.parse(readFileSync(join(baseDir(), 'enrollments', 'web.json'), 'utf8')), step: 'submit' }),
    );
    expect(await renew(options())).toMatchObject({ status: 'skipped', reason: 'not-installed' });
  });
});

describe('renewDue()', () => {
  it('renews every due certificate, one failing not stopping the others, and lists an unreadable state', async () => {
    await enrolled('a');
    await enrolled('b');
    await enrolled('c');
    writeFileSync(join(baseDir(), 'enrollments', 'broken.json'), '{');
    const wrong = await otherAnchor();
    await advance(INTO_THE_WINDOW_MS);
    const outcomes = await renewDue({
      baseDir: baseDir(),
      credentials: store,
      method: method(),
      clock,
      // b's anchors are wrong: its renewal fails at the chain check.
      trustAnchorsPem: (e) => (e.name === 'b' ? wrong : ca.caCertPem),
    });
    expect(outcomes.map((o) => [o.name, o.status])).toEqual([
      ['a', 'renewed'],
      ['b', 'failed'],
      ['broken', 'skipped'],
      ['c', 'renewed'],
    ]);
    expect(await expectConsistent(baseDir(), 'b')).toBe(1);
  });
});

describe('renew() through the CAcert-style API', () => {
  it('renews with the installation token: no second registration, the owner approves the new request', async () => {
    const common = {
      caUrl: ca.url,
      name: 'mail',
      baseDir: baseDir(),
      credentials: store,
      trustAnchorsPem: ca.caCertPem,
      clock,
    };
    await enroll({
      ...common,
      names: { email: [EMAIL] },
      registration: { prefill: { emailAddress: { value: EMAIL, sure: true } }, opener: (url) => submitRegistration(url), pollIntervalMs: 20 },
    });
    const firstSerial = liveSerial('mail');
    await advance(INTO_THE_WINDOW_MS);
    const approvals: Promise<void>[] = [];
    const renewed = await renew({
      ...common,
      waiting: { pollIntervalMs: 50 },
      onEvent: (e) => {
        if (e.type === 'flow' && e.event.type === 'enrollment' && e.event.event.type === 'pending')
          approvals.push(approveOnAccountPage(ca, e.event.event.requestId));
      },
    });
    await Promise.all(approvals);
    expect(renewed).toMatchObject({ status: 'renewed', previousSerialHex: firstSerial });
    expect(await ca.counts()).toMatchObject({ accounts: 1, installation_tokens: 1, certificates: 2 });
    expect(parseCertificate(readFileSync(join(baseDir(), 'live', 'mail', 'cert.pem'), 'utf8')).subjectAltNames.email).toEqual([EMAIL]);
  });

  it('does not register again when the token is gone: ERR_SDK_RENEWAL_NO_ACCOUNT recorded, the old pair live, nothing sent', async () => {
    const common = { caUrl: ca.url, name: 'mail', baseDir: baseDir(), credentials: store, trustAnchorsPem: ca.caCertPem, clock };
    await enroll({
      ...common,
      names: { email: [EMAIL] },
      registration: { prefill: { emailAddress: { value: EMAIL, sure: true } }, opener: (url) => submitRegistration(url), pollIntervalMs: 20 },
    });
    const firstSerial = liveSerial('mail');
    await store.delete(installationTokenKey(new URL(ca.url).origin));
    await advance(INTO_THE_WINDOW_MS);
    const before = await ca.counts();
    const outcome = await renew({
      ...common,
      method: cacertMethod({ caUrl: ca.url, registration: { opener: () => Promise.reject(new Error('no registration expected')) } }),
    });
    expect(outcome).toMatchObject({ status: 'failed', code: 'ERR_SDK_RENEWAL_NO_ACCOUNT', failures: 1 });
    expect(liveSerial('mail')).toBe(firstSerial);
    expect(await ca.counts()).toEqual(before);
    expect((await listEnrollments({ baseDir: baseDir() }))[0]).toMatchObject({
      step: 'done',
      renewal: { lastFailure: { code: 'ERR_SDK_RENEWAL_NO_ACCOUNT' } },
    });
  });
});
