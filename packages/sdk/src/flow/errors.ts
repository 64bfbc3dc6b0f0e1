/**
 * Typed errors of the resumable enrollment flow (`enroll()`). Codes are API: added, never
 * renamed. Messages name files and steps, never a secret.
 *
 * @packageDocumentation
 */
import { SdkError } from '../errors.js';

/**
 * The state file (or the folder it lives in) cannot be used: unreadable, not JSON, another
 * format version, a field that does not validate, or something else than a regular file in its
 * place. Nothing is overwritten: move the file away to start the enrollment over.
 */
export class StateFileError extends SdkError {
  override readonly code = 'ERR_SDK_STATE_FILE';
  /**
   * Set when the problem is a folder, not a state file: the folder that could not be created or
   * is not a folder (a permission, a read-only disk, a file in its place). Nothing of an
   * enrollment is at fault then, and moving a state file away would not help.
   */
  readonly folder: string | undefined;

  constructor(message: string, options?: ErrorOptions & { readonly folder?: string }) {
    super(message, options);
    this.folder = options?.folder;
  }
}

/**
 * The state file belongs to another enrollment than the options describe (another CA, other
 * names). Refused rather than mixed: pass another `name`, or remove the state to start over.
 */
export class StateMismatchError extends SdkError {
  override readonly code = 'ERR_SDK_STATE_MISMATCH';
}

/**
 * The private key the recorded request was made with is missing or does not match it. The
 * request cannot be completed without it; the enrollment must start over (`discard` it).
 */
export class EnrollmentKeyError extends SdkError {
  override readonly code = 'ERR_SDK_ENROLLMENT_KEY';
}

/**
 * No enrollment of that name is tracked: there is no state file `<stateDir>/<name>.json` (a
 * certificate installed without `enroll()`, or a misspelt name). Nothing was read or written.
 */
export class NotEnrolledError extends SdkError {
  override readonly code = 'ERR_SDK_NOT_ENROLLED';
  /** The name asked for. */
  readonly enrollment: string;

  constructor(message: string, enrollment: string) {
    super(message);
    this.enrollment = enrollment;
  }
}

/**
 * The enrollment has no live certificate to act on: it is not finished (`step` says where it
 * stands: finish it with `enroll()` first), or `live/<name>` is gone. Nothing was sent or written.
 */
export class NotInstalledError extends SdkError {
  override readonly code = 'ERR_SDK_NOT_INSTALLED';
  /** The name asked for. */
  readonly enrollment: string;
  /** The step its state records (`done` when it finished but `live/<name>` is missing). */
  readonly step: string;

  constructor(message: string, details: { enrollment: string; step: string }) {
    super(message);
    this.enrollment = details.enrollment;
    this.step = details.step;
  }
}

/**
 * Another run is working on the same enrollment (same state folder and name): its lock file
 * `<stateDir>/<name>.lock` names a process that is running, and it was still there after
 * `lockWaitMs`. Nothing was read or written. Run again once the other run finished, or remove
 * the lock file if no such process is working on it (its pid was reused by another program).
 */
export class EnrollmentLockedError extends SdkError {
  override readonly code = 'ERR_SDK_ENROLLMENT_LOCKED';
  /** The lock file. */
  readonly lockPath: string;
  /** The pid of the run holding it; `undefined` when the lock file cannot be read. */
  readonly holderPid: number | undefined;
  /** When that run took the lock, when known. */
  readonly since: Date | undefined;

  constructor(message: string, details: { lockPath: string; holderPid: number | undefined; since?: Date }) {
    super(message);
    this.lockPath = details.lockPath;
    this.holderPid = details.holderPid;
    this.since = details.since;
  }
}

/**
 * A renewal needs the account the certificate was enrolled with, and the method says it is gone
 * (CAcert: the installation token is no longer in the credential store). `renew()` does not
 * register again on its own (a timer has nobody at a browser): the live certificate stays, the
 * failure is recorded. Pass the credential store that holds the account, or run `enroll()` of
 * another name to register.
 */
export class RenewalAccountMissingError extends SdkError {
  override readonly code = 'ERR_SDK_RENEWAL_NO_ACCOUNT';
  /** The enrollment's name. */
  readonly enrollment: string;

  constructor(message: string, enrollment: string) {
    super(message);
    this.enrollment = enrollment;
  }
}
