/**
 * Whole runs of the wizard over HTTP against the real reference CA (in-process, 127.0.0.1 port
 * 0): the page's calls as the browser app makes them, the person at the CA scripted over HTTP
 * (packages/sdk's test support), and the certificate checked on disk.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { parseCertificate } from '@certwizard/pki';
import { openFileStore } from '@certwizard/sdk';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { accountWithToken, decideOnAccountPage, startTestCa, type TestCa } from '../../sdk/src/enroll/test-support/reference-ca.js';
import { submitRegistration } from '../../sdk/src/flow/test-support/person.js';
import { startTestWizard, type TestWizard } from './test-support/test-wizard.js';
import { WizardClient } from './test-support/wizard-client.js';

const EMAIL = 'ada+wizard@example.org';
const DETAILS = { firstName: 'Ada', lastName: 'Lovelace', email: EMAIL };
const FAST = {
  registration: { pollIntervalMs: 100, maxPollIntervalMs: 200 },
  waiting: { pollIntervalMs: 100, maxPollIntervalMs: 500, timeoutMs: 20_000 },
};

let ca: TestCa;
let t: TestWizard | undefined;
beforeEach(async () => {
  ca = await startTestCa({ retryAfterSeconds: 1 });
});
afterEach(async () => {
  await t?.dispose();
  t = undefined;
  await ca.dispose();
});

describe('a whole run over HTTP', () => {
  it('details, key, registration at the CA, confirmation: the certificate is installed, with a PKCS #12 on request and no secret in any event', async () => {
    t = await startTestWizard({ caUrl: ca.url, trustAnchorsPem: ca.caCertPem, pkcs12Download: true, details: { email: EMAIL }, enroll: FAST });
    const client = await WizardClient.open(t.wizard.url);
    const events = client.events();
    expect((await client.post('/api/details', DETAILS)).status).toBe(204);
    expect((await client.post('/api/enroll', { keyType: 'p256' })).status).toBe(202);
    expect(JSON.parse((await client.post('/api/enroll', { keyType: 'p256' })).text)).toMatchObject({ error: { code: 'busy' } });

    // The SDK's opener hands the CA's page to the browser app; the person registers there.
    const page = await events.waitFor((r) => r.event.type === 'registration-page');
    const url = page.event.type === 'registration-page' ? page.event.url : '';
    expect(new URL(url).origin).toBe(ca.url);
    await submitRegistration(url);

    const installedRecord = await events.waitFor((r) => r.event.type === 'installed');
    const result = await t.wizard.done;
    expect(result.accountEmail).toBe(EMAIL);
    expect(installedRecord.event).toMatchObject({
      type: 'installed',
      run: 1,
      installed: { name: 'mail', names: [EMAIL], fingerprintSha256: result.installed.fingerprintSha256, notAfter: result.installed.notAfter.toISOString() },
    });
    // The flow's own events went through in order.
    const steps = events.records.flatMap((r) => (r.event.type === 'flow' && r.event.event.type === 'step' ? [r.event.event.step] : []));
    expect(steps).toEqual(['prepare-key', 'register', 'verify-email', 'submit', 'install', 'done']);

    // On disk: the key matches the certificate, which chains to the CA, for the typed address.
    const { paths } = result.installed;
    const openssl = (args: string[], env: NodeJS.ProcessEnv = {}) => execFileSync('openssl', args, { encoding: 'utf8', env: { ...process.env, ...env } });
    const caFile = join(t.dir, 'ca.pem');
    writeFileSync(caFile, ca.caCertPem);
    expect(openssl(['verify', '-CAfile', caFile, paths.cert]).trim()).toBe(`${paths.cert}: OK`);
    expect(openssl(['pkey', '-in', paths.privkey, '-pubout'])).toBe(openssl(['x509', '-in', paths.cert, '-noout', '-pubkey']));
    expect(statSync(paths.privkey).mode & 0o777).toBe(0o600);
    expect(parseCertificate(readFileSync(paths.cert, 'utf8')).subjectAltNames.email).toEqual([EMAIL]);

    // PKCS #12, built from the installed key with the person's passphrase.
    expect((await client.post('/api/pkcs12', { passphrase: 'short' })).status).toBe(422);
    const passphrase = 'a passphrase the person typed';
    const p12 = await client.post('/api/pkcs12', { passphrase });
    expect(p12.status).toBe(200);
    expect(p12.headers['content-type']).toBe('application/x-pkcs12');
    expect(p12.headers['content-disposition']).toBe('attachment; filename="mail.p12"');
    const p12File = join(t.dir, 'mail.p12');
    writeFileSync(p12File, p12.body);
    const opened = openssl(['pkcs12', '-in', p12File, '-passin', 'env:P12_PASS', '-nodes'], { P12_PASS: passphrase });
    expect(opened).toContain('-----BEGIN PRIVATE KEY-----');
    expect(opened).toContain(readFileSync(paths.cert, 'utf8').trim().split('\n')[1]);

    // Nothing more to run; Finish resolves `finished`.
    expect(JSON.parse((await client.post('/api/enroll', { keyType: 'p256' })).text)).toMatchObject({ error: { code: 'already_installed' } });
    expect((await client.post('/api/finish')).status).toBe(204);
    await t.wizard.finished;
    await events.waitFor((r) => r.event.type === 'finished');

    // No secret ever went to the browser: not the installation token, not the key, not the passphrase.
    const store = await openFileStore({ dir: join(t.dir, 'secrets') });
    const token = await store.get(`installation-token:${ca.url}`);
    expect(token).toBeDefined();
    const everything = JSON.stringify(events.records) + (await client.get('/api/config')).text;
    expect(everything).not.toContain(token as string);
    expect(everything).not.toContain('PRIVATE KEY');
    expect(everything).not.toContain(passphrase);
    // The registration URL is the one secret-bearing value, and appears only in its own event.
    expect(events.records.filter((r) => JSON.stringify(r).includes('ticket=')).map((r) => r.event.type)).toEqual(['registration-page']);
    events.close();
  });
});

describe('an installer started again', () => {
  it('goes on with the registration the earlier wizard started: same address suggested, same ticket, one account', async () => {
    const first = await startTestWizard({ caUrl: ca.url, trustAnchorsPem: ca.caCertPem, enroll: FAST });
    t = first;
    let client = await WizardClient.open(first.wizard.url);
    let events = client.events();
    expect((await client.post('/api/details', { ...DETAILS, email: 'ops@example.org' })).status).toBe(204);
    expect((await client.post('/api/enroll', { keyType: 'p384' })).status).toBe(202);
    const firstPage = await events.waitFor((r) => r.event.type === 'registration-page');
    events.close();
    // The installer is stopped while the person is at the CA's page.
    await first.close();
    await expect(first.wizard.done).rejects.toMatchObject({ code: 'ERR_WIZARD_CLOSED' });

    t = await startTestWizard({ caUrl: ca.url, trustAnchorsPem: ca.caCertPem, details: { email: 'someone.else@example.org' }, enroll: FAST }, first);
    client = await WizardClient.open(t.wizard.url);
    const config = JSON.parse((await client.get('/api/config')).text) as { defaults: { email: string }; earlierRun?: { step: string } };
    expect(config.earlierRun).toEqual({ step: 'register' });
    expect(config.defaults.email).toBe('ops@example.org');
    events = client.events();
    expect((await client.post('/api/details', { ...DETAILS, email: config.defaults.email })).status).toBe(204);
    expect((await client.post('/api/enroll', { keyType: 'p256' })).status).toBe(202);
    const page = await events.waitFor((r) => r.event.type === 'registration-page');
    const url = (r: typeof page) => new URL(r.event.type === 'registration-page' ? r.event.url : '');
    // The same ticket, shown again (through the SDK's display, as a resumed registration is).
    expect(url(page).searchParams.get('ticket')).toBe(url(firstPage).searchParams.get('ticket'));
    await events.waitFor((r) => r.event.type === 'flow' && r.event.event.type === 'registration' && r.event.event.event.type === 'url-displayed');
    await submitRegistration(url(page).href);
    await events.waitFor((r) => r.event.type === 'installed');
    const { installed, resumed } = await t.wizard.done;
    expect(resumed).toBe(true);
    expect(installed.names).toEqual(['ops@example.org']);
    // The key of the first run (P-384), not a new one of the type chosen the second time.
    expect(execFileSync('openssl', ['pkey', '-in', installed.paths.privkey, '-noout', '-text'], { encoding: 'utf8' })).toContain('secp384r1');
    events.close();
  });
});

describe('an installer started again after it installed', () => {
  it('opens on the installed certificate: no question, no request to the CA, the same files', async () => {
    const first = await startTestWizard({ caUrl: ca.url, trustAnchorsPem: ca.caCertPem, details: { email: EMAIL }, enroll: FAST });
    t = first;
    const client = await WizardClient.open(first.wizard.url);
    const events = client.events();
    expect((await client.post('/api/details', DETAILS)).status).toBe(204);
    expect((await client.post('/api/enroll', { keyType: 'p256' })).status).toBe(202);
    const page = await events.waitFor((r) => r.event.type === 'registration-page');
    await submitRegistration(page.event.type === 'registration-page' ? page.event.url : '');
    const { installed } = await first.wizard.done;
    events.close();
    await first.close();
    const issued = async () => {
      const counts = await ca.counts();
      return { accounts: counts.accounts, tickets: counts.tickets, requests: counts.certificate_requests, certificates: counts.certificates };
    };
    const before = await issued();

    t = await startTestWizard({ caUrl: ca.url, trustAnchorsPem: ca.caCertPem, details: { email: 'someone.else@example.org' }, enroll: FAST }, first);
    const again = await t.wizard.done;
    expect(again.resumed).toBe(true);
    expect(again.installed.fingerprintSha256).toBe(installed.fingerprintSha256);
    expect(again.installed.version).toBe(installed.version);
    const second = await WizardClient.open(t.wizard.url);
    const config = JSON.parse((await second.get('/api/config')).text) as { installedEarlier?: boolean; earlierRun?: unknown };
    expect(config.installedEarlier).toBe(true);
    expect(config.earlierRun).toBeUndefined();
    const history = second.events();
    const shown = await history.waitFor((r) => r.event.type === 'installed');
    expect(shown.event).toMatchObject({ type: 'installed', resumed: true, installed: { names: [EMAIL] } });
    expect(history.records.some((r) => r.event.type === 'registration-page')).toBe(false);
    history.close();
    // Nothing new at the CA: no account, ticket, request or certificate.
    expect(await issued()).toEqual(before);
    expect(before.certificates).toBe(1);
  });
});

describe('failures', () => {
  let forwarder: Forwarder | undefined;
  afterEach(async () => {
    await forwarder?.close();
    forwarder = undefined;
  });

  it('a CA that does not answer is shown with what to do; Retry once it is up goes on to the registration page', async () => {
    // The wizard talks to the CA through a TCP forwarder on a port where nothing listens yet.
    forwarder = await Forwarder.reserve(new URL(ca.url).port);
    t = await startTestWizard({
      caUrl: `http://127.0.0.1:${forwarder.port}`,
      trustAnchorsPem: ca.caCertPem,
      enroll: { ...FAST, registration: { ...FAST.registration, retries: 0 } },
    });
    const client = await WizardClient.open(t.wizard.url);
    const events = client.events();
    expect((await client.post('/api/details', DETAILS)).status).toBe(204);
    expect((await client.post('/api/enroll', { keyType: 'p256' })).status).toBe(202);
    const failed = await events.waitFor((r) => r.event.type === 'run-failed');
    expect(failed.event).toMatchObject({
      type: 'run-failed',
      run: 1,
      failure: {
        code: 'ERR_SDK_CA_UNREACHABLE',
        hint: `Check that this computer is online and can reach http://127.0.0.1:${forwarder.port}, then press Retry.`,
      },
    });

    await forwarder.listen();
    expect((await client.post('/api/enroll', { keyType: 'p256' })).status).toBe(202);
    await events.waitFor((r) => r.event.type === 'run-started' && r.event.run === 2);
    const page = await events.waitFor((r) => r.event.type === 'registration-page' && r.event.run === 2);
    expect(page.event.type === 'registration-page' && new URL(page.event.url).port).toBe(String(forwarder.port));
    // The second run resumed: the key made by the first one was kept (no second prepare-key step).
    const run2Steps = events.records.flatMap((r) =>
      r.event.type === 'flow' && r.event.run === 2 && r.event.event.type === 'step' ? [r.event.event.step] : [],
    );
    expect(run2Steps[0]).toBe('register');
    events.close();
  });

  it('a registration the CA refuses (address already registered) is shown with what to do; Retry opens a new registration page', async () => {
    await accountWithToken(ca); // EMAIL belongs to an account already
    t = await startTestWizard({ caUrl: ca.url, trustAnchorsPem: ca.caCertPem, details: { email: EMAIL }, enroll: FAST });
    const client = await WizardClient.open(t.wizard.url);
    const events = client.events();
    expect((await client.post('/api/details', DETAILS)).status).toBe(204);
    expect((await client.post('/api/enroll', { keyType: 'p256' })).status).toBe(202);
    const page = await events.waitFor((r) => r.event.type === 'registration-page');
    await submitRegistration(page.event.type === 'registration-page' ? page.event.url : '').catch(() => undefined);
    const failed = await events.waitFor((r) => r.event.type === 'run-failed');
    expect(failed.event).toMatchObject({
      type: 'run-failed',
      run: 1,
      failure: { code: 'ERR_SDK_REGISTRATION_REFUSED', hint: expect.stringMatching(/^That address already has an account at the CA\. Press Retry/) },
    });

    // Retry starts a new registration (a new page, a new ticket), not the refused one again.
    expect((await client.post('/api/enroll', { keyType: 'p256' })).status).toBe(202);
    const second = await events.waitFor((r) => r.event.type === 'registration-page' && r.event.run === 2);
    const ticketOf = (url: string) => new URL(url).searchParams.get('ticket');
    expect(second.event.type === 'registration-page' && ticketOf(second.event.url)).not.toBe(
      page.event.type === 'registration-page' && ticketOf(page.event.url),
    );
    events.close();
  });

  it('a request the owner discards fails with a Retry; the retry has the address confirmed by a ping and installs', async () => {
    const other = 'ada.other@example.org';
    t = await startTestWizard({
      caUrl: ca.url,
      trustAnchorsPem: ca.caCertPem,
      details: { email: EMAIL },
      enroll: { ...FAST, verification: { pollIntervalMs: 100, maxPollIntervalMs: 200, timeoutMs: 20_000 } },
    });
    const client = await WizardClient.open(t.wizard.url);
    const events = client.events();
    // The request names one address, the person registers another at the CA: it waits for the owner.
    expect((await client.post('/api/details', { ...DETAILS, email: other })).status).toBe(204);
    expect((await client.post('/api/enroll', { keyType: 'p256' })).status).toBe(202);
    const page = await events.waitFor((r) => r.event.type === 'registration-page');
    await submitRegistration(page.event.type === 'registration-page' ? page.event.url : '', { email: EMAIL });
    const pending = await events.waitFor((r) => r.event.type === 'flow' && r.event.event.type === 'enrollment' && r.event.event.event.type === 'pending');
    const requestId =
      pending.event.type === 'flow' && pending.event.event.type === 'enrollment' && pending.event.event.event.type === 'pending'
        ? pending.event.event.event.requestId
        : '';
    await decideOnAccountPage(ca, requestId, 'discard', EMAIL);
    const failed = await events.waitFor((r) => r.event.type === 'run-failed');
    expect(failed.event).toMatchObject({ failure: { code: 'ERR_SDK_ENROLL_REJECTED', hint: expect.stringContaining('press Retry to make a new key') } });

    // Retry: a new key and request; the address is first confirmed for the account by a ping.
    expect((await client.post('/api/enroll', { keyType: 'p256' })).status).toBe(202);
    const ping = await events.waitFor(
      (r) => r.event.type === 'flow' && r.event.run === 2 && r.event.event.type === 'address' && r.event.event.event.type === 'ping-sent',
    );
    expect(ping.event).toMatchObject({ event: { event: { address: other, automatic: false } } });
    await confirmPing(ca.url, other);
    // The new request then waits for the owner's approval, as every request sent with the token does.
    const second = await events.waitFor(
      (r) => r.event.type === 'flow' && r.event.run === 2 && r.event.event.type === 'enrollment' && r.event.event.event.type === 'pending',
    );
    const secondId =
      second.event.type === 'flow' && second.event.event.type === 'enrollment' && second.event.event.event.type === 'pending'
        ? second.event.event.event.requestId
        : '';
    expect(secondId).not.toBe(requestId);
    await decideOnAccountPage(ca, secondId, 'approve', EMAIL);
    await events.waitFor((r) => r.event.type === 'installed');
    const { installed } = await t.wizard.done;
    expect(installed.names).toEqual([other]);
    expect(installed.version).toBe(1);
    events.close();
  });
});

/** The person opens the newest ping to `email` in the dev mailbox and presses Confirm on its page. */
async function confirmPing(caUrl: string, email: string): Promise<void> {
  const mails = (await (await fetch(`${caUrl}/dev/mailbox.json?to=${encodeURIComponent(email)}`)).json()) as Array<{ text: string }>;
  const token = mails.map((m) => /\/ping\/confirm\?token=([A-Za-z0-9_-]+)/.exec(m.text)?.[1]).find((x) => x !== undefined);
  if (token === undefined) throw new Error(`no ping to ${email} in the mailbox`);
  const res = await fetch(`${caUrl}/ping/confirm`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: caUrl },
    body: new URLSearchParams({ token }).toString(),
  });
  if (res.status >= 400) throw new Error(`the ping confirmation answered ${res.status}`);
}

/**
 * A TCP forwarder to the CA on a port of its own, which can be made to listen later: the CA
 * "comes up" without the test knowing its port in advance. Real sockets, bytes passed as is.
 */
class Forwarder {
  readonly port: number;
  readonly #target: number;
  #server: Server | undefined;
  readonly #sockets = new Set<Socket>();

  private constructor(port: number, target: number) {
    this.port = port;
    this.#target = target;
  }

  /** Finds a free port (listen on 0, note it, close) without listening on it yet. */
  static async reserve(target: string): Promise<Forwarder> {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as { port: number }).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    return new Forwarder(port, Number(target));
  }

  async listen(): Promise<void> {
    this.#server = createServer((inbound) => {
      const outbound = connect(this.#target, '127.0.0.1');
      for (const s of [inbound, outbound]) {
        this.#sockets.add(s);
        s.once('close', () => this.#sockets.delete(s));
        s.on('error', () => undefined);
      }
      inbound.pipe(outbound).pipe(inbound);
    });
    await new Promise<void>((resolve) => this.#server?.listen(this.port, '127.0.0.1', resolve));
  }

  async close(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((resolve) => (this.#server === undefined ? resolve() : this.#server.close(() => resolve())));
  }
}
