/**
 * The decision: is this mail a genuine ping for a nonce we asked for, and if so, confirm it with
 * the CA. Every rule lives here; the SMTP, HTTP, MIME and DKIM code it calls only does I/O.
 */
import { PING_NONCE_HEADER } from '@certwizard/protocol';
import { normalizeAddress } from './codec/address.js';
import { readPingMail, type PingShapeRefusal } from './codec/ping-mail.js';
import { secretLogId } from './codec/nonce.js';
import { hasHeaderField, headerSection } from './codec/raw-message.js';
import type { NonceBook, NonceRefusal } from './nonce-book.js';
import { postConfirmation } from './transport/confirm-client.js';
import { checkDkim, type PinnedDkimKey } from './transport/dkim-check.js';
import { parseMimeMessage, type MimeParseFailure } from './transport/mime-parser.js';

/** Why a mail carrying the ping nonce header was not answered. Named in the log as `reason`. */
export type PingRefusalReason =
  | PingShapeRefusal
  | MimeParseFailure
  /** The envelope sender (MAIL FROM) is not the CA's ping address. */
  | 'wrong-envelope-sender'
  /** The nonce was never issued by the book (or expired long ago and was purged). */
  | 'unknown-nonce'
  /** The nonce was already confirmed once: a replay. */
  | 'used-nonce'
  /** The nonce's time is up. */
  | 'expired-nonce'
  /** Another copy of the same ping is being confirmed right now. */
  | 'nonce-busy'
  /** The nonce was issued for an address that is not both an envelope recipient and in `To:`. */
  | 'wrong-recipient'
  /** DKIM is required and no valid signature by the CA's domain and selector covers the mail. */
  | 'dkim-failed'
  /** The CA's confirmation endpoint could not be reached in time. */
  | 'ca-unreachable'
  /** The CA's confirmation endpoint answered with a redirect (not followed). */
  | 'ca-redirect'
  /** The CA answered with an error status (see `httpStatus` and `caErrorCode`). */
  | 'ca-refused'
  /** The CA answered 200 with something that is not the contract's JSON. */
  | 'ca-bad-response'
  /** The hook was closed while the ping was handled. */
  | 'hook-closed';

/** The outcome for one mail. Carries no secret. */
export type PingOutcome =
  /** No ping nonce header: ordinary mail. */
  | { readonly kind: 'not-a-ping' }
  /** The CA confirmed; the nonce is used. */
  | {
      readonly kind: 'confirmed';
      readonly address: string;
      readonly nonceLogId: string;
      readonly tokenLogId: string;
      /** Whether the CA's answer named the nonce's address (it should). */
      readonly caEmailMatches: boolean;
      /** Whether the used mark reached the disk (it stays in memory either way). */
      readonly persisted: boolean;
    }
  /** Not answered. */
  | {
      readonly kind: 'refused';
      readonly reason: PingRefusalReason;
      readonly address?: string;
      readonly nonceLogId?: string;
      readonly tokenLogId?: string;
      readonly httpStatus?: number;
      readonly caErrorCode?: string;
    };

/** Everything {@link answerPing} needs; validated by the hook. */
export interface PingResponderConfig {
  readonly book: NonceBook;
  /** The CA's ping address, lower case. */
  readonly pingFrom: string;
  readonly dkim: PinnedDkimKey | undefined;
  readonly now: () => number;
  readonly maxMimeParts: number;
  readonly parseTimeoutMs: number;
  readonly confirmTimeoutMs: number;
  readonly maxConfirmResponseBytes: number;
}

/** The SMTP envelope of one mail. */
export interface MailEnvelope {
  /** MAIL FROM, `undefined` when missing; `''` for the null sender. */
  readonly mailFrom: string | undefined;
  /** RCPT TO addresses, as given. */
  readonly rcptTo: readonly string[];
}

const NONCE_REFUSALS: Readonly<Record<NonceRefusal, PingRefusalReason>> = {
  malformed: 'malformed-nonce',
  unknown: 'unknown-nonce',
  used: 'used-nonce',
  expired: 'expired-nonce',
  busy: 'nonce-busy',
  'wrong-address': 'wrong-recipient',
};

/**
 * Decides about one complete message and, for a genuine ping, confirms it. Answers only when all
 * of these hold, checked cheapest first:
 *
 * 1. the mail carries the nonce header (else it is ordinary mail, and nothing else is checked);
 * 2. envelope sender and the single `From:` are the CA's ping address;
 * 3. MIME parsing finishes within the part and time limits;
 * 4. exactly one well-formed nonce header; a `Ping-Nonce:` body line, when present, is equal;
 * 5. every link in the text body is on the pinned CA origin, with exactly one confirmation link
 *    in the contract's form;
 * 6. with a DKIM key configured: a valid SHA-256 signature by that key's domain and selector over
 *    the whole body and `From:`, covering the nonce (nonce header signed, or the body line present);
 * 7. the nonce is known, unused, unexpired, not held by another copy, and was issued for an
 *    address that is an envelope recipient and in `To:`;
 * 8. the CA answers the confirmation POST (to the pinned origin, no redirects) with 200.
 *
 * The nonce is used up only after step 8; any other ending gives it back.
 * @param signal - aborts a confirmation in flight (the nonce is then given back).
 */
export async function answerPing(bytes: Buffer, envelope: MailEnvelope, config: PingResponderConfig, signal: AbortSignal): Promise<PingOutcome> {
  if (!carriesPingNonce(bytes)) return { kind: 'not-a-ping' };
  const header = headerSection(bytes);
  if (envelope.mailFrom === undefined || normalizeAddress(envelope.mailFrom) !== config.pingFrom) return refused('wrong-envelope-sender');

  const parsed = await parseMimeMessage(bytes, { maxMimeParts: config.maxMimeParts, timeoutMs: config.parseTimeoutMs });
  if (!parsed.ok) return refused(parsed.reason);
  const shape = readPingMail(parsed.parts, { caOrigin: config.book.caOrigin, pingFrom: config.pingFrom });
  if (!shape.ok) return refused(shape.reason);
  const { ping } = shape;
  const ids = { nonceLogId: secretLogId(ping.nonce), tokenLogId: secretLogId(ping.token) };

  if (config.dkim !== undefined) {
    const dkim = await checkDkim(bytes, header, config.dkim, config.now());
    const nonceCovered = dkim.ok && (dkim.signedHeaders.includes(PING_NONCE_HEADER.toLowerCase()) || ping.bodyHasNonce);
    if (!nonceCovered) return refused('dkim-failed', ids);
  }

  // The nonce's address must be named by both the envelope and the To header.
  const toHeader = new Set(ping.to.map((a) => normalizeAddress(a)).filter((a) => a !== undefined));
  const recipients = envelope.rcptTo.map((a) => normalizeAddress(a)).filter((a): a is string => a !== undefined && toHeader.has(a));
  if (signal.aborted) return refused('hook-closed', ids);
  const held = config.book.reserve(ping.nonce, { addresses: recipients });
  if (!held.ok) return refused(NONCE_REFUSALS[held.reason], ids);
  const { reservation } = held;
  const address = reservation.address;

  let answer;
  try {
    answer = await postConfirmation(
      config.book.caOrigin,
      { token: ping.token, nonce: ping.nonce },
      {
        timeoutMs: config.confirmTimeoutMs,
        maxResponseBytes: config.maxConfirmResponseBytes,
        signal,
      },
    );
  } catch (error) {
    reservation.release();
    throw error;
  }
  if (answer.kind !== 'confirmed') {
    reservation.release();
    if (answer.kind === 'unreachable') return refused(signal.aborted ? 'hook-closed' : 'ca-unreachable', { ...ids, address });
    if (answer.kind === 'redirect') return refused('ca-redirect', { ...ids, address, httpStatus: answer.status });
    if (answer.kind === 'malformed') return refused('ca-bad-response', { ...ids, address, httpStatus: answer.status });
    return refused('ca-refused', { ...ids, address, httpStatus: answer.status, ...(answer.caCode === undefined ? {} : { caErrorCode: answer.caCode }) });
  }
  let persisted = true;
  try {
    await reservation.consume();
  } catch {
    persisted = false;
  }
  return { kind: 'confirmed', address, ...ids, caEmailMatches: normalizeAddress(answer.email) === address, persisted };
}

/** Whether the message's header section has the ping nonce header: the cheap test that lets ordinary mail skip everything else. */
export function carriesPingNonce(bytes: Buffer): boolean {
  return hasHeaderField(headerSection(bytes), PING_NONCE_HEADER);
}

function refused(reason: PingRefusalReason, details: Omit<Extract<PingOutcome, { kind: 'refused' }>, 'kind' | 'reason'> = {}): PingOutcome {
  return { kind: 'refused', reason, ...details };
}
