/**
 * Names the CA no longer certifies for the account, against the real reference CA: a server
 * certificate for mail.a.test and mail.b.test (both domains verified by HTTP files on a node:http
 * server, names resolved by pebble-challtestsrv), then, with the clock moved past the domains'
 * lapse and into the renewal window, another account verifies b.test. The renewal meets
 * `domain_taken` for b.test, leaves mail.b.test out, asks the installer, and, told to, revokes the
 * old certificate (which still carries it) only after the renewed one is live; told nothing, it
 * keeps it.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCertificate } from '@certwizard/pki';
import { startTestCa, type TestCa } from '@certwizard/server-reference/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startChallTestSrv } from '../../../../server-reference/src/ca/test-support/challtestsrv.js';
import type { CredentialStore } from '../credentials/credential-store.js';
import { openFileStore } from '../credentials/file-store.js';
import { accountWithToken, crlEntry } from '../enroll/test-support/reference-ca.js';
import { cacertMethod } from '../methods/cacert/cacert-method.js';
import { installationTokenKey } from '../methods/cacert/credential-keys.js';
import type { DomainVerification } from '../methods/cacert/domain-verification.js';
import { systemClock, type Clock } from '../registration/clock.js';
import { enroll } from './default-method.js';
import { listEnrollments } from './list-enrollments.js';
import { renew, type NamesDroppedQuestion, type RenewEvent } from './renew.js';
import { startHttpFiles } from './test-support/http-files.js';

const DAY = 86_400_000;

let dir: string;
let store: CredentialStore;
let ca: TestCa;
let offsetMs = 0;
const clock: Clock = { now: () => Date.now() + offsetMs, sleep: (ms, signal) => systemClock.sleep(ms, signal) };
const cleanups: Array<() => Promise<unknown>> = [];
let byHttp: DomainVerification;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'certwizard-renew-dropped-'));
  store = await openFileStore({ dir: join(dir, 'secrets') });
  offsetMs = 0;
  const dns = await startChallTestSrv(); // answers A 127.0.0.1 for every name
  cleanups.push(() => dns.stop());
  const web = await startHttpFiles();
  cleanups.push(() => web.close());
  ca = await startTestCa({
    commonName: 'Renewal Names Test CA',
    retryAfterSeconds: 1,
    dnsResolvers: [dns.dnsServer],
    httpChallengePort: web.port,
    allowPrivateChallengeAddresses: true,
    domainLapseDays: 30,
  });
  cleanups.push(() => ca.dispose());
  byHttp = web.byHttp;
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  rmSync(dir, { recursive: true, force: true });
});

const method = () =>
  cacertMethod({ caUrl: ca.url, domainVerification: byHttp, verification: { pollIntervalMs: 50, maxPollIntervalMs: 200, timeoutMs: 20_000 } });
const live = () => parseCertificate(readFileSync(join(dir, 'certs', 'live', 'mail', 'cert.pem'), 'utf8'));

/** Our certificate for both names; then, both domains lapsed and the certificate due, another account verifies b.test. */
async function bTestTakenByAnother(): Promise<string> {
  await store.set(installationTokenKey(new URL(ca.url).origin), await accountWithToken(ca));
  const common = { caUrl: ca.url, credentials: store, trustAnchorsPem: ca.caCertPem, method: method(), clock };
  await enroll({ ...common, name: 'mail', baseDir: join(dir, 'certs'), names: { dns: ['mail.a.test', 'mail.b.test'] } });
  const firstSerial = live().serialNumberHex;
  await ca.advanceClock(80 * DAY);
  offsetMs = 80 * DAY;
  const other = await openFileStore({ dir: join(dir, 'other-secrets') });
  await other.set(installationTokenKey(new URL(ca.url).origin), await accountWithToken(ca, 'someone-else@example.org'));
  await enroll({ ...common, credentials: other, name: 'other', baseDir: join(dir, 'other-certs'), names: { dns: ['www.b.test'] } });
  return firstSerial;
}

describe('renew() when the CA no longer certifies a name for the account', () => {
  it('leaves it out, asks, and revokes the old certificate once the renewed one is live when told to', async () => {
    const firstSerial = await bTestTakenByAnother();
    const questions: NamesDroppedQuestion[] = [];
    const events: RenewEvent[] = [];
    const outcome = await renew({
      name: 'mail',
      baseDir: join(dir, 'certs'),
      credentials: store,
      trustAnchorsPem: ca.caCertPem,
      method: method(),
      clock,
      onNamesDropped: async (question) => {
        questions.push(question);
        // Asked while the old certificate is still the live one.
        expect(live().serialNumberHex).toBe(firstSerial);
        return 'revoke';
      },
      onEvent: (e) => events.push(e),
    });
    expect(outcome).toMatchObject({ status: 'renewed', previousSerialHex: firstSerial, droppedNames: ['mail.b.test'], revokedSerialHex: firstSerial });
    expect(questions).toEqual([expect.objectContaining({ name: 'mail', droppedNames: ['mail.b.test'], serialHex: firstSerial })]);
    expect(live().subjectAltNames.dns).toEqual(['mail.a.test']);
    expect(events.filter((e) => e.type !== 'flow').map((e) => e.type)).toEqual(['renewal-due', 'names-dropped', 'renewed', 'dropped-revoked']);
    expect(await crlEntry(ca, firstSerial)).toMatchObject({ reason: 'cessationOfOperation' });
    expect((await listEnrollments({ baseDir: join(dir, 'certs') }))[0]?.renewal).toMatchObject({ droppedNames: ['mail.b.test'], failures: 0 });
  });

  it('keeps the old certificate when the installer says nothing', async () => {
    const firstSerial = await bTestTakenByAnother();
    const outcome = await renew({ name: 'mail', baseDir: join(dir, 'certs'), credentials: store, trustAnchorsPem: ca.caCertPem, method: method(), clock });
    expect(outcome).toMatchObject({ status: 'renewed', droppedNames: ['mail.b.test'] });
    expect(outcome).not.toHaveProperty('revokedSerialHex');
    expect(await crlEntry(ca, firstSerial)).toBeUndefined();
  });
});
