/**
 * What the email ping's routes need, wired in main.ts: `/ping/confirm` (the person),
 * `POST /api/ping/confirm` (the machine) and `POST /api/addresses` (asking for a ping).
 */
import type { AccountAddressStore } from '../../accounts/account-addresses.js';
import type { PingNonceService } from '../../accounts/ping-nonce-service.js';
import type { RateLimiter } from '../../accounts/rate-limiter.js';
import type { EmailPingDeps } from '../../ca/email-ping.js';
import type { Mailer } from '../../mail/mailer.js';

/** Dependencies of the ping routes. */
export interface PingContext extends EmailPingDeps {
  readonly addresses: AccountAddressStore;
  /** Every nonce accepted so far: a nonce is used by one request only. */
  readonly pingNonces: PingNonceService;
  readonly mailer: Mailer;
  /** The CA's public base URL, without a trailing slash: the ping's link points there. */
  readonly publicUrl: string;
  /** The CA's ping address: `From:` and envelope sender of every ping. */
  readonly pingFrom: string;
  /** Lifetime of an address ping's link, in ms (said in its mail). */
  readonly pingLifetimeMs: number;
  /** Per-client limits: machine confirmations, and the person's confirm form (shared with the other forms). */
  readonly limiters: { readonly confirmations: RateLimiter; readonly forms: RateLimiter };
}
