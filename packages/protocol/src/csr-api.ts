/**
 * The ssl_api-style CSR endpoint: `PUT /api/csr/:client` with a PEM request as the body, and
 * our extension `POST /api/csr/:client/revoke`. Documented in docs/protocol.md; every name here
 * is part of the wire contract.
 */
import { CaRejectedError, MalformedResponseError } from './errors.js';
import { REVOCATION_SECRET_PATTERN } from './holder-revocation.js';
import {
  checkRevocationFields,
  decodeRevocationFields,
  isAnsweredSerial,
  type RevocationFields,
  type RevocationFieldsRefusal,
  type RevocationStatus,
} from './revocation.js';

/** Route of the endpoint, in express syntax. */
export const CSR_API_ROUTE = '/api/csr/:client';

/** What a `client` path segment may be: the ssl_api client hash, ASCII letters and digits. */
export const CSR_API_CLIENT_PATTERN = /^[a-zA-Z0-9]{1,128}$/;

/**
 * Media types accepted for the body. `application/x-pem-file` is what ssl_api requires;
 * `application/pkcs10` (RFC 5967) is accepted too, PEM or DER.
 */
export const CSR_API_MEDIA_TYPES: readonly string[] = ['application/x-pem-file', 'application/pkcs10'];

/** Largest body the endpoint reads, in bytes (1 MiB). */
export const CSR_API_MAX_BODY_BYTES = 1024 * 1024;

/**
 * Error codes of the endpoint, with their HTTP status. Codes are API: added, never renamed.
 */
export const CSR_API_ERRORS = {
  /** The `client` path segment is not 1 to 128 ASCII letters or digits. */
  invalid_client: 400,
  /** The body is not sent as one of {@link CSR_API_MEDIA_TYPES}. */
  unsupported_media_type: 415,
  /** The body is over {@link CSR_API_MAX_BODY_BYTES}. */
  payload_too_large: 413,
  /** The request itself is over 64 KiB. */
  csr_too_large: 413,
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
  /** More than 100 subject alternative names. */
  csr_too_many_names: 400,
  /** A common name longer than 64 characters. */
  csr_cn_too_long: 400,
  /** A malformed name, or none at all. */
  csr_invalid_name: 400,
  /** The request asks for a CA certificate. */
  csr_ca_requested: 400,
  /** The CA's policy (its authorize hook) refused the request. */
  refused: 403,
  /** revoke: the body is not a JSON object with `serial` and, optionally, `reason`, and nothing else. */
  invalid_request: 400,
  /** revoke: `serial` is not a serial number in hex (see `REVOCATION_SERIAL_PATTERN`). */
  invalid_serial: 400,
  /** revoke: `reason` is not one a holder may give (see `REVOCATION_REASONS`). */
  invalid_reason: 400,
  /** revoke: this client has no certificate with this serial (another client's counts as none). */
  unknown_certificate: 404,
  /** Unknown path. */
  not_found: 404,
  /** Known path, wrong method. */
  method_not_allowed: 405,
  /** A failure on the CA's side; the details are in its log, not in the answer. */
  internal_error: 500,
  /** The CA is shutting down or overloaded; try again later. */
  unavailable: 503,
} as const;

/** One of the documented error codes. */
export type CsrApiErrorCode = keyof typeof CSR_API_ERRORS;

/** Body of a success answer (200). */
export interface CsrApiSuccess {
  /** The issued certificate followed by the CA certificate, PEM. */
  readonly signed_x509_pem: string;
  /**
   * The certificate's one-time revocation secret (`REVOCATION_SECRET_PATTERN`), for
   * `POST /api/revoke-with-secret`. Only in the answer that issued the certificate: a resent
   * request's answer has none (the first one stays the secret). Absent from CAs that give none;
   * clients that do not know it ignore it.
   */
  readonly revocation_secret?: string;
}

/** Body of an error answer. */
export interface CsrApiErrorBody {
  readonly error: { readonly code: CsrApiErrorCode; readonly message: string };
}

/** The path for a client, with the segment checked. */
export function csrApiPath(client: string): string {
  if (!CSR_API_CLIENT_PATTERN.test(client)) throw new TypeError('client must be 1 to 128 ASCII letters or digits');
  return `/api/csr/${client}`;
}

/** Builds an error body. */
export function encodeCsrApiError(code: CsrApiErrorCode, message: string): CsrApiErrorBody {
  return { error: { code, message } };
}

/**
 * Decodes an answer of the endpoint.
 * @returns the PEM of the certificate chain on 200.
 * @throws {CaRejectedError} `ERR_PROTOCOL_CA_REJECTED` with the CA's `caCode` for a documented error.
 * @throws {MalformedResponseError} `ERR_PROTOCOL_MALFORMED_RESPONSE` for anything else.
 */
export function decodeCsrApiResponse(status: number, body: string): string {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (err) {
    throw new MalformedResponseError(`CSR API answered ${status} with a body that is not JSON`, status, { cause: err });
  }
  if (status === 200) {
    const pem = (json as Partial<CsrApiSuccess>)?.signed_x509_pem;
    if (typeof pem !== 'string' || !pem.includes('-----BEGIN CERTIFICATE-----')) {
      throw new MalformedResponseError('CSR API answered 200 without signed_x509_pem', status);
    }
    return pem;
  }
  const error = (json as Partial<CsrApiErrorBody>)?.error;
  if (typeof error?.code !== 'string' || typeof error.message !== 'string') {
    throw new MalformedResponseError(`CSR API answered ${status} without an error body`, status);
  }
  throw new CaRejectedError(`the CA refused the request: ${error.message} (${error.code})`, status, error.code);
}

/**
 * Decodes an answer of the endpoint with what it may carry beside the chain.
 * @returns the PEM chain and, when the CA gave one, the revocation secret.
 * @throws {CaRejectedError} `ERR_PROTOCOL_CA_REJECTED` with the CA's `caCode` for a documented error.
 * @throws {MalformedResponseError} `ERR_PROTOCOL_MALFORMED_RESPONSE` for anything else, including a
 *   `revocation_secret` that is not a string of `REVOCATION_SECRET_PATTERN`.
 * @example
 * const { chainPem, revocationSecret } = decodeCsrApiAnswer(res.status, await res.text());
 */
export function decodeCsrApiAnswer(status: number, body: string): { chainPem: string; revocationSecret?: string } {
  const chainPem = decodeCsrApiResponse(status, body);
  const secret = (JSON.parse(body) as Partial<CsrApiSuccess>).revocation_secret;
  if (secret === undefined) return { chainPem };
  if (typeof secret !== 'string' || !REVOCATION_SECRET_PATTERN.test(secret)) {
    throw new MalformedResponseError('CSR API answered a revocation_secret that is not 43 base64url characters', status);
  }
  return { chainPem, revocationSecret: secret };
}

/** Route of the revocation endpoint, in express syntax (our extension of ssl_api). */
export const CSR_API_REVOKE_ROUTE = '/api/csr/:client/revoke';

/** Media type of the revocation request's body. */
export const CSR_API_REVOKE_MEDIA_TYPE = 'application/json';

/** Largest revocation body the endpoint reads, in bytes. */
export const CSR_API_REVOKE_MAX_BODY_BYTES = 4 * 1024;

/** Body of a revocation request: `reason` absent means `unspecified`. */
export interface CsrApiRevokeRequest {
  readonly serial: string;
  readonly reason?: string;
}

/** Body of a revocation answer (200), the serial in lower case. */
export interface CsrApiRevokeAnswer {
  readonly status: RevocationStatus;
  readonly serial: string;
}

/** Result of {@link decodeCsrApiRevokeRequest}. */
export type CsrApiRevokeRequestResult =
  | { readonly ok: true; readonly fields: RevocationFields }
  | RevocationFieldsRefusal
  | { readonly ok: false; readonly code: 'invalid_request'; readonly message: string };

/**
 * The path of a client's revocation endpoint, with the segment checked.
 * @throws {TypeError} for a client that is not 1 to 128 ASCII letters or digits.
 * @example
 * csrApiRevokePath('myclient'); // '/api/csr/myclient/revoke'
 */
export function csrApiRevokePath(client: string): string {
  return `${csrApiPath(client)}/revoke`;
}

/**
 * Encodes a revocation request's body.
 * @throws {TypeError} for a serial or reason outside the contract (see `decodeRevocationFields`).
 * @example
 * encodeCsrApiRevokeRequest({ serialHex: '0a1b', reason: 'keyCompromise' }); // '{"serial":"0a1b","reason":"keyCompromise"}'
 */
export function encodeCsrApiRevokeRequest(fields: RevocationFields): string {
  const checked = checkRevocationFields(fields);
  return JSON.stringify({ serial: checked.serialHex, reason: checked.reason } satisfies CsrApiRevokeRequest);
}

/**
 * Decodes a revocation request's body: a JSON object with the string `serial` and, optionally,
 * the string `reason`, and no other member.
 * @returns the fields, or the wire code (`invalid_request`, `invalid_serial`, `invalid_reason`) and a message.
 * @example
 * decodeCsrApiRevokeRequest('{"serial":"0A1B"}'); // { ok: true, fields: { serialHex: '0a1b', reason: 'unspecified' } }
 */
export function decodeCsrApiRevokeRequest(body: string): CsrApiRevokeRequestResult {
  const invalid = { ok: false, code: 'invalid_request', message: 'send a JSON object with serial and, optionally, reason, and nothing else' } as const;
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return invalid;
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) return invalid;
  const members = Object.keys(json);
  if (!members.includes('serial') || members.some((name) => name !== 'serial' && name !== 'reason')) return invalid;
  const { serial, reason } = json as { serial?: unknown; reason?: unknown };
  return decodeRevocationFields(serial, reason);
}

/**
 * Encodes a revocation answer's body.
 * @throws {TypeError} for a status other than `revoked` or `already_revoked`, or a malformed serial.
 * @example
 * encodeCsrApiRevokeAnswer({ status: 'revoked', serialHex: '0a1b' }); // { status: 'revoked', serial: '0a1b' }
 */
export function encodeCsrApiRevokeAnswer(answer: { readonly status: RevocationStatus; readonly serialHex: string }): CsrApiRevokeAnswer {
  if (answer?.status !== 'revoked' && answer?.status !== 'already_revoked') throw new TypeError('status must be revoked or already_revoked');
  if (!isAnsweredSerial(answer.serialHex)) throw new TypeError('serialHex must be lower-case hex, two digits per octet, at most 20 octets');
  return { status: answer.status, serial: answer.serialHex };
}

/**
 * Decodes an answer of the revocation endpoint.
 * @returns what the CA did, and the serial (lower case) it did it to.
 * @throws {CaRejectedError} `ERR_PROTOCOL_CA_REJECTED` with the CA's `caCode` for a documented error.
 * @throws {MalformedResponseError} `ERR_PROTOCOL_MALFORMED_RESPONSE` for anything else.
 * @example
 * decodeCsrApiRevokeAnswer(200, '{"status":"already_revoked","serial":"0a1b"}'); // { status: 'already_revoked', serialHex: '0a1b' }
 */
export function decodeCsrApiRevokeAnswer(status: number, body: string): { status: RevocationStatus; serialHex: string } {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (err) {
    throw new MalformedResponseError(`CSR API revoke answered ${status} with a body that is not JSON`, status, { cause: err });
  }
  if (status === 200) {
    const answer = (json ?? {}) as Partial<Record<string, unknown>>;
    const keys = Object.keys(answer).sort().join(',');
    if (keys !== 'serial,status' || (answer.status !== 'revoked' && answer.status !== 'already_revoked') || !isAnsweredSerial(answer.serial)) {
      throw new MalformedResponseError('CSR API revoke answered 200 without the documented status and serial', status);
    }
    return { status: answer.status, serialHex: answer.serial };
  }
  const error = (json as Partial<CsrApiErrorBody>)?.error;
  if (typeof error?.code !== 'string' || typeof error.message !== 'string' || !Object.hasOwn(CSR_API_ERRORS, error.code)) {
    throw new MalformedResponseError(`CSR API revoke answered ${status} without a documented error body`, status);
  }
  throw new CaRejectedError(`the CA refused to revoke: ${error.message} (${error.code})`, status, error.code);
}
