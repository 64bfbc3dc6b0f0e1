/**
 * Every email-ping nonce the CA has accepted, by SHA-256 (`ping_nonces`, migration 8). A nonce
 * authorises a mail server to confirm an address by itself; whoever presents it to the CA can
 * have that address confirmed. So a nonce is accepted once, from one requester, and refused
 * everywhere after: a nonce that leaked (a URL in a browser history, a proxy log, a page) is
 * worthless to anyone who did not use it first.
 */
import type { SqlDatabase } from '../store/sqlite-dialect.js';
import { hashToken } from './password.js';

/**
 * Storage of the accepted nonces. Contract: {@link PingNonceRepository.claim} is one insert
 * guarded by the primary key, so of two claims of one nonce (any processes) exactly one wins.
 */
export interface PingNonceRepository {
  /**
   * Records `nonce` as used.
   * @returns `true` when it was new, `false` when the CA had accepted it before.
   * @example
   * if (!(await nonces.claim(nonce))) return refuse('nonce_in_use');
   */
  claim(nonce: string): Promise<boolean>;
  /**
   * Forgets a nonce this request claimed but never used: the ping carrying it could not be
   * sent, so nobody can have seen it in a mail, and the request keeps nothing.
   */
  release(nonce: string): Promise<void>;
}

/** The SQLite implementation of {@link PingNonceRepository}. */
export class PingNonceRegistry implements PingNonceRepository {
  readonly #db: SqlDatabase;
  readonly #now: () => number;

  constructor(db: SqlDatabase, options: { now?: () => number } = {}) {
    this.#db = db;
    this.#now = options.now ?? Date.now;
  }

  async claim(nonce: string): Promise<boolean> {
    const result = await this.#db
      .insertInto('ping_nonces')
      .values({ digest: hashToken(nonce), created_at_ms: this.#now() })
      .onConflict((oc) => oc.column('digest').doNothing())
      .executeTakeFirst();
    return result.numInsertedOrUpdatedRows === 1n;
  }

  async release(nonce: string): Promise<void> {
    await this.#db.deleteFrom('ping_nonces').where('digest', '=', hashToken(nonce)).execute();
  }
}
