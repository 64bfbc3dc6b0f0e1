/**
 * The renewal_windows table (migration 12): an operator's renewal window for a certificate, which
 * its renewal information answers instead of the CA's default (RFC 9773 §4.2). One row per
 * certificate; setting it again replaces it.
 */
import type { SqlDatabase } from './sqlite-dialect.js';

/** A window set by an operator. */
export interface StoredRenewalWindow {
  readonly start: Date;
  readonly end: Date;
  /** When the operator set it. */
  readonly setAt: Date;
}

/**
 * Storage of operators' renewal windows. Contract: a window has `start` before `end` (the table
 * refuses anything else); it exists only for a stored certificate; each call is one statement,
 * so CA processes sharing the database see the same window at once.
 */
export interface RenewalWindowRepository {
  /** The operator's window of a certificate (serial in lower-case hex), if one was set. */
  get(serialHex: string): Promise<StoredRenewalWindow | undefined>;
  /**
   * Sets (or replaces) the window of one certificate.
   * @returns `set`, or `not_found` when no certificate has the serial (nothing is stored).
   * @throws {TypeError} for `start` not before `end` (caller misuse: the command checks first).
   */
  set(serialHex: string, window: { readonly start: Date; readonly end: Date }): Promise<'set' | 'not_found'>;
  /**
   * Sets (or replaces) the window of every valid certificate whose notBefore is before `before`
   * (e.g. all that a mis-issuance may have touched), in one statement.
   * @returns how many certificates got the window.
   * @throws {TypeError} for `start` not before `end`.
   */
  setForIssuedBefore(before: Date, window: { readonly start: Date; readonly end: Date }): Promise<number>;
}

/**
 * The SQLite implementation of {@link RenewalWindowRepository}.
 * @example
 * const windows = new RenewalWindowStore(createSqlDatabase(openDatabase(dataDir)));
 * await windows.set('0a1b', { start: new Date(), end: new Date(Date.now() + 86_400_000) });
 */
export class RenewalWindowStore implements RenewalWindowRepository {
  readonly #db: SqlDatabase;
  readonly #now: () => number;

  constructor(db: SqlDatabase, options: { now?: () => number } = {}) {
    this.#db = db;
    this.#now = options.now ?? Date.now;
  }

  async get(serialHex: string): Promise<StoredRenewalWindow | undefined> {
    const row = await this.#db.selectFrom('renewal_windows').selectAll().where('serial_hex', '=', serialHex).executeTakeFirst();
    return row === undefined ? undefined : { start: new Date(row.start_ms), end: new Date(row.end_ms), setAt: new Date(row.set_at_ms) };
  }

  async set(serialHex: string, window: { readonly start: Date; readonly end: Date }): Promise<'set' | 'not_found'> {
    return (await this.#upsert({ serialHex }, window)) > 0 ? 'set' : 'not_found';
  }

  setForIssuedBefore(before: Date, window: { readonly start: Date; readonly end: Date }): Promise<number> {
    return this.#upsert({ issuedBefore: before }, window);
  }

  /**
   * One INSERT ... SELECT from the certificates the filter names, replacing their windows: a row
   * exists only for a stored certificate, decided in the one statement.
   * @returns how many windows were set.
   */
  async #upsert(
    which: { readonly serialHex: string } | { readonly issuedBefore: Date },
    window: { readonly start: Date; readonly end: Date },
  ): Promise<number> {
    const { start_ms, end_ms } = checkedWindow(window);
    const result = await this.#db
      .insertInto('renewal_windows')
      .columns(['serial_hex', 'start_ms', 'end_ms', 'set_at_ms'])
      .expression((eb) => {
        const select = eb
          .selectFrom('certificates')
          .select((s) => ['serial_hex', s.val(start_ms).as('start_ms'), s.val(end_ms).as('end_ms'), s.val(this.#now()).as('set_at_ms')]);
        // Every INSERT ... SELECT here has a WHERE: SQLite needs one before ON CONFLICT (its parsing ambiguity).
        return 'serialHex' in which
          ? select.where('serial_hex', '=', which.serialHex)
          : select.where('status', '=', 'valid').where('not_before_ms', '<', which.issuedBefore.getTime());
      })
      .onConflict((oc) =>
        oc
          .column('serial_hex')
          .doUpdateSet((eb) => ({ start_ms: eb.ref('excluded.start_ms'), end_ms: eb.ref('excluded.end_ms'), set_at_ms: eb.ref('excluded.set_at_ms') })),
      )
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0n);
  }
}

function checkedWindow(window: { readonly start: Date; readonly end: Date }): { start_ms: number; end_ms: number } {
  const start_ms = window?.start?.getTime?.();
  const end_ms = window?.end?.getTime?.();
  if (!Number.isFinite(start_ms) || !Number.isFinite(end_ms) || (start_ms as number) >= (end_ms as number)) {
    throw new TypeError('a renewal window needs valid start and end dates, start before end');
  }
  return { start_ms: start_ms as number, end_ms: end_ms as number };
}
