/**
 * Revocation by whoever holds the certificate's key or its revocation secret, without an
 * account: `POST /api/revoke-by-key` (a request signed with the certificate's own private key,
 * proof of possession) and `POST /api/revoke-with-secret` (the one-time revocation secret handed
 * out with the certificate, the CMC shared-secret scenario of RFC 5272 §6.6). Both take JSON and
 * answer JSON, with the first revocation's time and reason when the certificate was revoked
 * before. Documented in docs/protocol.md; every name here is part of the wire contract.
 */
import { CaRejectedError, MalformedResponseError } from './errors.js';
import { decodeRevocationFields, isAnsweredSerial, type RevocationFields, type RevocationStatus } from './revocation.js';

/** Path of the proof-of-possession revocation. */
export const REVOKE_BY_KEY_PATH = '/api/revoke-by-key';

/** Path of the revocation with the one-time revocation secret. */
export const REVOKE_WITH_SECRET_PATH = '/api/revoke-with-secret';

/** Media type of both requests and of their answers. */
export const HOLDER_REVOCATION_MEDIA_TYPE = 'application/json';

/** Largest request body either endpoint reads, in bytes. */
export const HOLDER_REVOCATION_MAX_BODY_BYTES = 16 * 1024;

/**
 * How far the signed time of a proof-of-possession request may be from the CA's clock, in ms
 * (either way): a captured request stops working five minutes after it was made.
 */
export const REVOKE_BY_KEY_MAX_SKEW_MS = 5 * 60_000;

/**
 * What is signed: these ASCII bytes followed by the base64url payload. The prefix keeps a
 * signature made for anything else (a TLS handshake, a JWS) from being taken as a revocation.
 */
export const REVOKE_BY_KEY_SIGNING_PREFIX = 'certwizard-revoke-by-key-v1.';

/**
 * The one-time revocation secret as the CA hands it out: 32 random bytes, base64url (43
 * characters). It is the `revocation_secret` member of the ssl_api answer and the
 * `Revocation-Secret` header of the CAcert-style answers.
 */
export const REVOCATION_SECRET_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** Name of the response header of the CAcert-style answers that carries the revocation secret. */
export const REVOCATION_SECRET_HEADER = 'Revocation-Secret';

/**
 * Headers of the revocation answers of `POST /api/csr/:client/revoke` and `POST /api/crevoke.php`
 * (whose bodies stay as they were, for the clients that parse them strictly): when the
 * certificate was revoked (RFC 3339) and why (an RFC 5280 §5.3.1 name), the first revocation's
 * for `already_revoked`.
 */
export const REVOKED_AT_HEADER = 'Revoked-At';

/** See {@link REVOKED_AT_HEADER}. */
export const REVOCATION_REASON_HEADER = 'Revocation-Reason';

/** Error codes of both endpoints, with their HTTP status. Codes are API: added, never renamed. */
export const HOLDER_REVOCATION_ERRORS = {
  /** The body is not the documented JSON object. */
  invalid_request: 400,
  /** `serial` is not a serial number in hex (see `REVOCATION_SERIAL_PATTERN`). */
  invalid_serial: 400,
  /** `reason` is not one a holder may give (see `REVOCATION_REASONS`). */
  invalid_reason: 400,
  /** The body is not `application/json`. */
  unsupported_media_type: 415,
  /** The body is over {@link HOLDER_REVOCATION_MAX_BODY_BYTES}. */
  payload_too_large: 413,
  /** revoke-by-key: the CA has no certificate with this serial. */
  unknown_certificate: 404,
  /** revoke-by-key: the signature does not verify with the certificate's public key (or its algorithm does not fit the key). */
  bad_signature: 403,
  /** revoke-by-key: the signed time is more than {@link REVOKE_BY_KEY_MAX_SKEW_MS} from the CA's clock. */
  stale_request: 403,
  /** revoke-by-key: the request was made for another CA (its `ca` is not this CA's public URL). */
  wrong_ca: 403,
  /** revoke-with-secret: the secret is wrong, or the serial is unknown or has no secret (not told apart). */
  secret_invalid: 403,
  /** revoke-with-secret: too many attempts for this serial; retry after `Retry-After` seconds. */
  rate_limited: 429,
  /** Known path, wrong method (a GET never revokes). */
  method_not_allowed: 405,
  /** A failure on the CA's side; the details are in its log. */
  internal_error: 500,
} as const;

/** One of {@link HOLDER_REVOCATION_ERRORS}. */
export type HolderRevocationErrorCode = keyof typeof HOLDER_REVOCATION_ERRORS;

/** What a proof-of-possession request says, once decoded. */
export interface RevokeByKeyFields extends RevocationFields {
  /** The CA's public URL the request was made for, as the holder knows it. */
  readonly caUrl: string;
  /** When the request was made, ms since the epoch. */
  readonly timeMs: number;
}

/** A decoded proof-of-possession request: its fields and what was signed. */
export interface RevokeByKeyRequest {
  readonly fields: RevokeByKeyFields;
  /** The bytes the signature is over: {@link REVOKE_BY_KEY_SIGNING_PREFIX} + the payload as sent. */
  readonly signedBytes: Uint8Array;
  /** The signature as sent (RSA PKCS#1 v1.5, or a DER ECDSA-Sig-Value). */
  readonly signature: Uint8Array;
}

/** A request the wire cannot carry: its code and a message fit to return. */
export interface HolderRevocationRefusal {
  readonly ok: false;
  readonly code: 'invalid_request' | 'invalid_serial' | 'invalid_reason';
  readonly message: string;
}

/** The answer of both endpoints on success (200). */
export interface HolderRevocationAnswer {
  /** `revoked` now, or `already_revoked` before. */
  readonly status: RevocationStatus;
  /** The serial, lower-case hex. */
  readonly serialHex: string;
  /** When the certificate was revoked (the first revocation's time for `already_revoked`). */
  readonly revokedAt: Date;
  /** The revocation's RFC 5280 §5.3.1 reason name (the first revocation's for `already_revoked`). */
  readonly reason: string;
}

const B64URL = /^[A-Za-z0-9_-]+$/;
const REASON_NAME = /^[A-Za-z]{1,32}$/;

/**
 * The URL form compared between the signed `ca` and the CA's public URL: no trailing slash.
 * @example
 * normalizeCaUrl('https://ca.example/'); // 'https://ca.example'
 */
export function normalizeCaUrl(url: string): string {
  return url.replace(/\/+$/, '');
}

/**
 * The signed payload of a proof-of-possession request, base64url of its JSON.
 * @throws {TypeError} for a serial or reason outside the contract, or a time that is not a finite number.
 * @example
 * encodeRevokeByKeyPayload({ serialHex: '0a1b', reason: 'keyCompromise', caUrl: 'https://ca.example', timeMs: Date.now() });
 */
export function encodeRevokeByKeyPayload(fields: RevokeByKeyFields): string {
  const decoded = decodeRevocationFields(fields?.serialHex, fields?.reason);
  if (!decoded.ok) throw new TypeError(decoded.message);
  if (typeof fields.caUrl !== 'string' || fields.caUrl === '') throw new TypeError('caUrl must be the CA URL');
  if (!Number.isFinite(fields.timeMs)) throw new TypeError('timeMs must be a time in ms since the epoch');
  const json = JSON.stringify({
    serial: decoded.fields.serialHex,
    reason: decoded.fields.reason,
    ca: normalizeCaUrl(fields.caUrl),
    time: new Date(fields.timeMs).toISOString(),
  });
  return Buffer.from(json, 'utf8').toString('base64url');
}

/**
 * The bytes a holder signs for a payload from {@link encodeRevokeByKeyPayload}.
 * @example
 * const signature = sign('sha256', revokeByKeySigningInput(payload), privateKey);
 */
export function revokeByKeySigningInput(payload: string): Uint8Array {
  return new Uint8Array(Buffer.from(REVOKE_BY_KEY_SIGNING_PREFIX + payload, 'ascii'));
}

/**
 * Encodes the body of `POST /api/revoke-by-key`.
 * @example
 * encodeRevokeByKeyRequest(payload, signature); // '{"payload":"...","signature":"..."}'
 */
export function encodeRevokeByKeyRequest(payload: string, signature: Uint8Array): string {
  return JSON.stringify({ payload, signature: Buffer.from(signature).toString('base64url') });
}

/**
 * Decodes the body of `POST /api/revoke-by-key`: `{"payload", "signature"}`, both base64url,
 * the payload a JSON object with exactly `serial`, `reason`, `ca` and `time` (RFC 3339).
 * Nothing is verified here but the shape: the CA checks the signature, the URL and the time.
 * @example
 * decodeRevokeByKeyRequest(body); // { ok: true, request: { fields, signedBytes, signature } }
 */
export function decodeRevokeByKeyRequest(body: string): { readonly ok: true; readonly request: RevokeByKeyRequest } | HolderRevocationRefusal {
  const invalid = (message: string): HolderRevocationRefusal => ({ ok: false, code: 'invalid_request', message });
  const outer = jsonObject(body, ['payload', 'signature']);
  if (outer === undefined) return invalid('send {"payload": base64url, "signature": base64url} and nothing else');
  const { payload, signature } = outer;
  if (typeof payload !== 'string' || !B64URL.test(payload) || typeof signature !== 'string' || !B64URL.test(signature)) {
    return invalid('payload and signature must be base64url without padding');
  }
  const inner = jsonObject(Buffer.from(payload, 'base64url').toString('utf8'), ['ca', 'reason', 'serial', 'time']);
  if (inner === undefined) return invalid('the payload must be a JSON object with serial, reason, ca and time, and nothing else');
  const decoded = decodeRevocationFields(inner.serial, inner.reason);
  if (!decoded.ok) return decoded;
  const timeMs = typeof inner.time === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/.test(inner.time) ? Date.parse(inner.time) : NaN;
  if (!Number.isFinite(timeMs)) return invalid('time must be an RFC 3339 UTC time');
  if (typeof inner.ca !== 'string' || inner.ca === '') return invalid('ca must be the URL of the CA the request is for');
  return {
    ok: true,
    request: {
      fields: { ...decoded.fields, caUrl: normalizeCaUrl(inner.ca), timeMs },
      signedBytes: revokeByKeySigningInput(payload),
      signature: new Uint8Array(Buffer.from(signature, 'base64url')),
    },
  };
}

/**
 * Encodes the body of `POST /api/revoke-with-secret`.
 * @throws {TypeError} for a serial, reason or secret outside the contract.
 * @example
 * encodeRevokeWithSecretRequest({ serialHex: '0a1b', reason: 'keyCompromise' }, secret);
 */
export function encodeRevokeWithSecretRequest(fields: RevocationFields, secret: string): string {
  const decoded = decodeRevocationFields(fields?.serialHex, fields?.reason);
  if (!decoded.ok) throw new TypeError(decoded.message);
  if (typeof secret !== 'string' || !REVOCATION_SECRET_PATTERN.test(secret)) throw new TypeError('the revocation secret is 43 base64url characters');
  return JSON.stringify({ serial: decoded.fields.serialHex, secret, reason: decoded.fields.reason });
}

/**
 * Decodes the body of `POST /api/revoke-with-secret`: exactly `serial`, `secret` and, optionally, `reason`.
 * @example
 * decodeRevokeWithSecretRequest('{"serial":"0a1b","secret":"...","reason":"superseded"}');
 */
export function decodeRevokeWithSecretRequest(
  body: string,
): { readonly ok: true; readonly fields: RevocationFields; readonly secret: string } | HolderRevocationRefusal {
  const json = jsonObject(body, ['reason', 'secret', 'serial'], ['reason']);
  if (json === undefined) return { ok: false, code: 'invalid_request', message: 'send {"serial", "secret", "reason"} and nothing else' };
  const decoded = decodeRevocationFields(json.serial, json.reason);
  if (!decoded.ok) return decoded;
  // A malformed secret is a wrong one: the CA answers secret_invalid without a lookup.
  if (typeof json.secret !== 'string') return { ok: false, code: 'invalid_request', message: 'secret must be a string' };
  return { ok: true, fields: decoded.fields, secret: json.secret };
}

/**
 * Encodes the success answer of both endpoints.
 * @throws {TypeError} for a status other than `revoked`/`already_revoked` or a malformed serial.
 * @example
 * encodeHolderRevocationAnswer({ status: 'revoked', serialHex: '0a1b', revokedAt, reason: 'keyCompromise' });
 * // { status: 'revoked', serial: '0a1b', revokedAt: '2025-...Z', reason: 'keyCompromise' }
 */
export function encodeHolderRevocationAnswer(answer: HolderRevocationAnswer): { status: RevocationStatus; serial: string; revokedAt: string; reason: string } {
  if (answer?.status !== 'revoked' && answer?.status !== 'already_revoked') throw new TypeError('status must be revoked or already_revoked');
  if (!isAnsweredSerial(answer.serialHex)) throw new TypeError('serialHex must be lower-case hex octets');
  return { status: answer.status, serial: answer.serialHex, revokedAt: answer.revokedAt.toISOString(), reason: answer.reason };
}

/** Builds an error body of either endpoint. */
export function encodeHolderRevocationError(code: HolderRevocationErrorCode, message: string): { error: { code: HolderRevocationErrorCode; message: string } } {
  return { error: { code, message } };
}

/**
 * Decodes an answer of either endpoint.
 * @throws {CaRejectedError} `ERR_PROTOCOL_CA_REJECTED` with the CA's `caCode` for a documented error.
 * @throws {MalformedResponseError} `ERR_PROTOCOL_MALFORMED_RESPONSE` for anything else.
 * @example
 * decodeHolderRevocationAnswer(200, body); // { status: 'already_revoked', serialHex, revokedAt, reason }
 */
export function decodeHolderRevocationAnswer(status: number, body: string): HolderRevocationAnswer {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (err) {
    throw new MalformedResponseError(`revocation answered ${status} with a body that is not JSON`, status, { cause: err });
  }
  if (status === 200) {
    const a = json as Record<string, unknown> | null;
    const revokedAt = typeof a?.revokedAt === 'string' ? new Date(a.revokedAt) : undefined;
    if (
      a === null ||
      typeof a !== 'object' ||
      (a.status !== 'revoked' && a.status !== 'already_revoked') ||
      !isAnsweredSerial(a.serial) ||
      revokedAt === undefined ||
      Number.isNaN(revokedAt.getTime()) ||
      typeof a.reason !== 'string' ||
      !REASON_NAME.test(a.reason)
    ) {
      throw new MalformedResponseError('revocation answered 200 without the documented status, serial, revokedAt and reason', status);
    }
    return { status: a.status, serialHex: a.serial, revokedAt, reason: a.reason };
  }
  const error = (json as { error?: { code?: unknown; message?: unknown } } | null)?.error;
  if (typeof error?.code !== 'string' || typeof error.message !== 'string' || !Object.hasOwn(HOLDER_REVOCATION_ERRORS, error.code)) {
    throw new MalformedResponseError(`revocation answered ${status} without a documented error body`, status);
  }
  throw new CaRejectedError(`the CA refused to revoke: ${error.message} (${error.code})`, status, error.code);
}

/** A JSON object with exactly the `keys` (sorted), the `optional` ones possibly absent; `undefined` otherwise. */
function jsonObject(text: string, keys: readonly string[], optional: readonly string[] = []): Record<string, unknown> | undefined {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) return undefined;
  const present = Object.keys(json);
  if (present.some((k) => !keys.includes(k))) return undefined;
  if (keys.some((k) => !optional.includes(k) && !present.includes(k))) return undefined;
  return json as Record<string, unknown>;
}
