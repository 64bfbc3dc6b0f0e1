/**
 * The closed set of codes the SDK's errors carry. Codes are API: added, never renamed or
 * removed. {@link SdkErrorCode} is derived from this list, so the list and the type cannot drift,
 * and {@link SdkError}'s `code` is typed with it, so a class with a code outside it does not
 * compile.
 *
 * @packageDocumentation
 */

/**
 * Every code an SDK error can carry, grouped by the part of the SDK that throws it.
 * @example
 * SDK_ERROR_CODES.includes('ERR_SDK_CA_UNREACHABLE'); // true
 */
export const SDK_ERROR_CODES = [
  // Bases: a bare SdkError / InstallError (the SDK itself always throws a subclass).
  'ERR_SDK',
  'ERR_SDK_INSTALL',
  // The caller's AbortSignal, in every operation.
  'ERR_SDK_ABORTED',
  // register(): the hand-off with the CA, and the CA requests of every step.
  'ERR_SDK_REGISTRATION_REFUSED',
  'ERR_SDK_REGISTRATION_TIMEOUT',
  'ERR_SDK_TICKET_EXPIRED',
  'ERR_SDK_REDEMPTION_REFUSED',
  'ERR_SDK_CA_UNREACHABLE',
  'ERR_SDK_CA_PROTOCOL',
  'ERR_SDK_OPENER_FAILED',
  // From @certwizard/agent, passed through by register() (a fixed agentPort that is taken).
  'ERR_AGENT_LISTEN',
  // Credential stores.
  'ERR_SDK_KEYCHAIN_UNAVAILABLE',
  'ERR_SDK_CREDENTIALS_UNSAFE',
  'ERR_SDK_CREDENTIALS_CORRUPT',
  'ERR_SDK_CREDENTIAL_STORE_FAILED',
  // submit() and verifyAddress().
  'ERR_SDK_ENROLL_REJECTED',
  'ERR_SDK_ENROLL_TIMEOUT',
  'ERR_SDK_ADDRESS_VERIFICATION',
  'ERR_SDK_ADDRESS_TIMEOUT',
  // Server certificates: DNS names and the verification of their domains.
  'ERR_SDK_NAME_NOT_ALLOWED',
  'ERR_SDK_DOMAIN_REFUSED',
  'ERR_SDK_DOMAIN_UNVERIFIED',
  // A method's revoke.
  'ERR_SDK_REVOKE_REFUSED',
  // The SCEP method: an untrusted CA, a key SCEP cannot use.
  'ERR_SDK_SCEP_CA_UNTRUSTED',
  'ERR_SDK_SCEP_KEY',
  // startScepProxy(): it cannot start as asked.
  'ERR_SDK_SCEP_PROXY',
  // enroll(): the state file and the lock.
  'ERR_SDK_STATE_FILE',
  'ERR_SDK_STATE_MISMATCH',
  'ERR_SDK_ENROLLMENT_KEY',
  'ERR_SDK_ENROLLMENT_LOCKED',
  // revoke(): the enrollment it is asked about.
  'ERR_SDK_NOT_ENROLLED',
  'ERR_SDK_NOT_INSTALLED',
  // renew(): the account the certificate was enrolled with is gone.
  'ERR_SDK_RENEWAL_NO_ACCOUNT',
  // install() and readInstalled().
  'ERR_SDK_INSTALL_CERTIFICATE',
  'ERR_SDK_INSTALL_KEY_MISMATCH',
  'ERR_SDK_INSTALL_EXPIRED',
  'ERR_SDK_INSTALL_CHAIN',
  'ERR_SDK_INSTALL_SYMLINK',
  'ERR_SDK_INSTALL_LAYOUT',
  'ERR_SDK_INSTALL_UNSAFE_FOLDER',
  'ERR_SDK_INSTALL_IO',
  'ERR_SDK_INSTALL_POST_COMMAND',
] as const;

/** A code an SDK error carries: one of {@link SDK_ERROR_CODES}. Switch over it exhaustively. */
export type SdkErrorCode = (typeof SDK_ERROR_CODES)[number];
