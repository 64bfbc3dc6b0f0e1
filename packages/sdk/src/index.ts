/**
 * The vendor-facing SDK of certwizard. For now: the registration hand-off with the CA
 * (`register()`), which opens the CA's registration page, learns the outcome from the loopback
 * agent's callback or a ticket, and redeems the PKCE-bound one-time code (RFC 7636) server-side.
 * @packageDocumentation
 */
export {
  register,
  DEFAULT_MAX_POLL_INTERVAL_MS,
  DEFAULT_POLL_INTERVAL_MS,
  DEFAULT_REGISTRATION_TIMEOUT_MS,
  DEFAULT_RETRIES,
  type PendingRegistration,
  type RegisterOptions,
  type RegistrationResult,
} from './registration/register.js';
export { buildRegistrationUrl, type BuildRegistrationUrlOptions, type RegistrationPrefill, type Sure } from './registration/registration-url.js';
export type { RegistrationEvent } from './registration/registration-event.js';
export { systemClock, type Clock } from './registration/clock.js';
export { type BrowserOpener, OPENER_GRACE_MS, OpenerFailedError, openWithSystemBrowser } from './transport/default-opener.js';
export { displayOnStderr, type DisplayInfo } from './transport/stderr-display.js';
/** Whether a string may be `register()`'s `installationLabel` (the protocol's rule, re-exported for front ends). */
export { isValidInstallationLabel } from '@certwizard/protocol';
export * from './errors.js';
export { SDK_ERROR_CODES, type SdkErrorCode } from './error-codes.js';
export { isSdkError, type AnySdkError } from './is-sdk-error.js';
export { openCredentialStore, type OpenCredentialStoreOptions } from './credentials/open-credential-store.js';
export { openKeychainStore, DEFAULT_KEYCHAIN_PROBE_TIMEOUT_MS, type KeychainStoreOptions } from './credentials/keychain-store.js';
export { openFileStore, CREDENTIALS_FILE_NAME, type FileStoreOptions } from './credentials/file-store.js';
export type { CredentialStore, CredentialStoreKind, CredentialOperationOptions } from './credentials/credential-store.js';
export * from './credentials/errors.js';
export * from './install/index.js';
export * from './enroll/index.js';
export * from './methods/index.js';
export * from './flow/index.js';
export * from './scep-proxy/index.js';
