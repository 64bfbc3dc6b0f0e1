/**
 * Tickets over the `tickets` table: `givemeaticket` creates one, the registration page attaches
 * its callback URLs and PKCE challenge and binds the new account, the confirmation link completes
 * it, and `isitdone` reads it (through the protocol's `ticketState`). The repository stores what
 * it is given and enforces the ticket's states; the ticket, its user code, the one-time code,
 * lifetimes and input checks are `TicketService`'s (ticket-service.ts).
 *
 * Why the plain one-time code sits in the ticket row: `isitdone` must hand the code to the polling
 * installer, and a hash cannot be handed out. The code alone is worth little: redeeming it needs
 * the PKCE verifier, which never leaves the installer (RFC 7636 §1), and whoever can read the row
 * can read the ticket next to it anyway. To keep the exposure short the plain copy is wiped
 * (set to NULL) when the code is redeemed, and when the ticket expires (lazily on `read`, and by
 * `purgeExpired`); `authorization_codes` keeps only its SHA-256.
 */
import type { RegistrationErrorReason, TicketRecord } from '@certwizard/protocol';
import type { Selectable } from 'kysely';
import type { TicketsTable } from '../store/schema.js';
import type { SqlDatabase } from '../store/sqlite-dialect.js';
import { TicketConflictError, TicketExpiredError, TicketFinishedError, TicketUnknownError } from './errors.js';
import { insertAuthorizationCode } from './installation-tokens.js';

/** What the registration page attaches to a ticket. */
export interface TicketAttachment {
  /** Where the browser goes on success; already checked with the protocol's `validateCallbackUrl`. */
  readonly continueUrl?: string;
  /** Where the browser goes on failure; already checked like `continueUrl`. */
  readonly errorUrl?: string;
  /** RFC 7636 §4.2 S256 challenge; its presence makes `complete` issue a one-time code. */
  readonly codeChallenge?: string;
}

/** Everything stored about a ticket except the plain code. */
export interface StoredTicket extends TicketAttachment {
  readonly ticket: string;
  /** The user code the installer shows (absent for tickets made before migration 9). */
  readonly userCode?: string;
  /** The address that asked for the ticket, as the CA saw it (absent before migration 9). */
  readonly createdFrom?: string;
  readonly createdAtMs: number;
  readonly expiresAtMs: number;
  /** The account registered with the ticket (bound while pending, kept on completion). */
  readonly accountId?: number;
  readonly completedAtMs?: number;
  readonly emailAddress?: string;
  readonly errorReason?: RegistrationErrorReason;
}

/** A ticket as {@link TicketRepository.insert} stores it. */
export interface NewTicket {
  readonly ticket: string;
  readonly userCode: string;
  readonly createdAtMs: number;
  readonly expiresAtMs: number;
  /** The installer's ping nonce, kept in clear until {@link TicketRepository.takePingNonce}. */
  readonly pingNonce?: string;
  /** The address that asked for the ticket. */
  readonly createdFrom?: string;
}

/** The one-time code {@link TicketRepository.complete} issues when the ticket carries a challenge. */
export interface TicketCode {
  /** The code itself, kept in the ticket row for `isitdone` until redeemed or expired. */
  readonly code: string;
  /** `hashToken` of the code, the only form `authorization_codes` keeps. */
  readonly codeHash: string;
  readonly expiresAtMs: number;
}

type Row = Selectable<TicketsTable>;

/**
 * Storage of tickets. It holds no policy: the ticket, its user code, the code and every lifetime
 * are the caller's, and every input has been checked by it. Contract, for every implementation:
 * - Every change is one transaction that reads the ticket's state and changes it only while the
 *   ticket is pending and unexpired at the `nowMs` given: otherwise it changes nothing and throws
 *   {@link TicketUnknownError} `ERR_TICKET_UNKNOWN`, {@link TicketExpiredError} `ERR_TICKET_EXPIRED`
 *   or {@link TicketFinishedError} `ERR_TICKET_FINISHED`. A finished ticket never changes again.
 * - The first `attach` and the first bound account win; a different second one is
 *   {@link TicketConflictError} `ERR_TICKET_CONFLICT`, so whoever learns a ticket cannot swap in
 *   their own challenge or callback URLs.
 * - Completing a ticket and issuing its one-time code happen in one transaction: both or neither.
 * - The ping nonce is handed out once by `takePingNonce` (read and wiped in one transaction).
 * - The plain code is never returned once the ticket has expired.
 */
export interface TicketRepository {
  /** Stores a new ticket. */
  insert(ticket: NewTicket): Promise<void>;
  /** The ping nonce given with the ticket, if any, wiped in the same transaction. */
  takePingNonce(ticket: string): Promise<string | undefined>;
  /** The ping nonce given with the ticket, if not yet wiped. Changes nothing. */
  pingNonceOf(ticket: string): Promise<string | undefined>;
  /**
   * Ties checked callback URLs and PKCE challenge to a ticket pending at `nowMs`; the same values
   * again (a page reload) change nothing.
   * @throws the ticket errors above.
   */
  attach(ticket: string, attachment: TicketAttachment, nowMs: number): Promise<void>;
  /**
   * Records the pending account registered with a ticket pending at `nowMs`.
   * @throws the ticket errors above.
   */
  bindAccount(ticket: string, accountId: number, nowMs: number): Promise<void>;
  /** The newest ticket bound to an account that is pending and unexpired at `nowMs`, if any. */
  openTicketOf(accountId: number, nowMs: number): Promise<string | undefined>;
  /**
   * Marks the registration done at `nowMs` for an active account and, when the ticket carries a
   * code challenge, stores `code` bound to it in the same transaction.
   * @returns `{ code }` when the code was stored, `{}` without a challenge.
   * @throws the ticket errors above; {@link TypeError} when the account is not active or the
   *   address is not its own (misuse).
   */
  complete(ticket: string, result: { accountId: number; email: string }, issue: { nowMs: number; code: TicketCode }): Promise<{ code?: string }>;
  /**
   * Marks the registration failed at `nowMs` with a (checked) reason.
   * @throws the ticket errors above.
   */
  fail(ticket: string, reason: RegistrationErrorReason, nowMs: number): Promise<void>;
  /**
   * The ticket as `isitdone` needs it; `undefined` for an unknown one. When it has expired at
   * `nowMs`, its plain code is wiped and not returned.
   */
  read(ticket: string, nowMs: number): Promise<TicketRecord | undefined>;
  /** Everything stored about a ticket except the plain code. */
  get(ticket: string): Promise<StoredTicket | undefined>;
  /**
   * Wipes the plain codes of tickets expired at `nowMs`, and deletes tickets and authorization
   * codes that expired at or before `expiredBeforeMs`.
   * @returns how many tickets and codes were deleted.
   */
  purgeExpired(nowMs: number, expiredBeforeMs: number): Promise<{ tickets: number; codes: number }>;
}

/**
 * The SQLite implementation of {@link TicketRepository}.
 * @example
 * const tickets = new TicketService(new TicketStore(sql));
 */
export class TicketStore implements TicketRepository {
  readonly #db: SqlDatabase;

  constructor(db: SqlDatabase) {
    this.#db = db;
  }

  /**
   * @example
   * await store.insert({ ticket, userCode, createdAtMs, expiresAtMs });
   */
  async insert(ticket: NewTicket): Promise<void> {
    await this.#db
      .insertInto('tickets')
      .values({
        ticket: ticket.ticket,
        created_at_ms: ticket.createdAtMs,
        expires_at_ms: ticket.expiresAtMs,
        ping_nonce: ticket.pingNonce ?? null,
        user_code: ticket.userCode,
        created_from: ticket.createdFrom ?? null,
      })
      .execute();
  }

  /**
   * The nonce goes into the registration's ping once, and is kept nowhere in clear after.
   * @example
   * const nonce = await store.takePingNonce(ticket);
   */
  takePingNonce(ticket: string): Promise<string | undefined> {
    return this.#db.transaction().execute(async (trx) => {
      const nonce = (await this.#row(ticket, trx))?.ping_nonce ?? undefined;
      if (nonce !== undefined) await trx.updateTable('tickets').set({ ping_nonce: null }).where('ticket', '=', ticket).execute();
      return nonce;
    });
  }

  /**
   * @example
   * await store.pingNonceOf(ticket);
   */
  async pingNonceOf(ticket: string): Promise<string | undefined> {
    return (await this.#row(ticket))?.ping_nonce ?? undefined;
  }

  /**
   * @example
   * await store.attach(ticket, { continueUrl, codeChallenge }, Date.now());
   */
  async attach(ticket: string, attachment: TicketAttachment, nowMs: number): Promise<void> {
    await this.#db.transaction().execute(async (trx) => {
      const row = await this.#pending(ticket, nowMs, trx);
      const wanted = [attachment.continueUrl ?? null, attachment.errorUrl ?? null, attachment.codeChallenge ?? null] as const;
      const stored = [row.continue_url, row.error_url, row.code_challenge];
      const attached = stored.some((v) => v !== null);
      if (attached && wanted.some((v, i) => v !== stored[i])) {
        throw new TicketConflictError('the ticket is already tied to another registration request');
      }
      await trx.updateTable('tickets').set({ continue_url: wanted[0], error_url: wanted[1], code_challenge: wanted[2] }).where('ticket', '=', ticket).execute();
    });
  }

  /**
   * @example
   * await store.bindAccount(ticket, accountId, Date.now());
   */
  async bindAccount(ticket: string, accountId: number, nowMs: number): Promise<void> {
    await this.#db.transaction().execute(async (trx) => {
      const row = await this.#pending(ticket, nowMs, trx);
      if (row.account_id !== null && row.account_id !== accountId) {
        throw new TicketConflictError('the ticket is already tied to another account');
      }
      await trx.updateTable('tickets').set({ account_id: accountId }).where('ticket', '=', ticket).execute();
    });
  }

  /**
   * @example
   * const ticket = await store.openTicketOf(accountId, Date.now());
   */
  async openTicketOf(accountId: number, nowMs: number): Promise<string | undefined> {
    const row = await this.#db
      .selectFrom('tickets')
      .select('ticket')
      .where('account_id', '=', accountId)
      .where('completed_at_ms', 'is', null)
      .where('expires_at_ms', '>', nowMs)
      .orderBy('created_at_ms', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row?.ticket;
  }

  /**
   * @example
   * const { code } = await store.complete(ticket, { accountId, email }, { nowMs, code: { code, codeHash, expiresAtMs } });
   */
  complete(ticket: string, result: { accountId: number; email: string }, issue: { nowMs: number; code: TicketCode }): Promise<{ code?: string }> {
    const { accountId, email } = result;
    const { nowMs } = issue;
    return this.#db.transaction().execute(async (trx) => {
      const row = await this.#pending(ticket, nowMs, trx);
      if (row.account_id !== null && row.account_id !== accountId) {
        throw new TicketConflictError('the ticket is already tied to another account');
      }
      const account = await trx.selectFrom('accounts').select('email').where('id', '=', accountId).where('status', '=', 'active').executeTakeFirst();
      if (account === undefined) throw new TypeError('a ticket is completed only for an active account');
      if (account.email.toLowerCase() !== email.toLowerCase()) throw new TypeError("the email address is not the account's");
      // Stored inside this transaction: the code and the done answer exist together or not at all.
      const code = row.code_challenge !== null ? issue.code.code : null;
      if (row.code_challenge !== null) {
        const { codeHash, expiresAtMs } = issue.code;
        await insertAuthorizationCode(trx, { codeHash, accountId, codeChallenge: row.code_challenge, ticket, createdAtMs: nowMs, expiresAtMs });
      }
      await trx
        .updateTable('tickets')
        .set({ account_id: accountId, email: account.email, completed_at_ms: nowMs, code })
        .where('ticket', '=', ticket)
        .execute();
      return code !== null ? { code } : {};
    });
  }

  /**
   * @example
   * await store.fail(ticket, 'cancelled', Date.now());
   */
  async fail(ticket: string, reason: RegistrationErrorReason, nowMs: number): Promise<void> {
    await this.#db.transaction().execute(async (trx) => {
      await this.#pending(ticket, nowMs, trx);
      await trx.updateTable('tickets').set({ error_reason: reason, completed_at_ms: nowMs }).where('ticket', '=', ticket).execute();
    });
  }

  /**
   * @example
   * ticketState(await store.read(ticket, Date.now()), Date.now());
   */
  async read(ticket: string, nowMs: number): Promise<TicketRecord | undefined> {
    const row = await this.#row(ticket);
    if (row === undefined) return undefined;
    if (row.code !== null && nowMs >= row.expires_at_ms) {
      await this.#db
        .updateTable('tickets')
        .set({ code: null })
        .where('ticket', '=', ticket)
        .where('code', 'is not', null)
        .where('expires_at_ms', '<=', nowMs)
        .execute();
      row.code = null;
    }
    return {
      createdAtMs: row.created_at_ms,
      expiresAtMs: row.expires_at_ms,
      ...(row.completed_at_ms !== null ? { completedAtMs: row.completed_at_ms } : {}),
      ...(row.email !== null ? { emailAddress: row.email } : {}),
      ...(row.error_reason !== null ? { errorReason: row.error_reason as RegistrationErrorReason } : {}),
      ...(row.code !== null ? { code: row.code } : {}),
    };
  }

  /**
   * @example
   * (await store.get(ticket))?.continueUrl;
   */
  async get(ticket: string): Promise<StoredTicket | undefined> {
    const row = await this.#row(ticket);
    if (row === undefined) return undefined;
    return {
      ticket: row.ticket,
      ...(row.user_code !== null ? { userCode: row.user_code } : {}),
      ...(row.created_from !== null ? { createdFrom: row.created_from } : {}),
      createdAtMs: row.created_at_ms,
      expiresAtMs: row.expires_at_ms,
      ...(row.account_id !== null ? { accountId: row.account_id } : {}),
      ...(row.completed_at_ms !== null ? { completedAtMs: row.completed_at_ms } : {}),
      ...(row.email !== null ? { emailAddress: row.email } : {}),
      ...(row.error_reason !== null ? { errorReason: row.error_reason as RegistrationErrorReason } : {}),
      ...(row.continue_url !== null ? { continueUrl: row.continue_url } : {}),
      ...(row.error_url !== null ? { errorUrl: row.error_url } : {}),
      ...(row.code_challenge !== null ? { codeChallenge: row.code_challenge } : {}),
    };
  }

  /**
   * @example
   * await store.purgeExpired(now, now - DAY); // { tickets: 3, codes: 1 }
   */
  purgeExpired(nowMs: number, expiredBeforeMs: number): Promise<{ tickets: number; codes: number }> {
    return this.#db.transaction().execute(async (trx) => {
      await trx.updateTable('tickets').set({ code: null }).where('code', 'is not', null).where('expires_at_ms', '<=', nowMs).execute();
      const codes = await trx.deleteFrom('authorization_codes').where('expires_at_ms', '<=', expiredBeforeMs).executeTakeFirst();
      const tickets = await trx.deleteFrom('tickets').where('expires_at_ms', '<=', expiredBeforeMs).executeTakeFirst();
      return { tickets: Number(tickets.numDeletedRows), codes: Number(codes.numDeletedRows) };
    });
  }

  #row(ticket: string, db: SqlDatabase = this.#db): Promise<Row | undefined> {
    return db.selectFrom('tickets').selectAll().where('ticket', '=', ticket).executeTakeFirst();
  }

  /** The row of a ticket that may still change at `nowMs`, or the typed reason why it may not. */
  async #pending(ticket: string, nowMs: number, db: SqlDatabase): Promise<Row> {
    const row = await this.#row(ticket, db);
    if (row === undefined) throw new TicketUnknownError('no such ticket');
    if (nowMs >= row.expires_at_ms) throw new TicketExpiredError('the ticket has expired');
    if (row.completed_at_ms !== null) throw new TicketFinishedError('the registration for this ticket has already finished');
    return row;
  }
}
