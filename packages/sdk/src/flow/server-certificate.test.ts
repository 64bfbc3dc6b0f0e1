/**
 * Server certificates through enroll() (issue 13) against the real reference CA: the domain of
 * the DNS names verified by an email ping that ExampleMail's mail hook answers by itself, by a
 * DNS TXT record published on a real pebble-challtestsrv, by an HTTP file served by a real
 * node:http server; a domain verified before costs no second ping; names outside any domain are
 * refused with nothing installed; one certificate may carry both names and the address.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCertificate } from '@certwizard/pki';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { installExampleMailCertificate } from '../../../../examples/mailserver/install-certificate.mjs';
import { startExampleMail } from '../../../../examples/mailserver/mail-server.mjs';
import { startChallTestSrv, type ChallTestSrv } from '../../../../server-reference/src/ca/test-support/challtestsrv.js';
import type { CredentialStore } from '../credentials/credential-store.js';
import { openFileStore } from '../credentials/file-store.js';
import { accountWithToken, decideOnAccountPage, startTestCa, type TestCa } from '../enroll/test-support/reference-ca.js';
import { createKeyAndCsr } from '../enroll/key-and-csr.js';
import { isSdkError } from '../is-sdk-error.js';
import { cacertMethod } from '../methods/cacert/cacert-method.js';
import type { DomainVerification } from '../methods/cacert/domain-verification.js';
import { installationTokenKey } from '../methods/cacert/credential-keys.js';
import { readInstalled } from '../install/read-installed.js';
import { enroll, type EnrollOptions } from './default-method.js';
import type { EnrollFlowEvent } from './enroll.js';
import { startHttpFiles } from './test-support/http-files.js';
import { submitRegistration } from './test-support/person.js';

const PING_FROM = 'ping@ca.example';
const DOMAIN = 'examplemail.test';
const HOST = `mail.${DOMAIN}`;
const POSTMASTER = `postmaster@${DOMAIN}`;
const SERVER_AUTH = 'serverAuth';

let dir: string;
let store: CredentialStore;
const cleanups: Array<() => Promise<unknown>> = [];

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'certwizard-server-cert-'));
  store = await openFileStore({ dir: join(dir, 'secrets') });
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  rmSync(dir, { recursive: true, force: true });
});

/** A CA (torn down after the test). */
async function caWith(options: Parameters<typeof startTestCa>[0] = {}): Promise<TestCa> {
  const started = await startTestCa({ retryAfterSeconds: 1, ...options });
  cleanups.push(() => started.dispose());
  return started;
}

/** An installation of an existing account: its token in the store, so enroll() registers nothing. */
async function installation(started: TestCa): Promise<void> {
  await store.set(installationTokenKey(new URL(started.url).origin), await accountWithToken(started));
}

/** The options every enrollment here shares. */
function base(started: TestCa, name: string, names: EnrollOptions['names'], events: EnrollFlowEvent[]): EnrollOptions {
  return {
    caUrl: started.url,
    name,
    baseDir: join(dir, 'certs'),
    names,
    credentials: store,
    trustAnchorsPem: started.caCertPem,
    registration: { opener: () => Promise.reject(new Error('no registration expected')) },
    verification: { pollIntervalMs: 50, maxPollIntervalMs: 200, timeoutMs: 20_000 },
    onEvent: (event) => events.push(event),
  };
}

/** The live certificate of `name`, parsed. */
async function liveCertificate(name: string) {
  const installed = await readInstalled(join(dir, 'certs'), name);
  if (installed === undefined) throw new Error(`nothing installed as ${name}`);
  return parseCertificate(readFileSync(installed.paths.cert, 'utf8'));
}

/**
 * A CA that checks HTTP files on a node:http server here: pebble-challtestsrv answers A 127.0.0.1
 * for every name, the CA connects to the server's port and may reach a loopback address. `files`
 * is what the server serves, by path; `byHttp` publishes there.
 */
async function caCheckingHttpFiles(): Promise<{ started: TestCa; files: Map<string, string>; byHttp: DomainVerification }> {
  const dns: ChallTestSrv = await startChallTestSrv(); // answers A 127.0.0.1 for every name
  cleanups.push(() => dns.stop());
  const web = await startHttpFiles();
  cleanups.push(() => web.close());
  const started = await caWith({ dnsResolvers: [dns.dnsServer], httpChallengePort: web.port, allowPrivateChallengeAddresses: true });
  return { started, files: web.files, byHttp: web.byHttp };
}

const domainEvents = (events: EnrollFlowEvent[]) => events.flatMap((e) => (e.type === 'domain' ? [e.event] : []));

describe('a server certificate with the domain verified by an email ping the mail server answers', () => {
  it('registers, verifies examplemail.test by postmaster@ with the hook nonce, and installs a serverAuth certificate for the name; a second one costs no ping', async () => {
    const mail = await startExampleMail({ dataDir: join(dir, 'mail') });
    cleanups.push(() => mail.close());
    const started = await caWith({ smtp: `127.0.0.1:${mail.port}`, pingFrom: PING_FROM });
    const nonces = await mail.enableCertwizard({ caOrigin: new URL(started.url).origin, pingFrom: PING_FROM });
    const events: EnrollFlowEvent[] = [];
    const { installed, accountEmail } = await enroll({
      ...base(started, 'mail', { dns: [HOST] }, events),
      registration: {
        prefill: { emailAddress: { value: POSTMASTER, sure: true } },
        // The person fills in the form; the mail server answers the confirmation itself.
        opener: (url) => submitRegistration(url, { skipConfirmation: true }),
        pollIntervalMs: 50,
      },
      emailPing: { nonces },
    });
    expect(accountEmail).toBe(POSTMASTER);
    expect(domainEvents(events)).toEqual([
      { type: 'verifying', domain: DOMAIN, unicode: DOMAIN, method: 'email', address: POSTMASTER, automatic: true },
      ...domainEvents(events).filter((e) => e.type === 'waiting'),
      expect.objectContaining({ type: 'verified', domain: DOMAIN, method: 'email', alreadyVerified: false, lapsesAt: expect.any(String) }),
    ]);
    const certificate = await liveCertificate('mail');
    expect(installed.names).toEqual([HOST]);
    expect(certificate.subjectAltNames).toEqual({ dns: [HOST], email: [], ip: [] });
    expect(certificate.subject).toEqual([{ type: 'CN', value: HOST }]);
    expect(certificate.extendedKeyUsage).toEqual([SERVER_AUTH]);
    const domainPings = (await mail.mailbox(POSTMASTER)).filter((m) => /Confirm a domain/.test(m));
    expect(domainPings).toHaveLength(1);
    expect(domainPings[0]).toMatch(/^X-Certwizard-Ping-Nonce: [A-Za-z0-9_-]{43}\r?$/m);

    // Another name of the same domain: the CA lists it verified, nothing is mailed.
    const again: EnrollFlowEvent[] = [];
    const second = await enroll({ ...base(started, 'www', { dns: [`www.${DOMAIN}`] }, again), emailPing: { nonces } });
    expect(second.installed.names).toEqual([`www.${DOMAIN}`]);
    expect(domainEvents(again)).toEqual([expect.objectContaining({ type: 'verified', domain: DOMAIN, method: 'email', alreadyVerified: true })]);
    expect((await mail.mailbox(POSTMASTER)).filter((m) => /Confirm a domain/.test(m))).toHaveLength(1);
    expect(await started.counts()).toMatchObject({ accounts: 1, certificates: 2 });
  });

  it('one certificate for the name and the address: ccsr, waiting for the owner, with serverAuth and emailProtection', async () => {
    const mail = await startExampleMail({ dataDir: join(dir, 'mail') });
    cleanups.push(() => mail.close());
    const started = await caWith({ smtp: `127.0.0.1:${mail.port}`, pingFrom: PING_FROM });
    const events: EnrollFlowEvent[] = [];
    let approving: Promise<void> | undefined;
    const { installed } = await installExampleMailCertificate({
      mail,
      caUrl: started.url,
      pingFrom: PING_FROM,
      trustAnchorsPem: started.caCertPem,
      address: POSTMASTER,
      baseDir: join(dir, 'certs'),
      credentials: store,
      registration: { opener: (url: string) => submitRegistration(url, { skipConfirmation: true }), pollIntervalMs: 50 },
      onEvent: (event: EnrollFlowEvent) => events.push(event),
    });
    expect(installed.names).toEqual([POSTMASTER]);
    // Now the same installation asks for both in one certificate.
    const nonces = await mail.enableCertwizard({ caOrigin: new URL(started.url).origin, pingFrom: PING_FROM });
    const both = await enroll({
      ...base(started, 'both', { dns: [HOST], email: [POSTMASTER] }, events),
      emailPing: { nonces },
      waiting: { pollIntervalMs: 50, maxPollIntervalMs: 200 },
      onEvent: (event) => {
        events.push(event);
        if (event.type === 'enrollment' && event.event.type === 'polling' && approving === undefined)
          approving = decideOnAccountPage(started, event.event.requestId, 'approve', POSTMASTER);
      },
    });
    await approving;
    const certificate = await liveCertificate('both');
    expect(certificate.subjectAltNames.dns).toEqual([HOST]);
    expect(certificate.subjectAltNames.email).toEqual([POSTMASTER]);
    expect(certificate.extendedKeyUsage).toContain(SERVER_AUTH);
    expect(certificate.extendedKeyUsage).toContain('emailProtection');
    expect(both.installed.names).toEqual(expect.arrayContaining([HOST, POSTMASTER]));
  });
});

describe('a server certificate with the domain verified by a DNS TXT record', () => {
  it('publishes the record on pebble-challtestsrv, retries the check until it is there, and installs the certificate', async () => {
    const dns: ChallTestSrv = await startChallTestSrv();
    cleanups.push(() => dns.stop());
    const started = await caWith({ dnsResolvers: [dns.dnsServer] });
    await installation(started);
    const events: EnrollFlowEvent[] = [];
    const published: Array<{ name: string; value: string }> = [];
    const { installed } = await enroll({
      ...base(started, 'mail', { dns: [HOST] }, events),
      domainVerification: {
        method: 'dns',
        publish: async (record) => {
          published.push(record);
          // Propagation takes a moment: the first check finds nothing, a later one the record.
          setTimeout(() => void dns.setTxt(record.name, record.value), 150);
        },
      },
    });
    expect(installed.names).toEqual([HOST]);
    expect(published).toEqual([{ name: `_certwizard-challenge.${DOMAIN}`, value: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) }]);
    const seen = domainEvents(events);
    expect(seen[0]).toEqual({ type: 'verifying', domain: DOMAIN, unicode: DOMAIN, method: 'dns', record: published[0] });
    expect(seen.some((e) => e.type === 'waiting')).toBe(true);
    expect(seen.at(-1)).toMatchObject({ type: 'verified', domain: DOMAIN, method: 'dns', alreadyVerified: false });
    expect((await liveCertificate('mail')).extendedKeyUsage).toEqual([SERVER_AUTH]);
  });

  it('a record that never appears ends in ERR_SDK_DOMAIN_UNVERIFIED at the time limit, with what the CA saw', async () => {
    const dns: ChallTestSrv = await startChallTestSrv();
    cleanups.push(() => dns.stop());
    const started = await caWith({ dnsResolvers: [dns.dnsServer] });
    await installation(started);
    const error = await enroll({
      ...base(started, 'mail', { dns: [HOST] }, []),
      verification: { pollIntervalMs: 50, maxPollIntervalMs: 100, timeoutMs: 1500 },
      domainVerification: { method: 'dns', publish: async () => undefined },
    }).catch((e: unknown) => e);
    expect(isSdkError(error, 'ERR_SDK_DOMAIN_UNVERIFIED')).toBe(true);
    expect(error).toMatchObject({ domain: DOMAIN, method: 'dns', timeoutMs: 1500, lastCheck: expect.stringContaining('challenge_failed') });
    expect(await readInstalled(join(dir, 'certs'), 'mail')).toBeUndefined();
  });
});

describe('a server certificate with the domain verified by an HTTP file', () => {
  it('serves the file on a node:http server the CA reaches, and installs the certificate', async () => {
    const { started, files } = await caCheckingHttpFiles();
    await installation(started);
    const events: EnrollFlowEvent[] = [];
    const { installed } = await enroll({
      ...base(started, 'mail', { dns: [HOST] }, events),
      domainVerification: {
        method: 'http',
        publish: async ({ url, content }) => {
          files.set(new URL(url).pathname, content);
        },
      },
    });
    expect(installed.names).toEqual([HOST]);
    const [verifying] = domainEvents(events);
    expect(verifying).toEqual({
      type: 'verifying',
      domain: DOMAIN,
      unicode: DOMAIN,
      method: 'http',
      url: expect.stringMatching(new RegExp(`^http://${DOMAIN}/\\.well-known/certwizard-challenge/[A-Za-z0-9_-]+$`)),
    });
    expect(domainEvents(events).at(-1)).toMatchObject({ type: 'verified', method: 'http', alreadyVerified: false });
  });
});

describe('a domain another account holds', () => {
  it('ERR_SDK_DOMAIN_REFUSED domain_taken, nothing installed, the request dropped: the next run with other names goes on', async () => {
    const { started, byHttp } = await caCheckingHttpFiles();
    // Another account (its own installation, store and folder) verifies examplemail.test first.
    const otherStore = await openFileStore({ dir: join(dir, 'other-secrets') });
    await otherStore.set(installationTokenKey(new URL(started.url).origin), await accountWithToken(started, 'someone-else@example.org'));
    await enroll({ ...base(started, 'mail', { dns: [HOST] }, []), credentials: otherStore, baseDir: join(dir, 'other-certs'), domainVerification: byHttp });

    await installation(started);
    const error = await enroll({ ...base(started, 'mail', { dns: [HOST] }, []), domainVerification: byHttp }).catch((e: unknown) => e);
    expect(isSdkError(error, 'ERR_SDK_DOMAIN_REFUSED')).toBe(true);
    expect(error).toMatchObject({ domain: DOMAIN, caCode: 'domain_taken' });
    expect(await readInstalled(join(dir, 'certs'), 'mail')).toBeUndefined();

    // Same enrollment name, other names: no ERR_SDK_STATE_MISMATCH from the state of the refused ones.
    const { installed } = await enroll({ ...base(started, 'mail', { dns: ['mail.other-mail.test'] }, []), domainVerification: byHttp });
    expect(installed.names).toEqual(['mail.other-mail.test']);
  });
});

describe('names no domain of the account can cover', () => {
  it.each([
    { name: 'outside the named domains', names: [HOST, 'www.other.test'], domains: [DOMAIN], refused: ['www.other.test'] },
    { name: 'a public suffix has no registrable domain', names: ['co.uk'], domains: undefined, refused: ['co.uk'] },
  ])('$name: ERR_SDK_NAME_NOT_ALLOWED naming them, nothing sent, nothing installed, the request dropped', async ({ names, domains, refused }) => {
    const started = await caWith();
    await installation(started);
    const before = await started.counts();
    const error = await enroll({ ...base(started, 'mail', { dns: names }, []), ...(domains === undefined ? {} : { domains }) }).catch((e: unknown) => e);
    expect(isSdkError(error, 'ERR_SDK_NAME_NOT_ALLOWED')).toBe(true);
    expect(error).toMatchObject({ names: refused, caCode: undefined });
    expect(await readInstalled(join(dir, 'certs'), 'mail')).toBeUndefined();
    expect(await started.counts()).toEqual(before);
  });

  it("the CA's name_not_allowed (a domain not verified) is a rejected result naming the names", async () => {
    const started = await caWith();
    await installation(started);
    const { csrPem } = await createKeyAndCsr({ keyType: 'p256', names: { dns: [HOST, `www.${DOMAIN}`] } });
    const method = cacertMethod({
      caUrl: started.url,
      credentials: { installationToken: (await store.get(installationTokenKey(new URL(started.url).origin))) as string },
    });
    expect(await method.submit({ csrPem })).toMatchObject({
      status: 'rejected',
      caCode: 'name_not_allowed',
      httpStatus: 403,
      refusedNames: [HOST, `www.${DOMAIN}`],
    });
  });
});
