/**
 * The whole email ping path with the real mail hook (`@certwizard/mail-hook`, imported by this
 * test only; the CA's sources never import it): the CA sends DKIM-signed pings through a relay
 * (smtp-server on loopback, standing in for the vendor's MTA) to the hook's standalone listener;
 * the hook checks the ping against its nonce book and the pinned DKIM key and confirms it with
 * `POST /api/ping/confirm` against the real CA. Every server on 127.0.0.1 port 0.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createMailHook,
  type MailHook,
  type MailHookLogEntry,
  type MailHookServer,
  type NonceBook,
  openNonceBook,
  startMailHookServer,
} from '@certwizard/mail-hook';
import { createPkcePair, decodeCemailsAnswer } from '@certwizard/protocol';
import { simpleParser } from 'mailparser';
import nodemailer from 'nodemailer';
import { afterEach, describe, expect, it } from 'vitest';
import { accountWithToken, callApi } from './support/cacert-client.js';
import { askForPing, newNonce, PING_FROM } from './support/ping-client.js';
import { isItDone, newTicket, postForm, registrationFields } from './support/registration-client.js';
import { startSmtpSink } from './support/smtp-sink.js';
import { startTestCa, type TestCa } from './support/test-ca.js';

const EMAIL = 'postmaster@mail.example';
const SELECTOR = 'ping2030';
const DAY = 24 * 60 * 60_000;

/** The CA, the relay, the hook and its listener, wired as a vendor would. */
interface PingChain {
  readonly ca: TestCa;
  readonly book: NonceBook;
  readonly hookLog: MailHookLogEntry[];
  /** Every mail the hook handed on (pings included), as received. */
  readonly delivered: Buffer[];
  close(): Promise<void>;
}

let chain: PingChain | undefined;
afterEach(async () => {
  await chain?.close();
  chain = undefined;
});

/**
 * Starts the chain. The relay exists first because the CA needs its port at start and the hook
 * needs the CA's origin; it forwards each mail, envelope and bytes unchanged, to the hook.
 * @param hookKey - the public key the hook pins; default the CA's own DKIM key.
 */
async function startPingChain(options: { hookKey?: KeyObject } = {}): Promise<PingChain> {
  const dir = mkdtempSync(join(tmpdir(), 'certwizard-ping-hook-'));
  const closers: Array<() => Promise<void> | void> = [() => rmSync(dir, { recursive: true, force: true })];
  const close = async () => {
    for (const closer of closers.reverse()) await closer();
  };
  try {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const keyFile = join(dir, 'dkim.pem');
    writeFileSync(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });

    let hookPort = 0;
    const mta = await startSmtpSink({
      forward: async (mail) => {
        const transport = nodemailer.createTransport({ host: '127.0.0.1', port: hookPort, secure: false, ignoreTLS: true });
        try {
          await transport.sendMail({ envelope: { from: mail.mailFrom, to: [...mail.rcptTo] }, raw: mail.raw });
        } finally {
          transport.close();
        }
      },
    });
    closers.push(() => mta.close());

    const ca = await startTestCa({
      smtp: mta.relay,
      pingFrom: PING_FROM,
      dkim: { selector: SELECTOR, keyFile },
    });
    closers.push(() => ca.dispose());

    const book = await openNonceBook(join(dir, 'nonces'), { caOrigin: ca.publicUrl });
    closers.push(() => book.close());
    const hookLog: MailHookLogEntry[] = [];
    const hook: MailHook = createMailHook({
      book,
      pingFrom: PING_FROM,
      dkim: { selector: SELECTOR, publicKey: options.hookKey ?? publicKey },
      log: (entry) => hookLog.push(entry),
    });
    closers.push(() => hook.close());
    const delivered: Buffer[] = [];
    const listener: MailHookServer = await startMailHookServer(hook, {
      domains: ['mail.example', 'example.org'],
      deliver: (message) => void delivered.push(message),
    });
    closers.push(() => listener.close());
    hookPort = listener.port;
    return { ca, book, hookLog, delivered, close };
  } catch (err) {
    await close();
    throw err;
  }
}

describe('the email ping answered by the mail hook', () => {
  it("confirms a registration by itself when the ping carries the book's nonce", async () => {
    chain = await startPingChain();
    const { ca, book } = chain;
    const nonce = await book.expect(EMAIL, { ttlMs: DAY });
    const ticket = await newTicket(ca);
    const pkce = createPkcePair();
    const res = await postForm(`${ca.url}/index.php?id=1`, {
      ...registrationFields({ EmailAddress: EMAIL }),
      ticket,
      code_challenge: pkce.challenge,
      code_challenge_method: 'S256',
      PingNonce: nonce,
    });
    // The SMTP replies wait for the hook's decision, so by now the ping was answered.
    expect(res.status).toBe(200);
    expect(chain.hookLog).toEqual([expect.objectContaining({ level: 'info', event: 'ping-confirmed', address: EMAIL })]);
    expect((await ca.account(EMAIL))?.status).toBe('active');
    expect(await isItDone(ca, ticket)).toMatchObject({ status: 'done', emailAddress: EMAIL });
    // The ping still reaches the mailbox, unchanged and DKIM-signed.
    expect(chain.delivered).toHaveLength(1);
    expect(chain.delivered[0]?.toString('latin1')).toMatch(/^DKIM-Signature: /m);
    // The nonce is used: a second copy of the ping is not answered again.
    expect(book.reserve(nonce, { addresses: [EMAIL] })).toEqual({ ok: false, reason: 'used' });
  });

  it('confirms an additional address, which cemails then lists', async () => {
    chain = await startPingChain();
    const { ca, book } = chain;
    // The owner's own registration goes through the chain too, as ordinary mail: a person confirms it.
    const owner = await ownerAccount(ca, chain);
    const nonce = await book.expect(EMAIL, { ttlMs: DAY });
    const asked = await askForPing(ca, owner, { email: EMAIL, PingNonce: nonce });
    expect(asked.status).toBe(202);
    expect(chain.hookLog.at(-1)).toMatchObject({ level: 'info', event: 'ping-confirmed', address: EMAIL });
    const emails = await callApi(ca, '/api/cemails.php', {}, { bearer: owner });
    expect(decodeCemailsAnswer(emails.status, emails.text).emails).toEqual(['owner@example.org', EMAIL]);
  });

  it('leaves a ping whose nonce the book never issued to the person', async () => {
    chain = await startPingChain();
    const { ca } = chain;
    const res = await postForm(`${ca.url}/index.php?id=1`, { ...registrationFields({ EmailAddress: EMAIL }), PingNonce: newNonce() });
    expect(res.status).toBe(200);
    expect(chain.hookLog).toEqual([expect.objectContaining({ level: 'warn', event: 'ping-refused', reason: 'unknown-nonce' })]);
    expect((await ca.account(EMAIL))?.status).toBe('pending');
    expect(chain.delivered).toHaveLength(1);
  });

  it('refuses a ping signed by another key than the one the hook pins', async () => {
    chain = await startPingChain({ hookKey: generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey });
    const { ca, book } = chain;
    const nonce = await book.expect(EMAIL, { ttlMs: DAY });
    await postForm(`${ca.url}/index.php?id=1`, { ...registrationFields({ EmailAddress: EMAIL }), PingNonce: nonce });
    expect(chain.hookLog).toEqual([expect.objectContaining({ level: 'warn', event: 'ping-refused', reason: 'dkim-failed' })]);
    expect((await ca.account(EMAIL))?.status).toBe('pending');
    // Refused before the book was asked: the nonce is still there for a genuine ping.
    expect(book.reserve(nonce, { addresses: [EMAIL] }).ok).toBe(true);
  });
});

/** A confirmed account with an installation token; its confirmation mail passes the hook as ordinary mail. */
async function ownerAccount(ca: TestCa, c: PingChain): Promise<string> {
  const { token } = await accountWithToken(ca, { EmailAddress: 'owner@example.org' }, async () => {
    const mail = await simpleParser(c.delivered.at(-1) ?? Buffer.alloc(0));
    const link = /https?:\/\/\S+id=confirm&token=[A-Za-z0-9_-]+/.exec(mail.text ?? '')?.[0];
    if (link === undefined) throw new Error('no confirmation link delivered');
    return link;
  });
  return token;
}
