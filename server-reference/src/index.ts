/**
 * The certwizard reference CA, as a library: start it in-process (tests, e2e, benchmarks) or
 * run it with the `certwizard-ca` command.
 * @packageDocumentation
 */
export { CertificateAuthority, type CaIdentity, type IssuedCertificate, type RaIdentity } from './ca/authority.js';
export type { OcspAnswer } from './ca/ocsp-responder.js';
export type { CaHooks, CertificateDraft, HookBootInfo, HookContext, SignedCertificate } from './ca/hooks.js';
export { loadHooks } from './ca/hooks.js';
export { buildServeConfig, SERVE_DEFAULTS, type ServeConfig } from './config.js';
export * from './errors.js';
export { createIdentity, IDENTITY_FILES, identityNeedsPassphrase, loadIdentity, RA_FILES } from './identity.js';
export { createLogger, type Logger, silentLogger } from './log.js';
export { type RunningCa, startCa, type StartCaDependencies } from './main.js';
export { type CertificateRepository, CertificateStore, type StoredCertificate } from './store/certificate-store.js';
export { DATABASE_FILE, openDatabase } from './store/database.js';
export { createSqlDatabase, type SqlDatabase } from './store/sqlite-dialect.js';
export type { CaSchema } from './store/schema.js';
export { type RateLimitRepository, RateLimitStore, type TokenBucket } from './store/rate-limit-store.js';
export * from './accounts/errors.js';
export { type Account, type AccountRepository, AccountStore, type PendingAccountRecord, type RegistrationInput } from './accounts/account-store.js';
export { AccountService, type AccountServiceOptions } from './accounts/account-service.js';
export { type InstallationTokenInfo, type InstallationTokenRepository, InstallationTokenStore } from './accounts/installation-tokens.js';
export { InstallationTokenService, type InstallationTokenServiceOptions } from './accounts/installation-token-service.js';
export { hashSecret, verifySecret } from './accounts/password.js';
export { RateLimiter, type RateLimitDecision, type RateLimiterOptions } from './accounts/rate-limiter.js';
export { type TicketRepository, TicketStore, type StoredTicket, type TicketAttachment } from './accounts/ticket-store.js';
export { TicketService, type TicketServiceOptions } from './accounts/ticket-service.js';
export { type Handoff, type HandoffRepository, HandoffStore } from './accounts/handoff-store.js';
export { HandoffService } from './accounts/handoff-service.js';
export { type Session, type SessionRepository, SessionStore, type SessionStoreOptions } from './accounts/session-store.js';
export { SessionService, type SessionServiceOptions } from './accounts/session-service.js';
export { DevMailbox, type DevMailboxOptions, type StoredMail } from './mail/dev-mailbox.js';
export { MAIL_FROM_DEFAULT, type Mailer, type MailMessage } from './mail/mailer.js';
export { createSmtpMailer, type SmtpMailerOptions } from './mail/smtp-mailer.js';
export { AccountAddressStore } from './accounts/account-addresses.js';
export {
  type CertificateRequestRepository,
  CertificateRequestStore,
  type CertificateRequestRecord,
  newRequestId,
  type DecidedProfile,
  type RequestApprover,
  type RequestSource,
  type RequestStatus,
} from './store/certificate-requests.js';
export { decideEmailCertificate, emailCertificatePolicy, nameForms, needsApproval } from './ca/email-certificate-policy.js';
export { type Operator, type OperatorRepository, OperatorStore, type OperatorStoreOptions } from './accounts/operator-store.js';
export { OperatorService, type OperatorServiceOptions } from './accounts/operator-service.js';
export { type EnrollmentSecretRepository, EnrollmentSecretStore } from './accounts/enrollment-secrets.js';
export { ENROLLMENT_SECRET_LIFETIME_MS_DEFAULT, EnrollmentSecretService, type EnrollmentSecretServiceOptions } from './accounts/enrollment-secret-service.js';
export { decideServerCertificate, namesOutsideDomains, SERVER_CERTIFICATE_POLICY, serverCertificatePolicy } from './ca/server-certificate-policy.js';
export {
  accountRequester,
  type ApproveOutcome,
  type CertificateHolder,
  type Decider,
  type DiscardOutcome,
  type IssuedOutcome,
  type NotPending,
  type PendingOutcome,
  REJECT_REASON_MAX,
  type RejectOutcome,
  type Requester,
  RequestService,
  type RequestServiceOptions,
  type RequestView,
  type RevokeOutcome,
  type SubmitOptions,
  type SubmitOutcome,
} from './ca/request-service.js';
export { isRefusal, REFUSAL_REASONS, refuse, type RefusalReason, type RequestRefusal } from './ca/refusal.js';
export type { Decision, OneTimeCredential, SubmissionPolicy } from './ca/submission-policy.js';
export { mailedRequestNotices, type RequestDecision, type RequestNotices } from './ca/request-notices.js';
export { SSL_API_POLICY } from './ca/ssl-api-policy.js';
export { enrollmentSecretPolicy } from './ca/enrollment-secret-policy.js';
export { registrationPolicy } from './ca/registration-request.js';
