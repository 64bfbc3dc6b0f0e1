/**
 * Typed errors of the credential stores. Codes are API: added, never renamed. No message, no
 * property and no `cause` ever carries a secret: the keychain's own errors are kept as `cause`
 * (they name the platform's failure, never the password), and a corrupt credentials file is
 * reported without its content.
 *
 * @packageDocumentation
 */
import { SdkError } from '../errors.js';

/**
 * No usable OS keychain: no Secret Service on the session bus (or no session bus at all), a
 * locked or refusing keychain, or a probe that did not finish in time. `cause` is the
 * platform's error, e.g. `Couldn't access platform storage`.
 */
export class KeychainUnavailableError extends SdkError {
  override readonly code = 'ERR_SDK_KEYCHAIN_UNAVAILABLE';
}

/** Why a file store refused its folder or file. */
export type UnsafeCredentialsReason = 'symlink' | 'permissions' | 'owner' | 'not-a-directory' | 'not-a-file';

/**
 * The file store refuses its folder or `credentials.json`: a symlink, group/other permission
 * bits, another owner, or the wrong kind of file. Nothing was read or written.
 */
export class CredentialsUnsafeError extends SdkError {
  override readonly code = 'ERR_SDK_CREDENTIALS_UNSAFE';
  /** The offending path (a path is not a secret). */
  readonly path: string;
  /** What is wrong with it. */
  readonly reason: UnsafeCredentialsReason;

  constructor(message: string, path: string, reason: UnsafeCredentialsReason) {
    super(message);
    this.path = path;
    this.reason = reason;
  }
}

/**
 * `credentials.json` is not a credentials file this SDK wrote (not JSON, or not the expected
 * shape). There is deliberately no `cause`: `JSON.parse` quotes the text it choked on, which
 * would put part of a secret into the error.
 */
export class CredentialsCorruptError extends SdkError {
  override readonly code = 'ERR_SDK_CREDENTIALS_CORRUPT';
  /** Path of the corrupt file. */
  readonly path: string;

  constructor(message: string, path: string) {
    super(message);
    this.path = path;
  }
}

/** The operation that failed on an opened store. */
export type CredentialOperation = 'get' | 'set' | 'delete';

/**
 * A store that opened fine failed one operation: the keychain refused (locked since, or an
 * ambiguous entry written by another program) or the file system failed. `cause` is the
 * platform's error.
 */
export class CredentialStoreError extends SdkError {
  override readonly code = 'ERR_SDK_CREDENTIAL_STORE_FAILED';
  /** Which operation failed. */
  readonly operation: CredentialOperation;

  constructor(message: string, operation: CredentialOperation, options?: { cause?: unknown }) {
    super(message, options);
    this.operation = operation;
  }
}
