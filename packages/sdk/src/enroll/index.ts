/**
 * Enrollment: a key and CSR made locally ({@link createKeyAndCsr}), the {@link EnrollmentMethod}
 * interface (one implementation per protocol, in `methods/`), and {@link submit}, which sends the
 * request and polls a pending one until it is issued or rejected.
 * @packageDocumentation
 */
export { createKeyAndCsr, type CreateKeyAndCsrOptions, type KeyAndCsr } from './key-and-csr.js';
export type {
  AccountContext,
  AccountOutcome,
  CertificateValidity,
  CsrAttributes,
  EnrollmentCallOptions,
  EnrollmentMethod,
  EnrollmentRequest,
  IssuedResult,
  MethodContext,
  PendingRequest,
  RejectedResult,
  RenewalWindow,
  RevocationRequest,
  RevocationResult,
  SubmitResult,
} from './enrollment-method.js';
/** The reasons a holder may give for a revocation (RFC 5280 §5.3.1), re-exported from the wire contract for callers of `revoke`. */
export { REVOCATION_REASONS, type RevocationReasonName } from '@certwizard/protocol';
export type { AddressVerificationEvent, DomainVerificationEvent, MethodEvent } from './method-event.js';
export type { MethodTransportOptions } from './method-context.js';
export {
  submit,
  DEFAULT_ENROLLMENT_MAX_POLL_INTERVAL_MS,
  DEFAULT_ENROLLMENT_POLL_INTERVAL_MS,
  DEFAULT_ENROLLMENT_TIMEOUT_MS,
  type EnrolledCertificate,
  type SubmitOptions,
} from './submit.js';
export type { EnrollmentEvent } from './enrollment-event.js';
export * from './errors.js';
export { revokeWithKey, type HolderRevocationResult, type RevokeWithKeyOptions } from './revoke-with-key.js';
export { revokeWithSecret, type RevokeWithSecretOptions } from './revoke-with-secret.js';
