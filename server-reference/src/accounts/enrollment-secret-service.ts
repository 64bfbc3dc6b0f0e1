/**
 * The rules of one-time enrollment secrets, above the repository: the owner makes one on the
 * account page and hands it to one machine; a request sent with it to `POST /api/enroll` is
 * issued without further approval, once. A secret is 32 random bytes, stored as SHA-256 only,
 * shown once, and lives {@link ENROLLMENT_SECRET_LIFETIME_MS_DEFAULT} by default.
 */
import { isBearerSecret, newBearerSecret } from './bearer-secret.js';
import type { EnrollmentSecretRepository } from './enrollment-secrets.js';
import { EnrollmentSecretInvalidError } from './errors.js';
import { hashToken } from './password.js';
import { positiveInteger } from './positive-integer.js';

/** How long a secret stays usable by default, in ms (24 hours). */
export const ENROLLMENT_SECRET_LIFETIME_MS_DEFAULT = 24 * 60 * 60_000;

/** Options of {@link EnrollmentSecretService}. */
export interface EnrollmentSecretServiceOptions {
  /** Clock, in ms since the epoch; `Date.now` by default. */
  readonly now?: () => number;
  /** Lifetime of new secrets, in ms; default {@link ENROLLMENT_SECRET_LIFETIME_MS_DEFAULT}. */
  readonly lifetimeMs?: number;
}

const INVALID = 'the enrollment secret is unknown, used or expired';

/**
 * Enrollment secrets over an {@link EnrollmentSecretRepository}.
 * @example
 * const secrets = new EnrollmentSecretService(new EnrollmentSecretStore(sql));
 * const { secret } = await secrets.create(account.id);
 * const { id } = await secrets.peek(secret);   // checks, uses nothing
 * await secrets.consume(id);                   // exactly once
 */
export class EnrollmentSecretService {
  readonly #repository: EnrollmentSecretRepository;
  readonly #now: () => number;
  readonly #lifetimeMs: number;

  /** @throws {TypeError} for a lifetime that is not a positive integer. */
  constructor(repository: EnrollmentSecretRepository, options: EnrollmentSecretServiceOptions = {}) {
    this.#repository = repository;
    this.#now = options.now ?? Date.now;
    this.#lifetimeMs = positiveInteger(options.lifetimeMs ?? ENROLLMENT_SECRET_LIFETIME_MS_DEFAULT, 'lifetimeMs');
  }

  /**
   * Makes a secret for the account.
   * @returns the secret (never readable again: only its SHA-256 is stored) and when it expires.
   * @example
   * const { secret, expiresAtMs } = await secrets.create(account.id);
   */
  async create(accountId: number): Promise<{ secret: string; expiresAtMs: number }> {
    const { secret, digest } = newBearerSecret();
    const now = this.#now();
    const expiresAtMs = now + this.#lifetimeMs;
    await this.#repository.insert({ secretHash: digest, accountId, createdAtMs: now, expiresAtMs });
    return { secret, expiresAtMs };
  }

  /**
   * Finds a live secret without using it.
   * @throws {EnrollmentSecretInvalidError} `ERR_ENROLLMENT_SECRET_INVALID` when unknown, malformed, used or expired.
   * @example
   * const { id, accountId } = await secrets.peek(secret);
   */
  async peek(secret: string): Promise<{ id: number; accountId: number }> {
    const found = isBearerSecret(secret) ? await this.#repository.findLive(hashToken(secret), this.#now()) : undefined;
    if (found === undefined) throw new EnrollmentSecretInvalidError(INVALID);
    return found;
  }

  /**
   * Uses a secret found by {@link EnrollmentSecretService.peek}, once (the repository's guarded update).
   * @throws {EnrollmentSecretInvalidError} `ERR_ENROLLMENT_SECRET_INVALID` when it was used or expired meanwhile.
   * @example
   * await secrets.consume(id);
   */
  async consume(id: number): Promise<void> {
    if (!(await this.#repository.consume(id, this.#now()))) throw new EnrollmentSecretInvalidError(INVALID);
  }

  /**
   * Makes a consumed secret usable again, when issuing failed on the CA's side.
   * @example
   * await secrets.release(id);
   */
  release(id: number): Promise<void> {
    return this.#repository.release(id);
  }
}
