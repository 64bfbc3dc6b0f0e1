/**
 * The resumable enrollment flow: {@link enroll}, its state file and its errors.
 * @packageDocumentation
 */
export { enroll, type EnrollOptions, type EnrollRegistrationOptions } from './default-method.js';
export type { EnrollFlowEvent, EnrollFlowOptions, EnrollResult } from './enroll.js';
export { revoke, type RevokeEvent, type RevokeOptions, type RevokeResult } from './revoke.js';
export { listEnrollments, type EnrollmentSummary, type ListEnrollmentsOptions, type RenewalSummary } from './list-enrollments.js';
export {
  renew,
  renewDue,
  type NamesDroppedAnswer,
  type NamesDroppedQuestion,
  type RenewDueOptions,
  type RenewEvent,
  type RenewOptions,
  type RenewOutcome,
} from './renew.js';
export type { DueSource, RenewalFailure, RenewalRecord, ReplacedCertificate } from './renewal-record.js';
export {
  ENROLL_STEPS,
  STATE_FILE_VERSION,
  type AwaitIssueState,
  type DoneState,
  type EnrollmentState,
  type EnrollStep,
  type InstallState,
  type IssuedCertificate,
  type MethodSlot,
  type RecordedRequest,
  type RegisterState,
  type RevokedRecord,
  type SubmitState,
  type VerifyState,
} from './state-file.js';
export * from './errors.js';
