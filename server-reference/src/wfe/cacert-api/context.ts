/**
 * What the CAcert-style API (cemails, ccsr, request status) and the pending-request parts of the
 * account page need, wired in main.ts.
 */
import type { AccountAddressStore } from '../../accounts/account-addresses.js';
import type { AccountStore } from '../../accounts/account-store.js';
import type { EnrollmentSecretStore } from '../../accounts/enrollment-secrets.js';
import type { InstallationTokenStore } from '../../accounts/installation-tokens.js';
import type { RateLimiter } from '../../accounts/rate-limiter.js';
import type { CertificateAuthority } from '../../ca/authority.js';
import type { Logger } from '../../log.js';
import type { Mailer } from '../../mail/mailer.js';
import type { CertificateRequestStore } from '../../store/certificate-requests.js';
import type { CertificateStore } from '../../store/certificate-store.js';

/** Dependencies of the CAcert-style API. */
export interface CacertApiContext {
  readonly ca: CertificateAuthority;
  readonly store: CertificateStore;
  readonly accounts: AccountStore;
  readonly addresses: AccountAddressStore;
  readonly tokens: InstallationTokenStore;
  readonly requests: CertificateRequestStore;
  /** One-time enrollment secrets, used by `POST /api/enroll`. */
  readonly secrets: EnrollmentSecretStore;
  readonly mailer: Mailer;
  readonly logger: Logger;
  /** Per-client limit of password attempts (each costs one scrypt run). */
  readonly passwordLimiter: RateLimiter;
  /** The CA's public base URL, without a trailing slash (links in mails point there). */
  readonly publicUrl: string;
  /** Seconds a poller of a pending request is asked to wait (`Retry-After`). */
  readonly retryAfterSeconds: number;
}
