/**
 * What the operator area needs, wired in main.ts.
 */
import type { ScepPinService } from '../../scep/scep-pin-service.js';
import type { AccountService } from '../../accounts/account-service.js';
import type { DomainService } from '../../accounts/domain-service.js';
import type { InstallationTokenService } from '../../accounts/installation-token-service.js';
import type { OperatorService } from '../../accounts/operator-service.js';
import type { RateLimiter } from '../../accounts/rate-limiter.js';
import type { SessionService } from '../../accounts/session-service.js';
import type { RequestService } from '../../ca/request-service.js';
import type { Logger } from '../../log.js';
import type { CertificateRequestStore } from '../../store/certificate-requests.js';

/** Dependencies of the operator area. */
export interface OperatorContext {
  readonly operators: OperatorService;
  /** Sessions over `operator_sessions` (a session's `accountId` is the operator's id). */
  readonly sessions: SessionService;
  /** The queue is read from here; every decision goes through {@link service}. */
  readonly requests: CertificateRequestStore;
  readonly service: RequestService;
  readonly accounts: AccountService;
  readonly tokens: InstallationTokenService;
  readonly logger: Logger;
  /** The CA's public base URL, without a trailing slash. */
  readonly publicUrl: string;
  /** Per-client limit of login attempts. */
  readonly loginLimiter: RateLimiter;
  /** Clock, in ms since the epoch. */
  readonly now: () => number;
  /** When present, the operator finds accounts (by address or domain) and removes their domains. */
  readonly domains?: DomainService;
  /** SCEP PINs (GET /operator/scep); absent: no SCEP section. */
  readonly scepPins?: ScepPinService;
}
