/**
 * The expiry_notices table (migration 12): which expiry notice (certificate, threshold in days)
 * a CA process took on. The primary key is the once-only rule: {@link ExpiryNoticeRepository.claim}
 * inserts the row before the mail is sent, and of several CA processes on one database exactly
 * one inserts it. Also the job's scan of certificates nearing expiry.
 */
import type { SubjectAltNames } from '@certwizard/pki';
import type { SqlDatabase } from './sqlite-dialect.js';

/** A certificate nearing expiry, as the notice job needs it. */
export interface ExpiringCertificate {
  readonly serialHex: string;
  readonly subjectAltNames: SubjectAltNames;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** `account:<id>` (only accounts' certificates are listed: an ssl_api client has no owner to mail). */
  readonly requester: string;
}

/**
 * Storage of expiry notices. Contract: a (certificate, threshold) is claimed at most once, by one
 * statement guarded by the primary key, whatever the number of CA processes; a claim is given
 * back only while it is not marked sent.
 */
export interface ExpiryNoticeRepository {
  /**
   * Valid certificates of accounts whose notAfter is after `now` and at most `within` later,
   * soonest first, at most `limit`.
   */
  expiring(now: Date, withinMs: number, limit: number): Promise<ExpiringCertificate[]>;
  /** Takes the notice of `serialHex` at `thresholdDays`: true for the one caller that inserted it. */
  claim(serialHex: string, thresholdDays: number): Promise<boolean>;
  /** Records that the mail of a claimed notice was handed to the mailer. */
  markSent(serialHex: string, thresholdDays: number): Promise<void>;
  /** Gives back a claim whose mail could not be sent (a later run tries again); a sent one stays. */
  release(serialHex: string, thresholdDays: number): Promise<void>;
}

/**
 * The SQLite implementation of {@link ExpiryNoticeRepository}.
 * @example
 * const notices = new ExpiryNoticeStore(createSqlDatabase(openDatabase(dataDir)));
 * if (await notices.claim('0a1b', 7)) await send();
 */
export class ExpiryNoticeStore implements ExpiryNoticeRepository {
  readonly #db: SqlDatabase;
  readonly #now: () => number;

  constructor(db: SqlDatabase, options: { now?: () => number } = {}) {
    this.#db = db;
    this.#now = options.now ?? Date.now;
  }

  async expiring(now: Date, withinMs: number, limit: number): Promise<ExpiringCertificate[]> {
    const rows = await this.#db
      .selectFrom('certificates')
      .select(['serial_hex', 'san_json', 'not_before_ms', 'not_after_ms', 'requester'])
      .where('status', '=', 'valid')
      .where('not_after_ms', '>', now.getTime())
      .where('not_after_ms', '<=', now.getTime() + withinMs)
      .where('requester', 'like', 'account:%')
      .orderBy('not_after_ms')
      .limit(limit)
      .execute();
    return rows.map((r) => ({
      serialHex: r.serial_hex,
      subjectAltNames: JSON.parse(r.san_json) as SubjectAltNames,
      notBefore: new Date(r.not_before_ms),
      notAfter: new Date(r.not_after_ms),
      requester: r.requester,
    }));
  }

  async claim(serialHex: string, thresholdDays: number): Promise<boolean> {
    const result = await this.#db
      .insertInto('expiry_notices')
      .values({ serial_hex: serialHex, threshold_days: thresholdDays, claimed_at_ms: this.#now(), sent_at_ms: null })
      .onConflict((oc) => oc.columns(['serial_hex', 'threshold_days']).doNothing())
      .executeTakeFirst();
    return result.numInsertedOrUpdatedRows === 1n;
  }

  async markSent(serialHex: string, thresholdDays: number): Promise<void> {
    await this.#db
      .updateTable('expiry_notices')
      .set({ sent_at_ms: this.#now() })
      .where('serial_hex', '=', serialHex)
      .where('threshold_days', '=', thresholdDays)
      .execute();
  }

  async release(serialHex: string, thresholdDays: number): Promise<void> {
    await this.#db
      .deleteFrom('expiry_notices')
      .where('serial_hex', '=', serialHex)
      .where('threshold_days', '=', thresholdDays)
      .where('sent_at_ms', 'is', null)
      .execute();
  }
}
