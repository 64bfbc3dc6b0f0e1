/**
 * Renewal information in the shape of ACME Renewal Information (ARI, RFC 9773): the CA's advice
 * on when to renew one certificate, `GET /api/renewal-info/:certId`, answering a
 * `suggestedWindow`. The certificate identifier and the answer are RFC 9773's, so an ARI client
 * reads them as they are; the path is ours (there is no ACME directory to find it in).
 * Documented in docs/protocol.md; every name here is part of the wire contract.
 */
import { CaRejectedError, MalformedResponseError, ProtocolError } from './errors.js';

/** Route of the endpoint, in express syntax. */
export const RENEWAL_INFO_ROUTE = '/api/renewal-info/:certId';

/**
 * The `Retry-After` the reference CA sends with a window, in seconds (6 hours, the value RFC 9773
 * §4.3 gives as an example), and what a client assumes when the header is absent or unreadable.
 */
export const RENEWAL_INFO_RETRY_AFTER_SECONDS = 21_600;

/** Shortest wait between two checks a client honours, in seconds (RFC 9773 §4.3.2: one minute). */
export const RENEWAL_INFO_MIN_RETRY_AFTER_SECONDS = 60;

/** Longest wait between two checks a client honours, in seconds (RFC 9773 §4.3.2: one day). */
export const RENEWAL_INFO_MAX_RETRY_AFTER_SECONDS = 86_400;

/** Longest keyIdentifier a certificate identifier may carry, in octets (a SHA-1 one has 20). */
export const CERT_ID_MAX_KEY_IDENTIFIER_OCTETS = 64;

/** Longest serial number, in content octets (RFC 5280 §4.1.2.2). */
export const CERT_ID_MAX_SERIAL_OCTETS = 20;

/**
 * Error codes of the endpoint, with their HTTP status. Codes are API: added, never renamed.
 */
export const RENEWAL_INFO_ERRORS = {
  /** The path's certificate identifier is not one (see {@link parseCertId}). */
  malformed_cert_id: 400,
  /** No certificate of this CA has this identifier (another CA's key identifier counts as none). */
  unknown_certificate: 404,
  /** Another method on this path. */
  method_not_allowed: 405,
  /** A failure on the CA's side; details are in its log only. */
  internal_error: 500,
} as const;

/** One of {@link RENEWAL_INFO_ERRORS}. */
export type RenewalInfoErrorCode = keyof typeof RENEWAL_INFO_ERRORS;

/** Body of an error answer. */
export interface RenewalInfoErrorBody {
  readonly error: { readonly code: RenewalInfoErrorCode; readonly message: string };
}

/** Why a text is not a certificate identifier; stable. */
export type CertIdRefusal = 'shape' | 'base64url' | 'key_identifier' | 'serial' | 'no_authority_key_identifier';

/** A text that is not an RFC 9773 §4.1 certificate identifier; {@link InvalidCertIdError.reason} says why. */
export class InvalidCertIdError extends ProtocolError {
  override readonly code = 'ERR_PROTOCOL_INVALID_CERT_ID';
  /** Why; stable, see {@link CertIdRefusal}. */
  readonly reason: CertIdRefusal;
  constructor(reason: CertIdRefusal, message: string) {
    super(message);
    this.reason = reason;
  }
}

/** The two parts of a certificate identifier. */
export interface CertIdParts {
  /** The keyIdentifier of the certificate's authorityKeyIdentifier extension (RFC 5280 §4.2.1.1). */
  readonly authorityKeyIdentifier: Uint8Array;
  /** The serial number's DER INTEGER content octets, a leading zero included where DER has one. */
  readonly serialNumber: Uint8Array;
}

/** A parsed certificate identifier, with both parts also in lower-case hex (as the CA stores serials). */
export interface ParsedCertId extends CertIdParts {
  readonly authorityKeyIdentifierHex: string;
  readonly serialHex: string;
}

/** The window the CA suggests: renew at a time of the client's choosing in [start, end). */
export interface SuggestedWindow {
  readonly start: Date;
  readonly end: Date;
}

/** A renewal information answer (RFC 9773 §4.2), decoded. */
export interface RenewalInfo {
  readonly suggestedWindow: SuggestedWindow;
  /** A page for a person explaining why the window is what it is (e.g. a mis-issuance). */
  readonly explanationUrl?: string;
}

/**
 * The certificate identifier of RFC 9773 §4.1: the base64url (no padding) of the authority key
 * identifier's keyIdentifier, a dot, and the base64url of the serial number's DER content octets.
 * @throws {TypeError} for parts that are not byte arrays, an empty or over-long keyIdentifier,
 *   or a serial that is not DER content octets of a positive INTEGER of at most 20 octets.
 * @example
 * certIdOf({ authorityKeyIdentifier: aki, serialNumber: Uint8Array.of(0x00, 0x87, 0x65, 0x43, 0x21) });
 * // 'aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE' for RFC 9773's example keyIdentifier
 */
export function certIdOf(parts: CertIdParts): string {
  const { authorityKeyIdentifier: aki, serialNumber: serial } = parts ?? {};
  if (!(aki instanceof Uint8Array) || !(serial instanceof Uint8Array)) throw new TypeError('authorityKeyIdentifier and serialNumber must be Uint8Arrays');
  const refusal = keyIdentifierRefusal(aki) ?? serialRefusal(serial);
  if (refusal !== undefined) throw new TypeError(refusal);
  return `${base64url(aki)}.${base64url(serial)}`;
}

/**
 * The certificate identifier of a parsed certificate, from the hex fields `@certwizard/pki`'s
 * `Certificate` carries (`authorityKeyIdentifier`, `serialNumberHex`): protocol does not import
 * pki, so any object with these two fields will do.
 * @throws {InvalidCertIdError} `ERR_PROTOCOL_INVALID_CERT_ID`, reason `no_authority_key_identifier`,
 *   for a certificate without the extension's keyIdentifier (it has no identifier; RFC 9773 §4.1),
 *   `key_identifier` or `serial` for fields that are not what a certificate can carry.
 * @example
 * certIdOfCertificate(parseCertificate(pem)); // 'aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE'
 */
export function certIdOfCertificate(certificate: { readonly authorityKeyIdentifier?: string | undefined; readonly serialNumberHex: string }): string {
  const akiHex = certificate?.authorityKeyIdentifier;
  if (akiHex === undefined || akiHex === '') {
    throw new InvalidCertIdError('no_authority_key_identifier', 'the certificate has no authority key identifier, so it has no renewal information identifier');
  }
  const aki = bytesOfHex(akiHex);
  const keyRefusal = aki === undefined ? 'the authority key identifier is not hex' : keyIdentifierRefusal(aki);
  if (keyRefusal !== undefined) throw new InvalidCertIdError('key_identifier', keyRefusal);
  const serial = bytesOfHex(certificate.serialNumberHex);
  const refusal = serial === undefined ? 'the serial number is not hex' : serialRefusal(serial);
  if (refusal !== undefined) throw new InvalidCertIdError('serial', refusal);
  return `${base64url(aki as Uint8Array)}.${base64url(serial as Uint8Array)}`;
}

/**
 * Parses a certificate identifier (RFC 9773 §4.1), strictly: exactly two parts, each unpadded
 * base64url in its one canonical spelling, a keyIdentifier of 1 to 64 octets, a serial that is the
 * DER content octets of a positive INTEGER of at most 20 octets (no superfluous leading zero).
 * @throws {InvalidCertIdError} `ERR_PROTOCOL_INVALID_CERT_ID` with `reason` `shape`, `base64url`,
 *   `key_identifier` or `serial`.
 * @example
 * parseCertId('aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE').serialHex; // '0087654321'
 */
export function parseCertId(text: string): ParsedCertId {
  if (typeof text !== 'string' || text.length > 256) throw new InvalidCertIdError('shape', 'a certificate identifier is two base64url parts joined by a dot');
  const parts = text.split('.');
  if (parts.length !== 2) throw new InvalidCertIdError('shape', 'a certificate identifier is two base64url parts joined by a dot');
  const [aki, serial] = parts.map(fromBase64url) as [Uint8Array | undefined, Uint8Array | undefined];
  if (aki === undefined || serial === undefined)
    throw new InvalidCertIdError('base64url', 'each part of a certificate identifier is base64url without padding');
  const keyRefusal = keyIdentifierRefusal(aki);
  if (keyRefusal !== undefined) throw new InvalidCertIdError('key_identifier', keyRefusal);
  const refusal = serialRefusal(serial);
  if (refusal !== undefined) throw new InvalidCertIdError('serial', refusal);
  return { authorityKeyIdentifier: aki, serialNumber: serial, authorityKeyIdentifierHex: hexOf(aki), serialHex: hexOf(serial) };
}

/**
 * The path of a certificate's renewal information.
 * @throws {InvalidCertIdError} `ERR_PROTOCOL_INVALID_CERT_ID` for a text that is not an identifier.
 * @example
 * renewalInfoPath('aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE'); // '/api/renewal-info/aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE'
 */
export function renewalInfoPath(certId: string): string {
  parseCertId(certId);
  return `/api/renewal-info/${certId}`;
}

/**
 * The JSON body of a renewal information answer (RFC 9773 §4.2): both times in RFC 3339 UTC with
 * whole seconds.
 * @throws {TypeError} for invalid dates, `start` not before `end`, or an `explanationUrl` that is not an absolute http(s) URL.
 * @example
 * encodeRenewalInfo({ suggestedWindow: { start, end } });
 * // { suggestedWindow: { start: '2026-03-01T00:00:00Z', end: '2026-03-11T00:00:00Z' } }
 */
export function encodeRenewalInfo(info: RenewalInfo): { suggestedWindow: { start: string; end: string }; explanationURL?: string } {
  const { start, end } = info?.suggestedWindow ?? {};
  // RFC 3339 has four-digit years only: toISOString writes others as `+010000`.
  const writable = (d: unknown): d is Date => d instanceof Date && d.getTime() >= RFC3339_FIRST_MS && d.getTime() < RFC3339_END_MS;
  if (!writable(start) || !writable(end)) throw new TypeError('suggestedWindow.start and .end must be valid Dates in the years 0000 to 9999');
  const startText = rfc3339Seconds(start);
  const endText = rfc3339Seconds(end);
  // Compared as sent: the window must stay non-empty after the milliseconds are dropped.
  if (Date.parse(startText) >= Date.parse(endText)) throw new TypeError('suggestedWindow.start must be before .end (by at least a second)');
  if (info.explanationUrl !== undefined && !isHttpUrl(info.explanationUrl)) throw new TypeError('explanationUrl must be an absolute http(s) URL');
  return { suggestedWindow: { start: startText, end: endText }, ...(info.explanationUrl !== undefined ? { explanationURL: info.explanationUrl } : {}) };
}

/** Builds an error body. */
export function encodeRenewalInfoError(code: RenewalInfoErrorCode, message: string): RenewalInfoErrorBody {
  return { error: { code, message } };
}

/**
 * Decodes an answer of `GET /api/renewal-info/:certId` (RFC 9773 §4.2). Members other than
 * `suggestedWindow` and `explanationURL` are ignored (the object is extensible, RFC 9773 §6.3);
 * the two it knows are checked strictly: RFC 3339 date-times that exist (no 30 February), `start`
 * before `end`, an absolute http(s) `explanationURL`.
 * @throws {CaRejectedError} `ERR_PROTOCOL_CA_REJECTED` with the CA's `caCode` for a documented error
 *   body (`unknown_certificate` on 404, `malformed_cert_id` on 400).
 * @throws {MalformedResponseError} `ERR_PROTOCOL_MALFORMED_RESPONSE` for anything else.
 * @example
 * decodeRenewalInfoAnswer(200, '{"suggestedWindow":{"start":"2026-03-01T00:00:00Z","end":"2026-03-11T00:00:00Z"}}');
 */
export function decodeRenewalInfoAnswer(status: number, body: string): RenewalInfo {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (err) {
    throw new MalformedResponseError(`renewal info answered ${status} with a body that is not JSON`, status, { cause: err });
  }
  if (status !== 200) {
    const error = (json as Partial<RenewalInfoErrorBody> | null)?.error;
    if (typeof error?.code !== 'string' || typeof error.message !== 'string') {
      throw new MalformedResponseError(`renewal info answered ${status} without an error body`, status);
    }
    throw new CaRejectedError(`the CA has no renewal information for this certificate: ${error.message} (${error.code})`, status, error.code);
  }
  const window = isObject(json) ? json.suggestedWindow : undefined;
  const start = isObject(window) ? rfc3339Time(window.start) : undefined;
  const end = isObject(window) ? rfc3339Time(window.end) : undefined;
  if (start === undefined || end === undefined) {
    throw new MalformedResponseError('renewal info answered 200 without a suggestedWindow of two RFC 3339 date-times', status);
  }
  if (start >= end) throw new MalformedResponseError('renewal info answered a suggestedWindow whose start is not before its end', status);
  const explanation = (json as Record<string, unknown>).explanationURL;
  if (explanation !== undefined && (typeof explanation !== 'string' || !isHttpUrl(explanation))) {
    throw new MalformedResponseError('renewal info answered an explanationURL that is not an absolute http(s) URL', status);
  }
  return { suggestedWindow: { start: new Date(start), end: new Date(end) }, ...(explanation !== undefined ? { explanationUrl: explanation } : {}) };
}

/**
 * How long to wait before asking again, in seconds, from a renewal information answer's
 * `Retry-After` (RFC 9773 §4.3: delay-seconds or an HTTP-date, RFC 9110 §10.2.3): absent or
 * unreadable is {@link RENEWAL_INFO_RETRY_AFTER_SECONDS}; the value is held between one minute and
 * one day, as RFC 9773 §4.3.2 advises clients to.
 * @param value - the header, `null` when absent.
 * @param nowMs - the current time, for an HTTP-date.
 * @example
 * renewalInfoRetryAfterSeconds('21600', Date.now()); // 21600
 * renewalInfoRetryAfterSeconds('5', Date.now()); // 60
 * renewalInfoRetryAfterSeconds(null, Date.now()); // 21600
 */
export function renewalInfoRetryAfterSeconds(value: string | null, nowMs: number): number {
  const text = value?.trim() ?? '';
  let seconds: number = RENEWAL_INFO_RETRY_AFTER_SECONDS;
  if (/^\d{1,15}$/.test(text)) seconds = Number(text);
  else if (/^[A-Za-z]{3}, \d{2} [A-Za-z]{3} \d{4} \d{2}:\d{2}:\d{2} GMT$/.test(text) && !Number.isNaN(Date.parse(text))) {
    seconds = Math.ceil((Date.parse(text) - nowMs) / 1000);
  }
  return Math.min(RENEWAL_INFO_MAX_RETRY_AFTER_SECONDS, Math.max(RENEWAL_INFO_MIN_RETRY_AFTER_SECONDS, seconds));
}

/** 0000-01-01T00:00:00Z and 10000-01-01T00:00:00Z: the times RFC 3339's four-digit years can write. */
const RFC3339_FIRST_MS = Date.parse('0000-01-01T00:00:00Z');
const RFC3339_END_MS = Date.parse('+010000-01-01T00:00:00Z');

/** An RFC 3339 date-time (§5.6), `T`/`Z` in either case (§5.6's NOTE), fraction and offset optional. */
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-](\d{2}):(\d{2}))$/;

/** The time of an RFC 3339 date-time in ms since the epoch, or undefined for anything else (a day that does not exist included). */
function rfc3339Time(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const m = RFC3339.exec(value);
  if (m === null) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  // A leap second (60) is refused: JavaScript time has none, and no CA needs one here.
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth || hour > 23 || minute > 59 || second > 59) return undefined;
  if (m[9] !== undefined && (Number(m[9]) > 23 || Number(m[10]) > 59)) return undefined;
  const time = Date.parse(value.toUpperCase());
  return Number.isNaN(time) ? undefined : time;
}

/** RFC 3339 in UTC, whole seconds: `2026-03-01T00:00:00Z`. */
function rfc3339Seconds(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isHttpUrl(text: string): boolean {
  if (!URL.canParse(text)) return false;
  const { protocol } = new URL(text);
  return protocol === 'https:' || protocol === 'http:';
}

function keyIdentifierRefusal(aki: Uint8Array): string | undefined {
  if (aki.length === 0 || aki.length > CERT_ID_MAX_KEY_IDENTIFIER_OCTETS) {
    return `the key identifier must have 1 to ${CERT_ID_MAX_KEY_IDENTIFIER_OCTETS} octets`;
  }
  return undefined;
}

/** Why `serial` is not the DER content octets of a positive INTEGER (X.690 §8.3.2), or undefined. */
function serialRefusal(serial: Uint8Array): string | undefined {
  if (serial.length === 0 || serial.length > CERT_ID_MAX_SERIAL_OCTETS) return `the serial number must have 1 to ${CERT_ID_MAX_SERIAL_OCTETS} octets`;
  const [first = 0, second = 0] = serial;
  if (first >= 0x80) return 'the serial number must be positive (DER: a leading zero octet before a high bit)';
  if (serial.length > 1 && first === 0 && second < 0x80) return 'the serial number has a superfluous leading zero octet (not DER)';
  if (serial.length === 1 && first === 0) return 'the serial number must be positive';
  return undefined;
}

function base64url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}

/** Bytes of unpadded base64url in its canonical spelling (the one the encoder writes), or undefined. */
function fromBase64url(text: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9_-]+$/.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64url');
  // Node ignores stray trailing bits and a lone last character; the canonical spelling round-trips.
  if (bytes.toString('base64url') !== text) return undefined;
  return new Uint8Array(bytes);
}

function bytesOfHex(hex: string): Uint8Array | undefined {
  if (typeof hex !== 'string' || !/^(?:[0-9a-fA-F]{2})+$/.test(hex)) return undefined;
  return new Uint8Array(Buffer.from(hex, 'hex'));
}

function hexOf(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}
