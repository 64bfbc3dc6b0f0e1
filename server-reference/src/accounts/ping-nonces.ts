/**
 * Every email-ping nonce the CA has accepted, by digest (`ping_nonces`, migration 8). The
 * repository stores the digests it is given; hashing the nonce is `PingNonceService`'s
 * (ping-nonce-service.ts).
 */
import type { SqlDatabase } from '../store/sqlite-dialect.js';

/**
 * Storage of the accepted nonces' digests. It holds no policy. Contract:
 * {@link PingNonceRepository.claim} is one insert guarded by the primary key, so of two claims of
 * one digest (any processes) exactly one wins.
 */
export interface PingNonceRepository {
  /**
   * Records a nonce's digest as used.
   * @returns `true` when it was new, `false` when it was recorded before.
   */
  claim(digest: string, createdAtMs: number): Promise<boolean>;
  /** Forgets a digest (an unknown one is ignored). */
  release(digest: string): Promise<void>;
}

/**
 * The SQLite implementation of {@link PingNonceRepository}.
 * @example
 * const nonces = new PingNonceService(new PingNonceStore(sql));
 */
export class PingNonceStore implements PingNonceRepository {
  readonly #db: SqlDatabase;

  constructor(db: SqlDatabase) {
    this.#db = db;
  }

  /**
   * @example
   * await store.claim(hashToken(nonce), Date.now()); // true the first time
   */
  async claim(digest: string, createdAtMs: number): Promise<boolean> {
    const result = await this.#db
      .insertInto('ping_nonces')
      .values({ digest, created_at_ms: createdAtMs })
      .onConflict((oc) => oc.column('digest').doNothing())
      .executeTakeFirst();
    return result.numInsertedOrUpdatedRows === 1n;
  }

  /**
   * @example
   * await store.release(hashToken(nonce));
   */
  async release(digest: string): Promise<void> {
    await this.#db.deleteFrom('ping_nonces').where('digest', '=', digest).execute();
  }
}
