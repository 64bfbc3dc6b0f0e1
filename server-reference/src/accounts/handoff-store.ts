/**
 * The registration hand-off kept with a pending account, over `registration_handoffs`:
 * the `continue` and `error` URLs, the PKCE challenge and the SHA-256 of the `PingNonce` the
 * registration page was opened with.
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
import { isValidPingNonce, isValidUserCode } from '@certwizard/protocol';
import type { SqlDatabase } from '../store/sqlite-dialect.js';
import { hashToken } from './password.js';

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

/**
 * Storage of hand-offs, one per pending account. Contract: {@link HandoffRepository.take} reads
 * and clears in one transaction, so a challenge yields one code, once.
 */
export interface HandoffRepository {
  /**
   * Stores the hand-off of a new pending account, with who started it; nothing is stored when
   * it is empty. Of `pingNonce` only the SHA-256 is stored.
   * @throws {TypeError} for a malformed `pingNonce` or `userCode` (the caller checks them first).
   */
  save(accountId: number, handoff: Handoff & HandoffOrigin & { readonly pingNonce?: string }): Promise<void>;
  /** Who started the account's registration, for the confirmation pages; `{}` when nothing is known. */
  originOf(accountId: number): Promise<HandoffOrigin>;
  /** The account's hand-off, left in place. */
  get(accountId: number): Promise<Handoff | undefined>;
  /** The account's hand-off, removed (a row holding a nonce digest keeps only that). */
  take(accountId: number): Promise<Handoff | undefined>;
  /** SHA-256 (hex) of the account's registration `PingNonce`, before and after confirmation. */
  pingNonceHashOf(accountId: number): Promise<string | undefined>;
  /** Which account a confirmation token was issued to, even when used or expired. */
  accountOfConfirmationToken(token: string): Promise<number | undefined>;
}

/**
 * The SQLite implementation of {@link HandoffRepository}; taken (read and cleared) on confirmation.
 * @example
 * await handoffs.save(accountId, { continueUrl, codeChallenge });
 * const handoff = await handoffs.take(accountId);
 */
export class HandoffStore implements HandoffRepository {
  readonly #db: SqlDatabase;
  readonly #now: () => number;

  constructor(db: SqlDatabase, options: { now?: () => number } = {}) {
    this.#db = db;
    this.#now = options.now ?? Date.now;
  }

  async save(accountId: number, handoff: Handoff & HandoffOrigin & { readonly pingNonce?: string }): Promise<void> {
    const { continueUrl, errorUrl, codeChallenge, pingNonce, userCode, startedAtMs, startedFrom } = handoff;
    if ([continueUrl, errorUrl, codeChallenge, pingNonce, userCode, startedAtMs, startedFrom].every((v) => v === undefined)) return;
    if (pingNonce !== undefined && !isValidPingNonce(pingNonce)) throw new TypeError('pingNonce must be 22 to 128 base64url characters');
    if (userCode !== undefined && !isValidUserCode(userCode)) throw new TypeError('userCode must be a user code');
    const values = {
      continue_url: continueUrl ?? null,
      error_url: errorUrl ?? null,
      code_challenge: codeChallenge ?? null,
      ping_nonce_hash: pingNonce !== undefined ? hashToken(pingNonce) : null,
      created_at_ms: this.#now(),
      user_code: userCode ?? null,
      started_at_ms: startedAtMs ?? null,
      started_from: startedFrom ?? null,
    };
    await this.#db
      .insertInto('registration_handoffs')
      .values({ account_id: accountId, ...values })
      .onConflict((oc) => oc.column('account_id').doUpdateSet(values))
      .execute();
  }

  /**
   * @example
   * (await handoffs.originOf(accountId)).userCode; // 'WDJB-MJHT'
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

  async get(accountId: number): Promise<Handoff | undefined> {
    return handoffOf(await this.#row(this.#db, accountId));
  }

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
   * await handoffs.pingNonceHashOf(accountId);
   */
  async pingNonceHashOf(accountId: number): Promise<string | undefined> {
    return (await this.#row(this.#db, accountId))?.ping_nonce_hash ?? undefined;
  }

  async accountOfConfirmationToken(token: string): Promise<number | undefined> {
    if (typeof token !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(token)) return undefined;
    const row = await this.#db.selectFrom('email_confirmations').select('account_id').where('token_hash', '=', hashToken(token)).executeTakeFirst();
    return row?.account_id;
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
