/**
 * The `rate_limits` table (migration 10): one token bucket per limiter and client, kept in the
 * database so that several CA processes sharing it enforce one limit together. The arithmetic
 * of the bucket is the limiter's (`accounts/rate-limiter.ts`); the store only reads, lets it
 * compute, and writes, with no other update of the same bucket in between.
 */
import type { SqlDatabase } from './sqlite-dialect.js';

/** A bucket as stored: tokens left (fractional) and when they were counted, in ms since the epoch. */
export interface TokenBucket {
  readonly tokens: number;
  readonly updatedAtMs: number;
}

/**
 * Storage of token buckets. Contract: {@link RateLimitRepository.update} is atomic per bucket
 * across every process that shares the storage; two updates of one bucket never read the same
 * state. A PostgreSQL implementation would insert the row if missing (`ON CONFLICT DO NOTHING`),
 * then `SELECT ... FOR UPDATE` and `UPDATE` in one transaction.
 */
export interface RateLimitRepository {
  /**
   * Reads the bucket (`undefined` when it has no row), lets `compute` decide its next state and
   * a result, stores the next state and returns the result, atomically.
   * @example
   * const allowed = await buckets.update('tickets:192.0.2.1', (b) => ({ next: { tokens: 0, updatedAtMs: now }, result: true }));
   */
  update<T>(bucket: string, compute: (current: TokenBucket | undefined) => { readonly next: TokenBucket; readonly result: T }): Promise<T>;
  /**
   * Deletes the buckets whose name starts with `prefix` and that were last updated before
   * `updatedBeforeMs`.
   * @returns how many were deleted.
   */
  prune(prefix: string, updatedBeforeMs: number): Promise<number>;
}

/**
 * The SQLite implementation: each update is one `BEGIN IMMEDIATE` transaction (read, compute,
 * upsert), so a second process's update of the same bucket waits for it.
 * @example
 * const buckets = new RateLimitStore(createSqlDatabase(openDatabase(dataDir)));
 */
export class RateLimitStore implements RateLimitRepository {
  readonly #db: SqlDatabase;

  constructor(db: SqlDatabase) {
    this.#db = db;
  }

  update<T>(bucket: string, compute: (current: TokenBucket | undefined) => { readonly next: TokenBucket; readonly result: T }): Promise<T> {
    return this.#db.transaction().execute(async (trx) => {
      const row = await trx.selectFrom('rate_limits').select(['tokens', 'updated_at_ms']).where('bucket', '=', bucket).executeTakeFirst();
      const { next, result } = compute(row === undefined ? undefined : { tokens: row.tokens, updatedAtMs: row.updated_at_ms });
      const values = { tokens: next.tokens, updated_at_ms: next.updatedAtMs };
      await trx
        .insertInto('rate_limits')
        .values({ bucket, ...values })
        .onConflict((oc) => oc.column('bucket').doUpdateSet(values))
        .execute();
      return result;
    });
  }

  async prune(prefix: string, updatedBeforeMs: number): Promise<number> {
    // A range on the primary key instead of LIKE: no wildcard to escape, and the index serves it.
    const result = await this.#db
      .deleteFrom('rate_limits')
      .where('bucket', '>=', prefix)
      .where('bucket', '<', `${prefix}\uffff`)
      .where('updated_at_ms', '<', updatedBeforeMs)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
