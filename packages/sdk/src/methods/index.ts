/**
 * The enrollment methods, one folder per protocol: `cacert/` (the CAcert-style API: registration,
 * email ping, ccsr, request status) `ssl-api/` (`PUT /api/csr/:client`) and `scep/` (RFC 8894). Each implements
 * `EnrollmentMethod`; `enroll()` takes any of them as its `method`.
 * @packageDocumentation
 */
export { cacertMethod, type CacertCredentials, type CacertMethodOptions } from './cacert/cacert-method.js';
export type { CacertRegistrationOptions, PingNonceSource } from './cacert/cacert-account.js';
export { CACERT_STATE_VERSION, type CacertState } from './cacert/cacert-state.js';
export { installationTokenKey, pendingRegistrationKey } from './cacert/credential-keys.js';
export {
  verifyAddress,
  DEFAULT_VERIFY_ADDRESS_MAX_POLL_INTERVAL_MS,
  DEFAULT_VERIFY_ADDRESS_POLL_INTERVAL_MS,
  DEFAULT_VERIFY_ADDRESS_TIMEOUT_MS,
  type VerifyAddressOptions,
} from './cacert/verify-address.js';
export {
  checkDomainVerification,
  DEFAULT_DOMAIN_VERIFICATION,
  type DnsChallengeRecord,
  type DomainVerification,
  type HttpChallengeFile,
} from './cacert/domain-verification.js';
export { sslApiMethod, type SslApiMethodOptions } from './ssl-api/ssl-api-method.js';
export { sslApiClientKey } from './ssl-api/credential-keys.js';
export { ScepCaUntrustedError, ScepKeyError } from './scep/errors.js';
export { scepMethod, type ScepCaFingerprints, type ScepEnrollmentMethod, type ScepMethodOptions } from './scep/scep-method.js';
export { parseScepState, SCEP_STATE_VERSION, type ScepState } from './scep/scep-state.js';
