/**
 * The scep_pins and scep_handles tables (migration 15). The stores hold no policy: the PIN
 * itself, its binding rules and lifetime are ScepPinService's (scep-pin-service.ts), the
 * handle's randomness ScepHandleService's.
 */
import type { SqlDatabase } from '../store/sqlite-dialect.js';

/** A stored PIN: everything but the PIN, which is never stored. */
export interface ScepPinRecord {
  readonly id: number;
  /** The owner's account; undefined for an operator's or the CLI's PIN. */
  readonly accountId: number | undefined;
  /** Lower-case DNS names the PIN is bound to (maybe none, when it has a subject). */
  readonly dnsNames: readonly string[];
  /** Canonical RFC 4514 subject the PIN is bound to, or undefined. */
  readonly subject: string | undefined;
  readonly createdBy: string;
  readonly createdAtMs: number;
  readonly expiresAtMs: number;
  readonly usedAtMs: number | undefined;
  readonly usedBy: string | undefined;
}

/** What {@link ScepPinRepository.insert} stores. */
export interface NewScepPin {
  /** SHA-256 hex of the PIN. */
  readonly digest: string;
  readonly accountId: number | undefined;
  readonly dnsNames: readonly string[];
  readonly subject: string | undefined;
  readonly createdBy: string;
  readonly createdAtMs: number;
  readonly expiresAtMs: number;
}

/**
 * Storage of SCEP PINs. Contract: {@link ScepPinRepository.consume} is one guarded UPDATE
 * (`WHERE used_at_ms IS NULL AND expires_at_ms > now`), so of two requests spending one PIN
 * (any CA processes on one database) exactly one wins.
 */
export interface ScepPinRepository {
  insert(pin: NewScepPin): Promise<void>;
  /** The PIN with this digest, used or not, expired or not; changes nothing. */
  findByDigest(digest: string): Promise<ScepPinRecord | undefined>;
  /** @returns whether this call used the PIN. */
  consume(digest: string, usedBy: string, nowMs: number): Promise<boolean>;
  /** PINs not expired at `nowMs` (used ones included), newest first; `accountId` null: the operators' PINs. */
  listUnexpired(nowMs: number, accountId: number | null | 'all'): Promise<ScepPinRecord[]>;
}

type PinRow = {
  id: number;
  account_id: number | null;
  dns_names_json: string;
  subject: string | null;
  created_by: string;
  created_at_ms: number;
  expires_at_ms: number;
  used_at_ms: number | null;
  used_by: string | null;
};

const PIN_COLUMNS = ['id', 'account_id', 'dns_names_json', 'subject', 'created_by', 'created_at_ms', 'expires_at_ms', 'used_at_ms', 'used_by'] as const;

function recordOf(row: PinRow): ScepPinRecord {
  return {
    id: row.id,
    accountId: row.account_id ?? undefined,
    dnsNames: JSON.parse(row.dns_names_json) as string[],
    subject: row.subject ?? undefined,
    createdBy: row.created_by,
    createdAtMs: row.created_at_ms,
    expiresAtMs: row.expires_at_ms,
    usedAtMs: row.used_at_ms ?? undefined,
    usedBy: row.used_by ?? undefined,
  };
}

/**
 * The SQLite implementation of {@link ScepPinRepository}.
 * @example
 * const pins = new ScepPinService(new ScepPinStore(sql), { domains });
 */
export class ScepPinStore implements ScepPinRepository {
  readonly #db: SqlDatabase;

  constructor(db: SqlDatabase) {
    this.#db = db;
  }

  async insert(pin: NewScepPin): Promise<void> {
    await this.#db
      .insertInto('scep_pins')
      .values({
        digest: pin.digest,
        account_id: pin.accountId ?? null,
        dns_names_json: JSON.stringify(pin.dnsNames),
        subject: pin.subject ?? null,
        created_by: pin.createdBy,
        created_at_ms: pin.createdAtMs,
        expires_at_ms: pin.expiresAtMs,
        used_at_ms: null,
        used_by: null,
      })
      .execute();
  }

  async findByDigest(digest: string): Promise<ScepPinRecord | undefined> {
    const row = await this.#db.selectFrom('scep_pins').select(PIN_COLUMNS).where('digest', '=', digest).executeTakeFirst();
    return row ? recordOf(row) : undefined;
  }

  /** A single guarded update: the row changes only while unused and unexpired. */
  async consume(digest: string, usedBy: string, nowMs: number): Promise<boolean> {
    const result = await this.#db
      .updateTable('scep_pins')
      .set({ used_at_ms: nowMs, used_by: usedBy })
      .where('digest', '=', digest)
      .where('used_at_ms', 'is', null)
      .where('expires_at_ms', '>', nowMs)
      .executeTakeFirst();
    return result.numUpdatedRows === 1n;
  }

  async listUnexpired(nowMs: number, accountId: number | null | 'all'): Promise<ScepPinRecord[]> {
    let query = this.#db.selectFrom('scep_pins').select(PIN_COLUMNS).where('expires_at_ms', '>', nowMs);
    if (accountId === null) query = query.where('account_id', 'is', null);
    else if (accountId !== 'all') query = query.where('account_id', '=', accountId);
    const rows = await query.orderBy('created_at_ms', 'desc').orderBy('id', 'desc').limit(500).execute();
    return rows.map(recordOf);
  }
}

/** Storage of personal SCEP URL handles: one per account, never reused. */
export interface ScepHandleRepository {
  /** Stores the handle unless the account has one (the primary key decides, across CA processes). */
  insertIfAbsent(accountId: number, handle: string, nowMs: number): Promise<void>;
  handleOf(accountId: number): Promise<string | undefined>;
  accountOf(handle: string): Promise<number | undefined>;
}

/**
 * The SQLite implementation of {@link ScepHandleRepository}.
 * @example
 * const handles = new ScepHandleService(new ScepHandleStore(sql));
 */
export class ScepHandleStore implements ScepHandleRepository {
  readonly #db: SqlDatabase;

  constructor(db: SqlDatabase) {
    this.#db = db;
  }

  async insertIfAbsent(accountId: number, handle: string, nowMs: number): Promise<void> {
    await this.#db
      .insertInto('scep_handles')
      .values({ account_id: accountId, handle, created_at_ms: nowMs })
      .onConflict((oc) => oc.column('account_id').doNothing())
      .execute();
  }

  async handleOf(accountId: number): Promise<string | undefined> {
    return (await this.#db.selectFrom('scep_handles').select('handle').where('account_id', '=', accountId).executeTakeFirst())?.handle;
  }

  async accountOf(handle: string): Promise<number | undefined> {
    return (await this.#db.selectFrom('scep_handles').select('account_id').where('handle', '=', handle).executeTakeFirst())?.account_id;
  }
}
