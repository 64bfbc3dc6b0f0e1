/**
 * The wire codes of a request's own faults, which both wires of this CA spell the same
 * (`csr_*` in ssl_api's JSON and in the CAcert failure lines; only the status of `csr_too_large`
 * differs, and each wire's table in @certwizard/protocol gives it). Each protocol's writer
 * spreads this into its table of every refusal reason.
 */
import type { CacertApiErrorCode, CsrApiErrorCode } from '@certwizard/protocol';
import type { RefusalReason } from '../ca/refusal.js';

/** The `csr_*` code of each reason that is a fault of the request itself. */
export const REQUEST_FAULT_CODES = {
  request_too_large: 'csr_too_large',
  malformed_request: 'csr_malformed',
  bad_signature: 'csr_bad_signature',
  weak_key: 'csr_weak_key',
  weak_signature_algorithm: 'csr_weak_signature_algorithm',
  unsupported_algorithm: 'csr_unsupported_algorithm',
  too_many_names: 'csr_too_many_names',
  cn_too_long: 'csr_cn_too_long',
  invalid_name: 'csr_invalid_name',
  ca_requested: 'csr_ca_requested',
} as const satisfies Partial<Record<RefusalReason, CsrApiErrorCode & CacertApiErrorCode>>;
