/**
 * The CAcert-style request API: `/api/cemails.php` (what may this account certify?),
 * `/api/ccsr.php` (certify this key for one of those addresses), `GET /api/requests/:id`
 * (what became of a request that waits for approval) and our extension `POST /api/crevoke.php`
 * (revoke one of the account's certificates). This module holds the paths, parameter names,
 * reason codes and the pure codecs of every request and answer. Documented in docs/protocol.md
 * ("CAcert-style request API"); every name here is part of the wire contract.
 */
import { CaRejectedError, MalformedResponseError } from './errors.js';
import {
  checkRevocationFields,
  decodeRevocationFields,
  isAnsweredSerial,
  type RevocationFields,
  type RevocationFieldsRefusal,
  type RevocationStatus,
} from './revocation.js';

/** Path of the address query (CAcert's name, never renamed). */
export const CEMAILS_PATH = '/api/cemails.php';

/**
 * Path of the domain query (our extension, a sibling of {@link CEMAILS_PATH} with its
 * authentication and failure lines): the account's verified, unlapsed domains.
 */
export const CDOMAINS_PATH = '/api/cdomains.php';

/** Path of the certificate request (CAcert's name, never renamed). */
export const CCSR_PATH = '/api/ccsr.php';

/** Path of the revocation (our extension, named in CAcert's manner; POST only). */
export const CREVOKE_PATH = '/api/crevoke.php';

/** Route of the request status endpoint, in express syntax. */
export const REQUEST_STATUS_ROUTE = '/api/requests/:id';

/** Media type of the text answers of cemails and ccsr. */
export const CACERT_API_MEDIA_TYPE = 'text/plain; charset=utf-8';

/** Media type of the request bodies (an HTML-form-style post). */
export const CACERT_API_REQUEST_MEDIA_TYPE = 'application/x-www-form-urlencoded';

/** Names of the form fields (CAcert's spelling, including `optionalCSR`). */
export const CACERT_API_PARAMS = {
  /** The account's address (login name); with `password`. */
  username: 'username',
  /** The account's password; a secret. */
  password: 'password',
  /** ccsr: the address to certify; one of the `EMAIL=` lines of cemails. */
  email: 'email',
  /** ccsr: the name to certify; one of the `NAME=` lines of cemails. */
  name: 'name',
  /** ccsr: `1` for a code signing certificate, `0` (default) for S/MIME only. */
  codesign: 'codesign',
  /** ccsr: the PEM certificate request (required by this CA, see {@link decodeCcsrRequest}). */
  optionalCSR: 'optionalCSR',
  /** crevoke: the serial number of the certificate to revoke, hex (see `REVOCATION_SERIAL_PATTERN`). */
  serial: 'serial',
  /** crevoke: why, one of `REVOCATION_REASONS`; absent or empty means `unspecified`. */
  reason: 'reason',
} as const;

/** What a request id looks like: base64url without padding, 22 to 64 characters (the CA makes 22). */
export const REQUEST_ID_PATTERN = /^[A-Za-z0-9_-]{22,64}$/;

/** Seconds the CA asks a poller of a pending request to wait (`Retry-After`), by default. */
export const REQUEST_RETRY_AFTER_SECONDS_DEFAULT = 30;

/**
 * Reason codes of the failure lines, with their HTTP status. Codes are API: added, never renamed.
 */
export const CACERT_API_ERRORS = {
  /** A field is missing, repeated or malformed, or both kinds of credentials were sent. */
  invalid_request: 400,
  /** ccsr without `optionalCSR`: this CA never generates keys for its users. */
  csr_required: 400,
  /** Not PEM of a `CERTIFICATE REQUEST`, or not strict DER underneath. */
  csr_malformed: 400,
  /** The request's self-signature does not verify. */
  csr_bad_signature: 400,
  /** RSA below 2048 bits, an exponent other than 65537, or a curve other than P-256/P-384. */
  csr_weak_key: 400,
  /** Signed with MD5 or SHA-1. */
  csr_weak_signature_algorithm: 400,
  /** An algorithm that is not supported. */
  csr_unsupported_algorithm: 400,
  /** The request is over 64 KiB. */
  csr_too_large: 400,
  /** More than 100 subject alternative names in the request. */
  csr_too_many_names: 400,
  /** A common name longer than 64 characters in the request. */
  csr_cn_too_long: 400,
  /** A malformed name in the request. */
  csr_invalid_name: 400,
  /** The request asks for a CA certificate. */
  csr_ca_requested: 400,
  /** Unknown username, wrong password, or an unknown or revoked installation token. */
  authentication_failed: 401,
  /** The credentials are right but the account's address has not been confirmed yet. */
  account_inactive: 403,
  /** `email` is not one of the account's confirmed addresses. */
  address_not_confirmed: 403,
  /** `name` is not one of the account's name forms. */
  name_not_allowed: 403,
  /** `codesign=1` for an account without code signing (`CS=0`). */
  codesign_not_allowed: 403,
  /** The CA's policy (its authorize hook) refused the request. */
  refused: 403,
  /** crevoke: `serial` is not a serial number in hex (see `REVOCATION_SERIAL_PATTERN`). */
  invalid_serial: 400,
  /** crevoke: `reason` is not one a holder may give (see `REVOCATION_REASONS`). */
  invalid_reason: 400,
  /** crevoke: the account has no certificate with this serial (another account's counts as none). */
  unknown_certificate: 404,
  /** Known path, wrong method. */
  method_not_allowed: 405,
  /** The body is over the limit. */
  payload_too_large: 413,
  /** The body is not {@link CACERT_API_REQUEST_MEDIA_TYPE}. */
  unsupported_media_type: 415,
  /** Too many password attempts from this client; `Retry-After` says when to try again. */
  too_many_requests: 429,
  /** A failure on the CA's side; details are in its log only. */
  internal_error: 500,
} as const;

/** One of the documented reason codes. */
export type CacertApiErrorCode = keyof typeof CACERT_API_ERRORS;

/** The answer of cemails on success. */
export interface CemailsAnswer {
  /** `CS=1`: the account may ask for code signing certificates. */
  readonly codeSigning: boolean;
  /** The name forms the account may put in a certificate, at least one. */
  readonly names: readonly string[];
  /** The account's confirmed addresses, at least one. */
  readonly emails: readonly string[];
}

/** The answer of ccsr on success. */
export type CcsrAnswer =
  /** Issued now: `chainPem` is the certificate followed by the CA certificate. */
  | { readonly status: 'issued'; readonly requestId: string; readonly chainPem: string }
  /** Stored; it waits for the account owner's approval. Poll {@link requestStatusPath}. */
  | { readonly status: 'pending'; readonly requestId: string };

/** The fields of a ccsr request. */
export interface CcsrRequest {
  readonly email: string;
  readonly name: string;
  readonly codeSigning: boolean;
  /** PEM of the certificate request. */
  readonly csrPem: string;
}

/** Result of {@link decodeCcsrRequest}: the request, or the failure line's code and message. */
export type CcsrRequestResult =
  { readonly ok: true; readonly request: CcsrRequest } | { readonly ok: false; readonly code: 'invalid_request' | 'csr_required'; readonly message: string };

/** The answer of `GET /api/requests/:id`. */
export type RequestStatusAnswer =
  /** Waiting for approval; poll again after `Retry-After` seconds. */
  | { readonly status: 'pending'; readonly id: string }
  /** Issued: the certificate, and the CA certificates that chain it (the leaf not repeated). */
  | { readonly status: 'issued'; readonly id: string; readonly certificate: string; readonly chain: string }
  /** Refused by an approver; `reason` is their text. */
  | { readonly status: 'rejected'; readonly id: string; readonly reason: string }
  /** Withdrawn by the account owner. */
  | { readonly status: 'discarded'; readonly id: string };

/** Error codes of `GET /api/requests/:id`, with their HTTP status. */
export const REQUEST_STATUS_ERRORS = {
  /** No bearer token, or an unknown or revoked one. */
  unauthorized: 401,
  /** No such request for this account (another account's counts as none). */
  not_found: 404,
  /** A failure on the CA's side. */
  internal_error: 500,
} as const;

/** One of {@link REQUEST_STATUS_ERRORS}. */
export type RequestStatusErrorCode = keyof typeof REQUEST_STATUS_ERRORS;

// `[^\r\n]`, not `.`: a message may hold U+2028 and U+2029, which `.` does not match but
// encodeCacertApiError writes (a line ends at \n only; \r is refused).
const STATUS_LINE = /^([1-5][0-9]{2}),([^\r\n]*)$/;
const CODE_AND_TEXT = /^([a-z][a-z0-9_]*) (\S[^\r\n]*)$/;
const LINE_BREAK = /[\r\n]/;

/**
 * The path of a request's status.
 * @throws {TypeError} when `id` does not match {@link REQUEST_ID_PATTERN}.
 * @example
 * requestStatusPath('q3k0c4mN1vYb7s2L9xW8aQ'); // '/api/requests/q3k0c4mN1vYb7s2L9xW8aQ'
 */
export function requestStatusPath(id: string): string {
  if (typeof id !== 'string' || !REQUEST_ID_PATTERN.test(id)) throw new TypeError('a request id is 22 to 64 base64url characters');
  return `/api/requests/${id}`;
}

/**
 * Encodes a failure answer of cemails or ccsr: one line `<status>,<code> <message>` and `\n`.
 * @returns the HTTP status (the same number as the line's) and the body.
 * @throws {TypeError} for an unknown code, or a message that is empty or holds a line break.
 * @example
 * encodeCacertApiError('authentication_failed', 'Authentication failed');
 * // { status: 401, body: '401,authentication_failed Authentication failed\n' }
 */
export function encodeCacertApiError(code: CacertApiErrorCode, message: string): { status: number; body: string } {
  const status = (CACERT_API_ERRORS as Record<string, number>)[code];
  if (status === undefined) throw new TypeError(`unknown cacert API error code ${String(code)}`);
  if (typeof message !== 'string' || message.trim() === '' || LINE_BREAK.test(message)) {
    throw new TypeError('the message must be one non-empty line');
  }
  return { status, body: `${status},${code} ${message.trim()}\n` };
}

/**
 * Encodes the success answer of cemails (CAcert's format, byte for byte):
 *
 * ```text
 * 200,Authentication Ok
 * CS=0
 * NAME=John Doe
 * EMAIL=john@doe.com
 * ```
 *
 * One `NAME=` line per name form and one `EMAIL=` line per confirmed address, in the given
 * order; lines end with `\n`, the last one too. Values are written as they are (CAcert does not
 * escape them), so a value holding a line break is refused.
 * @throws {TypeError} for no names or no addresses, or a value that is empty or holds a line break.
 * @example
 * encodeCemailsAnswer({ codeSigning: false, names: ['John Doe'], emails: ['john@doe.com'] });
 */
export function encodeCemailsAnswer(answer: CemailsAnswer): string {
  checkValues(answer.names, 'names');
  checkValues(answer.emails, 'emails');
  const lines = ['200,Authentication Ok', `CS=${answer.codeSigning ? 1 : 0}`];
  for (const name of answer.names) lines.push(`NAME=${name}`);
  for (const email of answer.emails) lines.push(`EMAIL=${email}`);
  return `${lines.join('\n')}\n`;
}

/**
 * Decodes an answer of cemails. Strict: the final `\n` may be missing, but `\r`, empty lines,
 * unknown keys, a `CS` other than 0 or 1, lines out of order (CS, then NAMEs, then EMAILs), no
 * name or no address are refused.
 * @param httpStatus - the HTTP status; it must equal the status of the first line.
 * @param body - the answer text.
 * @throws {CaRejectedError} `ERR_PROTOCOL_CA_REJECTED` with `caCode` for a documented failure line.
 * @throws {MalformedResponseError} `ERR_PROTOCOL_MALFORMED_RESPONSE` for anything else.
 * @example
 * decodeCemailsAnswer(200, '200,Authentication Ok\nCS=1\nNAME=Jo Do\nEMAIL=jo@do.example\n');
 * // { codeSigning: true, names: ['Jo Do'], emails: ['jo@do.example'] }
 */
export function decodeCemailsAnswer(httpStatus: number, body: string): CemailsAnswer {
  const malformed = (why: string) => new MalformedResponseError(`cemails answer: ${why}`, httpStatus);
  const lines = splitLines(body, malformed);
  const first = lines[0] as string;
  if (first !== '200,Authentication Ok') throw failure(first, httpStatus, 'cemails', malformed, lines.slice(1).join('\n'));
  if (httpStatus !== 200) throw malformed(`HTTP status ${httpStatus} with a success line`);
  const cs = lines[1];
  if (cs !== 'CS=0' && cs !== 'CS=1') throw malformed('the second line is not CS=0 or CS=1');
  const names: string[] = [];
  const emails: string[] = [];
  for (const line of lines.slice(2)) {
    if (line.startsWith('NAME=') && emails.length === 0) names.push(line.slice(5));
    else if (line.startsWith('EMAIL=')) emails.push(line.slice(6));
    else throw malformed('a line is not NAME=... before EMAIL=...');
  }
  if (names.length === 0 || emails.length === 0 || [...names, ...emails].includes('')) {
    throw malformed('at least one non-empty NAME and EMAIL are required');
  }
  return { codeSigning: cs === 'CS=1', names, emails };
}

/**
 * Builds the success answer of cdomains: the line `200,Authentication Ok`, then one `DOMAIN=`
 * line per verified, unlapsed domain of the account (ASCII form), in the given order; no
 * `DOMAIN=` line for an account without one. Lines end with `\n`, the last one too.
 * @param domains - normalised domains (ASCII form, lower case).
 * @throws {TypeError} for a value that is not a lower-case ASCII host name.
 * @example
 * encodeCdomainsAnswer(['examplemail.test']); // '200,Authentication Ok\nDOMAIN=examplemail.test\n'
 */
export function encodeCdomainsAnswer(domains: readonly string[]): string {
  for (const d of domains) {
    if (typeof d !== 'string' || !CDOMAINS_VALUE.test(d)) throw new TypeError('each domain must be a lower-case ASCII host name');
  }
  return `${['200,Authentication Ok', ...domains.map((d) => `DOMAIN=${d}`)].join('\n')}\n`;
}

/**
 * Decodes an answer of cdomains. Strict as {@link decodeCemailsAnswer}: `\r`, empty lines, keys
 * other than `DOMAIN`, a value that is not a lower-case ASCII host name, or a repeated domain
 * are refused.
 * @throws {CaRejectedError} `ERR_PROTOCOL_CA_REJECTED` with `caCode` for a documented failure line.
 * @throws {MalformedResponseError} `ERR_PROTOCOL_MALFORMED_RESPONSE` for anything else.
 * @example
 * decodeCdomainsAnswer(200, '200,Authentication Ok\nDOMAIN=examplemail.test\n'); // ['examplemail.test']
 */
export function decodeCdomainsAnswer(httpStatus: number, body: string): string[] {
  const malformed = (why: string) => new MalformedResponseError(`cdomains answer: ${why}`, httpStatus);
  const lines = splitLines(body, malformed);
  const first = lines[0] as string;
  if (first !== '200,Authentication Ok') throw failure(first, httpStatus, 'cdomains', malformed, lines.slice(1).join('\n'));
  if (httpStatus !== 200) throw malformed(`HTTP status ${httpStatus} with a success line`);
  const domains: string[] = [];
  for (const line of lines.slice(1)) {
    const value = line.startsWith('DOMAIN=') ? line.slice(7) : undefined;
    if (value === undefined || !CDOMAINS_VALUE.test(value)) throw malformed('a line is not DOMAIN=<lower-case ASCII host name>');
    if (domains.includes(value)) throw malformed('a domain is listed twice');
    domains.push(value);
  }
  return domains;
}

/** A `DOMAIN=` value: lower-case LDH labels with at least one dot, at most 253 characters. */
const CDOMAINS_VALUE = /^(?=.{3,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$/;

/**
 * Encodes a ccsr request as the form body to POST.
 * @throws {TypeError} for an empty field.
 * @example
 * encodeCcsrRequest({ email: 'jo@do.example', name: 'Jo Do', codeSigning: false, csrPem });
 */
export function encodeCcsrRequest(request: CcsrRequest): URLSearchParams {
  for (const key of ['email', 'name', 'csrPem'] as const) {
    if (typeof request[key] !== 'string' || request[key] === '') throw new TypeError(`${key} must be a non-empty string`);
  }
  return new URLSearchParams({
    [CACERT_API_PARAMS.email]: request.email,
    [CACERT_API_PARAMS.name]: request.name,
    [CACERT_API_PARAMS.codesign]: request.codeSigning ? '1' : '0',
    [CACERT_API_PARAMS.optionalCSR]: request.csrPem,
  });
}

/**
 * Reads the ccsr fields of a request (credentials are the caller's business). `email` and `name`
 * are required and appear once; `codesign` is `0` (the default when absent) or `1`.
 *
 * Without `optionalCSR` the answer is `csr_required`: CAcert could make a key on the user's
 * behalf, but a CA that generates keys sees them, and a key sent back over an API is one more
 * copy to leak. Here the key never leaves the machine that made it.
 * @example
 * decodeCcsrRequest(new URLSearchParams('email=a%40b.example&name=A+B&optionalCSR=...'));
 */
export function decodeCcsrRequest(params: URLSearchParams): CcsrRequestResult {
  const one = (key: string): string | undefined | null => {
    const all = params.getAll(key);
    if (all.length > 1) return null;
    return all[0];
  };
  const email = one(CACERT_API_PARAMS.email);
  const name = one(CACERT_API_PARAMS.name);
  const codesign = one(CACERT_API_PARAMS.codesign);
  const csr = one(CACERT_API_PARAMS.optionalCSR);
  const invalid = (message: string) => ({ ok: false, code: 'invalid_request', message }) as const;
  if (email === null || name === null || codesign === null || csr === null) return invalid('a field is repeated');
  if (email === undefined || email.trim() === '') return invalid('email is required');
  if (name === undefined || name.trim() === '') return invalid('name is required');
  if (codesign !== undefined && codesign !== '0' && codesign !== '1') return invalid('codesign must be 0 or 1');
  if (csr === undefined || csr.trim() === '') {
    return { ok: false, code: 'csr_required', message: 'send the certificate request in optionalCSR; this CA never generates keys' };
  }
  return { ok: true, request: { email: email.trim(), name: name.trim(), codeSigning: codesign === '1', csrPem: csr } };
}

/**
 * Encodes the success answer of ccsr.
 *
 * ```text
 * 200,Issued <request id>
 * -----BEGIN CERTIFICATE-----      (the certificate, then the CA certificate)
 * ...
 * ```
 *
 * or `202,Pending <request id>` and `\n` when the request waits for approval.
 * @returns the HTTP status (200 or 202) and the body.
 * @throws {TypeError} for a malformed request id or a chain that is not PEM certificates.
 * @example
 * encodeCcsrAnswer({ status: 'pending', requestId }); // { status: 202, body: `202,Pending ${requestId}\n` }
 */
export function encodeCcsrAnswer(answer: CcsrAnswer): { status: 200 | 202; body: string } {
  if (typeof answer.requestId !== 'string' || !REQUEST_ID_PATTERN.test(answer.requestId)) throw new TypeError('malformed request id');
  if (answer.status === 'pending') return { status: 202, body: `202,Pending ${answer.requestId}\n` };
  if (answer.status !== 'issued' || !isPemChain(answer.chainPem)) throw new TypeError('an issued answer needs a PEM certificate chain');
  const chain = answer.chainPem.endsWith('\n') ? answer.chainPem : `${answer.chainPem}\n`;
  return { status: 200, body: `200,Issued ${answer.requestId}\n${chain}` };
}

/**
 * Decodes an answer of ccsr.
 * @throws {CaRejectedError} `ERR_PROTOCOL_CA_REJECTED` with `caCode` for a documented failure line.
 * @throws {MalformedResponseError} `ERR_PROTOCOL_MALFORMED_RESPONSE` for anything else.
 * @example
 * decodeCcsrAnswer(202, '202,Pending q3k0c4mN1vYb7s2L9xW8aQ\n'); // { status: 'pending', requestId: 'q3k0c4mN1vYb7s2L9xW8aQ' }
 */
export function decodeCcsrAnswer(httpStatus: number, body: string): CcsrAnswer {
  const malformed = (why: string) => new MalformedResponseError(`ccsr answer: ${why}`, httpStatus);
  if (typeof body !== 'string') throw malformed('not text');
  const eol = body.indexOf('\n');
  const first = eol < 0 ? body : body.slice(0, eol);
  const rest = eol < 0 ? '' : body.slice(eol + 1);
  const issued = /^200,Issued ([A-Za-z0-9_-]+)$/.exec(first);
  const pending = /^202,Pending ([A-Za-z0-9_-]+)$/.exec(first);
  const requestId = (issued ?? pending)?.[1];
  if (requestId === undefined) throw failure(first, httpStatus, 'ccsr', malformed, rest);
  if (!REQUEST_ID_PATTERN.test(requestId)) throw malformed('the request id is malformed');
  if (pending) {
    if (httpStatus !== 202 || rest !== '') throw malformed('a pending answer is one line with HTTP status 202');
    return { status: 'pending', requestId };
  }
  if (httpStatus !== 200 || !isPemChain(rest)) throw malformed('an issued answer is HTTP 200 with a PEM chain after the first line');
  return { status: 'issued', requestId, chainPem: rest };
}

/** Result of {@link decodeCrevokeRequest}. */
export type CrevokeRequestResult =
  | { readonly ok: true; readonly fields: RevocationFields }
  | RevocationFieldsRefusal
  | { readonly ok: false; readonly code: 'invalid_request'; readonly message: string };

/** The first line of a crevoke success, by what the CA did. */
const CREVOKE_LINES: Readonly<Record<RevocationStatus, string>> = { revoked: 'Revoked', already_revoked: 'Already revoked' };

/**
 * Encodes a crevoke request as the form body to POST (the credentials are the caller's business).
 * @throws {TypeError} for a serial or reason outside the contract (see `decodeRevocationFields`).
 * @example
 * encodeCrevokeRequest({ serialHex: '0a1b', reason: 'superseded' }).toString(); // 'serial=0a1b&reason=superseded'
 */
export function encodeCrevokeRequest(fields: RevocationFields): URLSearchParams {
  const checked = checkRevocationFields(fields);
  return new URLSearchParams({ [CACERT_API_PARAMS.serial]: checked.serialHex, [CACERT_API_PARAMS.reason]: checked.reason });
}

/**
 * Reads the crevoke fields of a request: `serial` once, `reason` at most once (absent or empty:
 * `unspecified`). Other fields are ignored, as by ccsr.
 * @returns the fields, or the failure line's code (`invalid_request`, `invalid_serial`, `invalid_reason`) and message.
 * @example
 * decodeCrevokeRequest(new URLSearchParams('serial=0A1B&reason=keyCompromise')); // { ok: true, fields: { serialHex: '0a1b', reason: 'keyCompromise' } }
 */
export function decodeCrevokeRequest(params: URLSearchParams): CrevokeRequestResult {
  const serials = params.getAll(CACERT_API_PARAMS.serial);
  const reasons = params.getAll(CACERT_API_PARAMS.reason);
  if (serials.length !== 1 || reasons.length > 1) return { ok: false, code: 'invalid_request', message: 'serial is required once, reason at most once' };
  const reason = reasons[0];
  return decodeRevocationFields(serials[0], reason === '' ? undefined : reason);
}

/**
 * Encodes the success answer of crevoke: one line, `200,Revoked <serial>` or, for a certificate
 * revoked before (nothing changed), `200,Already revoked <serial>`, the serial in lower case.
 * @throws {TypeError} for another status or a serial that is not lower-case hex octets.
 * @example
 * encodeCrevokeAnswer({ status: 'revoked', serialHex: '0a1b' }); // { status: 200, body: '200,Revoked 0a1b\n' }
 */
export function encodeCrevokeAnswer(answer: { readonly status: RevocationStatus; readonly serialHex: string }): { status: 200; body: string } {
  const line = Object.hasOwn(CREVOKE_LINES, answer?.status) ? CREVOKE_LINES[answer.status] : undefined;
  if (line === undefined) throw new TypeError('status must be revoked or already_revoked');
  if (!isAnsweredSerial(answer.serialHex)) throw new TypeError('serialHex must be lower-case hex, two digits per octet, at most 20 octets');
  return { status: 200, body: `200,${line} ${answer.serialHex}\n` };
}

/**
 * Decodes an answer of crevoke.
 * @throws {CaRejectedError} `ERR_PROTOCOL_CA_REJECTED` with `caCode` for a documented failure line.
 * @throws {MalformedResponseError} `ERR_PROTOCOL_MALFORMED_RESPONSE` for anything else.
 * @example
 * decodeCrevokeAnswer(200, '200,Already revoked 0a1b\n'); // { status: 'already_revoked', serialHex: '0a1b' }
 */
export function decodeCrevokeAnswer(httpStatus: number, body: string): { status: RevocationStatus; serialHex: string } {
  const malformed = (why: string) => new MalformedResponseError(`crevoke answer: ${why}`, httpStatus);
  const lines = splitLines(body, malformed);
  const first = lines[0] as string;
  const success = /^200,(Revoked|Already revoked) ([^ ]+)$/.exec(first);
  if (success === null) throw failure(first, httpStatus, 'crevoke', malformed, lines.slice(1).join('\n'));
  const serialHex = success[2];
  if (httpStatus !== 200 || lines.length !== 1 || !isAnsweredSerial(serialHex))
    throw malformed('a success is one line with HTTP status 200 and a lower-case hex serial');
  return { status: success[1] === 'Revoked' ? 'revoked' : 'already_revoked', serialHex };
}

/**
 * Encodes the JSON body of `GET /api/requests/:id` (the caller adds `Retry-After` to pending).
 * @throws {TypeError} for an answer outside the type.
 * @example
 * encodeRequestStatus({ status: 'rejected', id, reason: 'not our customer' });
 */
export function encodeRequestStatus(answer: RequestStatusAnswer): RequestStatusAnswer {
  const decoded = statusFromJson(answer);
  if (decoded === undefined) throw new TypeError('not a valid request status answer');
  return decoded;
}

/**
 * Decodes an answer of `GET /api/requests/:id`, already parsed from JSON.
 * @param retryAfter - the `Retry-After` header (seconds), if any; for pending answers the result
 *   carries `retryAfterSeconds`, {@link REQUEST_RETRY_AFTER_SECONDS_DEFAULT} when absent or malformed.
 * @throws {CaRejectedError} `ERR_PROTOCOL_CA_REJECTED` for a documented error body.
 * @throws {MalformedResponseError} `ERR_PROTOCOL_MALFORMED_RESPONSE` for anything else.
 * @example
 * decodeRequestStatus(200, { status: 'pending', id }, '30'); // { answer: { status: 'pending', id }, retryAfterSeconds: 30 }
 */
export function decodeRequestStatus(
  httpStatus: number,
  json: unknown,
  retryAfter?: string | null,
): { answer: RequestStatusAnswer; retryAfterSeconds?: number } {
  const error = (json as { error?: { code?: unknown; message?: unknown } } | null)?.error;
  if (httpStatus !== 200) {
    // Object.hasOwn, not `in`: `toString` or `constructor` is no documented code.
    if (typeof error?.code === 'string' && typeof error.message === 'string' && Object.hasOwn(REQUEST_STATUS_ERRORS, error.code)) {
      throw new CaRejectedError(`the CA refused the status request: ${error.message} (${error.code})`, httpStatus, error.code);
    }
    throw new MalformedResponseError(`request status answered ${httpStatus} without a documented error body`, httpStatus);
  }
  const answer = statusFromJson(json);
  if (answer === undefined) throw new MalformedResponseError('request status answer has not the documented shape', httpStatus);
  if (answer.status !== 'pending') return { answer };
  const seconds = /^[0-9]{1,6}$/.test(retryAfter ?? '') ? Number(retryAfter) : REQUEST_RETRY_AFTER_SECONDS_DEFAULT;
  return { answer, retryAfterSeconds: seconds };
}

/** The path of the account's request list, `GET /api/requests`. */
export const REQUEST_LIST_PATH = '/api/requests';

/**
 * Where a listed request came from (the list's `source` filter takes the same values); `scep`: a
 * SCEP PKCSReq (RFC 8894) sent to the account's personal SCEP URL or with one of its PINs.
 */
export const REQUEST_SOURCES = ['ccsr', 'installation', 'registration', 'enrollment_secret', 'scep'] as const;

/** One of {@link REQUEST_SOURCES}. */
export type RequestSource = (typeof REQUEST_SOURCES)[number];

/** One entry of `GET /api/requests`. */
export interface ListedRequest {
  readonly id: string;
  readonly status: RequestStatusAnswer['status'];
  readonly source: RequestSource;
  /** SHA-256 of the request's DER, lower-case hex. */
  readonly fingerprint: string;
  /** ISO 8601 time the CA stored the request. */
  readonly createdAt: string;
}

const FINGERPRINT_PATTERN = /^[0-9a-f]{64}$/;

/**
 * The path and query of `GET /api/requests`, optionally filtered by source and by the SHA-256 of
 * the request's DER.
 * @throws {TypeError} for an unknown source or a fingerprint that is not 64 hex digits.
 * @example
 * requestListPath({ fingerprint: 'ab'.repeat(32) }); // '/api/requests?fingerprint=abab...'
 */
export function requestListPath(filter: { readonly source?: RequestSource; readonly fingerprint?: string } = {}): string {
  const query = new URLSearchParams();
  if (filter.source !== undefined) {
    if (!REQUEST_SOURCES.includes(filter.source)) throw new TypeError(`source must be one of ${REQUEST_SOURCES.join(', ')}`);
    query.set('source', filter.source);
  }
  if (filter.fingerprint !== undefined) {
    if (typeof filter.fingerprint !== 'string' || !FINGERPRINT_PATTERN.test(filter.fingerprint.toLowerCase()))
      throw new TypeError('fingerprint must be 64 hex digits');
    query.set('fingerprint', filter.fingerprint.toLowerCase());
  }
  const text = query.toString();
  return text === '' ? REQUEST_LIST_PATH : `${REQUEST_LIST_PATH}?${text}`;
}

/**
 * Decodes an answer of `GET /api/requests`, already parsed from JSON. Unknown keys in an entry are
 * ignored (the list may grow); missing or malformed documented ones are not.
 * @throws {CaRejectedError} `ERR_PROTOCOL_CA_REJECTED` for a documented error body.
 * @throws {MalformedResponseError} `ERR_PROTOCOL_MALFORMED_RESPONSE` for anything else.
 * @example
 * decodeRequestList(200, { requests: [] }); // []
 */
export function decodeRequestList(httpStatus: number, json: unknown): ListedRequest[] {
  const error = (json as { error?: { code?: unknown; message?: unknown } } | null)?.error;
  if (httpStatus !== 200) {
    // Object.hasOwn, not `in`: `toString` or `constructor` is no documented code.
    if (typeof error?.code === 'string' && typeof error.message === 'string' && Object.hasOwn(REQUEST_STATUS_ERRORS, error.code)) {
      throw new CaRejectedError(`the CA refused the request list: ${error.message} (${error.code})`, httpStatus, error.code);
    }
    throw new MalformedResponseError(`request list answered ${httpStatus} without a documented error body`, httpStatus);
  }
  const entries = (json as { requests?: unknown } | null)?.requests;
  if (!Array.isArray(entries)) throw new MalformedResponseError('request list answer has no requests array', httpStatus);
  return entries.map((entry: unknown) => {
    const e = (entry ?? {}) as Record<string, unknown>;
    const ok =
      typeof e.id === 'string' &&
      REQUEST_ID_PATTERN.test(e.id) &&
      ['pending', 'issued', 'rejected', 'discarded'].includes(e.status as string) &&
      REQUEST_SOURCES.includes(e.source as RequestSource) &&
      typeof e.fingerprint === 'string' &&
      FINGERPRINT_PATTERN.test(e.fingerprint) &&
      typeof e.createdAt === 'string' &&
      !Number.isNaN(Date.parse(e.createdAt));
    if (!ok) throw new MalformedResponseError('a request list entry has not the documented shape', httpStatus);
    return { id: e.id, status: e.status, source: e.source, fingerprint: e.fingerprint, createdAt: e.createdAt } as ListedRequest;
  });
}

/** Builds the JSON error body of `GET /api/requests/:id`. */
export function encodeRequestStatusError(code: RequestStatusErrorCode, message: string): { error: { code: RequestStatusErrorCode; message: string } } {
  return { error: { code, message } };
}

function statusFromJson(json: unknown): RequestStatusAnswer | undefined {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) return undefined;
  const body = json as Record<string, unknown>;
  const keys = Object.keys(body).sort().join(',');
  const { id } = body;
  if (typeof id !== 'string' || !REQUEST_ID_PATTERN.test(id)) return undefined;
  switch (body.status) {
    case 'pending':
    case 'discarded':
      return keys === 'id,status' ? { status: body.status, id } : undefined;
    case 'rejected':
      return keys === 'id,reason,status' && typeof body.reason === 'string' && body.reason !== '' ? { status: 'rejected', id, reason: body.reason } : undefined;
    case 'issued':
      return keys === 'certificate,chain,id,status' && isPemChain(body.certificate) && isPemChain(body.chain)
        ? { status: 'issued', id, certificate: body.certificate as string, chain: body.chain as string }
        : undefined;
    default:
      return undefined;
  }
}

/** Whether `text` is one or more PEM certificates and nothing else but whitespace. */
function isPemChain(text: unknown): boolean {
  if (typeof text !== 'string') return false;
  const block = /-----BEGIN CERTIFICATE-----\n[A-Za-z0-9+/=\n]+-----END CERTIFICATE-----/g;
  return /-----BEGIN CERTIFICATE-----/.test(text) && text.replace(block, '').trim() === '';
}

/** Splits a text answer into lines: no `\r`, no empty line, final `\n` optional. */
function splitLines(body: string, malformed: (why: string) => MalformedResponseError): string[] {
  if (typeof body !== 'string' || body === '') throw malformed('empty');
  if (body.includes('\r')) throw malformed('a carriage return (lines end with \\n only)');
  const lines = (body.endsWith('\n') ? body.slice(0, -1) : body).split('\n');
  if (lines.includes('')) throw malformed('an empty line');
  return lines;
}

/** The error for a first line that is not a success line: documented failure or malformed. */
function failure(first: string, httpStatus: number, what: string, malformed: (why: string) => MalformedResponseError, rest = ''): Error {
  const line = STATUS_LINE.exec(first);
  const parts = line ? CODE_AND_TEXT.exec(line[2] as string) : null;
  const code = parts?.[1];
  const documented = code !== undefined ? (CACERT_API_ERRORS as Record<string, number>)[code] : undefined;
  if (!line || !parts || documented === undefined || documented !== Number(line[1]) || httpStatus !== documented || rest !== '') {
    return malformed('the first line is neither a success nor a documented failure line');
  }
  return new CaRejectedError(`the CA refused the ${what} request: ${parts[2]} (${code})`, httpStatus, code as string);
}

function checkValues(values: readonly string[], what: string): void {
  if (!Array.isArray(values) || values.length === 0) throw new TypeError(`${what} must not be empty`);
  for (const v of values) {
    if (typeof v !== 'string' || v === '' || LINE_BREAK.test(v)) throw new TypeError(`each of ${what} must be one non-empty line`);
  }
}
