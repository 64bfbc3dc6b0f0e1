/**
 * What the domain routes and the account page's Domains section need, wired in main.ts.
 */
import type { DomainService } from '../../accounts/domain-service.js';
import type { InstallationTokenService } from '../../accounts/installation-token-service.js';
import type { PingNonceService } from '../../accounts/ping-nonce-service.js';
import type { RateLimiter } from '../../accounts/rate-limiter.js';
import type { Logger } from '../../log.js';
import type { Mailer } from '../../mail/mailer.js';

/** Dependencies of the domain routes (API and account page). */
export interface DomainContext {
  readonly domains: DomainService;
  readonly tokens: InstallationTokenService;
  /** Every nonce accepted so far: a nonce is used by one request only. */
  readonly pingNonces: PingNonceService;
  readonly mailer: Mailer;
  /** The CA's public base URL, without a trailing slash: the ping's link points there. */
  readonly publicUrl: string;
  /** `From:` and envelope sender of every ping. */
  readonly pingFrom: string;
  /** Lifetime of a domain ping's link, in ms (said in its mail). */
  readonly pingLifetimeMs: number;
  /** Per-account limit of the domain calls, shared by the API and the account page (key `account:<id>`). */
  readonly limiter: RateLimiter;
  readonly logger: Logger;
}
