/**
 * The resumable enrollment flow: {@link enroll}, its state file and its errors.
 * @packageDocumentation
 */
export {
  enroll,
  installationTokenKey,
  pendingRegistrationKey,
  type EnrollFlowEvent,
  type EnrollOptions,
  type EnrollRegistrationOptions,
  type EnrollResult,
  type PingNonceSource,
} from './enroll.js';
export { listEnrollments, type EnrollmentSummary, type ListEnrollmentsOptions } from './list-enrollments.js';
export { ENROLL_STEPS, STATE_FILE_VERSION, type EnrollmentState, type EnrollStep } from './state-file.js';
export * from './errors.js';
