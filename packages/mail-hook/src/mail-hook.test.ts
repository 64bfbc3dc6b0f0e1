import { createHash, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { writeFile, mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createMailHook, startMailHookServer, type MailHookLogEntry, type MailHookOptions, type NonceBook } from './index.js';
import { startCaStandIn, type CaStandIn } from './test-support/ca-stand-in.js';
import {
  collectingOnData,
  listenSmtp,
  pingMail,
  PING_FROM,
  STANDALONE_DOMAINS,
  startHookFixture,
  type Delivered,
  type HookFixture,
} from './test-support/hook-fixture.js';
import { codeOf, composeWithNodemailer, sendWithNodemailer, smtpConversation, swaks } from './test-support/smtp-clients.js';

// Every fixture and server a test starts is closed afterwards, whatever happened; and no log line
// of any test may contain a nonce or a token the test made.
const fixtures: HookFixture[] = [];
const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  const started = fixtures.splice(0);
  await Promise.all([...started.map((f) => f.close()), ...closers.splice(0).map((c) => c())]);
  for (const f of started) {
    const logged = JSON.stringify(f.logs);
    for (const secret of f.secrets) expect(logged).not.toContain(secret);
    // Closed means closed: nothing answers on the fixture's SMTP ports any more.
    for (const port of [f.vendor.port, f.standalone.port]) expect(await tryConnect(port, '127.0.0.1')).toBe('ECONNREFUSED');
  }
});
async function fixture(options?: Parameters<typeof startHookFixture>[0]): Promise<HookFixture> {
  const f = await startHookFixture(options);
  fixtures.push(f);
  return f;
}
async function otherHost(): Promise<CaStandIn> {
  const server = await startCaStandIn();
  closers.push(() => server.close());
  return server;
}
const randomSecret = () => randomBytes(32).toString('base64url');
const logId = (secret: string) => createHash('sha256').update(secret).digest('hex').slice(0, 12);
const refusals = (f: HookFixture) => f.logs.filter((e) => e.event === 'ping-refused').map((e) => e.reason);
const confirmedLogs = (f: HookFixture) => f.logs.filter((e) => e.event === 'ping-confirmed' && e.reason === undefined);

/** Sends `mail` as pre-composed bytes, so the test knows exactly what went on the wire. */
async function sendRaw(port: number, mail: ReturnType<typeof pingMail>): Promise<{ raw: Buffer; code: number | undefined }> {
  const raw = await composeWithNodemailer(mail);
  const result = await sendWithNodemailer(port, { envelope: mail.envelope, raw });
  return { raw, code: result.code };
}

/** The SMTP steps of one transaction, DATA content given as exact bytes (terminator added). */
const transaction = (rcpts: string[], data: string | Buffer) => [
  'EHLO client.test\r\n',
  `MAIL FROM:<${PING_FROM}>\r\n`,
  ...rcpts.map((r) => `RCPT TO:<${r}>\r\n`),
  'DATA\r\n',
  Buffer.concat([Buffer.from(data), Buffer.from('\r\n.\r\n')]),
  'QUIT\r\n',
];

describe('a genuine ping', () => {
  it('is confirmed once at the pinned origin, and still reaches the vendor byte for byte, unmarked', async () => {
    const f = await fixture();
    const { nonce, token } = await f.preparePing('postmaster@mail.test');
    const { raw, code } = await sendRaw(f.vendor.port, pingMail({ caOrigin: f.ca.origin, to: 'postmaster@mail.test', nonce, token }));
    expect(code).toBe(250);
    expect(f.ca.requests).toEqual([{ method: 'POST', path: '/api/ping/confirm', token, nonce }]);
    expect(f.ca.confirmations(token)).toBe(1);
    expect(f.vendor.received).toHaveLength(1);
    expect(f.vendor.received[0]?.bytes.equals(raw)).toBe(true);
    expect(f.vendor.received[0]).toMatchObject({ mailFrom: PING_FROM, rcptTo: ['postmaster@mail.test'] });
    expect(f.logs).toEqual([
      {
        level: 'info',
        event: 'ping-confirmed',
        sessionId: expect.any(String),
        address: 'postmaster@mail.test',
        nonceLogId: logId(nonce),
        tokenLogId: logId(token),
      },
    ]);
    // Used up: the book refuses it from now on.
    expect(f.book.reserve(nonce, { addresses: ['postmaster@mail.test'] })).toEqual({ ok: false, reason: 'used' });
  });

  it('is answered through the standalone listener too, and delivered to deliver()', async () => {
    const f = await fixture();
    const { nonce, token } = await f.preparePing('a@mail.test');
    const { raw, code } = await sendRaw(f.standalone.port, pingMail({ caOrigin: f.ca.origin, to: 'a@mail.test', nonce, token }));
    expect(code).toBe(250);
    expect(f.ca.confirmations(token)).toBe(1);
    expect(f.standalone.received.map((d) => d.bytes.equals(raw))).toEqual([true]);
  });

  it('is answered without the optional Ping-Nonce body line, and for any case of the address', async () => {
    const f = await fixture();
    const { nonce, token } = await f.preparePing('Alice@Mail.Test');
    const result = await sendWithNodemailer(f.vendor.port, pingMail({ caOrigin: f.ca.origin, to: 'alice@MAIL.test', nonce, token, bodyNonce: null }));
    expect(result.code).toBe(250);
    expect(f.ca.confirmations(token)).toBe(1);
  });

  it('replayed: the second copy is delivered but not confirmed again', async () => {
    const f = await fixture();
    const { nonce, token } = await f.preparePing('a@mail.test');
    const mail = pingMail({ caOrigin: f.ca.origin, to: 'a@mail.test', nonce, token });
    expect((await sendWithNodemailer(f.vendor.port, mail)).code).toBe(250);
    expect((await sendWithNodemailer(f.standalone.port, mail)).code).toBe(250);
    expect(f.ca.requests).toHaveLength(1);
    expect(refusals(f)).toEqual(['used-nonce']);
    expect(f.vendor.received).toHaveLength(1);
    expect(f.standalone.received).toHaveLength(1);
  });
});

describe('refused pings: not answered, delivered like any other mail, logged without secrets', () => {
  it('a forged ping with a nonce nobody issued, sent with swaks', async () => {
    const f = await fixture();
    const nonce = randomSecret();
    const token = randomSecret();
    f.secrets.push(nonce, token);
    const { exitCode } = await swaks(f.vendor.port, [
      '--from',
      PING_FROM,
      '--to',
      'a@mail.test',
      '--header',
      `From: ${PING_FROM}`,
      '--header',
      'To: a@mail.test',
      '--header',
      `X-Certwizard-Ping-Nonce: ${nonce}`,
      '--body',
      `Ping-Nonce: ${nonce}\n\nConfirm: ${f.ca.origin}/ping/confirm?token=${token}\n`,
    ]);
    expect(exitCode).toBe(0);
    expect(f.ca.requests).toEqual([]);
    expect(refusals(f)).toEqual(['unknown-nonce']);
    expect(f.logs[0]).toMatchObject({ level: 'warn', nonceLogId: logId(nonce) });
    expect(f.vendor.received).toHaveLength(1);
  });

  it.each([
    {
      name: 'a nonce issued for another address',
      reason: 'wrong-recipient',
      mail: (f: HookFixture, p: Ping) => pingMail({ caOrigin: f.ca.origin, to: 'b@mail.test', nonce: p.nonce, token: p.token }),
    },
    {
      name: 'the right envelope recipient but another To header',
      reason: 'wrong-recipient',
      mail: (f: HookFixture, p: Ping) => ({
        ...pingMail({ caOrigin: f.ca.origin, to: 'b@mail.test', nonce: p.nonce, token: p.token }),
        envelope: { from: PING_FROM, to: ['a@mail.test'] },
      }),
    },
    {
      name: 'another envelope sender',
      reason: 'wrong-envelope-sender',
      mail: (f: HookFixture, p: Ping) => pingMail({ caOrigin: f.ca.origin, to: 'a@mail.test', nonce: p.nonce, token: p.token, envelopeFrom: 'bounce@ca.test' }),
    },
    {
      name: 'another From header',
      reason: 'wrong-header-sender',
      mail: (f: HookFixture, p: Ping) =>
        pingMail({ caOrigin: f.ca.origin, to: 'a@mail.test', nonce: p.nonce, token: p.token, from: 'ping@evil.test', envelopeFrom: PING_FROM }),
    },
    {
      name: 'a body nonce line that differs from the header',
      reason: 'body-nonce-mismatch',
      mail: (f: HookFixture, p: Ping) => pingMail({ caOrigin: f.ca.origin, to: 'a@mail.test', nonce: p.nonce, token: p.token, bodyNonce: randomSecret() }),
    },
    {
      name: 'a link to a private address',
      reason: 'private-address-link',
      mail: (f: HookFixture, p: Ping) =>
        pingMail({ caOrigin: f.ca.origin, to: 'a@mail.test', nonce: p.nonce, token: p.token, link: `http://10.20.30.40/ping/confirm?token=${p.token}` }),
    },
    {
      name: 'a link with an extra parameter',
      reason: 'malformed-link',
      mail: (f: HookFixture, p: Ping) =>
        pingMail({ caOrigin: f.ca.origin, to: 'a@mail.test', nonce: p.nonce, token: p.token, link: `${f.ca.origin}/ping/confirm?token=${p.token}&next=x` }),
    },
    {
      name: 'no confirmation link',
      reason: 'missing-link',
      mail: (f: HookFixture, p: Ping) => pingMail({ caOrigin: f.ca.origin, to: 'a@mail.test', nonce: p.nonce, token: p.token, link: `${f.ca.origin}/` }),
    },
    {
      name: 'a nonce header too short to be one',
      reason: 'malformed-nonce',
      mail: (f: HookFixture, p: Ping) => pingMail({ caOrigin: f.ca.origin, to: 'a@mail.test', nonce: 'short', token: p.token, bodyNonce: null }),
    },
    {
      name: 'two nonce headers',
      reason: 'malformed-nonce',
      mail: (f: HookFixture, p: Ping) =>
        pingMail({
          caOrigin: f.ca.origin,
          to: 'a@mail.test',
          nonce: p.nonce,
          token: p.token,
          extra: {
            headers: [
              { key: 'X-Certwizard-Ping-Nonce', value: p.nonce },
              { key: 'X-Certwizard-Ping-Nonce', value: randomSecret() },
            ],
          },
        }),
    },
    {
      name: 'an HTML alternative with a link elsewhere next to a genuine text part',
      reason: 'unexpected-parts',
      mail: (f: HookFixture, p: Ping) => ({
        ...pingMail({ caOrigin: f.ca.origin, to: 'a@mail.test', nonce: p.nonce, token: p.token }),
        html: '<a href="https://evil.example/login">log in</a>',
      }),
    },
    {
      name: 'an attachment next to a genuine text part',
      reason: 'unexpected-parts',
      mail: (f: HookFixture, p: Ping) => ({
        ...pingMail({ caOrigin: f.ca.origin, to: 'a@mail.test', nonce: p.nonce, token: p.token }),
        attachments: [{ filename: 'invoice.pdf', content: Buffer.from('%PDF-1.4') }],
      }),
    },
    {
      name: 'an HTML-only body',
      reason: 'no-text-body',
      mail: (f: HookFixture, p: Ping) => ({
        ...pingMail({ caOrigin: f.ca.origin, to: 'a@mail.test', nonce: p.nonce, token: p.token }),
        text: undefined,
        html: `<a href="${f.ca.origin}/ping/confirm?token=${p.token}">confirm</a>`,
      }),
    },
  ])('$name', async ({ reason, mail }) => {
    const f = await fixture();
    const ping = await f.preparePing('a@mail.test');
    const { raw, code } = await sendRaw(f.vendor.port, mail(f, ping));
    expect(code).toBe(250);
    expect(refusals(f)).toEqual([reason]);
    expect(f.ca.requests).toEqual([]);
    expect(f.vendor.received.map((d) => d.bytes.equals(raw))).toEqual([true]);
    // Never consumed: the genuine ping still works afterwards.
    expect((await sendWithNodemailer(f.vendor.port, pingMail({ caOrigin: f.ca.origin, to: 'a@mail.test', ...ping }))).code).toBe(250);
    expect(f.ca.confirmations(ping.token)).toBe(1);
  });

  it('an expired nonce (clock moved past its time)', async () => {
    const f = await fixture();
    const ping = await f.preparePing('a@mail.test', { ttlMs: 60_000 });
    f.advanceClock(60_000);
    await sendWithNodemailer(f.vendor.port, pingMail({ caOrigin: f.ca.origin, to: 'a@mail.test', ...ping }));
    expect(refusals(f)).toEqual(['expired-nonce']);
    expect(f.ca.requests).toEqual([]);
    expect(f.vendor.received).toHaveLength(1);
  });

  it('a link to another host: that host gets no request, nor does the CA', async () => {
    const f = await fixture();
    const other = await otherHost();
    const ping = await f.preparePing('a@mail.test');
    const link = `${other.origin}/ping/confirm?token=${ping.token}`;
    await sendWithNodemailer(f.vendor.port, pingMail({ caOrigin: f.ca.origin, to: 'a@mail.test', ...ping, link }));
    // A genuine link plus a foreign one is no better.
    const both = pingMail({ caOrigin: f.ca.origin, to: 'a@mail.test', ...ping });
    await sendWithNodemailer(f.vendor.port, { ...both, text: `${String(both.text)}\nAlso see ${other.origin}/help\n` });
    expect(refusals(f)).toEqual(['private-address-link', 'private-address-link']);
    expect(other.requests).toEqual([]);
    expect(f.ca.requests).toEqual([]);
    expect(f.vendor.received).toHaveLength(2);
  });

  it('a link to a public host off the pinned origin', async () => {
    const f = await fixture();
    const ping = await f.preparePing('a@mail.test');
    await sendWithNodemailer(
      f.vendor.port,
      pingMail({ caOrigin: f.ca.origin, to: 'a@mail.test', ...ping, link: `https://ca.example.net/ping/confirm?token=${ping.token}` }),
    );
    expect(refusals(f)).toEqual(['foreign-link']);
    expect(f.ca.requests).toEqual([]);
  });

  it('a CA that answers 302: the redirect is not followed, and the nonce stays usable', async () => {
    const f = await fixture();
    const elsewhere = await otherHost();
    const ping = await f.preparePing('a@mail.test');
    f.ca.mode = { kind: 'status', status: 302, location: `${elsewhere.origin}/api/ping/confirm` };
    const mail = pingMail({ caOrigin: f.ca.origin, to: 'a@mail.test', ...ping });
    await sendWithNodemailer(f.vendor.port, mail);
    expect(f.logs).toEqual([expect.objectContaining({ event: 'ping-refused', reason: 'ca-redirect', httpStatus: 302, address: 'a@mail.test' })]);
    expect(elsewhere.requests).toEqual([]);
    expect(f.ca.requests).toHaveLength(1);
    f.ca.mode = { kind: 'contract' };
    await sendWithNodemailer(f.vendor.port, mail);
    expect(f.ca.confirmations(ping.token)).toBe(1);
    expect(f.vendor.received).toHaveLength(2);
  });

  it.each([
    { name: '404 unknown_token', status: 404, caErrorCode: 'unknown_token', setup: (f: HookFixture, p: Ping) => ({ ...p, token: randomSecretPushed(f) }) },
    {
      name: '409 nonce_mismatch',
      status: 409,
      caErrorCode: 'nonce_mismatch',
      setup: (f: HookFixture, p: Ping) => ({ ...p, token: f.ca.issue('a@mail.test', randomSecret()) }),
    },
    {
      name: '410 expired_token',
      status: 410,
      caErrorCode: 'expired_token',
      setup: (f: HookFixture, p: Ping) => ({ ...p, token: f.ca.issue('a@mail.test', p.nonce, { expired: true }) }),
    },
    {
      name: '429 too_many_requests',
      status: 429,
      caErrorCode: 'stand_in',
      setup: (f: HookFixture, p: Ping) => {
        f.ca.mode = { kind: 'status', status: 429 };
        return p;
      },
    },
  ])('a CA that refuses with $name: logged with the status, nonce given back', async ({ status, caErrorCode, setup }) => {
    const f = await fixture();
    const ping = await f.preparePing('a@mail.test');
    const sent = setup(f, ping);
    f.secrets.push(sent.token);
    await sendWithNodemailer(f.vendor.port, pingMail({ caOrigin: f.ca.origin, to: 'a@mail.test', ...sent }));
    expect(f.logs).toEqual([expect.objectContaining({ event: 'ping-refused', reason: 'ca-refused', httpStatus: status, caErrorCode })]);
    expect(f.vendor.received).toHaveLength(1);
    expect(f.book.reserve(ping.nonce, { addresses: ['a@mail.test'] }).ok).toBe(true);
  });

  it('a CA that cannot be reached: logged, delivered, nonce given back', async () => {
    const f = await fixture();
    const ping = await f.preparePing('a@mail.test');
    await f.ca.close();
    await sendWithNodemailer(f.vendor.port, pingMail({ caOrigin: f.ca.origin, to: 'a@mail.test', ...ping }));
    expect(refusals(f)).toEqual(['ca-unreachable']);
    expect(f.vendor.received).toHaveLength(1);
    expect(f.book.reserve(ping.nonce, { addresses: ['a@mail.test'] }).ok).toBe(true);
  });

  it('a CA answer larger than the cap is a bad response', async () => {
    const f = await fixture({ maxConfirmResponseBytes: 1024 });
    const ping = await f.preparePing('a@mail.test');
    f.ca.mode = { kind: 'huge', bytes: 100_000 };
    await sendWithNodemailer(f.vendor.port, pingMail({ caOrigin: f.ca.origin, to: 'a@mail.test', ...ping }));
    expect(refusals(f)).toEqual(['ca-bad-response']);
  });

  it('after hook.close(): delivered, not answered, nonce untouched', async () => {
    const f = await fixture();
    const ping = await f.preparePing('a@mail.test');
    await f.hook.close();
    await sendWithNodemailer(f.vendor.port, pingMail({ caOrigin: f.ca.origin, to: 'a@mail.test', ...ping }));
    expect(f.ca.requests).toEqual([]);
    expect(f.vendor.received).toHaveLength(1);
    expect(f.book.reserve(ping.nonce, { addresses: ['a@mail.test'] }).ok).toBe(true);
  });
});

type Ping = { nonce: string; token: string };
function randomSecretPushed(f: HookFixture): string {
  const secret = randomSecret();
  f.secrets.push(secret);
  return secret;
}

describe('DKIM, when a key is configured', () => {
  let caKey: { publicKey: KeyObject; privateKey: KeyObject };
  let otherKey: { privateKey: KeyObject };
  beforeAll(() => {
    caKey = generateKeyPairSync('rsa', { modulusLength: 2048 });
    otherKey = generateKeyPairSync('rsa', { modulusLength: 2048 });
  });
  const pem = (key: KeyObject) => key.export({ type: 'pkcs8', format: 'pem' }).toString();
  const signed = (privateKey: KeyObject, selector = 's1', domainName = 'ca.test') => ({
    dkim: { domainName, keySelector: selector, privateKey: pem(privateKey) },
  });

  it('answers a ping signed by the CA key (nonce covered through the signed body)', async () => {
    const f = await fixture({ dkim: { selector: 's1', publicKey: caKey.publicKey } });
    const ping = await f.preparePing('a@mail.test');
    await sendWithNodemailer(f.vendor.port, pingMail({ caOrigin: f.ca.origin, to: 'a@mail.test', ...ping, extra: signed(caKey.privateKey) }));
    expect(refusals(f)).toEqual([]);
    expect(f.ca.confirmations(ping.token)).toBe(1);
  });

  it('answers a ping whose signature covers the nonce header, without a body line', async () => {
    const f = await fixture({ dkim: { selector: 's1', domain: 'ca.test', publicKey: caKey.publicKey.export({ type: 'spki', format: 'pem' }).toString() } });
    const ping = await f.preparePing('a@mail.test');
    const extra = { dkim: { ...signed(caKey.privateKey).dkim, headerFieldNames: 'From:To:Subject:X-Certwizard-Ping-Nonce' } };
    await sendWithNodemailer(f.vendor.port, pingMail({ caOrigin: f.ca.origin, to: 'a@mail.test', ...ping, bodyNonce: null, extra }));
    expect(f.ca.confirmations(ping.token)).toBe(1);
  });

  it.each([
    { name: 'unsigned', extra: () => ({}), bodyNonce: undefined },
    { name: 'signed by another key', extra: () => signed(otherKey.privateKey), bodyNonce: undefined },
    { name: 'signed with another selector', extra: () => signed(caKey.privateKey, 's2'), bodyNonce: undefined },
    { name: 'signed for another domain', extra: () => signed(caKey.privateKey, 's1', 'evil.test'), bodyNonce: undefined },
    { name: 'signed, but the nonce is neither in a signed header nor in the body', extra: () => signed(caKey.privateKey), bodyNonce: null },
  ])('refuses a ping $name', async ({ extra, bodyNonce }) => {
    const f = await fixture({ dkim: { selector: 's1', publicKey: caKey.publicKey } });
    const ping = await f.preparePing('a@mail.test');
    await sendWithNodemailer(f.vendor.port, pingMail({ caOrigin: f.ca.origin, to: 'a@mail.test', ...ping, bodyNonce, extra: extra() }));
    expect(refusals(f)).toEqual(['dkim-failed']);
    expect(f.ca.requests).toEqual([]);
    expect(f.vendor.received).toHaveLength(1);
  });

  it('refuses a signed ping whose body was changed on the way', async () => {
    const f = await fixture({ dkim: { selector: 's1', publicKey: caKey.publicKey } });
    const ping = await f.preparePing('a@mail.test');
    const decoy = await f.preparePing('a@mail.test');
    const mail = pingMail({ caOrigin: f.ca.origin, to: 'a@mail.test', ...ping, extra: { ...signed(caKey.privateKey), textEncoding: 'base64' } });
    // Swap in another (equally valid) nonce's token and nonce: same length, so only DKIM can tell.
    const raw = (await composeWithNodemailer(mail)).toString('latin1');
    const body = raw.slice(raw.indexOf('\r\n\r\n'));
    const text = Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
    const forgedText = text.replaceAll(ping.token, decoy.token).replaceAll(ping.nonce, decoy.nonce);
    const forged = `${raw.slice(0, raw.indexOf('\r\n\r\n')).replace(ping.nonce, decoy.nonce)}\r\n\r\n${Buffer.from(forgedText).toString('base64')}\r\n`;
    await sendWithNodemailer(f.vendor.port, { envelope: mail.envelope, raw: forged });
    expect(refusals(f)).toEqual(['dkim-failed']);
    expect(f.ca.requests).toEqual([]);
  });

  it('refuses a signature with a body length limit (l=)', async () => {
    const f = await fixture({ dkim: { selector: 's1', publicKey: caKey.publicKey } });
    const ping = await f.preparePing('a@mail.test');
    const mail = pingMail({ caOrigin: f.ca.origin, to: 'a@mail.test', ...ping, extra: signed(caKey.privateKey) });
    const raw = (await composeWithNodemailer(mail)).toString('latin1').replace(/DKIM-Signature: v=1;/, 'DKIM-Signature: v=1; l=10;');
    await sendWithNodemailer(f.vendor.port, { envelope: mail.envelope, raw });
    expect(refusals(f)).toEqual(['dkim-failed']);
  });
});

describe('the standalone listener is no open relay (RFC 5321 §3.6)', () => {
  it('refuses RCPT TO for a domain it does not serve with 550 5.7.1 (swaks), and delivers nothing', async () => {
    const f = await fixture();
    const { exitCode, transcript } = await swaks(f.standalone.port, ['--from', 'spammer@x.test', '--to', 'victim@elsewhere.test', '--body', 'relay me']);
    // 24: "no recipients were accepted".
    expect(exitCode).toBe(24);
    expect(transcript).toMatch(/<\*\* +550 5\.7\.1 /);
    expect(f.standalone.received).toEqual([]);
    expect(f.logs).toEqual([{ level: 'warn', event: 'recipient-refused', reason: 'domain-not-served', sessionId: expect.any(String) }]);
    // nodemailer, as a relay client would send it, is refused the same way.
    const result = await sendWithNodemailer(f.standalone.port, {
      envelope: { from: 'spammer@x.test', to: ['victim@elsewhere.test'] },
      raw: 'Subject: s\r\n\r\nbody\r\n',
    });
    expect(result).toMatchObject({ ok: false, code: 550 });
    expect(f.standalone.received).toEqual([]);
  });

  it('accepts exactly its domains, in any case; subdomains, look-alikes and address literals are other domains', async () => {
    const f = await fixture();
    const rcpts = [
      'a@mail.test',
      'b@MAIL.Test',
      'c@sub.mail.test',
      'd@mail.test.evil.test',
      'e@mail.test.',
      'f@[127.0.0.1]',
      '@mail.test:g@evil.test',
      'Postmaster',
      'h@m.test',
    ];
    const replies = await smtpConversation(f.standalone.port, transaction(rcpts, 'Subject: mixed\r\n\r\nhello'));
    // Greeting, EHLO, MAIL, then one reply per RCPT, DATA, end of data, QUIT. smtp-server itself
    // answers the trailing dot 501 (a syntax error) before the domain is looked at.
    expect(replies.slice(3, 3 + rcpts.length).map(codeOf)).toEqual([250, 250, 550, 550, 501, 550, 550, 250, 250]);
    expect(replies[3 + 2]).toMatch(/^550 5\.7\.1 /);
    // RFC 5321 §4.5.1: <Postmaster> without a domain is this server's own, never relayed.
    expect(f.standalone.received.map((d) => d.rcptTo)).toEqual([['a@mail.test', 'b@MAIL.Test', 'Postmaster', 'h@m.test']]);
  });

  it('by default serves the domains the nonce book holds a nonce for, while the nonce lives', async () => {
    const f = await fixture();
    const received: Buffer[] = [];
    const server = await startMailHookServer(f.hook, { deliver: (bytes) => void received.push(bytes) });
    closers.push(() => server.close());
    const mailTo = (to: string) => sendWithNodemailer(server.port, { envelope: { from: 'x@y.test', to: [to] }, raw: 'Subject: s\r\n\r\nbody\r\n' });
    expect((await mailTo('postmaster@mail.example')).code).toBe(550);
    await f.preparePing('postmaster@Mail.Example', { ttlMs: 60_000 });
    // The domain, not only the address: a ping's copy to the domain's other mailboxes is not relaying.
    expect((await mailTo('postmaster@mail.example')).code).toBe(250);
    expect((await mailTo('hostmaster@MAIL.example')).code).toBe(250);
    expect((await mailTo('victim@elsewhere.test')).code).toBe(550);
    f.advanceClock(60_000);
    expect((await mailTo('postmaster@mail.example')).code).toBe(550);
    expect(received).toHaveLength(2);
  });

  it('needs domains when the hook was given a nonce book that cannot list its domains', async () => {
    const f = await fixture();
    // A vendor's own book: what the hook itself uses, nothing more.
    const book = { caOrigin: f.book.caOrigin, reserve: f.book.reserve.bind(f.book) } as unknown as NonceBook;
    const hook = createMailHook({ book, pingFrom: PING_FROM });
    closers.push(() => hook.close());
    await expect(startMailHookServer(hook, { deliver: () => {} })).rejects.toMatchObject({ code: 'ERR_MAIL_HOOK_INVALID_ARGUMENT' });
    const server = await startMailHookServer(hook, { deliver: () => {}, domains: ['mail.test'] });
    closers.push(() => server.close());
  });

  it.each([
    { name: 'an empty list', domains: [] },
    { name: 'not a list', domains: 'mail.test' },
    { name: 'an address', domains: ['a@mail.test'] },
    { name: 'a name with a space', domains: ['mail test'] },
    { name: 'an empty name', domains: [''] },
    { name: 'a trailing dot', domains: ['mail.test.'] },
  ])('refuses domains that are $name with ERR_MAIL_HOOK_INVALID_ARGUMENT', async ({ domains }) => {
    const f = await fixture();
    await expect(startMailHookServer(f.hook, { deliver: () => {}, domains: domains as unknown as string[] })).rejects.toMatchObject({
      code: 'ERR_MAIL_HOOK_INVALID_ARGUMENT',
    });
  });
});

describe('limits', () => {
  it('refuses a message over maxMessageBytes with 552 at the end of DATA; nothing is delivered', async () => {
    const f = await fixture({ maxMessageBytes: 64 * 1024 });
    const line = `${'x'.repeat(998)}\r\n`;
    for (const port of [f.vendor.port, f.standalone.port]) {
      const replies = await smtpConversation(port, transaction(['a@mail.test'], `Subject: big\r\n\r\n${line.repeat(70)}`));
      expect(replies.map(codeOf)).toEqual([220, 250, 250, 250, 354, 552, 221]);
    }
    expect(f.vendor.received).toEqual([]);
    expect(f.standalone.received).toEqual([]);
    expect(f.logs.map((e) => [e.event, e.reason])).toEqual([
      ['message-refused', 'too-large'],
      ['message-refused', 'too-large'],
    ]);
  });

  it('accepts a message of exactly maxMessageBytes', async () => {
    const f = await fixture({ maxMessageBytes: 2048 });
    const head = 'Subject: edge\r\n\r\n';
    const body = 'y'.repeat(2048 - head.length - 2);
    const replies = await smtpConversation(f.vendor.port, transaction(['a@mail.test'], `${head}${body}`));
    expect(codeOf(replies[5])).toBe(250);
    expect(f.vendor.received[0]?.bytes.length).toBe(2048);
  });

  it('refuses recipients beyond maxRecipients with 452, and delivers to the ones accepted', async () => {
    const f = await fixture({ maxRecipients: 3 });
    for (const port of [f.vendor.port, f.standalone.port]) {
      const replies = await smtpConversation(port, transaction(['a@m.test', 'b@m.test', 'c@m.test', 'd@m.test'], 'Subject: many\r\n\r\nhello'));
      expect(replies.map(codeOf)).toEqual([220, 250, 250, 250, 250, 250, 452, 354, 250, 221]);
    }
    expect(f.vendor.received.map((d) => d.rcptTo)).toEqual([['a@m.test', 'b@m.test', 'c@m.test']]);
    expect(f.standalone.received.map((d) => d.rcptTo)).toEqual([['a@m.test', 'b@m.test', 'c@m.test']]);
    expect(f.logs.filter((e) => e.event === 'recipient-refused')).toHaveLength(2);
  });

  it.each([
    { name: 'a bare LF', data: 'Subject: smuggle\r\n\r\nhello\n.\nMAIL FROM:<ping@ca.test>\r\nbye' },
    { name: 'a bare CR', data: 'Subject: smuggle\r\n\r\nhello\r.\rMAIL FROM:<ping@ca.test>\r\nbye' },
    { name: 'a LF-only header', data: 'Subject: lf\n\r\nhello' },
  ])('refuses a message with $name line ending with 554; nothing is delivered', async ({ data }) => {
    const f = await fixture();
    for (const port of [f.vendor.port, f.standalone.port]) {
      const replies = await smtpConversation(port, transaction(['a@mail.test'], data));
      expect(replies.map(codeOf)).toEqual([220, 250, 250, 250, 354, 554, 221]);
    }
    expect(f.vendor.received).toEqual([]);
    expect(f.standalone.received).toEqual([]);
    expect(f.logs.map((e) => e.reason)).toEqual(['bare-line-ending', 'bare-line-ending']);
  });

  it('refuses bare LF data sent by swaks --data (no fixups)', async () => {
    const f = await fixture();
    const dir = await mkdtemp(join(tmpdir(), 'mail-hook-swaks-'));
    closers.push(() => rm(dir, { recursive: true, force: true }));
    const file = join(dir, 'bare-lf.eml');
    await writeFile(file, 'From: a@x.test\nTo: b@mail.test\nSubject: bare\n\nline one\n.\nline two\r\n.\r\n');
    const { exitCode, transcript } = await swaks(f.vendor.port, ['--from', 'a@x.test', '--to', 'b@mail.test', '--data', `@${file}`, '--no-data-fixup']);
    // 26: "server did not accept mail following data".
    expect(exitCode).toBe(26);
    expect(transcript).toMatch(/<\*\* +554 /);
    expect(f.vendor.received).toEqual([]);
  });

  it('a ping with more MIME parts than maxMimeParts is not treated as a ping, and is delivered', async () => {
    const f = await fixture({ maxMimeParts: 4 });
    const ping = await f.preparePing('a@mail.test');
    const attachments = Array.from({ length: 6 }, (_, i) => ({ filename: `f${i}.txt`, content: `part ${i}` }));
    await sendWithNodemailer(f.vendor.port, pingMail({ caOrigin: f.ca.origin, to: 'a@mail.test', ...ping, extra: { attachments } }));
    expect(refusals(f)).toEqual(['too-many-mime-parts']);
    expect(f.ca.requests).toEqual([]);
    expect(f.vendor.received).toHaveLength(1);
    // Within the limit the parts are counted, and then refused as parts a ping never has; the
    // plain ping is answered.
    await sendWithNodemailer(f.vendor.port, pingMail({ caOrigin: f.ca.origin, to: 'a@mail.test', ...ping, extra: { attachments: attachments.slice(0, 2) } }));
    expect(refusals(f)).toEqual(['too-many-mime-parts', 'unexpected-parts']);
    await sendWithNodemailer(f.vendor.port, pingMail({ caOrigin: f.ca.origin, to: 'a@mail.test', ...ping }));
    expect(f.ca.confirmations(ping.token)).toBe(1);
  });

  it('a ping that takes longer than parseTimeoutMs to parse is not treated as a ping, and is delivered', async () => {
    const f = await fixture({ parseTimeoutMs: 1 });
    const ping = await f.preparePing('a@mail.test');
    const filler = Array.from({ length: 40_000 }, (_, i) => `filler line ${i} with some text to decode =C3=A9`).join('\n');
    const mail = pingMail({ caOrigin: f.ca.origin, to: 'a@mail.test', ...ping });
    await sendWithNodemailer(f.vendor.port, { ...mail, text: `${String(mail.text)}\n${filler}\n` });
    expect(refusals(f)).toEqual(['parse-timeout']);
    expect(f.ca.requests).toEqual([]);
    expect(f.vendor.received).toHaveLength(1);
  });
});

describe('concurrency', () => {
  it('100 pings, each delivered twice at once: every one confirmed exactly once', async () => {
    const f = await startHookFixture();
    fixtures.push(f);
    const addresses = Array.from({ length: 100 }, (_, i) => `user${i}@mail.test`);
    const pings = await Promise.all(addresses.map((address) => f.preparePing(address)));
    const mails = pings.map((ping, i) => pingMail({ caOrigin: f.ca.origin, to: addresses[i] ?? '', ...ping }));
    const results = await Promise.all(
      mails.flatMap((mail, i) => [sendWithNodemailer(i % 2 ? f.vendor.port : f.standalone.port, mail), sendWithNodemailer(f.vendor.port, mail)]),
    );
    // Every refusal's text, so that a failure says what went wrong (a timeout, a code).
    expect(results.filter((r) => r.code !== 250).map((r) => r.response)).toEqual([]);
    for (const ping of pings) expect(f.ca.confirmations(ping.token)).toBe(1);
    expect(f.ca.requests).toHaveLength(100);
    expect(confirmedLogs(f)).toHaveLength(100);
    const refused = refusals(f);
    expect(refused).toHaveLength(100);
    expect(refused.every((r) => r === 'nonce-busy' || r === 'used-nonce')).toBe(true);
    expect(f.vendor.received.length + f.standalone.received.length).toBe(200);
  });
});

describe('pass-through', () => {
  it('an ordinary mail reaches the wrapped handler and deliver() byte-identical to what a bare smtp-server receives', async () => {
    const f = await fixture();
    const bare: Delivered[] = [];
    const bareServer = await listenSmtp({ onData: collectingOnData(bare) });
    closers.push(bareServer.close);
    const mail = {
      envelope: { from: 'someone@example.test', to: ['a@mail.test', 'b@mail.test'] },
      from: 'Someone <someone@example.test>',
      to: 'a@mail.test, b@mail.test',
      subject: 'Grüße, with an attachment',
      headers: { 'X-Odd-Header': '  spaced  value ' },
      text: `.leading dot\n..two dots\nline\r\n.\nlast line without newline ${'z'.repeat(2000)}`,
      attachments: [{ filename: 'blob.bin', content: randomBytes(3000) }],
    };
    const raw = await composeWithNodemailer(mail);
    for (const port of [bareServer.port, f.vendor.port, f.standalone.port]) {
      expect((await sendWithNodemailer(port, { envelope: mail.envelope, raw })).code).toBe(250);
    }
    const [seenByBare] = bare;
    expect(seenByBare?.bytes.equals(raw)).toBe(true);
    expect(f.vendor.received[0]?.bytes.equals(seenByBare?.bytes ?? Buffer.alloc(0))).toBe(true);
    expect(f.standalone.received[0]?.bytes.equals(seenByBare?.bytes ?? Buffer.alloc(0))).toBe(true);
    expect(f.vendor.received[0]?.rcptTo).toEqual(['a@mail.test', 'b@mail.test']);
    expect(f.logs).toEqual([]);
    expect(f.ca.requests).toEqual([]);
  });

  it('a mail from the CA ping address without the nonce header is ordinary mail: no log, no request', async () => {
    const f = await fixture();
    const ping = await f.preparePing('a@mail.test');
    const mail = pingMail({ caOrigin: f.ca.origin, to: 'a@mail.test', ...ping });
    await sendWithNodemailer(f.vendor.port, { ...mail, headers: {} });
    expect(f.logs).toEqual([]);
    expect(f.ca.requests).toEqual([]);
    expect(f.vendor.received).toHaveLength(1);
  });

  it('answers 451 when deliver() rejects, and the vendor handler reply is passed on as is', async () => {
    const f = await fixture();
    const failing = await startMailHookServer(f.hook, { deliver: () => Promise.reject(new Error('disk full')), domains: STANDALONE_DOMAINS });
    closers.push(() => failing.close());
    const refusing = await listenSmtp({
      onData: f.hook.wrapOnData((stream, _session, callback) => {
        stream.resume();
        stream.on('end', () => callback(Object.assign(new Error('5.7.1 not here'), { responseCode: 550 })));
      }),
    });
    closers.push(refusing.close);
    const message = { envelope: { from: 'x@y.test', to: ['a@mail.test'] }, raw: 'Subject: s\r\n\r\nbody\r\n' };
    expect((await sendWithNodemailer(failing.port, message)).code).toBe(451);
    expect((await sendWithNodemailer(refusing.port, message)).code).toBe(550);
  });
});

describe('options and listener', () => {
  const base = async (): Promise<MailHookOptions> => {
    const f = await fixture();
    return { book: f.book, pingFrom: PING_FROM };
  };

  it.each([
    { name: 'no book', patch: { book: undefined } },
    { name: 'a pingFrom without @', patch: { pingFrom: 'ping' } },
    { name: 'a log that is not a function', patch: { log: 'console' } },
    { name: 'a tiny maxMessageBytes', patch: { maxMessageBytes: 10 } },
    { name: 'zero recipients', patch: { maxRecipients: 0 } },
    { name: 'a fractional parse timeout', patch: { parseTimeoutMs: 1.5 } },
    { name: 'a DKIM key that is not a key', patch: { dkim: { selector: 's1', publicKey: 'not a key' } } },
    { name: 'a DKIM selector with a space', patch: { dkim: { selector: 'a b', publicKey: generateKeyPairSync('ed25519').publicKey } } },
    { name: 'a short RSA DKIM key', patch: { dkim: { selector: 's1', publicKey: generateKeyPairSync('rsa', { modulusLength: 512 }).publicKey } } },
  ])('createMailHook refuses $name with ERR_MAIL_HOOK_INVALID_ARGUMENT', async ({ patch }) => {
    const options = { ...(await base()), ...patch } as unknown as MailHookOptions;
    expect(() => createMailHook(options)).toThrow(expect.objectContaining({ code: 'ERR_MAIL_HOOK_INVALID_ARGUMENT', name: 'MailHookArgumentError' }));
  });

  it('startMailHookServer refuses bad options, a taken port and an aborted signal with coded errors', async () => {
    const f = await fixture();
    const deliver = () => {};
    await expect(startMailHookServer(f.hook, { deliver, port: 70_000 })).rejects.toMatchObject({ code: 'ERR_MAIL_HOOK_INVALID_ARGUMENT' });
    await expect(startMailHookServer(f.hook, { deliver: undefined as unknown as () => void })).rejects.toMatchObject({
      code: 'ERR_MAIL_HOOK_INVALID_ARGUMENT',
    });
    await expect(startMailHookServer(f.hook, { deliver, port: f.standalone.port })).rejects.toMatchObject({ code: 'ERR_MAIL_HOOK_LISTEN' });
    await expect(startMailHookServer(f.hook, { deliver, signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'ERR_MAIL_HOOK_ABORTED' });
  });

  it.skipIf(process.platform !== 'linux')('listens on 127.0.0.1 only', async () => {
    const f = await fixture();
    expect(await tryConnect(f.standalone.port, '127.0.0.1')).toBe('connected');
    expect(await tryConnect(f.standalone.port, '127.0.0.2')).toBe('ECONNREFUSED');
  });

  it('closes when its signal aborts', async () => {
    const f = await fixture();
    const controller = new AbortController();
    const server = await startMailHookServer(f.hook, { deliver: () => {}, signal: controller.signal });
    closers.push(() => server.close());
    expect(await tryConnect(server.port, '127.0.0.1')).toBe('connected');
    controller.abort();
    await server.close();
    expect(await tryConnect(server.port, '127.0.0.1')).toBe('ECONNREFUSED');
  });

  it('a logger that throws does not stop the mail', async () => {
    const f = await fixture();
    const hook = createMailHook({
      book: f.book,
      pingFrom: PING_FROM,
      log: (_entry: MailHookLogEntry) => {
        throw new Error('logger down');
      },
    });
    closers.push(() => hook.close());
    const received: Delivered[] = [];
    const server = await listenSmtp({ onData: hook.wrapOnData(collectingOnData(received)) });
    closers.push(server.close);
    const ping = await f.preparePing('a@mail.test');
    expect((await sendWithNodemailer(server.port, pingMail({ caOrigin: f.ca.origin, to: 'a@mail.test', ...ping }))).code).toBe(250);
    expect(f.ca.confirmations(ping.token)).toBe(1);
    expect(received).toHaveLength(1);
  });
});

/** Resolves with the connection error code, or 'connected'. */
function tryConnect(port: number, host: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ port, host, timeout: 2000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve('timeout');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
  });
}
