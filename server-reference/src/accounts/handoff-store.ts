/**
 * The registration hand-off kept with a pending account, over `registration_handoffs`:
 * the `continue` and `error` URLs, the PKCE challenge and the SHA-256 of the `PingNonce` the
 * registration page was opened with. The repository stores what it is given; the checks, the
 * nonce's digest and the rule that an empty hand-off is not stored are `HandoffService`'s
 * (handoff-service.ts).
 *
 * Why beside the ticket: a registration may come without a ticket (the callback path alone), and
 * a ticket may expire before the mail is confirmed; the confirmation page still needs the
 * continue link, and a code must still be issued for the challenge. With a ticket, the ticket
 * store gets the same values (`attach`) and issues the code; this row then only serves the links.
 *
 * The nonce digest is why a row may outlive the confirmation: the installer's mail server may
 * repeat its confirmation (a lost answer), and the email ping answers a repeat with the same
 * nonce as a success and any other nonce as a mismatch, which needs the digest afterwards.
 */
import type { SqlDatabase } from '../store/sqlite-dialect.js';

/** What the registration page was opened with, already validated. */
export interface Handoff {
  readonly continueUrl?: string;
  readonly errorUrl?: string;
  /** RFC 7636 §4.2 S256 challenge. */
  readonly codeChallenge?: string;
}

/**
 * Who started the registration, for the person who is asked to confirm it (RFC 8628 §5.4): the
 * user code their installer shows, when and from where the flow began. Absent for hand-offs
 * made before migration 9.
 */
export interface HandoffOrigin {
  /** The ticket's user code; absent when the registration came without a ticket. */
  readonly userCode?: string;
  /** When the flow began (the ticket was asked for, or else the form was sent), in ms since the epoch. */
  readonly startedAtMs?: number;
  /** The address that began it, as the CA saw it. */
  readonly startedFrom?: string;
}

/** A hand-off as {@link HandoffRepository.save} stores it: the nonce's digest, never the nonce. */
export interface HandoffRecord extends Handoff, HandoffOrigin {
  /** `hashToken` of the registration's `PingNonce`, when it carried one. */
  readonly pingNonceHash?: string;
  readonly createdAtMs: number;
}

/**
 * Storage of hand-offs, one per pending account. It holds no policy. Contract:
 * {@link HandoffRepository.take} reads and clears in one transaction, so a challenge yields one
 * code, once.
 */
export interface HandoffRepository {
  /** Stores the hand-off of a pending account, replacing an earlier one. */
  save(accountId: number, record: HandoffRecord): Promise<void>;
  /** Who started the account's registration; `{}` when nothing is known. */
  originOf(accountId: number): Promise<HandoffOrigin>;
  /** The account's hand-off, left in place. */
  get(accountId: number): Promise<Handoff | undefined>;
  /** The account's hand-off, removed (a row holding a nonce digest keeps only that). */
  take(accountId: number): Promise<Handoff | undefined>;
  /** The stored digest of the account's registration `PingNonce`, before and after confirmation. */
  pingNonceHashOf(accountId: number): Promise<string | undefined>;
}

/**
 * The SQLite implementation of {@link HandoffRepository}.
 * @example
 * const handoffs = new HandoffService(new HandoffStore(sql));
 */
export class HandoffStore implements HandoffRepository {
  readonly #db: SqlDatabase;

  constructor(db: SqlDatabase) {
    this.#db = db;
  }

  /**
   * @example
   * await store.save(accountId, { continueUrl, codeChallenge, createdAtMs: Date.now() });
   */
  async save(accountId: number, record: HandoffRecord): Promise<void> {
    const values = {
      continue_url: record.continueUrl ?? null,
      error_url: record.errorUrl ?? null,
      code_challenge: record.codeChallenge ?? null,
      ping_nonce_hash: record.pingNonceHash ?? null,
      created_at_ms: record.createdAtMs,
      user_code: record.userCode ?? null,
      started_at_ms: record.startedAtMs ?? null,
      started_from: record.startedFrom ?? null,
    };
    await this.#db
      .insertInto('registration_handoffs')
      .values({ account_id: accountId, ...values })
      .onConflict((oc) => oc.column('account_id').doUpdateSet(values))
      .execute();
  }

  /**
   * @example
   * (await store.originOf(accountId)).userCode; // 'WDJB-MJHT'
   */
  async originOf(accountId: number): Promise<HandoffOrigin> {
    const row = await this.#row(this.#db, accountId);
    if (row === undefined) return {};
    return {
      ...(row.user_code !== null ? { userCode: row.user_code } : {}),
      ...(row.started_at_ms !== null ? { startedAtMs: row.started_at_ms } : {}),
      ...(row.started_from !== null ? { startedFrom: row.started_from } : {}),
    };
  }

  /**
   * @example
   * (await store.get(accountId))?.errorUrl;
   */
  async get(accountId: number): Promise<Handoff | undefined> {
    return handoffOf(await this.#row(this.#db, accountId));
  }

  /**
   * @example
   * const handoff = await store.take(accountId);
   */
  take(accountId: number): Promise<Handoff | undefined> {
    return this.#db.transaction().execute(async (trx) => {
      const handoff = handoffOf(await this.#row(trx, accountId));
      await trx.deleteFrom('registration_handoffs').where('account_id', '=', accountId).where('ping_nonce_hash', 'is', null).execute();
      await trx
        .updateTable('registration_handoffs')
        .set({ continue_url: null, error_url: null, code_challenge: null })
        .where('account_id', '=', accountId)
        .execute();
      return handoff;
    });
  }

  /**
   * @example
   * await store.pingNonceHashOf(accountId);
   */
  async pingNonceHashOf(accountId: number): Promise<string | undefined> {
    return (await this.#row(this.#db, accountId))?.ping_nonce_hash ?? undefined;
  }

  #row(db: SqlDatabase, accountId: number) {
    return db.selectFrom('registration_handoffs').selectAll().where('account_id', '=', accountId).executeTakeFirst();
  }
}

function handoffOf(row: { continue_url: string | null; error_url: string | null; code_challenge: string | null } | undefined): Handoff | undefined {
  if (row === undefined) return undefined;
  return {
    ...(row.continue_url !== null ? { continueUrl: row.continue_url } : {}),
    ...(row.error_url !== null ? { errorUrl: row.error_url } : {}),
    ...(row.code_challenge !== null ? { codeChallenge: row.code_challenge } : {}),
  };
}
