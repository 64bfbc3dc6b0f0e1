/**
 * The mail hook: a filter around a mail server's smtp-server handlers that answers genuine pings
 * and hands every mail on to the vendor's own handler, byte for byte.
 */
import { createPublicKey, KeyObject } from 'node:crypto';
import type { SMTPServerAddress, SMTPServerDataResult, SMTPServerDataStream, SMTPServerSession } from 'smtp-server';
import { normalizeAddress } from './codec/address.js';
import { findBareLineEnding } from './codec/raw-message.js';
import { checkInteger } from './check-integer.js';
import { MailHookArgumentError } from './errors.js';
import type { NonceBook } from './nonce-book.js';
import { answerPing, carriesPingNonce, type PingOutcome, type PingRefusalReason, type PingResponderConfig } from './ping-responder.js';
import type { PinnedDkimKey } from './transport/dkim-check.js';
import { collectMessage, replayMessage, SMTP_REFUSALS } from './transport/smtp-data.js';

/** Default cap on one message, in bytes: 10 MiB (the hook holds each message in memory once). */
export const DEFAULT_MAX_MESSAGE_BYTES = 10 * 1024 * 1024;
/** Default cap on recipients of one message: 100, the least RFC 5321 §4.5.3.1.8 lets a server accept. */
export const DEFAULT_MAX_RECIPIENTS = 100;
/** Default cap on MIME parts of a ping (the message itself counts): 32. A ping has one or two. */
export const DEFAULT_MAX_MIME_PARTS = 32;
/** Default cap on parsing one ping, in milliseconds: 2 s. */
export const DEFAULT_PARSE_TIMEOUT_MS = 2000;
/** Default cap on the confirmation request, in milliseconds: 10 s. */
export const DEFAULT_CONFIRM_TIMEOUT_MS = 10_000;
/** Default cap on the CA's answer to the confirmation, in bytes: 16 KiB. */
export const DEFAULT_MAX_CONFIRM_RESPONSE_BYTES = 16 * 1024;

/** smtp-server's `onData` handler, as the vendor wrote it and as {@link MailHook.wrapOnData} returns it. */
export type SmtpOnData = (
  stream: SMTPServerDataStream,
  session: SMTPServerSession,
  callback: (err?: Error | null, message?: string | SMTPServerDataResult[]) => void,
) => void;

/** The reply callback of an `onData` handler. */
type SmtpReply = Parameters<SmtpOnData>[2];

/** Where the hook hands an accepted message: the bytes as received, the session, and the SMTP reply to give. */
export type MessageSink = (bytes: Buffer, session: SMTPServerSession, reply: SmtpReply) => void;

/** What the standalone listener needs of a hook beyond its public face. Internal to the package. */
export interface HookInternals {
  /**
   * An `onData` handler that runs the hook's checks and hands accepted bytes to `sink` directly
   * (no replayed stream).
   */
  readonly receive: (sink: MessageSink) => SmtpOnData;
  /** The hook's nonce book. */
  readonly book: NonceBook;
  /** Writes to the hook's log (a logger that throws is ignored). */
  readonly log: (entry: MailHookLogEntry) => void;
}

/** The internals of every hook {@link createMailHook} made, for the standalone listener. */
const internals = new WeakMap<MailHook, HookInternals>();

/** The internals of `hook`, or `undefined` when {@link createMailHook} did not make it. */
export function internalsOf(hook: MailHook): HookInternals | undefined {
  return internals.get(hook);
}

/** smtp-server's `onRcptTo` handler. */
export type SmtpOnRcptTo = (address: SMTPServerAddress, session: SMTPServerSession, callback: (err?: Error | null) => void) => void;

/**
 * One line of the hook's log. Holds no nonce and no token: `nonceLogId` and `tokenLogId` are the
 * first 12 hex digits of their SHA-256, enough to follow one ping, useless to forge one.
 */
export interface MailHookLogEntry {
  /** `info` for a confirmed ping, `warn` for everything refused. */
  readonly level: 'info' | 'warn';
  /**
   * `ping-confirmed`: the CA confirmed; `ping-refused`: a mail with the ping nonce header was not
   * answered (and was delivered as ordinary mail); `message-refused`: the hook refused the whole
   * message at the SMTP level (too large, bare line ending); `recipient-refused`: over the
   * recipient limit, or (standalone listener) for a domain it does not serve.
   */
  readonly event: 'ping-confirmed' | 'ping-refused' | 'message-refused' | 'recipient-refused';
  /**
   * For refusals: why (a {@link PingRefusalReason}, or `too-large`, `bare-line-ending`,
   * `too-many-recipients`, `domain-not-served`).
   */
  readonly reason?:
    PingRefusalReason | 'too-large' | 'bare-line-ending' | 'too-many-recipients' | 'domain-not-served' | 'ca-email-mismatch' | 'nonce-book-write-failed';
  /** smtp-server's session id. */
  readonly sessionId: string;
  /** The address the nonce was issued for, once known. */
  readonly address?: string;
  readonly nonceLogId?: string;
  readonly tokenLogId?: string;
  /** The CA's HTTP status, for `ca-*` reasons. */
  readonly httpStatus?: number;
  /** The CA's `error.code`, for `ca-refused`. */
  readonly caErrorCode?: string;
}

/** The CA's DKIM key, as the hook pins it (no DNS lookup is ever made). */
export interface MailHookDkimOptions {
  /** The selector (`s=`) the CA signs with. */
  readonly selector: string;
  /** The signing domain (`d=`). Default: the domain of `pingFrom`. */
  readonly domain?: string;
  /** The public key: PEM (SPKI) text or a `KeyObject`; RSA of at least 1024 bits, or Ed25519. */
  readonly publicKey: string | KeyObject;
}

/** Options of {@link createMailHook}. */
export interface MailHookOptions {
  /** The nonce book; its `caOrigin` is the only origin the hook ever contacts or accepts in a link. */
  readonly book: NonceBook;
  /** The CA's ping address: the envelope sender and `From:` of every genuine ping. */
  readonly pingFrom: string;
  /** When set, a ping must carry a valid DKIM signature by this key. Default: no DKIM check. */
  readonly dkim?: MailHookDkimOptions;
  /** Receives one {@link MailHookLogEntry} per decision worth recording; what it throws is ignored. */
  readonly log?: (entry: MailHookLogEntry) => void;
  /** Cap on one message, in bytes, 1024 to 1073741824. Default 10485760 (10 MiB). Larger: 552. */
  readonly maxMessageBytes?: number;
  /** Cap on recipients per message, 1 to 10000. Default 100. Further RCPT TO: 452. */
  readonly maxRecipients?: number;
  /** Cap on MIME parts of a ping, message included, 1 to 1000. Default 32. More: not a ping, delivered. */
  readonly maxMimeParts?: number;
  /** Cap on parsing a ping, in milliseconds, 1 to 60000. Default 2000. Longer: not a ping, delivered. */
  readonly parseTimeoutMs?: number;
  /** Cap on the confirmation request, in milliseconds, 1 to 120000. Default 10000. */
  readonly confirmTimeoutMs?: number;
  /** Cap on the CA's answer, in bytes, 256 to 1048576. Default 16384. */
  readonly maxConfirmResponseBytes?: number;
  /** The clock for DKIM signature expiry, in milliseconds since the epoch. Default `Date.now`. */
  readonly now?: () => number;
}

/** A mail hook; see {@link createMailHook}. */
export interface MailHook {
  /** The pinned CA origin (the book's). */
  readonly caOrigin: string;
  /** The message size cap, in bytes: give it to smtp-server as its `size` option so clients learn it from EHLO. */
  readonly maxMessageBytes: number;
  /** The recipient cap. */
  readonly maxRecipients: number;
  /**
   * Wraps the vendor's `onData`. The returned handler reads the whole message (up to
   * `maxMessageBytes`), refuses it with 552 when larger and 554 when a line ends in a bare CR or
   * LF, answers it when it is a genuine ping, and then calls `vendorOnData` with a new stream of
   * exactly the bytes received and the same session: every accepted mail is delivered, pings
   * included, unmarked. The SMTP reply is the vendor's.
   * @example
   * const server = new SMTPServer({ size: hook.maxMessageBytes, onRcptTo: hook.wrapOnRcptTo(), onData: hook.wrapOnData(myOnData) });
   */
  wrapOnData(vendorOnData: SmtpOnData): SmtpOnData;
  /**
   * Wraps the vendor's `onRcptTo` (or none): refuses a recipient beyond `maxRecipients` with 452,
   * then asks the vendor's handler, when there is one.
   */
  wrapOnRcptTo(vendorOnRcptTo?: SmtpOnRcptTo): SmtpOnRcptTo;
  /**
   * Stops answering pings: confirmations in flight are aborted (their nonces given back) and
   * awaited. Mail keeps flowing through the wrapped handlers, delivered as ordinary mail.
   * Idempotent. Close the book after this.
   */
  close(): Promise<void>;
}

/**
 * Creates the mail hook for one CA.
 *
 * @throws {MailHookArgumentError} `ERR_MAIL_HOOK_INVALID_ARGUMENT` for a missing book, a bad
 *   `pingFrom`, an unusable DKIM key or a limit out of range.
 * @example
 * const book = await openNonceBook(stateDir, { caOrigin: 'https://ca.example' });
 * const hook = createMailHook({ book, pingFrom: 'ping@ca.example', log: (e) => logger[e.level](e) });
 * const server = new SMTPServer({ size: hook.maxMessageBytes, onRcptTo: hook.wrapOnRcptTo(), onData: hook.wrapOnData(store) });
 * // later, during installation:
 * const nonce = await book.expect('postmaster@mail.example', { ttlMs: 86_400_000 });
 */
export function createMailHook(options: MailHookOptions): MailHook {
  if (typeof options !== 'object' || options === null) throw new MailHookArgumentError('options must be an object');
  const { book, log } = options;
  if (typeof book !== 'object' || book === null || typeof book.reserve !== 'function') throw new MailHookArgumentError('book must be a NonceBook');
  const pingFrom = normalizeAddress(options.pingFrom);
  if (pingFrom === undefined) throw new MailHookArgumentError('pingFrom must be a plain local@domain address');
  if (log !== undefined && typeof log !== 'function') throw new MailHookArgumentError('log must be a function');
  const now = options.now ?? Date.now;
  if (typeof now !== 'function') throw new MailHookArgumentError('now must be a function');
  const maxMessageBytes = checkInteger('maxMessageBytes', options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES, 1024, 1024 ** 3);
  const maxRecipients = checkInteger('maxRecipients', options.maxRecipients ?? DEFAULT_MAX_RECIPIENTS, 1, 10_000);
  const config: PingResponderConfig = {
    book,
    pingFrom,
    dkim: options.dkim === undefined ? undefined : pinDkimKey(options.dkim, pingFrom),
    now,
    maxMimeParts: checkInteger('maxMimeParts', options.maxMimeParts ?? DEFAULT_MAX_MIME_PARTS, 1, 1000),
    parseTimeoutMs: checkInteger('parseTimeoutMs', options.parseTimeoutMs ?? DEFAULT_PARSE_TIMEOUT_MS, 1, 60_000),
    confirmTimeoutMs: checkInteger('confirmTimeoutMs', options.confirmTimeoutMs ?? DEFAULT_CONFIRM_TIMEOUT_MS, 1, 120_000),
    maxConfirmResponseBytes: checkInteger('maxConfirmResponseBytes', options.maxConfirmResponseBytes ?? DEFAULT_MAX_CONFIRM_RESPONSE_BYTES, 256, 1024 * 1024),
  };

  const write = (entry: MailHookLogEntry) => {
    if (log === undefined) return;
    try {
      log(Object.freeze(entry));
    } catch {
      // A logger must not be able to break mail delivery.
    }
  };
  const closing = new AbortController();
  const inFlight = new Set<Promise<unknown>>();

  /** Decides about one message; never rejects. */
  const decide = async (bytes: Buffer, session: SMTPServerSession): Promise<void> => {
    if (closing.signal.aborted) return;
    const envelope = {
      mailFrom: session.envelope.mailFrom === false ? undefined : session.envelope.mailFrom.address,
      rcptTo: session.envelope.rcptTo.map((r) => r.address),
    };
    let outcome: PingOutcome;
    try {
      const work = answerPing(bytes, envelope, config, closing.signal);
      inFlight.add(work);
      try {
        outcome = await work;
      } finally {
        inFlight.delete(work);
      }
    } catch {
      // The book was closed under us; the mail is still delivered.
      outcome = { kind: 'refused', reason: 'hook-closed' };
    }
    logOutcome(write, outcome, session.id);
  };

  /** The common path of both ways to use the hook: read, check, decide, then hand to `sink`. */
  const receive =
    (sink: MessageSink): SmtpOnData =>
    (stream, session, callback) => {
      let answered = false;
      const reply: SmtpReply = (err, message) => {
        if (answered) return;
        answered = true;
        callback(err, message);
      };
      const handOn = (bytes: Buffer) => {
        try {
          sink(bytes, session, reply);
        } catch {
          // The vendor's handler threw: the client is told to try again.
          reply(SMTP_REFUSALS.deliveryFailed());
        }
      };
      collectMessage(stream, maxMessageBytes, (error, message) => {
        // The client went away mid-message: there is nobody to answer, but settle the callback.
        if (error !== undefined) return reply(SMTP_REFUSALS.deliveryFailed());
        if (message.kind === 'too-large') {
          write({ level: 'warn', event: 'message-refused', reason: 'too-large', sessionId: session.id });
          return reply(SMTP_REFUSALS.tooLarge(maxMessageBytes));
        }
        const { bytes } = message;
        if (findBareLineEnding(bytes) !== -1) {
          write({ level: 'warn', event: 'message-refused', reason: 'bare-line-ending', sessionId: session.id });
          return reply(SMTP_REFUSALS.bareLineEnding());
        }
        // Ordinary mail (no nonce header) goes straight on; decide() never rejects.
        if (carriesPingNonce(bytes)) void decide(bytes, session).then(() => handOn(bytes));
        else handOn(bytes);
      });
    };

  const wrapOnData = (vendorOnData: SmtpOnData): SmtpOnData => {
    if (typeof vendorOnData !== 'function') throw new MailHookArgumentError('vendorOnData must be a function');
    return receive((bytes, session, reply) => vendorOnData(replayMessage(bytes), session, reply));
  };

  const wrapOnRcptTo = (vendorOnRcptTo?: SmtpOnRcptTo): SmtpOnRcptTo => {
    if (vendorOnRcptTo !== undefined && typeof vendorOnRcptTo !== 'function') throw new MailHookArgumentError('vendorOnRcptTo must be a function');
    return (address, session, callback) => {
      if (session.envelope.rcptTo.length >= maxRecipients) {
        write({ level: 'warn', event: 'recipient-refused', reason: 'too-many-recipients', sessionId: session.id });
        callback(SMTP_REFUSALS.tooManyRecipients(maxRecipients));
        return;
      }
      if (vendorOnRcptTo === undefined) callback();
      else vendorOnRcptTo(address, session, callback);
    };
  };

  let closed: Promise<void> | undefined;
  const hook: MailHook = Object.freeze({
    caOrigin: book.caOrigin,
    maxMessageBytes,
    maxRecipients,
    wrapOnData,
    wrapOnRcptTo,
    close: () =>
      (closed ??= (async () => {
        closing.abort();
        await Promise.allSettled([...inFlight]);
      })()),
  });
  internals.set(hook, { receive, book, log: write });
  return hook;
}

function logOutcome(write: (entry: MailHookLogEntry) => void, outcome: PingOutcome, sessionId: string): void {
  if (outcome.kind === 'not-a-ping') return;
  if (outcome.kind === 'refused') {
    const { kind: _kind, ...details } = outcome;
    write({ level: 'warn', event: 'ping-refused', sessionId, ...details });
    return;
  }
  const { address, nonceLogId, tokenLogId } = outcome;
  write({ level: 'info', event: 'ping-confirmed', sessionId, address, nonceLogId, tokenLogId });
  if (!outcome.caEmailMatches) write({ level: 'warn', event: 'ping-confirmed', reason: 'ca-email-mismatch', sessionId, address, nonceLogId, tokenLogId });
  if (!outcome.persisted) write({ level: 'warn', event: 'ping-confirmed', reason: 'nonce-book-write-failed', sessionId, address, nonceLogId, tokenLogId });
}

function pinDkimKey(dkim: MailHookDkimOptions, pingFrom: string): PinnedDkimKey {
  if (typeof dkim !== 'object' || dkim === null) throw new MailHookArgumentError('dkim must be an object');
  const selector = typeof dkim.selector === 'string' ? dkim.selector.toLowerCase() : '';
  if (!/^[a-z0-9](?:[a-z0-9-]{0,62})(?:\.[a-z0-9](?:[a-z0-9-]{0,62}))*$/.test(selector))
    throw new MailHookArgumentError('dkim.selector must be a DNS label (or dotted labels)');
  const domain = (dkim.domain ?? pingFrom.slice(pingFrom.lastIndexOf('@') + 1)).toLowerCase();
  if (!/^[a-z0-9](?:[a-z0-9-]{0,62})(?:\.[a-z0-9](?:[a-z0-9-]{0,62}))+$/.test(domain)) throw new MailHookArgumentError('dkim.domain must be a domain name');
  let publicKey: KeyObject;
  try {
    publicKey = isKeyObject(dkim.publicKey) && dkim.publicKey.type === 'public' ? dkim.publicKey : createPublicKey(dkim.publicKey);
  } catch {
    throw new MailHookArgumentError('dkim.publicKey must be a PEM public key or a KeyObject');
  }
  const type = publicKey.asymmetricKeyType;
  const bits = publicKey.asymmetricKeyDetails?.modulusLength ?? 0;
  if (!(type === 'ed25519' || (type === 'rsa' && bits >= 1024))) throw new MailHookArgumentError('dkim.publicKey must be RSA (at least 1024 bits) or Ed25519');
  return { selector, domain, publicKey };
}

function isKeyObject(value: unknown): value is KeyObject {
  return value instanceof KeyObject;
}
