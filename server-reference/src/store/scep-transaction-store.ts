/**
 * The scep_transactions table (migration 14): which certificate request a SCEP transactionID
 * (RFC 8894 §3.2.1.1) stands for, per signer key. A client that resends its PKCSReq, or polls
 * with CertPoll (§3.3.3), names the transaction, not our request id; this row is how the CA finds
 * the one request it stored for it. Keyed by (transactionID, SHA-256 of the signer's public key),
 * so a second requester choosing the same transactionID never reaches another's request.
 */
import type { SqlDatabase } from './sqlite-dialect.js';

/** Storage of SCEP transactions. A PostgreSQL implementation keeps the same table and primary key. */
export interface ScepTransactionRepository {
  /** The request id of a transaction, or `undefined` when none was recorded. */
  requestOf(transactionId: string, signerKeySha256: string): Promise<string | undefined>;
  /**
   * Records the request of a transaction unless one is recorded already (the primary key decides,
   * across CA processes).
   * @returns the request id that stands for the transaction: `requestId`, or the earlier one.
   */
  record(transactionId: string, signerKeySha256: string, requestId: string, nowMs: number): Promise<string>;
}

/**
 * The SQLite implementation of {@link ScepTransactionRepository}.
 * @example
 * const transactions = new ScepTransactionStore(sql);
 * await transactions.record(transactionId, keySha256, requestId, Date.now());
 */
export class ScepTransactionStore implements ScepTransactionRepository {
  readonly #db: SqlDatabase;

  constructor(db: SqlDatabase) {
    this.#db = db;
  }

  async requestOf(transactionId: string, signerKeySha256: string): Promise<string | undefined> {
    const row = await this.#db
      .selectFrom('scep_transactions')
      .select('request_id')
      .where('transaction_id', '=', transactionId)
      .where('signer_key_sha256', '=', signerKeySha256)
      .executeTakeFirst();
    return row?.request_id;
  }

  async record(transactionId: string, signerKeySha256: string, requestId: string, nowMs: number): Promise<string> {
    await this.#db
      .insertInto('scep_transactions')
      .values({ transaction_id: transactionId, signer_key_sha256: signerKeySha256, request_id: requestId, created_at_ms: nowMs })
      .onConflict((oc) => oc.columns(['transaction_id', 'signer_key_sha256']).doNothing())
      .execute();
    return (await this.requestOf(transactionId, signerKeySha256)) ?? requestId;
  }
}
