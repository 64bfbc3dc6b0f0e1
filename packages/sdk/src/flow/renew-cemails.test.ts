/**
 * A CAcert renewal asks the CA which addresses are still the account's (`cemails`) before it
 * makes its request, against the real reference CA: an address the account gave up (forgotten
 * through the management server, as when its owner removes it) is not pinged again; it is
 * dropped as a refusal drops a name, and with nothing left the renewal fails with
 * `ERR_SDK_NAME_NOT_ALLOWED`, recorded, the old pair live and nothing stored at the CA.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCertificate } from '@certwizard/pki';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CredentialStore } from '../credentials/credential-store.js';
import { openFileStore } from '../credentials/file-store.js';
import { accountWithToken, approveOnAccountPage, EMAIL, startTestCa, type TestCa } from '../enroll/test-support/reference-ca.js';
import { cacertMethod } from '../methods/cacert/cacert-method.js';
import { installationTokenKey } from '../methods/cacert/credential-keys.js';
import { systemClock, type Clock } from '../registration/clock.js';
import { enroll, type EnrollOptions } from './default-method.js';
import type { EnrollFlowEvent } from './enroll.js';
import { listEnrollments } from './list-enrollments.js';
import { renew, type NamesDroppedQuestion } from './renew.js';
import { revocationSecretKey } from './revocation-secrets.js';

const DAY = 86_400_000;
const WORK = 'ada.work@example.org';

let dir: string;
let store: CredentialStore;
let ca: TestCa;
let offsetMs: number;
const clock: Clock = { now: () => Date.now() + offsetMs, sleep: (ms, signal) => systemClock.sleep(ms, signal) };

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'certwizard-renew-cemails-'));
  store = await openFileStore({ dir: join(dir, 'secrets') });
  ca = await startTestCa({ retryAfterSeconds: 1 });
  offsetMs = 0;
});
afterEach(async () => {
  await ca.dispose();
  rmSync(dir, { recursive: true, force: true });
});

const baseDir = () => join(dir, 'certs');
const liveSerial = () => parseCertificate(readFileSync(join(baseDir(), 'live', 'mail', 'cert.pem'), 'utf8')).serialNumberHex;
const method = () => cacertMethod({ caUrl: ca.url, verification: { pollIntervalMs: 50, maxPollIntervalMs: 200, timeoutMs: 5_000 } });

/** Approves each request the flow reports pending, on the account page, as the owner would. */
function approving(approvals: Promise<void>[]): (event: EnrollFlowEvent) => void {
  return (event) => {
    if (event.type === 'enrollment' && event.event.type === 'pending') approvals.push(approveOnAccountPage(ca, event.event.requestId));
  };
}

/** A certificate for {@link WORK}, a second confirmed address of the account, its request approved by the owner. */
async function enrolledForWork(): Promise<{ accountId: number; common: Omit<EnrollOptions, 'names'> }> {
  await store.set(installationTokenKey(new URL(ca.url).origin), await accountWithToken(ca));
  const account = await ca.account(EMAIL);
  if (account === undefined) throw new Error('no account');
  await ca.addConfirmedAddress(account.id, WORK);
  const approvals: Promise<void>[] = [];
  const common: Omit<EnrollOptions, 'names'> = { caUrl: ca.url, name: 'mail', baseDir: baseDir(), credentials: store, trustAnchorsPem: ca.caCertPem, clock };
  await enroll({ ...common, names: { email: [WORK] }, method: method(), waiting: { pollIntervalMs: 50 }, onEvent: approving(approvals) });
  await Promise.all(approvals);
  return { accountId: account.id, common };
}

describe('renew() through the CAcert-style API when cemails no longer lists an address', () => {
  it('does not ping it: the name is dropped, nothing is left, ERR_SDK_NAME_NOT_ALLOWED is recorded and the old pair stays live', async () => {
    const { accountId, common } = await enrolledForWork();
    const firstSerial = liveSerial();

    await ca.removeConfirmedAddress(accountId, WORK);
    await ca.advanceClock(80 * DAY);
    offsetMs = 80 * DAY;
    const before = await ca.counts();
    const mailsBefore = (await ca.mailbox(WORK)).length;
    const questions: NamesDroppedQuestion[] = [];
    const outcome = await renew({
      ...common,
      method: method(),
      onNamesDropped: async (question) => {
        questions.push(question);
        return 'revoke';
      },
    });

    expect(outcome).toMatchObject({ status: 'failed', code: 'ERR_SDK_NAME_NOT_ALLOWED', failures: 1 });
    expect(outcome.status === 'failed' && outcome.message).toContain(WORK);
    // Nothing left to renew: nobody is asked to revoke the only certificate there is.
    expect(questions).toEqual([]);
    expect(liveSerial()).toBe(firstSerial);
    // No ping, no request: the CA stored nothing new, and no mail went to the address.
    expect(await ca.counts()).toEqual(before);
    expect(await ca.mailbox(WORK)).toHaveLength(mailsBefore);
    expect((await listEnrollments({ baseDir: baseDir() }))[0]).toMatchObject({
      step: 'done',
      renewal: { failures: 1, lastFailure: { code: 'ERR_SDK_NAME_NOT_ALLOWED' } },
    });
  });

  it('renews as before while cemails still lists the address', async () => {
    const { common } = await enrolledForWork();
    const approvals: Promise<void>[] = [];
    const firstSerial = liveSerial();
    await ca.advanceClock(80 * DAY);
    offsetMs = 80 * DAY;
    const outcome = await renew({
      ...common,
      method: method(),
      waiting: { pollIntervalMs: 50 },
      onEvent: (e) => {
        if (e.type === 'flow') approving(approvals)(e.event);
      },
    });
    await Promise.all(approvals);
    expect(outcome).toMatchObject({ status: 'renewed', previousSerialHex: firstSerial });
    expect(outcome).not.toHaveProperty('droppedNames');
    // The secret of each certificate came with its pending answer; the new one's is kept, the replaced one's forgotten.
    const secretOf = (serialHex: string) => store.get(revocationSecretKey(new URL(ca.url).origin, 'mail', serialHex));
    expect(await secretOf(firstSerial)).toBeUndefined();
    expect(await secretOf(liveSerial())).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(parseCertificate(readFileSync(join(baseDir(), 'live', 'mail', 'cert.pem'), 'utf8')).subjectAltNames.email).toEqual([WORK]);
  });
});
