/**
 * The email ping over real SMTP (smtp-server on loopback as the CA's `--smtp` relay, mails read
 * with mailparser) and real HTTP: the registration's ping and its machine and person
 * confirmations, pings to additional addresses (`POST /api/addresses`), pings without a nonce,
 * expiry by the injected clock, rate limits, and DKIM (docs/protocol.md, "The email ping").
 */
import { createHash, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCsr, generateKeyPair } from '@certwizard/pki';
import { createPkcePair, decodeCemailsAnswer } from '@certwizard/protocol';
import { dkimVerify } from 'mailauth/lib/dkim/verify.js';
import { afterEach, describe, expect, it } from 'vitest';
import { accountWithToken, callApi } from './support/cacert-client.js';
import { askForPing, confirmByMachine, confirmLinkOf, dbSnapshot, newNonce, PING_FROM, pingTokenOf } from './support/ping-client.js';
import { confirmAsPerson, isItDone, linkHref, newTicket, postForm, registrationFields } from './support/registration-client.js';
import { type SmtpSink, startSmtpSink } from './support/smtp-sink.js';
import { startTestCa, type TestCa } from './support/test-ca.js';

const EMAIL = 'ada+wizard@example.org';
const CONTINUE = 'http://127.0.0.1:53111/done?state=k2J';
const ERROR = 'http://127.0.0.1:53111/failed?state=k2J';
const DAY = 24 * 60 * 60_000;

let ca: TestCa | undefined;
let sink: SmtpSink | undefined;
let tempDir: string | undefined;
afterEach(async () => {
  await ca?.dispose();
  await sink?.close();
  if (tempDir !== undefined) rmSync(tempDir, { recursive: true, force: true });
  ca = undefined;
  sink = undefined;
  tempDir = undefined;
});

/** A CA relaying to a fresh SMTP sink, with the tests' ping address. */
async function start(options: Parameters<typeof startTestCa>[0] = {}): Promise<{ c: TestCa; s: SmtpSink }> {
  sink = await startSmtpSink();
  ca = await startTestCa({ smtp: sink.relay, pingFrom: PING_FROM, ...options });
  return { c: ca, s: sink };
}

/** Registers with the hand-off `handoff` (PingNonce, ticket...) and returns the mail the CA sent. */
async function register(c: TestCa, s: SmtpSink, handoff: Record<string, string>, fields: Record<string, string> = {}) {
  const res = await postForm(`${c.url}/index.php?id=1`, { ...registrationFields(fields), ...handoff }, { origin: new URL(c.url).origin });
  expect(res.status).toBe(200);
  return s.latest(fields.EmailAddress ?? EMAIL);
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

describe('a registration with PingNonce', () => {
  it('sends the confirmation mail as a ping, which the machine confirms with the nonce', async () => {
    const { c, s } = await start();
    const nonce = newNonce();
    const ticket = await newTicket(c);
    const pkce = createPkcePair();
    const handoff = { ticket, code_challenge: pkce.challenge, code_challenge_method: 'S256', continue: CONTINUE, PingNonce: nonce };
    const form = await (await fetch(`${c.url}/index.php?${new URLSearchParams({ id: '1', ...handoff })}`)).text();
    expect(form).toContain(`<input type="hidden" name="PingNonce" value="${nonce}">`);
    expect(form).toContain('may confirm your address by itself');

    const mail = await register(c, s, handoff);
    expect(mail.mailFrom).toBe(PING_FROM);
    expect(mail.rcptTo).toEqual([EMAIL]);
    expect(mail.parsed.from?.value).toEqual([{ address: PING_FROM, name: '' }]);
    expect(mail.parsed.headers.get('x-certwizard-ping-nonce')).toBe(nonce);
    expect(mail.raw.toString('latin1')).toMatch(new RegExp(`^X-Certwizard-Ping-Nonce: ${nonce}\\r$`, 'm'));
    expect(mail.parsed.subject).toBe('Confirm your email address');
    const text = mail.parsed.text ?? '';
    expect(text).toMatch(new RegExp(`^Ping-Nonce: ${nonce}$`, 'm'));
    const token = pingTokenOf(c, mail);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // The only link is the ping's, on the CA's origin: the mail hook refuses any other.
    expect(text.match(/https?:\/\/\S+/g)).toEqual([`${c.publicUrl}/ping/confirm?token=${token}`]);
    // Only digests are stored.
    const stored = await dbSnapshot(c);
    expect(JSON.stringify(stored)).not.toContain(nonce);
    expect(JSON.stringify(stored)).not.toContain(token);
    expect(stored.registration_handoffs).toEqual([expect.objectContaining({ ping_nonce_hash: sha256(nonce) })]);

    const wrong = await confirmByMachine(c, token, newNonce());
    expect(wrong).toMatchObject({ status: 409, json: { error: { code: 'nonce_mismatch' } } });
    expect(JSON.stringify(wrong.json)).not.toContain(token);
    expect(await dbSnapshot(c)).toEqual(stored);

    const ok = await confirmByMachine(c, token, nonce);
    expect(ok.status).toBe(200);
    expect(ok.json).toEqual({ status: 'confirmed', email: EMAIL });
    expect(ok.headers.get('cache-control')).toBe('no-store');
    expect((await c.account(EMAIL))?.status).toBe('active');
    const done = await isItDone(c, ticket);
    expect(done).toMatchObject({ status: 'done', emailAddress: EMAIL });
    const code = (done as { code: string }).code;
    const redeemed = await postForm(`${c.url}/api/wizard/token`, { code, code_verifier: pkce.verifier });
    expect(redeemed.status).toBe(200);

    // A retry (a lost answer) is harmless: the same answer, nothing changed.
    const settled = await dbSnapshot(c);
    expect(await confirmByMachine(c, token, nonce)).toMatchObject({ status: 200, json: { status: 'confirmed', email: EMAIL } });
    expect(await confirmByMachine(c, token, newNonce())).toMatchObject({ status: 409, json: { error: { code: 'nonce_mismatch' } } });
    expect(await dbSnapshot(c)).toEqual(settled);
    // The person opening the link afterwards is told so, and nothing happens.
    const late = await fetch(`${c.url}/ping/confirm?token=${token}`);
    expect(late.status).toBe(200);
    expect(await late.text()).toContain('is already confirmed');
  });

  it('answers 404 for an unknown token and 400 for malformed requests, changing nothing', async () => {
    const { c, s } = await start();
    await register(c, s, { PingNonce: newNonce() });
    const before = await dbSnapshot(c);
    expect(await confirmByMachine(c, 'A'.repeat(43), newNonce())).toMatchObject({ status: 404, json: { error: { code: 'unknown_token' } } });
    for (const body of ['token=x&nonce=y', `token=${'A'.repeat(43)}`, `token=${'A'.repeat(43)}&token=${'B'.repeat(43)}&nonce=${newNonce()}`]) {
      const res = await fetch(`${c.url}/api/ping/confirm`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('invalid_request');
    }
    const json = await fetch(`${c.url}/api/ping/confirm`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(json.status).toBe(400);
    const get = await fetch(`${c.url}/api/ping/confirm`);
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    expect(await dbSnapshot(c)).toEqual(before);
  });

  it('answers 410 once the token expired (injected clock), changing nothing', async () => {
    let now = Date.UTC(2030, 0, 1);
    const { c, s } = await start({ now: () => now });
    const nonce = newNonce();
    const token = pingTokenOf(c, await register(c, s, { PingNonce: nonce }));
    now += DAY;
    const before = await dbSnapshot(c);
    expect(await confirmByMachine(c, token, nonce)).toMatchObject({ status: 410, json: { error: { code: 'expired_token' } } });
    // The nonce is checked first: a stranger learns nothing about the token's age.
    expect(await confirmByMachine(c, token, newNonce())).toMatchObject({ status: 409 });
    const page = await fetch(`${c.url}/ping/confirm?token=${token}`);
    expect(page.status).toBe(410);
    expect(await dbSnapshot(c)).toEqual(before);
    expect((await c.account(EMAIL))?.status).toBe('pending');
  });

  it('issues a certificate request sent with the registration when the machine confirms', async () => {
    const { c, s } = await start();
    const nonce = newNonce();
    const ticket = await newTicket(c);
    const pkce = createPkcePair();
    const csr = createCsr({ privateKey: generateKeyPair('p256').privateKey, subjectAltNames: { email: [EMAIL] } }).pem;
    const mail = await register(c, s, { ticket, code_challenge: pkce.challenge, code_challenge_method: 'S256', PingNonce: nonce, CSR: csr });
    expect((await confirmByMachine(c, pingTokenOf(c, mail), nonce)).status).toBe(200);
    const { code } = (await isItDone(c, ticket)) as { code: string };
    const redeemed = await postForm(`${c.url}/api/wizard/token`, { code, code_verifier: pkce.verifier });
    const bearer = (JSON.parse(redeemed.text) as { installation_token: string }).installation_token;
    const listed = await fetch(`${c.url}/api/requests?source=registration`, { headers: { authorization: `Bearer ${bearer}` } });
    expect(((await listed.json()) as { requests: unknown[] }).requests).toEqual([expect.objectContaining({ status: 'issued', source: 'registration' })]);
  });

  it('refuses a malformed PingNonce before anything is stored', async () => {
    const { c, s } = await start();
    const page = await (await fetch(`${c.url}/index.php?id=1&PingNonce=short`)).text();
    expect(page).toContain('The ping nonce given by the installer is not one value of 22 to 128 base64url characters');
    expect(page).not.toContain('name="PingNonce"');
    const before = await dbSnapshot(c);
    for (const handoff of [{ PingNonce: 'short' }, { PingNonce: `${'A'.repeat(42)}=` }]) {
      const res = await postForm(`${c.url}/index.php?id=1`, { ...registrationFields(), ...handoff });
      expect(res.status).toBe(400);
      expect(res.text).toContain('ping nonce');
    }
    const twice = await postForm(`${c.url}/index.php?id=1`, [...Object.entries(registrationFields()), ['PingNonce', newNonce()], ['PingNonce', newNonce()]]);
    expect(twice.status).toBe(400);
    expect(await dbSnapshot(c)).toEqual(before);
    expect(s.received).toEqual([]);
  });

  it('without PingNonce sends the usual mail, which the machine cannot confirm', async () => {
    const { c, s } = await start();
    const mail = await register(c, s, {});
    expect(mail.mailFrom).toBe('ca@localhost');
    expect(mail.parsed.headers.has('x-certwizard-ping-nonce')).toBe(false);
    const link = confirmLinkOf(mail);
    const token = new URL(link).searchParams.get('token') as string;
    const before = await dbSnapshot(c);
    expect(await confirmByMachine(c, token, newNonce())).toMatchObject({ status: 409, json: { error: { code: 'nonce_mismatch' } } });
    expect(await dbSnapshot(c)).toEqual(before);
    expect((await confirmAsPerson(link)).status).toBe(200);
    expect((await c.account(EMAIL))?.status).toBe('active');
  });
});

describe('the dev mailbox', () => {
  it('keeps the ping as it would have been sent, from the default ping address', async () => {
    ca = await startTestCa();
    const nonce = newNonce();
    const res = await postForm(`${ca.url}/index.php?id=1`, { ...registrationFields(), PingNonce: nonce });
    expect(res.status).toBe(200);
    const [stored] = (await ca.devMailbox?.list()) ?? [];
    // The public URL's host is an IP address: the default ping address is ping@localhost.
    expect(stored?.raw).toMatch(/^From: ping@localhost\r$/m);
    expect(stored?.raw).toMatch(new RegExp(`^X-Certwizard-Ping-Nonce: ${nonce}\\r$`, 'm'));
    expect(stored?.text).toContain(`${ca.publicUrl}/ping/confirm?token=`);
    expect(stored?.text).toContain(`Ping-Nonce: ${nonce}`);
  });
});

describe("the person's confirmation page", () => {
  it('shows the address and a button on GET, changing nothing; the POST confirms and links back', async () => {
    const { c, s } = await start();
    const ticket = await newTicket(c);
    const token = pingTokenOf(c, await register(c, s, { ticket, continue: CONTINUE, error: ERROR, PingNonce: newNonce() }));
    const before = await dbSnapshot(c);
    for (let i = 0; i < 2; i++) {
      // Twice: a mail scanner's prefetch and the person's click look the same.
      const res = await fetch(`${c.url}/ping/confirm?token=${token}`);
      const html = await res.text();
      expect(res.status).toBe(200);
      expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
      expect(html).toContain(`Confirm that ${EMAIL} is your address and that you started this registration.`);
      expect(html).toContain(`<form method="post" action="/ping/confirm"><input type="hidden" name="token" value="${token}">`);
      expect(html).toContain('<button type="submit" name="action" value="confirm">Confirm</button>');
      // Who started it: the ticket's user code (RFC 8628 §5.4).
      const userCode = /<p class="user-code">([A-Z]{4}-[A-Z]{4})<\/p>/.exec(html)?.[1];
      expect(userCode).toMatch(/^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
    }
    expect(await dbSnapshot(c)).toEqual(before);
    expect(await isItDone(c, ticket)).toEqual({ status: 'pending' });

    const foreign = await postForm(`${c.url}/ping/confirm`, { token }, { origin: 'https://evil.example' });
    expect(foreign.status).toBe(403);
    expect(await dbSnapshot(c)).toEqual(before);

    const ok = await postForm(`${c.url}/ping/confirm`, { token }, { origin: new URL(c.url).origin });
    expect(ok.status).toBe(200);
    expect(ok.text).toContain('<p>Your request was processed.</p>');
    const back = new URL(linkHref(ok.text, 'Please click here to continue with the Installation Wizard') as string);
    expect(back.searchParams.get('EmailAddress')).toBe(EMAIL);
    expect((await c.account(EMAIL))?.status).toBe('active');
    expect(await isItDone(c, ticket)).toEqual({ status: 'done', emailAddress: EMAIL });
    const again = await postForm(`${c.url}/ping/confirm`, { token });
    expect(again.status).toBe(200);
    expect(again.text).toContain('is already confirmed');
  });

  it('answers unknown and expired links, and a late POST fails the registration back to the installer', async () => {
    let now = Date.UTC(2030, 0, 1);
    const { c, s } = await start({ now: () => now });
    const token = pingTokenOf(c, await register(c, s, { error: ERROR, PingNonce: newNonce() }));
    expect((await fetch(`${c.url}/ping/confirm?token=${'A'.repeat(43)}`)).status).toBe(404);
    expect((await fetch(`${c.url}/ping/confirm`)).status).toBe(404);
    expect((await postForm(`${c.url}/ping/confirm`, { token: 'A'.repeat(43) })).status).toBe(404);
    expect((await postForm(`${c.url}/ping/confirm`, {})).status).toBe(400);
    now += DAY;
    const late = await postForm(`${c.url}/ping/confirm`, { token });
    expect(late.status).toBe(410);
    expect(linkHref(late.text, 'Please click here to return to the Installation Wizard')).toBe(
      `${ERROR}&EmailAddress=ada%2Bwizard%40example.org&reason=confirmation_failed`,
    );
    expect((await c.account(EMAIL))?.status).toBe('pending');
  });
});

describe('pings to additional addresses', () => {
  const OTHER = 'Ada.Lovelace@Example.NET';
  const OTHER_STORED = 'Ada.Lovelace@example.net';

  /** A confirmed account with an installation token, made over the sink. */
  async function account(c: TestCa, s: SmtpSink): Promise<string> {
    const { token } = await accountWithToken(c, {}, (email) => confirmLinkOf(s.latest(email)));
    return token;
  }

  async function emailsOf(c: TestCa, bearer: string): Promise<readonly string[]> {
    const res = await callApi(c, '/api/cemails.php', {}, { bearer });
    return decodeCemailsAnswer(res.status, res.text).emails;
  }

  it('sends a ping that the machine confirms, and cemails then lists the address', async () => {
    const { c, s } = await start();
    const bearer = await account(c, s);
    const nonce = newNonce();
    const asked = await askForPing(c, bearer, { email: OTHER, PingNonce: nonce });
    expect(asked.status).toBe(202);
    expect(asked.json).toEqual({ status: 'ping_sent', email: OTHER_STORED });
    const mail = s.latest(OTHER_STORED);
    expect(mail.mailFrom).toBe(PING_FROM);
    expect(mail.rcptTo).toEqual([OTHER_STORED]);
    expect(mail.parsed.from?.value).toEqual([{ address: PING_FROM, name: '' }]);
    expect(mail.parsed.headers.get('x-certwizard-ping-nonce')).toBe(nonce);
    expect(mail.parsed.text).toMatch(new RegExp(`^Ping-Nonce: ${nonce}$`, 'm'));
    expect(mail.parsed.text).toContain(`asks to add ${OTHER_STORED} to its confirmed addresses`);
    const token = pingTokenOf(c, mail);
    const stored = await dbSnapshot(c);
    expect(stored.address_pings).toEqual([
      expect.objectContaining({ account_id: 1, email: OTHER_STORED, nonce_hash: sha256(nonce), token_hash: sha256(token), used_at_ms: null }),
    ]);
    expect(await emailsOf(c, bearer)).toEqual([EMAIL]);

    expect(await confirmByMachine(c, token, newNonce())).toMatchObject({ status: 409 });
    expect(await dbSnapshot(c)).toEqual(stored);
    const ok = await confirmByMachine(c, token, nonce);
    expect(ok).toMatchObject({ status: 200, json: { status: 'confirmed', email: OTHER_STORED } });
    expect(await emailsOf(c, bearer)).toEqual([EMAIL, OTHER_STORED]);
    expect(await confirmByMachine(c, token, nonce)).toMatchObject({ status: 200, json: { status: 'confirmed', email: OTHER_STORED } });

    // Confirmed now: asking again is refused.
    const again = await askForPing(c, bearer, { email: OTHER_STORED.toLowerCase() });
    expect(again).toMatchObject({ status: 409, json: { error: { code: 'address_confirmed' } } });
  });

  it('refuses without a token, a bad address or nonce, or a confirmed address, storing nothing', async () => {
    const { c, s } = await start();
    const bearer = await account(c, s);
    const mails = s.received.length;
    const before = await dbSnapshot(c);
    const cases: Array<{ bearer: string | undefined; fields: Array<[string, string]>; status: number; code: string }> = [
      { bearer: undefined, fields: [['email', OTHER]], status: 401, code: 'unauthorized' },
      { bearer: 'A'.repeat(43), fields: [['email', OTHER]], status: 401, code: 'unauthorized' },
      { bearer, fields: [['email', 'not an address']], status: 400, code: 'invalid_request' },
      { bearer, fields: [['email', 'nobody@']], status: 400, code: 'invalid_request' },
      { bearer, fields: [], status: 400, code: 'invalid_request' },
      {
        bearer,
        fields: [
          ['email', OTHER],
          ['email', EMAIL],
        ],
        status: 400,
        code: 'invalid_request',
      },
      {
        bearer,
        fields: [
          ['email', OTHER],
          ['PingNonce', 'too-short'],
        ],
        status: 400,
        code: 'invalid_request',
      },
      {
        bearer,
        fields: [
          ['email', OTHER],
          ['PingNonce', newNonce()],
          ['PingNonce', newNonce()],
        ],
        status: 400,
        code: 'invalid_request',
      },
      { bearer, fields: [['email', EMAIL.toUpperCase()]], status: 409, code: 'address_confirmed' },
    ];
    for (const { bearer: b, fields, status, code } of cases) {
      const res = await askForPing(c, b, fields);
      expect({ fields, status: res.status, code: res.json.error?.code }).toEqual({ fields, status, code });
    }
    const unauthorized = await askForPing(c, undefined, { email: OTHER });
    expect(unauthorized.headers.get('www-authenticate')).toBe('Bearer');
    expect((await fetch(`${c.url}/api/addresses`)).status).toBe(405);
    expect(await dbSnapshot(c)).toEqual(before);
    expect(s.received).toHaveLength(mails);
  });

  it('asked for without a nonce: the machine gets 409, the person confirms', async () => {
    const { c, s } = await start();
    const bearer = await account(c, s);
    expect((await askForPing(c, bearer, { email: OTHER })).status).toBe(202);
    const mail = s.latest(OTHER_STORED);
    expect(mail.parsed.headers.has('x-certwizard-ping-nonce')).toBe(false);
    expect(mail.parsed.text).not.toContain('Ping-Nonce');
    const token = pingTokenOf(c, mail);
    const before = await dbSnapshot(c);
    expect(await confirmByMachine(c, token, newNonce())).toMatchObject({ status: 409, json: { error: { code: 'nonce_mismatch' } } });
    expect(await dbSnapshot(c)).toEqual(before);
    const page = await (await fetch(`${c.url}/ping/confirm?token=${token}`)).text();
    expect(page).toContain(`Confirm that ${OTHER_STORED} is your address.`);
    expect(page).not.toContain('user-code');
    const ok = await postForm(`${c.url}/ping/confirm`, { token }, { origin: new URL(c.url).origin });
    expect(ok.status).toBe(200);
    expect(ok.text).toContain(`The address ${OTHER_STORED} is now a confirmed address of the account.`);
    expect(await emailsOf(c, bearer)).toEqual([EMAIL, OTHER_STORED]);
  });

  it('allows 10 pings per account and hour, then 429 until the oldest is an hour old', async () => {
    let now = Date.UTC(2030, 0, 1);
    const { c, s } = await start({ now: () => now });
    const bearer = await account(c, s);
    for (let i = 0; i < 10; i++) {
      expect((await askForPing(c, bearer, { email: `box${i}@example.net` })).status).toBe(202);
      now += 60_000;
    }
    const before = await dbSnapshot(c);
    const limited = await askForPing(c, bearer, { email: 'box10@example.net' });
    expect(limited).toMatchObject({ status: 429, json: { error: { code: 'too_many_requests' } } });
    // The first ping was 10 minutes ago: it leaves the hour in 50 minutes.
    expect(limited.headers.get('retry-after')).toBe(String(50 * 60));
    expect(await dbSnapshot(c)).toEqual(before);
    now += 50 * 60_000;
    expect((await askForPing(c, bearer, { email: 'box10@example.net' })).status).toBe(202);
  });

  it('expires after 24 hours (injected clock)', async () => {
    let now = Date.UTC(2030, 0, 1);
    const { c, s } = await start({ now: () => now });
    const bearer = await account(c, s);
    const nonce = newNonce();
    await askForPing(c, bearer, { email: OTHER, PingNonce: nonce });
    const token = pingTokenOf(c, s.latest(OTHER_STORED));
    now += DAY - 1;
    const before = await dbSnapshot(c);
    now += 1;
    expect(await confirmByMachine(c, token, nonce)).toMatchObject({ status: 410, json: { error: { code: 'expired_token' } } });
    expect((await postForm(`${c.url}/ping/confirm`, { token })).status).toBe(410);
    expect(await dbSnapshot(c)).toEqual(before);
  });

  it('keeps nothing when the relay does not take the mail', async () => {
    const { c, s } = await start();
    const bearer = await account(c, s);
    await s.close();
    sink = undefined;
    const before = await dbSnapshot(c);
    expect(await askForPing(c, bearer, { email: OTHER, PingNonce: newNonce() })).toMatchObject({ status: 502, json: { error: { code: 'mail_not_sent' } } });
    expect(await dbSnapshot(c)).toEqual(before);
  });
});

describe('rate limits of the machine confirmation', () => {
  it('answers 429 with Retry-After per client', async () => {
    ca = await startTestCa({ rateLimit: { capacity: 2, refillIntervalMs: 60_000 } });
    for (let i = 0; i < 2; i++) expect((await confirmByMachine(ca, 'A'.repeat(43), newNonce())).status).toBe(404);
    const limited = await confirmByMachine(ca, 'A'.repeat(43), newNonce());
    expect(limited).toMatchObject({ status: 429, json: { error: { code: 'too_many_requests' } } });
    expect(limited.headers.get('retry-after')).toBe('60');
  });
});

describe('DKIM', () => {
  it('signs pings with the configured key, covering From and the nonce header', async () => {
    tempDir = mkdtempSync(join(tmpdir(), 'certwizard-dkim-'));
    const keyFile = join(tempDir, 'dkim.pem');
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    writeFileSync(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    const { c, s } = await start({ dkim: { selector: 'ping2030', keyFile } });
    const nonce = newNonce();
    const mail = await register(c, s, { PingNonce: nonce });
    expect(mail.raw.toString('latin1')).toMatch(/^DKIM-Signature: /m);

    const record = `v=DKIM1; k=rsa; p=${publicKey.export({ type: 'spki', format: 'der' }).toString('base64')}`;
    const resolver = async (name: string, type: string): Promise<string[][]> => {
      if (type === 'TXT' && name === 'ping2030._domainkey.ca.test') return [[record]];
      throw Object.assign(new Error('no such record'), { code: 'ENOTFOUND' });
    };
    const { results } = await dkimVerify(mail.raw, { resolver });
    expect(results).toHaveLength(1);
    const [result] = results as Array<{ status: { result: string }; signingDomain: string; selector: string; signingHeaders: { keys: string } }>;
    expect(result?.status.result).toBe('pass');
    expect(result?.signingDomain).toBe('ca.test');
    expect(result?.selector).toBe('ping2030');
    const signed = (result?.signingHeaders.keys ?? '').split(':').map((k) => k.trim().toLowerCase());
    expect(signed).toEqual(expect.arrayContaining(['from', 'to', 'subject', 'x-certwizard-ping-nonce']));

    // A changed nonce header no longer verifies.
    const forged = Buffer.from(mail.raw.toString('latin1').replace(`X-Certwizard-Ping-Nonce: ${nonce}`, `X-Certwizard-Ping-Nonce: ${newNonce()}`), 'latin1');
    const { results: forgedResults } = await dkimVerify(forged, { resolver });
    expect(forgedResults[0]?.status.result).toBe('fail');

    // Mail that is not a ping is not signed.
    const plain = await register(c, s, {}, { EmailAddress: 'plain@example.org' });
    expect(plain.raw.toString('latin1')).not.toMatch(/^DKIM-Signature: /m);
  });

  it('refuses to start with a key that is not RSA of 2048 bits, naming the file but not its content', async () => {
    tempDir = mkdtempSync(join(tmpdir(), 'certwizard-dkim-'));
    const keyFile = join(tempDir, 'dkim.pem');
    const pem = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    writeFileSync(keyFile, pem, { mode: 0o600 });
    await expect(startTestCa({ dkim: { selector: 's1', keyFile } })).rejects.toMatchObject({
      code: 'ERR_CA_CONFIG',
      message: expect.stringContaining(keyFile),
    });
    await expect(startTestCa({ dkim: { selector: 's1', keyFile } })).rejects.toMatchObject({
      message: expect.not.stringContaining(pem.split('\n')[1] as string),
    });
    await expect(startTestCa({ dkim: { selector: 's1', keyFile: join(tempDir, 'missing.pem') } })).rejects.toMatchObject({ code: 'ERR_CA_CONFIG' });
  });
});

describe('a nonce works once, and the installer gives it over the back channel', () => {
  const POSTMASTER = 'postmaster@mail.example';

  async function ticketWithNonce(c: TestCa, nonce: string): Promise<{ status: number; json: Record<string, unknown> }> {
    const res = await fetch(`${c.url}/index.php?id=givemeaticket`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({ PingNonce: nonce }).toString(),
    });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  }

  it('a ticket asked for with a nonce makes the registration mail a ping carrying it, with no nonce in the page; nobody else can use that nonce', async () => {
    const { c, s } = await start();
    const nonce = newNonce();
    const issued = await ticketWithNonce(c, nonce);
    expect(issued.status).toBe(200);
    const ticket = issued.json.ticket as string;
    const page = await (await fetch(`${c.url}/index.php?id=1&ticket=${ticket}&EmailAddress=${encodeURIComponent(POSTMASTER)}`)).text();
    expect(page).not.toContain(nonce);

    // Mallory, with her own account, presents the installer's nonce for the installer's address.
    const mallory = (await accountWithToken(c, { EmailAddress: 'mallory@evil.example' }, (email) => confirmLinkOf(s.latest(email)))).token;
    const before = await dbSnapshot(c);
    const mailsBefore = s.received.length;
    expect(await askForPing(c, mallory, { email: POSTMASTER, PingNonce: nonce })).toMatchObject({ status: 409, json: { error: { code: 'nonce_in_use' } } });
    expect(await dbSnapshot(c)).toEqual(before);
    expect(s.received.length).toBe(mailsBefore);
    // Nor can she ask for a ticket with it.
    expect(await ticketWithNonce(c, nonce)).toMatchObject({ status: 409, json: { error: { code: 'nonce_in_use' } } });

    // The installer's registration: the ping carries the nonce from the ticket.
    const mail = await register(c, s, { ticket }, { EmailAddress: POSTMASTER });
    expect(mail.parsed.headers.get('x-certwizard-ping-nonce')).toBe(nonce);
    expect((await confirmByMachine(c, pingTokenOf(c, mail), nonce)).status).toBe(200);
    expect((await c.account(POSTMASTER))?.status).toBe('active');
  });

  it('a nonce from a URL that was used before is refused: the mail is an ordinary confirmation a person clicks', async () => {
    const { c, s } = await start();
    const nonce = newNonce();
    const owner = (await accountWithToken(c, { EmailAddress: 'owner@home.example' }, (email) => confirmLinkOf(s.latest(email)))).token;
    expect((await askForPing(c, owner, { email: 'other@home.example', PingNonce: nonce })).status).toBe(202);
    const mail = await register(c, s, { PingNonce: nonce }, { EmailAddress: POSTMASTER });
    expect(mail.parsed.headers.get('x-certwizard-ping-nonce')).toBeUndefined();
    expect(mail.parsed.text).not.toContain(nonce);
  });

  it('refuses a malformed nonce on the ticket request', async () => {
    const { c } = await start();
    expect(await ticketWithNonce(c, 'short')).toMatchObject({ status: 400, json: { error: { code: 'invalid_request' } } });
  });
});

describe('a registration whose confirmation mail cannot be sent', () => {
  it('keeps no account, so the same registration works once the relay is back', async () => {
    const { c, s } = await start();
    const relay = s.relay;
    await s.close();
    sink = undefined;
    const before = await dbSnapshot(c);
    const failed = await postForm(`${c.url}/index.php?id=1`, registrationFields(), { origin: new URL(c.url).origin });
    expect(failed.status).toBe(502);
    expect(await dbSnapshot(c)).toEqual(before);
    expect(await c.account(EMAIL)).toBeUndefined();
    expect(relay).toMatch(/^127\.0\.0\.1:\d+$/);
  });
});
