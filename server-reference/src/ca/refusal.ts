/**
 * Why the CA says no, in words of its own rather than of any protocol. The request service, the
 * policies and the authentication steps return a {@link RequestRefusal}; each protocol's writer
 * at the edge turns its reason into that protocol's wire form once (ssl_api JSON codes in
 * `wfe/csr-api/`, the CAcert failure lines in `wfe/cacert-api/`; later ACME problem documents and
 * SCEP failInfo), as pebble's `acme/problems.go` keeps one table per wire.
 *
 * Contract: refusals are results, not exceptions. A refusal is a decision of the CA about this
 * request (or this caller) and changes nothing stored; an exception is a failure of the CA
 * itself (its store, a hook that threw, a serial number already taken) and becomes the
 * protocol's internal error.
 */
import { PkiError } from '@certwizard/pki';

/**
 * Every reason the CA gives. Reasons are API between the CA and its writers: added, never
 * renamed; a new reason needs a line in every writer's table (the compiler checks it).
 */
export const REFUSAL_REASONS = [
  // The request itself (parsed and verified by @certwizard/pki).
  /** Over 64 KiB. */
  'request_too_large',
  /** Not PEM of a `CERTIFICATE REQUEST`, or not strict DER underneath. */
  'malformed_request',
  /** Its self-signature does not verify (RFC 2986 proof of possession). */
  'bad_signature',
  /** RSA below 2048 bits, an exponent other than 65537, or a curve other than P-256/P-384. */
  'weak_key',
  /** Signed with MD5 or SHA-1. */
  'weak_signature_algorithm',
  /** An algorithm that is not supported. */
  'unsupported_algorithm',
  /** More than 100 subject alternative names. */
  'too_many_names',
  /** A common name longer than 64 characters. */
  'cn_too_long',
  /** A malformed name, or none at all. */
  'invalid_name',
  /** It asks for a CA certificate. */
  'ca_requested',
  // What the caller may have.
  /** The names are of a kind this certificate cannot carry (a server request with addresses...). */
  'names_unsuitable',
  /** The address is not a confirmed address of the account. */
  'address_not_confirmed',
  /** The name is not one of the account's name forms. */
  'name_not_allowed',
  /** Code signing for an account that may not have it. */
  'codesign_not_allowed',
  /** The CA's policy said no (the authorize hook). */
  'policy_refused',
  // Who is asking.
  /** Unknown user, wrong password, or an unknown, revoked, used or expired token or secret. */
  'unauthenticated',
  /** The credentials are right but the account's address has not been confirmed yet. */
  'account_inactive',
  /** Too many attempts from this client; `retryAfterSeconds` says when to try again. */
  'rate_limited',
] as const;

/** One of {@link REFUSAL_REASONS}. */
export type RefusalReason = (typeof REFUSAL_REASONS)[number];

/**
 * The CA's no, as a value. `ok: false` lets it stand in the `{ ok }` results of the decoders and
 * policies; `status: 'refused'` in the service's outcomes (`issued`, `pending`).
 */
export interface RequestRefusal {
  readonly ok: false;
  readonly status: 'refused';
  readonly reason: RefusalReason;
  /** For people, one line; safe to return (never holds a secret). May change; `reason` does not. */
  readonly message: string;
  /** Seconds to wait before trying again, with `rate_limited`. */
  readonly retryAfterSeconds?: number;
}

/**
 * Makes a refusal.
 * @example
 * return refuse('name_not_allowed', 'the name is not one of the NAME values of cemails');
 */
export function refuse(reason: RefusalReason, message: string, options: { retryAfterSeconds?: number } = {}): RequestRefusal {
  return {
    ok: false,
    status: 'refused',
    reason,
    message,
    ...(options.retryAfterSeconds !== undefined ? { retryAfterSeconds: options.retryAfterSeconds } : {}),
  };
}

/**
 * Whether a result is a refusal.
 * @example
 * const outcome = await service.submit(pem, requester, policy);
 * if (isRefusal(outcome)) return writeRefusal(res, outcome);
 */
export function isRefusal(value: unknown): value is RequestRefusal {
  return typeof value === 'object' && value !== null && (value as { status?: unknown }).status === 'refused';
}

const PKI_REASONS: Readonly<Record<string, RefusalReason>> = {
  ERR_PKI_INPUT_TOO_LARGE: 'request_too_large',
  ERR_PKI_PEM: 'malformed_request',
  ERR_PKI_DER: 'malformed_request',
  ERR_PKI_BAD_SIGNATURE: 'bad_signature',
  ERR_PKI_WEAK_KEY: 'weak_key',
  ERR_PKI_WEAK_SIGNATURE_ALGORITHM: 'weak_signature_algorithm',
  ERR_PKI_UNSUPPORTED_ALGORITHM: 'unsupported_algorithm',
  ERR_PKI_TOO_MANY_SANS: 'too_many_names',
  ERR_PKI_CN_TOO_LONG: 'cn_too_long',
  ERR_PKI_INVALID_NAME: 'invalid_name',
  ERR_PKI_CA_REQUESTED: 'ca_requested',
};

/**
 * The refusal a `@certwizard/pki` error stands for, or `undefined` for an error that is not a
 * verdict on the request (then it is the CA's own failure, to be thrown on).
 * @example
 * const refusal = refusalOfPkiError(err); if (refusal === undefined) throw err;
 */
export function refusalOfPkiError(err: unknown): RequestRefusal | undefined {
  if (!(err instanceof PkiError)) return undefined;
  const reason = PKI_REASONS[err.code];
  return reason === undefined ? undefined : refuse(reason, err.message);
}
