/**
 * The scep_transactions table (migrations 14, 16): which certificate request a SCEP
 * transactionID (RFC 8894 §3.2.1.1) stands for, per signer. A client that resends its PKCSReq,
 * or polls with CertPoll (§3.3.3), names the transaction, not our request id; this row is how the
 * CA finds the one request it stored for it. Keyed by the transactionID, the SHA-256 of the
 * signer's public key, and the SHA-256 of the signer certificate when that is one of this CA's
 * (a renewal; `''` for a self-signed signer): a second requester choosing the same transactionID
 * never reaches another's request, and a renewal signed by our certificate is never taken for
 * its first enrolment even when the client repeats that enrolment's transactionID and key
 * (certmonger's `getcert resubmit` does).
 */
import type { SqlDatabase } from './sqlite-dialect.js';

/**
 * Who signed a transaction's messages: the SHA-256 (hex) of the signer's public key, and of the
 * signer certificate when it is one of this CA's (`''` for a self-signed signer).
 */
export interface ScepSignerKey {
  readonly keySha256: string;
  readonly certificateSha256: string;
}

/** Storage of SCEP transactions. A PostgreSQL implementation keeps the same table and primary key. */
export interface ScepTransactionRepository {
  /** The request id of a transaction, or `undefined` when none was recorded. */
  requestOf(transactionId: string, signer: ScepSignerKey): Promise<string | undefined>;
  /**
   * Records the request of a transaction unless one is recorded already (the primary key decides,
   * across CA processes).
   * @returns the request id that stands for the transaction: `requestId`, or the earlier one.
   */
  record(transactionId: string, signer: ScepSignerKey, requestId: string, nowMs: number): Promise<string>;
}

/**
 * The SQLite implementation of {@link ScepTransactionRepository}.
 * @example
 * const transactions = new ScepTransactionStore(sql);
 * await transactions.record(transactionId, { keySha256, certificateSha256: '' }, requestId, Date.now());
 */
export class ScepTransactionStore implements ScepTransactionRepository {
  readonly #db: SqlDatabase;

  constructor(db: SqlDatabase) {
    this.#db = db;
  }

  async requestOf(transactionId: string, signer: ScepSignerKey): Promise<string | undefined> {
    const row = await this.#db
      .selectFrom('scep_transactions')
      .select('request_id')
      .where('transaction_id', '=', transactionId)
      .where('signer_key_sha256', '=', signer.keySha256)
      .where('signer_certificate_sha256', '=', signer.certificateSha256)
      .executeTakeFirst();
    return row?.request_id;
  }

  async record(transactionId: string, signer: ScepSignerKey, requestId: string, nowMs: number): Promise<string> {
    await this.#db
      .insertInto('scep_transactions')
      .values({
        transaction_id: transactionId,
        signer_key_sha256: signer.keySha256,
        signer_certificate_sha256: signer.certificateSha256,
        request_id: requestId,
        created_at_ms: nowMs,
      })
      .onConflict((oc) => oc.columns(['transaction_id', 'signer_key_sha256', 'signer_certificate_sha256']).doNothing())
      .execute();
    return (await this.requestOf(transactionId, signer)) ?? requestId;
  }
}
