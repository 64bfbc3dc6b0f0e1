/**
 * Tickets: `GET /index.php?id=givemeaticket` hands one out, `/index.php?id=1&ticket=T` ties a
 * registration to it, `GET /index.php?id=isitdone&ticket=T` tells how that registration went.
 * This module holds the ticket's format, the answers' codecs (text and JSON) and the CA's pure
 * state function. Documented in docs/protocol.md.
 */
import { randomBytes } from 'node:crypto';
import { MalformedResponseError } from './errors.js';
import { randomBase64Url, type RandomSource } from './pkce.js';
import { isRegistrationErrorReason, TICKET_PATTERN, type RegistrationErrorReason } from './registration.js';
import { hasLoneSurrogate } from './lone-surrogate.js';
import { isValidUserCode } from './user-code.js';
import { WIZARD_CODE_PATTERN } from './wizard-token.js';

/** How long a ticket lives by default, in milliseconds (30 minutes). */
export const TICKET_LIFETIME_MS_DEFAULT = 30 * 60_000;

/** Media type of the text answers (`givemeaticket` and `isitdone`). */
export const TICKET_TEXT_MEDIA_TYPE = 'text/plain; charset=utf-8';

/** The states an `isitdone` answer can report. */
export const TICKET_STATUSES = ['pending', 'done', 'error', 'expired', 'unknown'] as const;

/** One of {@link TICKET_STATUSES}. */
export type TicketStatus = (typeof TICKET_STATUSES)[number];

/** An `isitdone` answer. */
export type TicketAnswer =
  /** Nobody has finished a registration with this ticket yet. */
  | { readonly status: 'pending' }
  /** Registered; `code` only when the registration URL carried a PKCE challenge. */
  | { readonly status: 'done'; readonly emailAddress: string; readonly code?: string }
  /** The registration failed or was cancelled. */
  | { readonly status: 'error'; readonly reason: RegistrationErrorReason }
  /** The ticket's lifetime is over, whatever happened before. */
  | { readonly status: 'expired' }
  /** No such ticket (never issued, or purged). */
  | { readonly status: 'unknown' };

/** JSON body of an `isitdone` answer; field names are the wire names. */
export type TicketAnswerJson =
  | { readonly status: 'pending' | 'expired' | 'unknown' }
  | { readonly status: 'done'; readonly EmailAddress: string; readonly code?: string }
  | { readonly status: 'error'; readonly reason: RegistrationErrorReason };

/** JSON body of a `givemeaticket` answer. */
export interface NewTicketJson {
  readonly ticket: string;
  /** The user code the installer shows and the CA's pages show too (`user-code.ts`); absent from older CAs. */
  readonly user_code?: string;
}

/** A decoded `givemeaticket` answer. */
export interface NewTicket {
  readonly ticket: string;
  /** The ticket's user code (`BCDF-GHJK`), when the CA gave one. */
  readonly userCode?: string;
}

/** What the CA stores about a ticket, as far as its answer depends on it. Times in ms since the epoch. */
export interface TicketRecord {
  readonly createdAtMs: number;
  /** First instant at which the ticket is expired. */
  readonly expiresAtMs: number;
  /** When the registration finished, well or badly; absent while pending. */
  readonly completedAtMs?: number;
  /** Set with `completedAtMs` on success. */
  readonly emailAddress?: string;
  /** Set with `completedAtMs` on failure. */
  readonly errorReason?: RegistrationErrorReason;
  /** The one-time PKCE code, on success when a challenge was sent. */
  readonly code?: string;
}

/**
 * Makes a new ticket: 32 random bytes, base64url without padding (43 characters, 256 bits).
 * @param random - source of random bytes; inject a fixed one only in tests.
 * @throws {TypeError} when `random` does not return 32 bytes.
 * @example
 * newTicket(); // e.g. 'q3k0...' (43 characters matching TICKET_PATTERN)
 */
export function newTicket(random: RandomSource = randomBytes): string {
  return randomBase64Url(random, 32);
}

/**
 * What `isitdone` answers for a ticket at `nowMs`, as the CA computes it. Pure: the caller passes
 * the clock.
 *
 * Decisions: a ticket is expired from `expiresAtMs` on (inclusive). A finished ticket (done or
 * error) keeps its answer until its own expiry and then answers `expired` like any other: the
 * answer holds an address and a one-time code, so it is readable for a bounded time only, and the
 * installer polls well within the lifetime. A completion recorded at or after expiry does not
 * count (the CA must not finish an expired ticket), and one recorded after `nowMs` has not
 * happened yet at `nowMs`.
 *
 * @param record - the stored ticket, or `undefined` when there is none.
 * @param nowMs - the current time, in ms since the epoch.
 * @throws {TypeError} for an inconsistent record (caller misuse): non-finite times, expiry not
 *   after creation, a completion with neither or both of `emailAddress` and `errorReason`, a
 *   result without a completion time, or `code` without `emailAddress`.
 * @example
 * ticketState({ createdAtMs: 0, expiresAtMs: 1800000 }, 1000); // { status: 'pending' }
 */
export function ticketState(record: TicketRecord | undefined, nowMs: number): TicketAnswer {
  if (!Number.isFinite(nowMs)) throw new TypeError('nowMs must be a finite number');
  if (record === undefined) return { status: 'unknown' };
  checkRecord(record);
  if (nowMs >= record.expiresAtMs) return { status: 'expired' };
  const { completedAtMs } = record;
  if (completedAtMs === undefined || completedAtMs > nowMs) return { status: 'pending' };
  if (record.errorReason !== undefined) return { status: 'error', reason: record.errorReason };
  return record.code === undefined
    ? { status: 'done', emailAddress: record.emailAddress as string }
    : { status: 'done', emailAddress: record.emailAddress as string, code: record.code };
}

/**
 * Encodes an `isitdone` answer as text.
 *
 * Format (UTF-8, lines ended by `\n`, the last one too):
 * - line 1: the status word, one of {@link TICKET_STATUSES};
 * - then, for `done`: `EmailAddress=<value>` and, with PKCE, `code=<value>`; for `error`:
 *   `reason=<value>`; nothing for the other statuses. Lines come in that order.
 * - every value is percent-encoded as by `encodeURIComponent` (RFC 3986 §2.1, UTF-8), so a
 *   `\n`, `\r` or `=` in an address cannot forge a line or a key.
 *
 * ```text
 * done
 * EmailAddress=a%2Bb%40example.org
 * code=Yk3n...
 * ```
 *
 * @throws {TypeError} for an answer outside the type (empty address, unknown reason, malformed code).
 * @example
 * encodeTicketAnswerText({ status: 'error', reason: 'cancelled' }); // 'error\nreason=cancelled\n'
 */
export function encodeTicketAnswerText(answer: TicketAnswer): string {
  checkAnswer(answer);
  const lines: string[] = [answer.status];
  if (answer.status === 'done') {
    lines.push(`EmailAddress=${encodeURIComponent(answer.emailAddress)}`);
    if (answer.code !== undefined) lines.push(`code=${encodeURIComponent(answer.code)}`);
  } else if (answer.status === 'error') {
    lines.push(`reason=${encodeURIComponent(answer.reason)}`);
  }
  return `${lines.join('\n')}\n`;
}

/** A percent-encoded value as `encodeURIComponent` writes it (hex digits of either case read). */
const ENCODED_VALUE = /^(?:[A-Za-z0-9\-_.!~*'()]|%[0-9A-Fa-f]{2})+$/;

/**
 * Decodes a text `isitdone` answer (format: see {@link encodeTicketAnswerText}). Strict: the
 * final `\n` may be missing, but anything else outside the format is refused: an unknown status,
 * an unknown, repeated or misplaced key, a missing one, an empty line, a `\r`, a value that is not
 * percent-encoded or not UTF-8.
 * @param text - the answer body.
 * @param httpStatus - HTTP status of the answer, kept on the error; default 200.
 * @throws {MalformedResponseError} `ERR_PROTOCOL_MALFORMED_RESPONSE` for anything outside the format.
 * @example
 * decodeTicketAnswerText('done\nEmailAddress=a%40b.example\n'); // { status: 'done', emailAddress: 'a@b.example' }
 */
export function decodeTicketAnswerText(text: string, httpStatus = 200): TicketAnswer {
  const malformed = (why: string) => new MalformedResponseError(`isitdone answer: ${why}`, httpStatus);
  if (typeof text !== 'string') throw malformed('not text');
  const body = text.endsWith('\n') ? text.slice(0, -1) : text;
  const [status, ...rest] = body.split('\n');
  if (!isTicketStatus(status)) throw malformed('the first line is not a known status');
  const fields = new Map<string, string>();
  for (const line of rest) {
    const eq = line.indexOf('=');
    if (eq <= 0) throw malformed('a line is not Key=Value');
    const key = line.slice(0, eq);
    const encoded = line.slice(eq + 1);
    if (fields.has(key)) throw malformed(`key ${JSON.stringify(key)} is repeated`);
    if (!ENCODED_VALUE.test(encoded)) throw malformed(`the value of ${JSON.stringify(key)} is not percent-encoded`);
    let value: string;
    try {
      value = decodeURIComponent(encoded);
    } catch (err) {
      throw new MalformedResponseError(`isitdone answer: the value of ${JSON.stringify(key)} is not UTF-8`, httpStatus, { cause: err });
    }
    fields.set(key, value);
  }
  const keys = [...fields.keys()];
  const answer = answerFromFields(status, fields.get('EmailAddress'), fields.get('code'), fields.get('reason'));
  const wantKeys = expectedKeys(answer);
  if (answer === undefined || keys.join('\n') !== wantKeys.join('\n')) throw malformed(`the keys do not fit status ${status}`);
  return answer;
}

/**
 * Encodes an `isitdone` answer as the JSON body, with the wire name `EmailAddress`.
 * @throws {TypeError} for an answer outside the type.
 * @example
 * encodeTicketAnswerJson({ status: 'done', emailAddress: 'a@b.example' }); // { status: 'done', EmailAddress: 'a@b.example' }
 */
export function encodeTicketAnswerJson(answer: TicketAnswer): TicketAnswerJson {
  checkAnswer(answer);
  switch (answer.status) {
    case 'done':
      return answer.code === undefined
        ? { status: 'done', EmailAddress: answer.emailAddress }
        : { status: 'done', EmailAddress: answer.emailAddress, code: answer.code };
    case 'error':
      return { status: 'error', reason: answer.reason };
    default:
      return { status: answer.status };
  }
}

/**
 * Decodes a JSON `isitdone` answer (already parsed). Strict like the text form: members other
 * than those of the status are refused.
 * @param json - the parsed body.
 * @param httpStatus - HTTP status of the answer, kept on the error; default 200.
 * @throws {MalformedResponseError} `ERR_PROTOCOL_MALFORMED_RESPONSE` for anything outside the format.
 * @example
 * decodeTicketAnswerJson({ status: 'error', reason: 'cancelled' }); // { status: 'error', reason: 'cancelled' }
 */
export function decodeTicketAnswerJson(json: unknown, httpStatus = 200): TicketAnswer {
  const malformed = (why: string) => new MalformedResponseError(`isitdone answer: ${why}`, httpStatus);
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw malformed('not a JSON object');
  const body = json as Record<string, unknown>;
  if (!isTicketStatus(body.status)) throw malformed('status is not a known status');
  const text = (key: string) => {
    const value = body[key];
    if (value !== undefined && typeof value !== 'string') throw malformed(`${key} is not a string`);
    return value;
  };
  const answer = answerFromFields(body.status, text('EmailAddress'), text('code'), text('reason'));
  const keys = Object.keys(body).filter((key) => key !== 'status');
  if (answer === undefined || keys.join('\n') !== expectedKeys(answer).join('\n')) throw malformed(`the members do not fit status ${body.status}`);
  return answer;
}

/**
 * Encodes a `givemeaticket` answer as text: the ticket and a `\n`.
 * @throws {TypeError} when `ticket` does not match TICKET_PATTERN.
 * @example
 * encodeNewTicketText(newTicket()); // '<43 characters>\n'
 */
export function encodeNewTicketText(ticket: string): string {
  checkTicket(ticket);
  return `${ticket}\n`;
}

/**
 * Decodes a text `givemeaticket` answer: one ticket, the final `\n` optional.
 * @throws {MalformedResponseError} `ERR_PROTOCOL_MALFORMED_RESPONSE` when the body is not one ticket.
 * @example
 * decodeNewTicketText('q3k0...\n'); // 'q3k0...'
 */
export function decodeNewTicketText(text: string, httpStatus = 200): string {
  const ticket = typeof text === 'string' && text.endsWith('\n') ? text.slice(0, -1) : text;
  if (typeof ticket !== 'string' || !TICKET_PATTERN.test(ticket)) throw new MalformedResponseError('givemeaticket answer is not a ticket', httpStatus);
  return ticket;
}

/**
 * Encodes a `givemeaticket` answer as the JSON body `{"ticket": "...", "user_code": "..."}`.
 * @throws {TypeError} when `ticket` does not match TICKET_PATTERN or `userCode` is not a user code.
 * @example
 * encodeNewTicketJson(newTicket(), newUserCode()); // { ticket: '...', user_code: 'WDJB-MJHT' }
 */
export function encodeNewTicketJson(ticket: string, userCode?: string): NewTicketJson {
  checkTicket(ticket);
  if (userCode !== undefined && !isValidUserCode(userCode)) throw new TypeError('userCode must be a user code (XXXX-XXXX of BCDFGHJKLMNPQRSTVWXZ)');
  return userCode === undefined ? { ticket } : { ticket, user_code: userCode };
}

/**
 * Decodes a JSON `givemeaticket` answer (already parsed) to its ticket; other members are ignored.
 * @throws {MalformedResponseError} `ERR_PROTOCOL_MALFORMED_RESPONSE` without a valid `ticket`.
 * @example
 * decodeNewTicketJson({ ticket: 'q3k0...' }); // 'q3k0...'
 */
export function decodeNewTicketJson(json: unknown, httpStatus = 200): string {
  return decodeNewTicketAnswer(json, httpStatus).ticket;
}

/**
 * Decodes a JSON `givemeaticket` answer (already parsed) to the ticket and its user code. A CA
 * that sends no `user_code` is an older one (the code is then absent); a `user_code` that is not
 * one is refused, since the person would be asked to compare a code that means nothing.
 * @throws {MalformedResponseError} `ERR_PROTOCOL_MALFORMED_RESPONSE` without a valid `ticket`, or
 *   with a malformed `user_code`.
 * @example
 * decodeNewTicketAnswer({ ticket: 'q3k0...', user_code: 'WDJB-MJHT' }); // { ticket: 'q3k0...', userCode: 'WDJB-MJHT' }
 */
export function decodeNewTicketAnswer(json: unknown, httpStatus = 200): NewTicket {
  const body = json !== null && typeof json === 'object' ? (json as Partial<Record<keyof NewTicketJson, unknown>>) : {};
  const { ticket, user_code: userCode } = body;
  if (typeof ticket !== 'string' || !TICKET_PATTERN.test(ticket)) throw new MalformedResponseError('givemeaticket answer has no valid ticket', httpStatus);
  if (userCode === undefined) return { ticket };
  if (!isValidUserCode(userCode)) throw new MalformedResponseError('givemeaticket answer has a malformed user_code', httpStatus);
  return { ticket, userCode };
}

function isTicketStatus(value: unknown): value is TicketStatus {
  return typeof value === 'string' && (TICKET_STATUSES as readonly string[]).includes(value);
}

/** The answer the fields make for a status, or undefined when a required field is wrong. */
function answerFromFields(status: TicketStatus, emailAddress: unknown, code: unknown, reason: unknown): TicketAnswer | undefined {
  switch (status) {
    case 'done':
      if (typeof emailAddress !== 'string' || emailAddress === '') return undefined;
      if (code === undefined) return { status, emailAddress };
      return typeof code === 'string' && WIZARD_CODE_PATTERN.test(code) ? { status, emailAddress, code } : undefined;
    case 'error':
      return isRegistrationErrorReason(reason) ? { status, reason } : undefined;
    default:
      return { status };
  }
}

/** Wire keys of an answer, in the order the encoders write them. */
function expectedKeys(answer: TicketAnswer | undefined): string[] {
  if (answer?.status === 'done') return answer.code === undefined ? ['EmailAddress'] : ['EmailAddress', 'code'];
  if (answer?.status === 'error') return ['reason'];
  return [];
}

function checkAnswer(answer: TicketAnswer): void {
  const a = answer as Partial<Record<'status' | 'emailAddress' | 'code' | 'reason', unknown>>;
  // A lone surrogate would make encodeURIComponent throw a URIError: refused here, as documented.
  if (typeof a.emailAddress === 'string' && hasLoneSurrogate(a.emailAddress)) {
    throw new TypeError('not a valid ticket answer: the address is not well-formed Unicode');
  }
  if (!isTicketStatus(a.status) || answerFromFields(a.status, a.emailAddress, a.code, a.reason) === undefined) {
    throw new TypeError('not a valid ticket answer (done needs a non-empty emailAddress and an optional well-formed code; error needs a documented reason)');
  }
}

function checkTicket(ticket: string): void {
  if (typeof ticket !== 'string' || !TICKET_PATTERN.test(ticket)) throw new TypeError('ticket must be 22 to 64 base64url characters');
}

function checkRecord(record: TicketRecord): void {
  const { createdAtMs, expiresAtMs, completedAtMs, emailAddress, errorReason, code } = record;
  if (!Number.isFinite(createdAtMs) || !Number.isFinite(expiresAtMs) || expiresAtMs <= createdAtMs) {
    throw new TypeError('a ticket record needs finite times with expiresAtMs after createdAtMs');
  }
  const hasResult = emailAddress !== undefined || errorReason !== undefined;
  if (completedAtMs === undefined) {
    if (hasResult || code !== undefined) throw new TypeError('a ticket record has a result but no completedAtMs');
    return;
  }
  if (!Number.isFinite(completedAtMs)) throw new TypeError('completedAtMs must be a finite number');
  if ((emailAddress === undefined) === (errorReason === undefined)) {
    throw new TypeError('a completed ticket record needs exactly one of emailAddress and errorReason');
  }
  if (emailAddress === '') throw new TypeError('emailAddress must not be empty');
  if (errorReason !== undefined && !isRegistrationErrorReason(errorReason)) throw new TypeError('errorReason is not a documented reason');
  if (code !== undefined && (emailAddress === undefined || !WIZARD_CODE_PATTERN.test(code))) {
    throw new TypeError('code goes only with emailAddress and must match WIZARD_CODE_PATTERN');
  }
}
