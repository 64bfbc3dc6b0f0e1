/**
 * Typed errors of {@link install}. Codes are API: added, never renamed. Messages name paths and
 * versions but never key material nor the PKCS#12 passphrase.
 */
import type { SdkErrorCode } from '../error-codes.js';
import { RegistrationAbortedError, SdkError } from '../errors.js';
import type { InstallStep } from './install-step.js';

/**
 * Base class of every error {@link install} and {@link readInstalled} reject with (caller misuse
 * is a `TypeError`), except the abort: `ERR_SDK_ABORTED`, the SDK's one aborted error.
 */
export class InstallError extends SdkError {
  override readonly code: SdkErrorCode = 'ERR_SDK_INSTALL';
}

/** The certificate (or the chain) is not a parsable X.509 certificate; `cause` is the PKI error. */
export class InvalidCertificateError extends InstallError {
  override readonly code = 'ERR_SDK_INSTALL_CERTIFICATE';
}

/** The private key does not belong to the certificate. Nothing was written. */
export class InstallKeyMismatchError extends InstallError {
  override readonly code = 'ERR_SDK_INSTALL_KEY_MISMATCH';
}

/** The certificate has expired (at `now`). Nothing was written. */
export class CertificateExpiredError extends InstallError {
  override readonly code = 'ERR_SDK_INSTALL_EXPIRED';
  /** The certificate's notAfter. */
  readonly notAfter: Date;

  constructor(message: string, notAfter: Date) {
    super(message);
    this.notAfter = notAfter;
  }
}

/**
 * The chain does not lead from the certificate to one of the trust anchors (or a certificate on
 * the path is not valid now); `cause` is the PKI `ERR_PKI_CHAIN` error with the reason. Nothing
 * was written.
 */
export class InstallChainError extends InstallError {
  override readonly code = 'ERR_SDK_INSTALL_CHAIN';
}

/**
 * A symbolic link sits where install would create or write something under `baseDir` (or
 * `live/<name>` points somewhere install did not point it). Nothing was written: a link planted
 * there could redirect a private key to a place chosen by someone else.
 */
export class SymlinkRefusedError extends InstallError {
  override readonly code = 'ERR_SDK_INSTALL_SYMLINK';
  /** The offending path. */
  readonly path: string;

  constructor(message: string, path: string) {
    super(message);
    this.path = path;
  }
}

/**
 * Something other than a symbolic link is in the way: a file where a directory belongs, or a
 * real directory at `live/<name>` (e.g. a certbot tree). Nothing was written.
 */
export class UnexpectedFileError extends InstallError {
  override readonly code = 'ERR_SDK_INSTALL_LAYOUT';
  /** The offending path. */
  readonly path: string;

  constructor(message: string, path: string) {
    super(message);
    this.path = path;
  }
}

/**
 * A folder {@link install} writes into (`archive/`, `live/`, `archive/<name>/`) belongs to
 * another user, or group or others can still write it after install narrowed it: whoever can
 * write a folder can rename entries in it, i.e. swap `live/<name>` or the files it leads to.
 * Refused before anything of the new version is written; a folder of another user is left
 * exactly as it is. `baseDir` itself is only checked when it is the installer's (see `install()`).
 */
export class UnsafeFolderError extends InstallError {
  override readonly code = 'ERR_SDK_INSTALL_UNSAFE_FOLDER';
  /** The folder. */
  readonly path: string;
  /** Its owner's uid. */
  readonly ownerUid: number;
  /** Its permission bits, e.g. `0o755`. */
  readonly mode: number;
  /** `owner`: another user owns it; `writable`: it is the installer's, but stays group/other-writable after chmod. */
  readonly reason: 'owner' | 'writable';

  constructor(message: string, details: { path: string; ownerUid: number; mode: number; reason: 'owner' | 'writable' }) {
    super(message);
    this.path = details.path;
    this.ownerUid = details.ownerUid;
    this.mode = details.mode;
    this.reason = details.reason;
  }
}

/**
 * A file-system call failed. `step` names where; `liveVersion` says which version is live
 * afterwards (`undefined`: none, or not known yet when `step` is `inspect`). Before the `switch-live` step that is the previous version and
 * the files of this attempt were removed (best effort); from `switch-live` on it is the new one.
 */
export class InstallIoError extends InstallError {
  override readonly code = 'ERR_SDK_INSTALL_IO';
  /** The step that failed. */
  readonly step: InstallStep;
  /** The path the failed call was about. */
  readonly path: string;
  /** The version live after the failure, if any. */
  readonly liveVersion: number | undefined;

  constructor(message: string, step: InstallStep, path: string, liveVersion: number | undefined, options?: { cause?: unknown }) {
    super(message, options);
    this.step = step;
    this.path = path;
    this.liveVersion = liveVersion;
  }
}

/**
 * The post-install command failed: non-zero exit, killed by a signal, past its timeout, or it
 * could not start. When a previous version existed, `live/<name>` was switched back to it
 * (`rolledBack`), and the new version stays in `archive/` for inspection; the command is not run
 * again. `cause` is the rollback's failure when the rollback itself failed.
 */
export class PostInstallCommandError extends InstallError {
  override readonly code = 'ERR_SDK_INSTALL_POST_COMMAND';
  /** Exit status, when the command exited. */
  readonly exitCode: number | null;
  /** The signal that ended the command, when one did (e.g. `SIGTERM` after the timeout). */
  readonly signal: NodeJS.Signals | null;
  /** Whether the command ran past `timeoutMs`. */
  readonly timedOut: boolean;
  /** The last 4 KiB of the command's standard error, kept out of the message (it may hold anything). */
  readonly stderr: string;
  /** Whether `live/<name>` points at the previous version again. */
  readonly rolledBack: boolean;
  /** The version live after the failure. */
  readonly liveVersion: number | undefined;

  constructor(
    message: string,
    details: {
      exitCode: number | null;
      signal: NodeJS.Signals | null;
      timedOut: boolean;
      stderr: string;
      rolledBack: boolean;
      liveVersion: number | undefined;
    },
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.exitCode = details.exitCode;
    this.signal = details.signal;
    this.timedOut = details.timedOut;
    this.stderr = details.stderr;
    this.rolledBack = details.rolledBack;
    this.liveVersion = details.liveVersion;
  }
}

/**
 * `install()` was aborted (`ERR_SDK_ABORTED`) before the switch; nothing of this attempt stays.
 * Another name for {@link RegistrationAbortedError}, the SDK's one aborted error: kept so that
 * imports of this name and `instanceof InstallAbortedError` keep working (both names are the
 * same class; its `name` is `RegistrationAbortedError`, and it is not an {@link InstallError}).
 */
export const InstallAbortedError = RegistrationAbortedError;
/** See the value {@link InstallAbortedError}: the same class as {@link RegistrationAbortedError}. */
export type InstallAbortedError = RegistrationAbortedError;
