/**
 * One-time enrollment secrets (migration 5, `enrollment_secrets`), after Dogtag's shared-token
 * enrollment. The repository stores the digest and expiry it is given; the secret itself and its
 * lifetime are `EnrollmentSecretService`'s (enrollment-secret-service.ts).
 */
import type { SqlDatabase } from '../store/sqlite-dialect.js';

/** An enrollment secret as {@link EnrollmentSecretRepository.insert} stores it: its digest, never the secret. */
export interface EnrollmentSecretRecord {
  /** `hashToken` of the secret. */
  readonly secretHash: string;
  readonly accountId: number;
  readonly createdAtMs: number;
  readonly expiresAtMs: number;
}

/**
 * Storage of enrollment secrets. It holds no policy. Contract:
 * {@link EnrollmentSecretRepository.consume} is one guarded update (`WHERE used_at_ms IS NULL AND
 * expires_at_ms > now`), so of two requests spending one secret (any processes) exactly one wins.
 */
export interface EnrollmentSecretRepository {
  /** Stores a new secret. */
  insert(record: EnrollmentSecretRecord): Promise<void>;
  /** The secret with this digest when it is unused and unexpired at `nowMs`; changes nothing. */
  findLive(secretHash: string, nowMs: number): Promise<{ id: number; accountId: number } | undefined>;
  /**
   * Marks the secret used at `nowMs`, once, if it is still unused and unexpired then.
   * @returns whether this call used it.
   */
  consume(id: number, nowMs: number): Promise<boolean>;
  /** Makes a consumed secret usable again (its expiry unchanged). */
  release(id: number): Promise<void>;
}

/**
 * The SQLite implementation of {@link EnrollmentSecretRepository}.
 * @example
 * const secrets = new EnrollmentSecretService(new EnrollmentSecretStore(sql));
 */
export class EnrollmentSecretStore implements EnrollmentSecretRepository {
  readonly #db: SqlDatabase;

  constructor(db: SqlDatabase) {
    this.#db = db;
  }

  /**
   * @example
   * await store.insert({ secretHash, accountId, createdAtMs, expiresAtMs });
   */
  async insert(record: EnrollmentSecretRecord): Promise<void> {
    await this.#db
      .insertInto('enrollment_secrets')
      .values({ secret_hash: record.secretHash, account_id: record.accountId, created_at_ms: record.createdAtMs, expires_at_ms: record.expiresAtMs })
      .execute();
  }

  /**
   * @example
   * await store.findLive(hashToken(secret), Date.now()); // { id: 1, accountId: 7 }
   */
  async findLive(secretHash: string, nowMs: number): Promise<{ id: number; accountId: number } | undefined> {
    const row = await this.#db
      .selectFrom('enrollment_secrets')
      .select(['id', 'account_id'])
      .where('secret_hash', '=', secretHash)
      .where('used_at_ms', 'is', null)
      .where('expires_at_ms', '>', nowMs)
      .executeTakeFirst();
    return row ? { id: row.id, accountId: row.account_id } : undefined;
  }

  /**
   * A single guarded update, so two concurrent requests cannot both use one secret.
   * @example
   * if (!(await store.consume(id, Date.now()))) refuse();
   */
  async consume(id: number, nowMs: number): Promise<boolean> {
    const result = await this.#db
      .updateTable('enrollment_secrets')
      .set({ used_at_ms: nowMs })
      .where('id', '=', id)
      .where('used_at_ms', 'is', null)
      .where('expires_at_ms', '>', nowMs)
      .executeTakeFirst();
    return result.numUpdatedRows === 1n;
  }

  /**
   * @example
   * await store.release(id);
   */
  async release(id: number): Promise<void> {
    await this.#db.updateTable('enrollment_secrets').set({ used_at_ms: null }).where('id', '=', id).execute();
  }
}
