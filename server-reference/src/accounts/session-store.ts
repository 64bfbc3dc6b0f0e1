/**
 * Login sessions of the account area and the operator area, over the `sessions` and
 * `operator_sessions` tables. The repository stores what it is given: the session id's digest,
 * the CSRF token and the expiry are made by `SessionService` (session-service.ts).
 */
import type { SqlDatabase } from '../store/sqlite-dialect.js';

/** A live session. */
export interface Session {
  readonly accountId: number;
  /** The per-session CSRF token (43 base64url characters). */
  readonly csrfToken: string;
  readonly expiresAtMs: number;
}

/** A session as {@link SessionRepository.insert} stores it: the id's digest, never the id. */
export interface SessionRecord extends Session {
  /** `hashToken` of the session id (the cookie). */
  readonly idHash: string;
  readonly createdAtMs: number;
}

/** Options of {@link SessionStore}. */
export interface SessionStoreOptions {
  /**
   * The table: `sessions` (accounts, default) or `operator_sessions` (operators; there the
   * session's `accountId` is the operator's id). Same columns in both.
   */
  readonly table?: 'sessions' | 'operator_sessions';
}

/**
 * Storage of login sessions (accounts' or operators'). It holds no policy: the id, its digest,
 * the CSRF token and the lifetime are the caller's (`SessionService`). Contract: every method is
 * one statement; a session whose expiry is at or before the `nowMs` given is never returned.
 */
export interface SessionRepository {
  /** Stores a new session. */
  insert(record: SessionRecord): Promise<void>;
  /** The session with this id digest that is live at `nowMs`; `undefined` for an unknown or expired one. */
  find(idHash: string, nowMs: number): Promise<Session | undefined>;
  /** Deletes a session (logout). An unknown digest is ignored. */
  delete(idHash: string): Promise<void>;
  /**
   * Deletes the sessions expired at `nowMs`.
   * @returns how many were deleted.
   */
  purgeExpired(nowMs: number): Promise<number>;
}

/**
 * The SQLite implementation of {@link SessionRepository}.
 * @example
 * const sessions = new SessionService(new SessionStore(sql, { table: 'operator_sessions' }));
 */
export class SessionStore implements SessionRepository {
  readonly #db: SqlDatabase;
  readonly #table: 'sessions' | 'operator_sessions';

  /** @throws {TypeError} for a table other than the two session tables. */
  constructor(db: SqlDatabase, options: SessionStoreOptions = {}) {
    this.#db = db;
    const table = options.table ?? 'sessions';
    if (table !== 'sessions' && table !== 'operator_sessions') throw new TypeError('table must be sessions or operator_sessions');
    this.#table = table;
  }

  /**
   * @example
   * await sessions.insert({ idHash, accountId, csrfToken, createdAtMs, expiresAtMs });
   */
  async insert(record: SessionRecord): Promise<void> {
    await this.#db
      .insertInto(this.#table)
      .values({
        id_hash: record.idHash,
        account_id: record.accountId,
        csrf_token: record.csrfToken,
        created_at_ms: record.createdAtMs,
        expires_at_ms: record.expiresAtMs,
      })
      .execute();
  }

  /**
   * @example
   * (await sessions.find(hashToken(cookie), Date.now()))?.accountId;
   */
  async find(idHash: string, nowMs: number): Promise<Session | undefined> {
    const row = await this.#db
      .selectFrom(this.#table)
      .select(['account_id', 'csrf_token', 'expires_at_ms'])
      .where('id_hash', '=', idHash)
      .where('expires_at_ms', '>', nowMs)
      .executeTakeFirst();
    return row ? { accountId: row.account_id, csrfToken: row.csrf_token, expiresAtMs: row.expires_at_ms } : undefined;
  }

  /**
   * @example
   * await sessions.delete(hashToken(cookie));
   */
  async delete(idHash: string): Promise<void> {
    await this.#db.deleteFrom(this.#table).where('id_hash', '=', idHash).execute();
  }

  /**
   * @example
   * await sessions.purgeExpired(Date.now()); // 3
   */
  async purgeExpired(nowMs: number): Promise<number> {
    const result = await this.#db.deleteFrom(this.#table).where('expires_at_ms', '<=', nowMs).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
