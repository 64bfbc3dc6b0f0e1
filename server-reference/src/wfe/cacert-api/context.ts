/**
 * What the CAcert-style API (cemails, ccsr, request status) and the pending-request parts of the
 * account page need, wired in main.ts.
 */
import type { DomainService } from '../../accounts/domain-service.js';
import type { AccountAddressStore } from '../../accounts/account-addresses.js';
import type { AccountService } from '../../accounts/account-service.js';
import type { EnrollmentSecretService } from '../../accounts/enrollment-secret-service.js';
import type { InstallationTokenService } from '../../accounts/installation-token-service.js';
import type { RateLimiter } from '../../accounts/rate-limiter.js';
import type { RequestService } from '../../ca/request-service.js';
import type { Logger } from '../../log.js';
import type { CertificateRequestStore } from '../../store/certificate-requests.js';

/** Dependencies of the CAcert-style API. */
export interface CacertApiContext {
  /** Takes, answers and reports every request; the endpoints only decode and encode. */
  readonly service: RequestService;
  readonly accounts: AccountService;
  readonly addresses: AccountAddressStore;
  /** The account's domains: cdomains lists them, server requests are checked against them. */
  readonly domains: DomainService;
  /** What a server request naming names outside the account's verified domains gets: refused, or held for an operator. */
  readonly namesOutsideDomains: 'refuse' | 'operator';
  readonly tokens: InstallationTokenService;
  /** Read by the request list (`GET /api/requests`). */
  readonly requests: CertificateRequestStore;
  /** One-time enrollment secrets, used by `POST /api/enroll`. */
  readonly secrets: EnrollmentSecretService;
  readonly logger: Logger;
  /** Per-client limit of password attempts (each costs one scrypt run). */
  readonly passwordLimiter: RateLimiter;
  /** Seconds a poller of a pending request is asked to wait (`Retry-After`). */
  readonly retryAfterSeconds: number;
}
