/**
 * The revocation_secrets table: the SHA-256 digest of each certificate's one-time revocation
 * secret, keyed by its holder (an account's request, or an ssl_api client's certificate). The
 * secrets themselves are made above this store (ca/revocation-secrets.ts) and never reach it.
 */
import type { SqlDatabase } from './sqlite-dialect.js';

/** Storage of revocation-secret digests. A PostgreSQL implementation keeps the same table and primary key. */
export interface RevocationSecretRepository {
  /**
   * Stores the digest for a holder, unless the holder has one already (the primary key decides,
   * across CA processes).
   * @param holder - `request:<id>` or `serial:<hex>`.
   * @returns whether it was stored (false: the holder's first secret stands).
   */
  put(holder: string, digest: string, nowMs: number): Promise<boolean>;
  /**
   * Whether `digest` is the secret of the certificate with this serial: its own
   * (`serial:<hex>`) or its request's (`request:<id>` of the request that certificate answers).
   */
  matches(serialHex: string, digest: string): Promise<boolean>;
  /** Records the first use of the secret (a later use keeps the first time). */
  markUsed(serialHex: string, digest: string, nowMs: number): Promise<void>;
}

/**
 * The SQLite implementation of {@link RevocationSecretRepository}.
 * @example
 * const secrets = new RevocationSecretStore(sql);
 * await secrets.put('serial:0a1b', digest, Date.now());
 */
export class RevocationSecretStore implements RevocationSecretRepository {
  readonly #db: SqlDatabase;

  constructor(db: SqlDatabase) {
    this.#db = db;
  }

  async put(holder: string, digest: string, nowMs: number): Promise<boolean> {
    const result = await this.#db
      .insertInto('revocation_secrets')
      .values({ holder, digest, created_at_ms: nowMs, used_at_ms: null })
      .onConflict((oc) => oc.column('holder').doNothing())
      .executeTakeFirst();
    return result.numInsertedOrUpdatedRows === 1n;
  }

  async matches(serialHex: string, digest: string): Promise<boolean> {
    const row = await this.#db
      .selectFrom('revocation_secrets')
      .select('holder')
      .where('digest', '=', digest)
      .where('holder', 'in', await this.#holdersOf(serialHex))
      .executeTakeFirst();
    return row !== undefined;
  }

  async markUsed(serialHex: string, digest: string, nowMs: number): Promise<void> {
    await this.#db
      .updateTable('revocation_secrets')
      .set({ used_at_ms: nowMs })
      .where('digest', '=', digest)
      .where('holder', 'in', await this.#holdersOf(serialHex))
      .where('used_at_ms', 'is', null)
      .execute();
  }

  /** The holder keys a certificate's secret may be stored under. */
  async #holdersOf(serialHex: string): Promise<string[]> {
    const requests = await this.#db.selectFrom('certificate_requests').select('id').where('certificate_serial', '=', serialHex).execute();
    return [`serial:${serialHex}`, ...requests.map((r) => `request:${r.id}`)];
  }
}
