/**
 * What the registration hand-off and account pages need, wired in main.ts.
 */
import type { ScepHandleService } from '../../scep/scep-handle-service.js';
import type { ScepPinService } from '../../scep/scep-pin-service.js';
import type { AccountService } from '../../accounts/account-service.js';
import type { EnrollmentSecretService } from '../../accounts/enrollment-secret-service.js';
import type { HandoffService } from '../../accounts/handoff-service.js';
import type { InstallationTokenService } from '../../accounts/installation-token-service.js';
import type { PingNonceService } from '../../accounts/ping-nonce-service.js';
import type { RateLimiter } from '../../accounts/rate-limiter.js';
import type { SessionService } from '../../accounts/session-service.js';
import type { TicketService } from '../../accounts/ticket-service.js';
import type { Logger } from '../../log.js';
import type { DevMailbox } from '../../mail/dev-mailbox.js';
import type { Mailer } from '../../mail/mailer.js';
import type { RequestService } from '../../ca/request-service.js';
import type { CertificateRequestStore } from '../../store/certificate-requests.js';
import type { DomainContext } from '../domains/context.js';

/** Dependencies of the registration routes. */
export interface RegistrationContext {
  readonly accounts: AccountService;
  readonly tickets: TicketService;
  /** Every ping nonce accepted so far (with a ticket, or in the registration's URL): used once. */
  readonly pingNonces: PingNonceService;
  readonly tokens: InstallationTokenService;
  readonly sessions: SessionService;
  readonly handoffs: HandoffService;
  readonly mailer: Mailer;
  /** Present only when mail goes to the dev mailbox; then `/dev/mailbox` is served. */
  readonly devMailbox?: DevMailbox;
  readonly logger: Logger;
  /** The CA's public base URL, without a trailing slash (links in mails point there). */
  readonly publicUrl: string;
  /**
   * The CA's ping address: `From:` and envelope sender of the confirmation mail of a registration
   * that carried `PingNonce` (that mail is an email ping).
   */
  readonly pingFrom: string;
  /** https origins that `continue` and `error` URLs may point at. */
  readonly allowedHttpsOrigins: readonly string[];
  /** Lifetime of new tickets, in ms. */
  readonly ticketLifetimeMs: number;
  /** Per-client limits: ticket creation, token endpoint, login and registration posts. */
  readonly limiters: { readonly tickets: RateLimiter; readonly polls: RateLimiter; readonly tokens: RateLimiter; readonly forms: RateLimiter };
  /** Clock, in ms since the epoch. */
  readonly now: () => number;
  /** The pending queue: when present, the account page lists pending requests to approve or discard. */
  readonly pendingRequests?: { readonly requests: CertificateRequestStore; readonly service: RequestService };
  /** When present, the account page can make one-time enrollment secrets (`POST /api/enroll`). */
  readonly enrollmentSecrets?: EnrollmentSecretService;
  /** When present, the account page has a Domains section (the same context as `/api/domains`). */
  readonly domains?: DomainContext;
  /** SCEP PINs and personal URLs for the account page; the section is absent without. */
  readonly scep?: { readonly pins: ScepPinService; readonly handles: ScepHandleService };
}
