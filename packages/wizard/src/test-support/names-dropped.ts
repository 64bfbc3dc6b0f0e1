/**
 * Test support: a tracked server certificate for mail.a.test and mail.b.test from the real
 * reference CA, of which the second name is then dropped, as in the SDK's
 * flow/renew-names-dropped.test.ts: both domains verified by HTTP files, the clock moved past the
 * domains' lapse and into the renewal window, and another account verifies b.test. A renewal
 * then meets `domain_taken` and asks about the old certificate. Not part of the package's build.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCertificate } from '@certwizard/pki';
import {
  cacertMethod,
  enroll,
  installationTokenKey,
  openFileStore,
  systemClock,
  type Clock,
  type CredentialStore,
  type EnrollmentMethod,
} from '@certwizard/sdk';
import { startTestCa, type TestCa } from '@certwizard/server-reference/testing';
import { startChallTestSrv } from '../../../../server-reference/src/ca/test-support/challtestsrv.js';
import { accountWithToken, crlEntry } from '../../../sdk/src/enroll/test-support/reference-ca.js';
import { startHttpFiles } from '../../../sdk/src/flow/test-support/http-files.js';

const DAY = 86_400_000;

/** The CA, the tracked certificate `mail` under `baseDir`, and what `renew()` needs for it. */
export interface DroppedNameSetup {
  readonly ca: TestCa;
  readonly baseDir: string;
  readonly credentials: CredentialStore;
  /** The SDK's clock, moved with the CA's. */
  readonly clock: Clock;
  /** The CAcert method with the HTTP-file domain verification and short polls. */
  method(): EnrollmentMethod;
  /** Serial of the certificate that carries both names (lower-case hex, as the CA writes it). */
  readonly firstSerialHex: string;
  /** The CRL's entry for `serialHex`, or undefined. */
  crlEntry(serialHex: string): ReturnType<typeof crlEntry>;
  /** Stops the CA and the test servers, removes the folder. */
  dispose(): Promise<void>;
}

/** Sets it all up (a few seconds: two enrollments with domain checks). */
export async function droppedNameSetup(): Promise<DroppedNameSetup> {
  const dir = mkdtempSync(join(tmpdir(), 'certwizard-wizard-renewal-'));
  const cleanups: Array<() => Promise<unknown>> = [async () => rmSync(dir, { recursive: true, force: true })];
  const dispose = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  };
  try {
    const dns = await startChallTestSrv(); // answers A 127.0.0.1 for every name
    cleanups.push(() => dns.stop());
    const web = await startHttpFiles();
    cleanups.push(() => web.close());
    const ca = await startTestCa({
      commonName: 'Wizard Renewal Test CA',
      retryAfterSeconds: 1,
      dnsResolvers: [dns.dnsServer],
      httpChallengePort: web.port,
      allowPrivateChallengeAddresses: true,
      domainLapseDays: 30,
    });
    cleanups.push(() => ca.dispose());
    let offsetMs = 0;
    const clock: Clock = { now: () => Date.now() + offsetMs, sleep: (ms, signal) => systemClock.sleep(ms, signal) };
    const method = () =>
      cacertMethod({ caUrl: ca.url, domainVerification: web.byHttp, verification: { pollIntervalMs: 50, maxPollIntervalMs: 200, timeoutMs: 20_000 } });
    const credentials = await openFileStore({ dir: join(dir, 'secrets') });
    const origin = new URL(ca.url).origin;
    await credentials.set(installationTokenKey(origin), await accountWithToken(ca));
    const common = { caUrl: ca.url, trustAnchorsPem: ca.caCertPem, clock };
    const baseDir = join(dir, 'certs');
    const first = await enroll({ ...common, credentials, method: method(), name: 'mail', baseDir, names: { dns: ['mail.a.test', 'mail.b.test'] } });
    await ca.advanceClock(80 * DAY);
    offsetMs = 80 * DAY;
    const other = await openFileStore({ dir: join(dir, 'other-secrets') });
    await other.set(installationTokenKey(origin), await accountWithToken(ca, 'someone-else@example.org'));
    await enroll({ ...common, credentials: other, method: method(), name: 'other', baseDir: join(dir, 'other-certs'), names: { dns: ['www.b.test'] } });
    return {
      ca,
      baseDir,
      credentials,
      clock,
      method,
      firstSerialHex: parseCertificate(readFileSync(first.installed.paths.cert, 'utf8')).serialNumberHex.toLowerCase(),
      crlEntry: (serialHex) => crlEntry(ca, serialHex),
      dispose,
    };
  } catch (error) {
    await dispose();
    throw error;
  }
}
