/**
 * Enrollment: a key and CSR made locally ({@link createKeyAndCsr}), one {@link EnrollmentMethod}
 * per way of reaching the CA ({@link sslApiMethod}, {@link cacertMethod}), and {@link submit},
 * which sends the request and polls a pending one until it is issued or rejected.
 * @packageDocumentation
 */
export { createKeyAndCsr, type CreateKeyAndCsrOptions, type KeyAndCsr } from './key-and-csr.js';
export type {
  EnrollmentCallOptions,
  EnrollmentMethod,
  EnrollmentRequest,
  IssuedResult,
  PendingRequest,
  RejectedResult,
  SubmitResult,
} from './enrollment-method.js';
export type { MethodTransportOptions } from './method-context.js';
export { sslApiMethod, type SslApiMethodOptions } from './ssl-api-method.js';
export { cacertMethod, type CacertCredentials, type CacertMethodOptions } from './cacert-method.js';
export {
  submit,
  DEFAULT_ENROLLMENT_MAX_POLL_INTERVAL_MS,
  DEFAULT_ENROLLMENT_POLL_INTERVAL_MS,
  DEFAULT_ENROLLMENT_TIMEOUT_MS,
  type EnrolledCertificate,
  type SubmitOptions,
} from './submit.js';
export type { EnrollmentEvent } from './enrollment-event.js';
export {
  verifyAddress,
  DEFAULT_VERIFY_ADDRESS_MAX_POLL_INTERVAL_MS,
  DEFAULT_VERIFY_ADDRESS_POLL_INTERVAL_MS,
  DEFAULT_VERIFY_ADDRESS_TIMEOUT_MS,
  type AddressVerificationEvent,
  type VerifyAddressOptions,
} from './verify-address.js';
export * from './errors.js';
