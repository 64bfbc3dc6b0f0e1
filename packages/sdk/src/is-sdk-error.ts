/**
 * {@link AnySdkError}, the closed union of the SDK's error classes, and {@link isSdkError}, the
 * guard that narrows an unknown rejection to it (the shape of jose's `AnyJOSEError`).
 *
 * @packageDocumentation
 */
import { AgentError, type AgentListenError } from '@certwizard/agent';
import type { CredentialStoreError, CredentialsCorruptError, CredentialsUnsafeError, KeychainUnavailableError } from './credentials/errors.js';
import type {
  AddressVerificationError,
  AddressVerificationTimeoutError,
  DomainRefusedError,
  DomainUnverifiedError,
  EnrollmentRejectedError,
  NameNotAllowedError,
  EnrollmentTimeoutError,
  RevocationRefusedError,
} from './enroll/errors.js';
import { SDK_ERROR_CODES, type SdkErrorCode } from './error-codes.js';
import {
  SdkError,
  type CaProtocolError,
  type CaUnreachableError,
  type RedemptionRefusedError,
  type RegistrationAbortedError,
  type RegistrationRefusedError,
  type RegistrationTimeoutError,
  type TicketExpiredError,
} from './errors.js';
import type {
  EnrollmentKeyError,
  EnrollmentLockedError,
  NotEnrolledError,
  NotInstalledError,
  RenewalAccountMissingError,
  StateFileError,
  StateMismatchError,
} from './flow/errors.js';
import type {
  CertificateExpiredError,
  InstallChainError,
  InstallError,
  InstallIoError,
  InstallKeyMismatchError,
  InvalidCertificateError,
  PostInstallCommandError,
  SymlinkRefusedError,
  UnexpectedFileError,
  UnsafeFolderError,
} from './install/errors.js';
import type { OpenerFailedError } from './transport/default-opener.js';
import type { ScepCaUntrustedError, ScepKeyError } from './methods/scep/errors.js';
import type { ScepProxyError } from './scep-proxy/errors.js';

/**
 * Every error the SDK rejects with, as a union discriminated by `code`: `switch (e.code)` narrows
 * `e` to the class, and a `default` that assigns `e` to `never` makes the switch fail to compile
 * when a code is added. The bases appear with their own code only (a bare `SdkError` is
 * `ERR_SDK`, a bare `InstallError` `ERR_SDK_INSTALL`); the SDK itself always throws a subclass.
 * `ERR_AGENT_LISTEN` is `@certwizard/agent`'s {@link AgentListenError}, which `register()` passes
 * through.
 */
export type AnySdkError =
  | (SdkError & { readonly code: 'ERR_SDK' })
  | (InstallError & { readonly code: 'ERR_SDK_INSTALL' })
  | RegistrationAbortedError
  | RegistrationRefusedError
  | RegistrationTimeoutError
  | TicketExpiredError
  | RedemptionRefusedError
  | CaUnreachableError
  | CaProtocolError
  | OpenerFailedError
  | AgentListenError
  | KeychainUnavailableError
  | CredentialsUnsafeError
  | CredentialsCorruptError
  | CredentialStoreError
  | EnrollmentRejectedError
  | EnrollmentTimeoutError
  | AddressVerificationError
  | AddressVerificationTimeoutError
  | NameNotAllowedError
  | DomainRefusedError
  | DomainUnverifiedError
  | RevocationRefusedError
  | ScepCaUntrustedError
  | ScepKeyError
  | ScepProxyError
  | StateFileError
  | StateMismatchError
  | EnrollmentKeyError
  | EnrollmentLockedError
  | NotEnrolledError
  | NotInstalledError
  | RenewalAccountMissingError
  | InvalidCertificateError
  | InstallKeyMismatchError
  | CertificateExpiredError
  | InstallChainError
  | SymlinkRefusedError
  | UnexpectedFileError
  | UnsafeFolderError
  | InstallIoError
  | PostInstallCommandError;

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Holds<T extends true> = T;
// Checked by `tsc -b`: a code in SDK_ERROR_CODES without a class in AnySdkError (or a class
// whose code is missing from the list) does not compile.
type _EveryCodeHasAClass = Holds<Same<AnySdkError['code'], SdkErrorCode>>;

const KNOWN_CODES: ReadonlySet<string> = new Set(SDK_ERROR_CODES);

/**
 * Whether `error` is one of the SDK's errors (an {@link SdkError}, or the agent's
 * `ERR_AGENT_LISTEN` that `register()` passes through), and, when `code` is given, whether it
 * carries that code. Narrows to the class. A plain object with an SDK code, another package's
 * error (a `PkiError`, another agent error) and a `TypeError` are not SDK errors.
 * @param error - Whatever a promise rejected with.
 * @param code - The one code to accept; any of {@link SDK_ERROR_CODES} when left out.
 * @example
 * try {
 *   await enroll(options);
 * } catch (e) {
 *   if (isSdkError(e, 'ERR_SDK_ENROLLMENT_LOCKED')) console.error(`another run: ${e.lockPath}`);
 *   else if (isSdkError(e)) console.error(e.code, e.message);
 *   else throw e;
 * }
 */
export function isSdkError<C extends SdkErrorCode = SdkErrorCode>(error: unknown, code?: C): error is Extract<AnySdkError, { readonly code: C }> {
  if (!(error instanceof SdkError || error instanceof AgentError)) return false;
  // The set also keeps out the agent's other codes, and a code a JavaScript caller made up.
  return KNOWN_CODES.has(error.code) && (code === undefined || error.code === code);
}
