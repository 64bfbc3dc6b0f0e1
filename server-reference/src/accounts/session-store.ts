/**
 * Login sessions of the account area, over the `sessions` table. The session id (the cookie)
 * is a bearer secret: 32 random bytes, stored as SHA-256 only. Each session carries its own
 * CSRF token, put in a hidden field of every form and checked on every POST.
 */
import { randomBytes } from 'node:crypto';
import type { Db } from '../store/database.js';
import { hashToken } from './password.js';

/** How long a session lives by default, in ms (8 hours). */
export const SESSION_LIFETIME_MS_DEFAULT = 8 * 60 * 60_000;

/** A live session. */
export interface Session {
  readonly accountId: number;
  /** The per-session CSRF token (43 base64url characters). */
  readonly csrfToken: string;
  readonly expiresAtMs: number;
}

/** Options of {@link SessionStore}. */
export interface SessionStoreOptions {
  /** Clock, in ms since the epoch; `Date.now` by default. */
  readonly now?: () => number;
  /** Session lifetime, in ms; default {@link SESSION_LIFETIME_MS_DEFAULT}. */
  readonly lifetimeMs?: number;
  /**
   * The table: `sessions` (accounts, default) or `operator_sessions` (operators; there the
   * session's `accountId` is the operator's id). Same columns in both.
   */
  readonly table?: 'sessions' | 'operator_sessions';
}

const ID_SHAPE = /^[A-Za-z0-9_-]{43}$/;

/**
 * Repository of login sessions. A session has a fixed lifetime from login (no sliding renewal:
 * the account area is visited briefly, and a fixed end bounds a stolen cookie).
 * @example
 * const { sessionId, csrfToken } = sessions.create(account.id);
 * sessions.get(sessionId)?.accountId;
 */
export class SessionStore {
  readonly #now: () => number;
  readonly #lifetimeMs: number;
  readonly #insert;
  readonly #byHash;
  readonly #delete;
  readonly #purge;

  constructor(db: Db, options: SessionStoreOptions = {}) {
    this.#now = options.now ?? Date.now;
    this.#lifetimeMs = options.lifetimeMs ?? SESSION_LIFETIME_MS_DEFAULT;
    if (!Number.isSafeInteger(this.#lifetimeMs) || this.#lifetimeMs <= 0) throw new TypeError('lifetimeMs must be a positive integer');
    const table = options.table ?? 'sessions';
    if (table !== 'sessions' && table !== 'operator_sessions') throw new TypeError('table must be sessions or operator_sessions');
    this.#insert = db.prepare(`INSERT INTO ${table} (id_hash, account_id, csrf_token, created_at_ms, expires_at_ms) VALUES (?, ?, ?, ?, ?)`);
    this.#byHash = db.prepare(`SELECT account_id, csrf_token, expires_at_ms FROM ${table} WHERE id_hash = ? AND expires_at_ms > ?`);
    this.#delete = db.prepare(`DELETE FROM ${table} WHERE id_hash = ?`);
    this.#purge = db.prepare(`DELETE FROM ${table} WHERE expires_at_ms <= ?`);
  }

  /**
   * Opens a session for an account that has just logged in.
   * @returns the session id for the cookie (never readable again) and the CSRF token.
   */
  create(accountId: number): { sessionId: string; csrfToken: string; expiresAtMs: number } {
    const sessionId = randomBytes(32).toString('base64url');
    const csrfToken = randomBytes(32).toString('base64url');
    const now = this.#now();
    const expiresAtMs = now + this.#lifetimeMs;
    this.#insert.run(hashToken(sessionId), accountId, csrfToken, now, expiresAtMs);
    return { sessionId, csrfToken, expiresAtMs };
  }

  /** The live session with this id; `undefined` for an unknown, malformed or expired one. */
  get(sessionId: string | undefined): Session | undefined {
    if (typeof sessionId !== 'string' || !ID_SHAPE.test(sessionId)) return undefined;
    const row = this.#byHash.get(hashToken(sessionId), this.#now()) as { account_id: number; csrf_token: string; expires_at_ms: number } | undefined;
    return row ? { accountId: row.account_id, csrfToken: row.csrf_token, expiresAtMs: row.expires_at_ms } : undefined;
  }

  /** Ends a session (logout). Unknown ids are ignored. */
  delete(sessionId: string): void {
    if (typeof sessionId === 'string' && ID_SHAPE.test(sessionId)) this.#delete.run(hashToken(sessionId));
  }

  /**
   * Deletes expired sessions; run periodically.
   * @returns how many were deleted.
   */
  purgeExpired(): number {
    return this.#purge.run(this.#now()).changes;
  }
}
