/**
 * One-time enrollment secrets (migration 5, `enrollment_secrets`), after Dogtag's shared-token
 * enrollment: the owner makes one on the account page and hands it to one machine; a request
 * sent with it to `POST /api/enroll` is issued without further approval, once. 32 random bytes,
 * stored as SHA-256 only, shown once.
 */
import { randomBytes } from 'node:crypto';
import type { SqlDatabase } from '../store/sqlite-dialect.js';
import { EnrollmentSecretInvalidError } from './errors.js';
import { hashToken } from './password.js';

/** How long a secret stays usable by default, in ms (24 hours). */
export const ENROLLMENT_SECRET_LIFETIME_MS_DEFAULT = 24 * 60 * 60_000;

const SECRET_SHAPE = /^[A-Za-z0-9_-]{43}$/;

/** Options of {@link EnrollmentSecretStore}. */
export interface EnrollmentSecretStoreOptions {
  /** Clock, in ms since the epoch; `Date.now` by default. */
  readonly now?: () => number;
  /** Lifetime of new secrets, in ms; default {@link ENROLLMENT_SECRET_LIFETIME_MS_DEFAULT}. */
  readonly lifetimeMs?: number;
}

/**
 * Storage of enrollment secrets. Contract: {@link EnrollmentSecretRepository.consume} is one
 * guarded update (`WHERE used_at_ms IS NULL AND expires_at_ms > now`), so of two requests
 * spending one secret (any processes) exactly one wins.
 */
export interface EnrollmentSecretRepository {
  /** Makes a secret for the account; returns it (never readable again) and when it expires. */
  create(accountId: number): Promise<{ secret: string; expiresAtMs: number }>;
  /**
   * Finds a live secret without using it.
   * @throws {EnrollmentSecretInvalidError} `ERR_ENROLLMENT_SECRET_INVALID` when unknown, used or expired.
   */
  peek(secret: string): Promise<{ id: number; accountId: number }>;
  /**
   * Uses a secret found by {@link EnrollmentSecretRepository.peek}, once.
   * @throws {EnrollmentSecretInvalidError} `ERR_ENROLLMENT_SECRET_INVALID` when it was used or expired meanwhile.
   */
  consume(id: number): Promise<void>;
  /** Makes a consumed secret usable again, when issuing failed on the CA's side. */
  release(id: number): Promise<void>;
}

/**
 * The SQLite implementation of {@link EnrollmentSecretRepository}.
 * @example
 * const { secret } = await secrets.create(account.id);
 * const { id } = await secrets.peek(secret);   // checks, uses nothing
 * await secrets.consume(id);                   // exactly once
 */
export class EnrollmentSecretStore implements EnrollmentSecretRepository {
  readonly #db: SqlDatabase;
  readonly #now: () => number;
  readonly #lifetimeMs: number;

  constructor(db: SqlDatabase, options: EnrollmentSecretStoreOptions = {}) {
    this.#db = db;
    this.#now = options.now ?? Date.now;
    this.#lifetimeMs = options.lifetimeMs ?? ENROLLMENT_SECRET_LIFETIME_MS_DEFAULT;
  }

  /**
   * Makes a secret for the account.
   * @returns the secret (never readable again) and when it expires.
   */
  async create(accountId: number): Promise<{ secret: string; expiresAtMs: number }> {
    const secret = randomBytes(32).toString('base64url');
    const now = this.#now();
    const expiresAtMs = now + this.#lifetimeMs;
    await this.#db
      .insertInto('enrollment_secrets')
      .values({ secret_hash: hashToken(secret), account_id: accountId, created_at_ms: now, expires_at_ms: expiresAtMs })
      .execute();
    return { secret, expiresAtMs };
  }

  /**
   * Finds a live secret without using it.
   * @throws {EnrollmentSecretInvalidError} `ERR_ENROLLMENT_SECRET_INVALID` when unknown, used or expired.
   */
  async peek(secret: string): Promise<{ id: number; accountId: number }> {
    const row =
      typeof secret === 'string' && SECRET_SHAPE.test(secret)
        ? await this.#db
            .selectFrom('enrollment_secrets')
            .select(['id', 'account_id'])
            .where('secret_hash', '=', hashToken(secret))
            .where('used_at_ms', 'is', null)
            .where('expires_at_ms', '>', this.#now())
            .executeTakeFirst()
        : undefined;
    if (!row) throw new EnrollmentSecretInvalidError('the enrollment secret is unknown, used or expired');
    return { id: row.id, accountId: row.account_id };
  }

  /**
   * Uses a secret found by {@link peek}; a single guarded update, so two concurrent requests
   * cannot both use it.
   * @throws {EnrollmentSecretInvalidError} `ERR_ENROLLMENT_SECRET_INVALID` when it was used or expired meanwhile.
   */
  async consume(id: number): Promise<void> {
    const now = this.#now();
    const result = await this.#db
      .updateTable('enrollment_secrets')
      .set({ used_at_ms: now })
      .where('id', '=', id)
      .where('used_at_ms', 'is', null)
      .where('expires_at_ms', '>', now)
      .executeTakeFirst();
    if (result.numUpdatedRows !== 1n) throw new EnrollmentSecretInvalidError('the enrollment secret is unknown, used or expired');
  }

  /** Makes a consumed secret usable again, when issuing failed on the CA's side. */
  async release(id: number): Promise<void> {
    await this.#db.updateTable('enrollment_secrets').set({ used_at_ms: null }).where('id', '=', id).execute();
  }
}
