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
