/**
 * The ssl_api-style CSR endpoint: `PUT /api/csr/:client` with a PEM request as the body.
 * Documented in docs/protocol.md; every name here is part of the wire contract.
 */
import { CaRejectedError, MalformedResponseError } from './errors.js';

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
