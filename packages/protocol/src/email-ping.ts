/**
 * The email ping: the CA's ownership-check mail and its two confirmations. A CA proves that
 * someone controls an address by mailing it a link; a mail server being installed may answer
 * that mail by itself, but only a ping that carries a nonce it asked for (the mail hook,
 * `@certwizard/mail-hook`). This module holds the names, paths, patterns and the pure codecs of
 * every request and answer. Documented in docs/protocol.md ("The email ping"); every name here is
 * part of the wire contract and is never renamed.
 *
 * Two ways to ask for a ping: the `PingNonce` parameter of the registration page (the
 * confirmation mail is then the ping), and `POST /api/addresses` (an additional address for an
 * existing account). Two ways to confirm one: a person opens the link (`/ping/confirm`) and
 * presses Confirm; a machine posts the token with the nonce to `/api/ping/confirm`.
 */
import { CaRejectedError, MalformedResponseError } from './errors.js';

/**
 * Name of the nonce parameter: of the registration page (query and form) and of the form of
 * `POST /api/addresses`.
 */
export const PING_NONCE_PARAM = 'PingNonce';

/** The mail header that carries the requester's nonce; only in a ping asked for with one. */
export const PING_NONCE_HEADER = 'X-Certwizard-Ping-Nonce';

/** The label of the body line `Ping-Nonce: <nonce>` (same condition as the header). */
export const PING_NONCE_BODY_LABEL = 'Ping-Nonce';

/**
 * What a nonce looks like: base64url (RFC 4648 §5) without padding, 22 to 128 characters. 22
 * characters hold 132 bits, just above the 128 a nonce must have; the mail hook makes 43.
 */
export const PING_NONCE_PATTERN = /^[A-Za-z0-9_-]{22,128}$/;

/**
 * What a ping token looks like on the wire: base64url, 22 to 128 characters. The reference CA
 * makes 43 (32 random bytes); a peer must not assume more than the pattern.
 */
export const PING_TOKEN_PATTERN = /^[A-Za-z0-9_-]{22,128}$/;

/** Path of the confirmation link (the person's page), relative to the CA's base URL. */
export const PING_CONFIRM_PATH = '/ping/confirm';

/** Path of the machine confirmation, relative to the CA's base URL. */
export const PING_CONFIRM_API_PATH = '/api/ping/confirm';

/** Path of the request for a ping to an additional address of an account. */
export const ADDRESS_PING_PATH = '/api/addresses';

/** Media type of the bodies of both POSTs (an HTML-form-style post). */
export const PING_REQUEST_MEDIA_TYPE = 'application/x-www-form-urlencoded';

/** Media type of the answers of both POSTs, success and error (the CA may add a `charset`). */
export const PING_ANSWER_MEDIA_TYPE = 'application/json';

/**
 * Error codes of `POST /api/ping/confirm`, with their HTTP status. Codes are API: added, never
 * renamed.
 */
export const PING_CONFIRM_ERRORS = {
  /** `token` or `nonce` missing, repeated or malformed; a body that is not form-urlencoded. */
  invalid_request: 400,
  /** No ping has this token. */
  unknown_token: 404,
  /** Known, but another method on this path. */
  method_not_allowed: 405,
  /** The nonce is not the ping's, or the ping carried no nonce (only a person can confirm it). */
  nonce_mismatch: 409,
  /** The token's lifetime is over and it was never used. */
  expired_token: 410,
  /** Too many attempts from this client; `Retry-After` says when to try again. */
  too_many_requests: 429,
  /** A failure on the CA's side; details are in its log only. */
  internal_error: 500,
} as const;

/** One of {@link PING_CONFIRM_ERRORS}. */
export type PingConfirmErrorCode = keyof typeof PING_CONFIRM_ERRORS;

/** Error codes of `POST /api/addresses`, with their HTTP status. Codes are API: added, never renamed. */
export const ADDRESS_PING_ERRORS = {
  /** `email` missing, repeated or not an address; `PingNonce` repeated or malformed; not form-urlencoded. */
  invalid_request: 400,
  /** No bearer token, or an unknown or revoked one (with `WWW-Authenticate: Bearer`). */
  unauthorized: 401,
  /** Another method on this path. */
  method_not_allowed: 405,
  /** The address already is a confirmed address of the account. */
  address_confirmed: 409,
  /**
   * The `PingNonce` was used before, by this or any other request: a nonce works once, since
   * whoever presents it can have the address confirmed. Ask the mail hook for a new one.
   */
  nonce_in_use: 409,
  /** The account asked for too many pings; `Retry-After` says when to try again. */
  too_many_requests: 429,
  /** A failure on the CA's side; details are in its log only. */
  internal_error: 500,
  /** The CA could not hand the ping to its mail relay; nothing was kept, ask again later. */
  mail_not_sent: 502,
} as const;

/** One of {@link ADDRESS_PING_ERRORS}. */
export type AddressPingErrorCode = keyof typeof ADDRESS_PING_ERRORS;

/** The error body of both endpoints, as on the CA's other JSON endpoints. */
export interface PingErrorBody<C extends string> {
  readonly error: { readonly code: C; readonly message: string };
}

/** The machine confirmation. Holds two secrets: never log it. */
export interface PingConfirmRequest {
  /** The token of the ping's link. */
  readonly token: string;
  /** The nonce the requester gave with the request for the ping. */
  readonly nonce: string;
}

/** The success answer of `POST /api/ping/confirm` (200). */
export interface PingConfirmAnswer {
  readonly status: 'confirmed';
  /** The address the ping confirmed. */
  readonly email: string;
}

/** The request for a ping to an additional address. */
export interface AddressPingRequest {
  /** The address to confirm. */
  readonly email: string;
  /** The requester's nonce; without it only a person can confirm the ping. */
  readonly pingNonce?: string;
}

/** The success answer of `POST /api/addresses` (202). */
export interface AddressPingAnswer {
  readonly status: 'ping_sent';
  /** The address the ping went to, as the CA stores it (domain in lower case). */
  readonly email: string;
}

/**
 * What the machine that posted a confirmation learns from the answer ({@link readPingConfirmAnswer}).
 * Holds no secret.
 */
export type PingConfirmReading =
  /** 200 with `status: "confirmed"`: the CA confirmed; `email` is the address it names, as sent. */
  | { readonly kind: 'confirmed'; readonly email: string }
  /**
   * Any other status: the CA did not confirm. `caCode` is the body's `error.code` when that is a
   * word of lower-case letters and `_` (at most 64), documented or not; otherwise `undefined`.
   */
  | { readonly kind: 'refused'; readonly status: number; readonly caCode: string | undefined }
  /** 200 with a body that is not the success answer (or no JSON at all). */
  | { readonly kind: 'malformed'; readonly status: number };

/** Result of a request decoder: the request, or why it is refused (the message never holds a value). */
export type PingRequestResult<T> =
  { readonly ok: true; readonly request: T } | { readonly ok: false; readonly code: 'invalid_request'; readonly message: string };

/** Longest address accepted, in characters (RFC 5321 §4.5.3.1.3 path limit less the brackets). */
const MAX_ADDRESS_LENGTH = 254;

/**
 * Whether a value is a well-formed nonce ({@link PING_NONCE_PATTERN}).
 * @example
 * isValidPingNonce('Zm9vYmFyYmF6cXV4cXV1eGNvcmdl'); // true
 * isValidPingNonce('short'); // false
 */
export function isValidPingNonce(value: unknown): value is string {
  return typeof value === 'string' && PING_NONCE_PATTERN.test(value);
}

/**
 * Whether a value is a well-formed ping token ({@link PING_TOKEN_PATTERN}).
 * @example
 * isValidPingToken('q3k0Vb0o1Lx4mD3yq8W2c7pNnS9a0ZfRtUvXyKjHgEw'); // true
 * isValidPingToken('a&b'); // false
 */
export function isValidPingToken(value: unknown): value is string {
  return typeof value === 'string' && PING_TOKEN_PATTERN.test(value);
}

/**
 * The confirmation link of a ping, spelled exactly as the mail hook expects it:
 * `<base>/ping/confirm?token=<token>`.
 * @param caBaseUrl - the CA's public base URL, without a trailing slash, query or fragment.
 * @throws {TypeError} when `caBaseUrl` is not such an http(s) URL or `token` does not match
 *   {@link PING_TOKEN_PATTERN}.
 * @example
 * pingConfirmationLink('https://ca.example', token); // 'https://ca.example/ping/confirm?token=...'
 */
export function pingConfirmationLink(caBaseUrl: string, token: string): string {
  if (typeof caBaseUrl !== 'string' || !URL.canParse(caBaseUrl) || !/^https?:\/\/[^?#]*[^/?#]$/.test(caBaseUrl)) {
    throw new TypeError('caBaseUrl must be an http(s) URL without a trailing slash, query or fragment');
  }
  if (!isValidPingToken(token)) throw new TypeError('a ping token is 22 to 128 base64url characters');
  return `${caBaseUrl}${PING_CONFIRM_PATH}?token=${token}`;
}

/**
 * Encodes the machine confirmation as its form body.
 * @throws {TypeError} when `token` or `nonce` is malformed.
 * @example
 * encodePingConfirmRequest({ token, nonce }); // 'token=...&nonce=...'
 */
export function encodePingConfirmRequest(request: PingConfirmRequest): string {
  if (!isValidPingToken(request?.token)) throw new TypeError('token must be 22 to 128 base64url characters');
  if (!isValidPingNonce(request.nonce)) throw new TypeError('nonce must be 22 to 128 base64url characters');
  return new URLSearchParams({ token: request.token, nonce: request.nonce }).toString();
}

/**
 * Decodes the machine confirmation's form body as the CA does: `token` and `nonce` once each and
 * well-formed; other fields are ignored. Bad input is a result, never a throw; the message never
 * contains a value.
 * @example
 * decodePingConfirmRequest('token=...&nonce=...'); // { ok: true, request: { token, nonce } }
 */
export function decodePingConfirmRequest(body: string): PingRequestResult<PingConfirmRequest> {
  if (typeof body !== 'string') return invalid('the body is not text');
  const params = new URLSearchParams(body);
  const tokens = params.getAll('token');
  const nonces = params.getAll('nonce');
  if (tokens.length !== 1 || nonces.length !== 1) return invalid('token and nonce must each be sent exactly once');
  const [token] = tokens as [string];
  const [nonce] = nonces as [string];
  if (!isValidPingToken(token)) return invalid('token is not 22 to 128 base64url characters');
  if (!isValidPingNonce(nonce)) return invalid('nonce is not 22 to 128 base64url characters');
  return { ok: true, request: { token, nonce } };
}

/**
 * Builds the success body of the machine confirmation.
 * @throws {TypeError} for an empty address or one holding a line break.
 * @example
 * encodePingConfirmAnswer('ada@example.org'); // { status: 'confirmed', email: 'ada@example.org' }
 */
export function encodePingConfirmAnswer(email: string): PingConfirmAnswer {
  checkAddress(email);
  return { status: 'confirmed', email };
}

/**
 * Decodes an answer of `POST /api/ping/confirm`, already parsed from JSON.
 * @throws {CaRejectedError} `ERR_PROTOCOL_CA_REJECTED` with `caCode` for a documented error body.
 * @throws {MalformedResponseError} `ERR_PROTOCOL_MALFORMED_RESPONSE` for anything else.
 * @example
 * decodePingConfirmAnswer(200, { status: 'confirmed', email: 'a@b.example' }); // { status: 'confirmed', email: 'a@b.example' }
 */
export function decodePingConfirmAnswer(httpStatus: number, json: unknown): PingConfirmAnswer {
  return decodeAnswer(httpStatus, json, 200, 'confirmed', PING_CONFIRM_ERRORS, 'ping confirmation') as PingConfirmAnswer;
}

/**
 * Reads an answer of `POST /api/ping/confirm` as the machine that posted it must (the mail hook
 * does), already parsed from JSON (`undefined` when the body was not JSON). Never throws.
 *
 * Lenient where {@link decodePingConfirmAnswer} is strict, on purpose. A 200 with
 * `status: "confirmed"` means the CA has used the ping, whatever else the body holds (members
 * added later, an odd address): reading it as a failure would have the machine give back a nonce
 * the CA already took. Any other status means it did not confirm; its `error.code` is passed on
 * even when undocumented, so that a log says what the CA said, but only when it is a plain word,
 * since it ends up in that log.
 * @example
 * readPingConfirmAnswer(200, { status: 'confirmed', email: 'a@b.example' }); // { kind: 'confirmed', email: 'a@b.example' }
 * readPingConfirmAnswer(409, { error: { code: 'nonce_mismatch', message: '...' } }); // { kind: 'refused', status: 409, caCode: 'nonce_mismatch' }
 * readPingConfirmAnswer(200, undefined); // { kind: 'malformed', status: 200 }
 */
export function readPingConfirmAnswer(httpStatus: number, json: unknown): PingConfirmReading {
  const body = asObject(json);
  if (httpStatus !== 200) {
    const code = asObject(body?.error)?.code;
    return { kind: 'refused', status: httpStatus, caCode: typeof code === 'string' && /^[a-z_]{1,64}$/.test(code) ? code : undefined };
  }
  if (body?.status !== 'confirmed' || typeof body.email !== 'string') return { kind: 'malformed', status: httpStatus };
  return { kind: 'confirmed', email: body.email };
}

/**
 * Encodes the request for a ping to an additional address as its form body (`email`, then
 * `PingNonce` when given).
 * @throws {TypeError} for an empty address or one longer than 254 characters, or a malformed nonce.
 * @example
 * encodeAddressPingRequest({ email: 'ada@example.net', pingNonce: nonce }); // 'email=ada%40example.net&PingNonce=...'
 */
export function encodeAddressPingRequest(request: AddressPingRequest): string {
  checkAddress(request?.email);
  const params = new URLSearchParams({ email: request.email });
  if (request.pingNonce !== undefined) {
    if (!isValidPingNonce(request.pingNonce)) throw new TypeError('pingNonce must be 22 to 128 base64url characters');
    params.append(PING_NONCE_PARAM, request.pingNonce);
  }
  return params.toString();
}

/**
 * Reads the fields of `POST /api/addresses` as the CA does: `email` once, non-empty after
 * trimming, at most 254 characters, no whitespace inside; `PingNonce` at most once and
 * well-formed when present (an empty value counts as absent). Whether the address is valid is
 * the CA's to decide. Never throws; the message never contains a value.
 * @example
 * decodeAddressPingRequest(new URLSearchParams('email=ada%40example.net')); // { ok: true, request: { email: 'ada@example.net' } }
 */
export function decodeAddressPingRequest(params: URLSearchParams): PingRequestResult<AddressPingRequest> {
  const emails = params.getAll('email');
  const nonces = params.getAll(PING_NONCE_PARAM).filter((n) => n !== '');
  if (emails.length !== 1) return invalid('email must be sent exactly once');
  const email = (emails[0] as string).trim();
  if (email === '' || email.length > MAX_ADDRESS_LENGTH || /\s/.test(email)) return invalid('email is not an address of at most 254 characters');
  if (nonces.length > 1) return invalid(`${PING_NONCE_PARAM} must be sent at most once`);
  const nonce = nonces[0];
  if (nonce !== undefined && !isValidPingNonce(nonce)) return invalid(`${PING_NONCE_PARAM} is not 22 to 128 base64url characters`);
  return { ok: true, request: nonce === undefined ? { email } : { email, pingNonce: nonce } };
}

/**
 * Builds the success body of `POST /api/addresses`.
 * @throws {TypeError} for an empty address or one holding a line break.
 * @example
 * encodeAddressPingAnswer('ada@example.net'); // { status: 'ping_sent', email: 'ada@example.net' }
 */
export function encodeAddressPingAnswer(email: string): AddressPingAnswer {
  checkAddress(email);
  return { status: 'ping_sent', email };
}

/**
 * Decodes an answer of `POST /api/addresses`, already parsed from JSON.
 * @throws {CaRejectedError} `ERR_PROTOCOL_CA_REJECTED` with `caCode` for a documented error body.
 * @throws {MalformedResponseError} `ERR_PROTOCOL_MALFORMED_RESPONSE` for anything else.
 * @example
 * decodeAddressPingAnswer(202, { status: 'ping_sent', email: 'a@b.example' });
 */
export function decodeAddressPingAnswer(httpStatus: number, json: unknown): AddressPingAnswer {
  return decodeAnswer(httpStatus, json, 202, 'ping_sent', ADDRESS_PING_ERRORS, 'address ping') as AddressPingAnswer;
}

/**
 * Builds the error body of either endpoint.
 * @example
 * encodePingError('nonce_mismatch', 'the nonce is not the one the ping was sent with');
 */
export function encodePingError<C extends PingConfirmErrorCode | AddressPingErrorCode>(code: C, message: string): PingErrorBody<C> {
  return { error: { code, message } };
}

/** Success of both endpoints: exactly `{status, email}` with the expected status word and HTTP status. */
function decodeAnswer(
  httpStatus: number,
  json: unknown,
  successStatus: number,
  word: string,
  errors: Readonly<Record<string, number>>,
  what: string,
): { status: string; email: string } {
  const body = asObject(json);
  if (httpStatus !== successStatus) {
    const error = body?.error as { code?: unknown; message?: unknown } | undefined;
    const code = typeof error?.code === 'string' ? error.code : undefined;
    if (code !== undefined && typeof error?.message === 'string' && Object.hasOwn(errors, code) && errors[code] === httpStatus) {
      throw new CaRejectedError(`the CA refused the ${what}: ${error.message} (${code})`, httpStatus, code);
    }
    throw new MalformedResponseError(`${what} answered ${httpStatus} without a documented error body`, httpStatus);
  }
  const keys = body === undefined ? '' : Object.keys(body).sort().join(',');
  if (body === undefined || keys !== 'email,status' || body.status !== word || typeof body.email !== 'string' || !isAddressLike(body.email)) {
    throw new MalformedResponseError(`${what} answer has not the documented shape`, httpStatus);
  }
  return { status: word, email: body.email };
}

/** `value` as a JSON object (not null, not an array), or `undefined` for anything else. */
function asObject(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function isAddressLike(value: string): boolean {
  return value !== '' && value.length <= MAX_ADDRESS_LENGTH && !/[\r\n]/.test(value) && value.includes('@');
}

function checkAddress(email: unknown): void {
  if (typeof email !== 'string' || !isAddressLike(email)) throw new TypeError('email must be an address of at most 254 characters on one line');
}

function invalid(message: string): { ok: false; code: 'invalid_request'; message: string } {
  return { ok: false, code: 'invalid_request', message };
}
