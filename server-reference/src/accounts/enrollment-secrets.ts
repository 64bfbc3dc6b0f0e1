/**
 * One-time enrollment secrets (migration 5, `enrollment_secrets`), after Dogtag's shared-token
 * enrollment: the owner makes one on the account page and hands it to one machine; a request
 * sent with it to `POST /api/enroll` is issued without further approval, once. 32 random bytes,
 * stored as SHA-256 only, shown once.
 */
import { randomBytes } from 'node:crypto';
import type { Db } from '../store/database.js';
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
 * Repository of enrollment secrets.
 * @example
 * const { secret } = secrets.create(account.id);
 * const { accountId } = secrets.peek(secret);   // checks, uses nothing
 * secrets.consume(secret);                      // exactly once
 */
export class EnrollmentSecretStore {
  readonly #now: () => number;
  readonly #lifetimeMs: number;
  readonly #insert;
  readonly #live;
  readonly #use;
  readonly #release;

  constructor(db: Db, options: EnrollmentSecretStoreOptions = {}) {
    this.#now = options.now ?? Date.now;
    this.#lifetimeMs = options.lifetimeMs ?? ENROLLMENT_SECRET_LIFETIME_MS_DEFAULT;
    this.#insert = db.prepare('INSERT INTO enrollment_secrets (secret_hash, account_id, created_at_ms, expires_at_ms) VALUES (?, ?, ?, ?)');
    this.#live = db.prepare('SELECT id, account_id FROM enrollment_secrets WHERE secret_hash = ? AND used_at_ms IS NULL AND expires_at_ms > ?');
    this.#use = db.prepare('UPDATE enrollment_secrets SET used_at_ms = ? WHERE id = ? AND used_at_ms IS NULL AND expires_at_ms > ?');
    this.#release = db.prepare('UPDATE enrollment_secrets SET used_at_ms = NULL WHERE id = ?');
  }

  /**
   * Makes a secret for the account.
   * @returns the secret (never readable again) and when it expires.
   */
  create(accountId: number): { secret: string; expiresAtMs: number } {
    const secret = randomBytes(32).toString('base64url');
    const now = this.#now();
    const expiresAtMs = now + this.#lifetimeMs;
    this.#insert.run(hashToken(secret), accountId, now, expiresAtMs);
    return { secret, expiresAtMs };
  }

  /**
   * Finds a live secret without using it.
   * @throws {EnrollmentSecretInvalidError} `ERR_ENROLLMENT_SECRET_INVALID` when unknown, used or expired.
   */
  peek(secret: string): { id: number; accountId: number } {
    const row =
      typeof secret === 'string' && SECRET_SHAPE.test(secret)
        ? (this.#live.get(hashToken(secret), this.#now()) as { id: number; account_id: number } | undefined)
        : undefined;
    if (!row) throw new EnrollmentSecretInvalidError('the enrollment secret is unknown, used or expired');
    return { id: row.id, accountId: row.account_id };
  }

  /**
   * Uses a secret found by {@link peek}; a single guarded update, so two concurrent requests
   * cannot both use it.
   * @throws {EnrollmentSecretInvalidError} `ERR_ENROLLMENT_SECRET_INVALID` when it was used or expired meanwhile.
   */
  consume(id: number): void {
    const now = this.#now();
    if (this.#use.run(now, id, now).changes !== 1) throw new EnrollmentSecretInvalidError('the enrollment secret is unknown, used or expired');
  }

  /** Makes a consumed secret usable again, when issuing failed on the CA's side. */
  release(id: number): void {
    this.#release.run(id);
  }
}
