/**
 * One hook wired the way a vendor would wire it, with everything real on loopback: a nonce book in
 * a temporary folder, the CA stand-in, a vendor smtp-server whose `onData` is wrapped by the hook,
 * and the hook's standalone listener. Records what the vendor received and what the hook logged.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Mail from 'nodemailer/lib/mailer/index.js';
import { SMTPServer, type SMTPServerSession } from 'smtp-server';
import {
  createMailHook,
  openNonceBook,
  startMailHookServer,
  type MailHook,
  type MailHookLogEntry,
  type MailHookOptions,
  type MailHookServer,
  type NonceBook,
  type SmtpOnData,
} from '../index.js';
import { startCaStandIn, type CaStandIn } from './ca-stand-in.js';

export const PING_FROM = 'ping@ca.test';
/** The domains the fixture's standalone listener serves (mail elsewhere is relaying: refused). */
export const STANDALONE_DOMAINS: readonly string[] = ['mail.test', 'm.test'];

/** One mail as a vendor handler got it. */
export interface Delivered {
  readonly bytes: Buffer;
  readonly mailFrom: string | undefined;
  readonly rcptTo: readonly string[];
}

/** A bare smtp-server on 127.0.0.1:0 whose `onData` is `onData`; closed by `close()`. */
export async function listenSmtp(options: ConstructorParameters<typeof SMTPServer>[0]): Promise<{ port: number; close: () => Promise<void> }> {
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    disableReverseLookup: true,
    logger: false,
    closeTimeout: 500,
    ...options,
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return { port: address.port, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** An `onData` that stores every message in `into` and accepts it. */
export function collectingOnData(into: Delivered[]): SmtpOnData {
  return (stream, session, callback) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => {
      into.push(deliveredOf(Buffer.concat(chunks), session));
      callback();
    });
  };
}

function deliveredOf(bytes: Buffer, session: SMTPServerSession): Delivered {
  return {
    bytes,
    mailFrom: session.envelope.mailFrom === false ? undefined : session.envelope.mailFrom.address,
    rcptTo: session.envelope.rcptTo.map((r) => r.address),
  };
}

export interface HookFixture {
  readonly ca: CaStandIn;
  readonly book: NonceBook;
  readonly hook: MailHook;
  readonly logs: MailHookLogEntry[];
  /** The vendor's own smtp-server, `onData` wrapped by the hook. */
  readonly vendor: { readonly port: number; readonly received: Delivered[] };
  /** The hook's standalone listener for {@link STANDALONE_DOMAINS}; `deliver` stores here. */
  readonly standalone: { readonly port: number; readonly received: Delivered[]; readonly server: MailHookServer };
  /** Every nonce and token the fixture made: none may ever show up in a log. */
  readonly secrets: string[];
  /** Moves the book's clock. */
  advanceClock(ms: number): void;
  /**
   * Asks the book for a nonce for `address` and has the stand-in CA issue a token for it: what
   * the SDK and the CA do before the CA sends its ping. `caEmail` is the address the CA binds
   * the token to (default `address`).
   */
  preparePing(address: string, options?: { ttlMs?: number; caEmail?: string }): Promise<{ nonce: string; token: string }>;
  close(): Promise<void>;
}

/** The ping as the CA composes it, for nodemailer. */
export function pingMail(args: {
  readonly caOrigin: string;
  readonly to: string;
  readonly nonce: string;
  readonly token: string;
  readonly from?: string;
  readonly envelopeFrom?: string;
  readonly bodyNonce?: string | null;
  readonly link?: string;
  readonly extra?: Partial<Mail.Options>;
}): Mail.Options {
  const from = args.from ?? PING_FROM;
  const link = args.link ?? `${args.caOrigin}/ping/confirm?token=${args.token}`;
  const bodyNonce = args.bodyNonce === undefined ? args.nonce : args.bodyNonce;
  return {
    envelope: { from: args.envelopeFrom ?? from, to: [args.to] },
    from,
    to: args.to,
    subject: 'Please confirm your address',
    headers: { 'X-Certwizard-Ping-Nonce': args.nonce },
    text: [
      'Hello,',
      '',
      'a certificate was requested for this address.',
      ...(bodyNonce === null ? [] : [`Ping-Nonce: ${bodyNonce}`]),
      '',
      `Confirm: ${link}`,
      '',
    ].join('\n'),
    ...args.extra,
  };
}

/** Starts a fixture; `hookOptions` override the hook's defaults (the book and log are the fixture's). */
export async function startHookFixture(
  hookOptions: Partial<Omit<MailHookOptions, 'book' | 'log'>> = {},
  bookOptions: { maxPending?: number } = {},
): Promise<HookFixture> {
  const dir = await mkdtemp(join(tmpdir(), 'mail-hook-fixture-'));
  const closers: (() => Promise<unknown>)[] = [() => rm(dir, { recursive: true, force: true })];
  const close = async () => {
    for (const closer of closers.splice(0).reverse()) await closer().catch(() => {});
  };
  try {
    let now = Date.now();
    const ca = await startCaStandIn();
    closers.push(() => ca.close());
    const book = await openNonceBook(dir, { caOrigin: ca.origin, now: () => now, ...bookOptions });
    closers.push(() => book.close());
    const logs: MailHookLogEntry[] = [];
    const hook = createMailHook({ pingFrom: PING_FROM, ...hookOptions, book, log: (entry) => logs.push(entry) });
    closers.push(() => hook.close());

    const vendorReceived: Delivered[] = [];
    const vendor = await listenSmtp({ size: hook.maxMessageBytes, onRcptTo: hook.wrapOnRcptTo(), onData: hook.wrapOnData(collectingOnData(vendorReceived)) });
    closers.push(vendor.close);

    const standaloneReceived: Delivered[] = [];
    const server = await startMailHookServer(hook, {
      deliver: (bytes, session) => void standaloneReceived.push(deliveredOf(bytes, session)),
      domains: STANDALONE_DOMAINS,
    });
    closers.push(() => server.close());

    const secrets: string[] = [];
    return {
      ca,
      book,
      hook,
      logs,
      vendor: { port: vendor.port, received: vendorReceived },
      standalone: { port: server.port, received: standaloneReceived, server },
      secrets,
      advanceClock: (ms) => void (now += ms),
      async preparePing(address, options = {}) {
        const nonce = await book.expect(address, { ttlMs: options.ttlMs ?? 60 * 60_000 });
        const token = ca.issue(options.caEmail ?? address, nonce);
        secrets.push(nonce, token);
        return { nonce, token };
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
