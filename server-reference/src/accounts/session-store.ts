/**
 * Login sessions of the account area, over the `sessions` table. The session id (the cookie)
 * is a bearer secret: 32 random bytes, stored as SHA-256 only. Each session carries its own
 * CSRF token, put in a hidden field of every form and checked on every POST.
 */
import { randomBytes } from 'node:crypto';
import type { SqlDatabase } from '../store/sqlite-dialect.js';
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

/** Storage of login sessions (accounts' or operators'); every method is one statement. */
export interface SessionRepository {
  /** Opens a session; returns the id for the cookie (never readable again) and the CSRF token. */
  create(accountId: number): Promise<{ sessionId: string; csrfToken: string; expiresAtMs: number }>;
  /** The live session with this id; `undefined` for an unknown, malformed or expired one. */
  get(sessionId: string | undefined): Promise<Session | undefined>;
  /** Ends a session (logout). Unknown ids are ignored. */
  delete(sessionId: string): Promise<void>;
  /** Deletes expired sessions; returns how many. */
  purgeExpired(): Promise<number>;
}

/**
 * The SQLite implementation of {@link SessionRepository}. A session has a fixed lifetime from
 * login (no sliding renewal: the account area is visited briefly, and a fixed end bounds a
 * stolen cookie).
 * @example
 * const { sessionId, csrfToken } = await sessions.create(account.id);
 * (await sessions.get(sessionId))?.accountId;
 */
export class SessionStore implements SessionRepository {
  readonly #db: SqlDatabase;
  readonly #table: 'sessions' | 'operator_sessions';
  readonly #now: () => number;
  readonly #lifetimeMs: number;

  constructor(db: SqlDatabase, options: SessionStoreOptions = {}) {
    this.#db = db;
    this.#now = options.now ?? Date.now;
    this.#lifetimeMs = options.lifetimeMs ?? SESSION_LIFETIME_MS_DEFAULT;
    if (!Number.isSafeInteger(this.#lifetimeMs) || this.#lifetimeMs <= 0) throw new TypeError('lifetimeMs must be a positive integer');
    const table = options.table ?? 'sessions';
    if (table !== 'sessions' && table !== 'operator_sessions') throw new TypeError('table must be sessions or operator_sessions');
    this.#table = table;
  }

  /**
   * Opens a session for an account that has just logged in.
   * @returns the session id for the cookie (never readable again) and the CSRF token.
   */
  async create(accountId: number): Promise<{ sessionId: string; csrfToken: string; expiresAtMs: number }> {
    const sessionId = randomBytes(32).toString('base64url');
    const csrfToken = randomBytes(32).toString('base64url');
    const now = this.#now();
    const expiresAtMs = now + this.#lifetimeMs;
    await this.#db
      .insertInto(this.#table)
      .values({ id_hash: hashToken(sessionId), account_id: accountId, csrf_token: csrfToken, created_at_ms: now, expires_at_ms: expiresAtMs })
      .execute();
    return { sessionId, csrfToken, expiresAtMs };
  }

  /** The live session with this id; `undefined` for an unknown, malformed or expired one. */
  async get(sessionId: string | undefined): Promise<Session | undefined> {
    if (typeof sessionId !== 'string' || !ID_SHAPE.test(sessionId)) return undefined;
    const row = await this.#db
      .selectFrom(this.#table)
      .select(['account_id', 'csrf_token', 'expires_at_ms'])
      .where('id_hash', '=', hashToken(sessionId))
      .where('expires_at_ms', '>', this.#now())
      .executeTakeFirst();
    return row ? { accountId: row.account_id, csrfToken: row.csrf_token, expiresAtMs: row.expires_at_ms } : undefined;
  }

  /** Ends a session (logout). Unknown ids are ignored. */
  async delete(sessionId: string): Promise<void> {
    if (typeof sessionId === 'string' && ID_SHAPE.test(sessionId)) await this.#db.deleteFrom(this.#table).where('id_hash', '=', hashToken(sessionId)).execute();
  }

  /**
   * Deletes expired sessions; run periodically.
   * @returns how many were deleted.
   */
  async purgeExpired(): Promise<number> {
    const result = await this.#db.deleteFrom(this.#table).where('expires_at_ms', '<=', this.#now()).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
