/**
 * Tickets over the `tickets` table: `givemeaticket` creates one, the registration page attaches
 * its callback URLs and PKCE challenge and binds the new account, the confirmation link completes
 * it, and `isitdone` reads it (through the protocol's `ticketState`).
 *
 * Why the plain one-time code sits in the ticket row: `isitdone` must hand the code to the polling
 * installer, and a hash cannot be handed out. The code alone is worth little: redeeming it needs
 * the PKCE verifier, which never leaves the installer (RFC 7636 §1), and whoever can read the row
 * can read the ticket next to it anyway. To keep the exposure short the plain copy is wiped
 * (set to NULL) when the code is redeemed, and when the ticket expires (lazily on `read`, and by
 * `purgeExpired`); `authorization_codes` keeps only its SHA-256.
 */
import { randomBytes } from 'node:crypto';
import {
  isRegistrationErrorReason,
  isValidChallenge,
  isValidPingNonce,
  isValidUserCode,
  newTicket,
  newUserCode,
  TICKET_LIFETIME_MS_DEFAULT,
  TICKET_PATTERN,
  type RegistrationErrorReason,
  type TicketRecord,
} from '@certwizard/protocol';
import type { Selectable } from 'kysely';
import type { TicketsTable } from '../store/schema.js';
import type { SqlDatabase } from '../store/sqlite-dialect.js';
import { TicketConflictError, TicketExpiredError, TicketFinishedError, TicketInputError, TicketUnknownError } from './errors.js';
import { AUTHORIZATION_CODE_LIFETIME_MS_DEFAULT, insertAuthorizationCode } from './installation-tokens.js';

/** Longest ticket lifetime {@link TicketStore.create} accepts, in ms (24 hours). */
export const TICKET_LIFETIME_MS_MAX = 24 * 60 * 60_000;

/** How long expired tickets and codes are kept before {@link TicketStore.purgeExpired} deletes them, in ms (24 hours). */
export const PURGE_GRACE_MS_DEFAULT = 24 * 60 * 60_000;

/** Longest `continue` or `error` URL stored, as the protocol's callback URL rules allow. */
const URL_MAX_LENGTH = 2048;

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

/** Options of {@link TicketStore}. */
export interface TicketStoreOptions {
  /** Clock, in ms since the epoch; `Date.now` by default. */
  readonly now?: () => number;
  /** Lifetime of the one-time codes `complete` issues, in ms; default 10 minutes. */
  readonly codeLifetimeMs?: number;
}

type Row = Selectable<TicketsTable>;

/**
 * Storage of tickets. Contract, for every implementation:
 * - Every change is one transaction that reads the ticket's state and changes it only while the
 *   ticket is pending and unexpired: otherwise it changes nothing and throws
 *   {@link TicketUnknownError} `ERR_TICKET_UNKNOWN`, {@link TicketExpiredError} `ERR_TICKET_EXPIRED`
 *   or {@link TicketFinishedError} `ERR_TICKET_FINISHED`. A finished ticket never changes again.
 * - The first `attach` and the first bound account win; a different second one is
 *   {@link TicketConflictError} `ERR_TICKET_CONFLICT`.
 * - Completing a ticket and issuing its one-time code happen in one transaction: both or neither.
 * - The ping nonce is handed out once by `takePingNonce` (read and wiped in one transaction).
 * - The plain code is never returned after the ticket has expired.
 */
export interface TicketRepository {
  /**
   * Creates a ticket and its user code.
   * @throws {TypeError} for a lifetime out of range, a bad nonce or `createdFrom` (caller misuse).
   */
  create(options?: { lifetimeMs?: number; pingNonce?: string; createdFrom?: string }): Promise<string>;
  /** The ping nonce given with the ticket, if any, wiped in the same transaction. */
  takePingNonce(ticket: string): Promise<string | undefined>;
  /** The ping nonce given with the ticket, if not yet wiped. Changes nothing. */
  pingNonceOf(ticket: string): Promise<string | undefined>;
  /**
   * Ties the registration page's callback URLs and PKCE challenge to a pending ticket.
   * @throws the ticket errors above; {@link TicketInputError} `ERR_TICKET_INVALID` for a bad value.
   */
  attach(ticket: string, attachment: TicketAttachment): Promise<void>;
  /**
   * Records the pending account registered with a pending ticket.
   * @throws the ticket errors above.
   */
  bindAccount(ticket: string, accountId: number): Promise<void>;
  /** The newest pending, unexpired ticket bound to an account, if any. */
  openTicketOf(accountId: number): Promise<string | undefined>;
  /**
   * Marks the registration done for an active account and, when the ticket carries a code
   * challenge, issues the one-time code in the same transaction.
   * @returns `{ code }` with PKCE, `{}` without.
   * @throws the ticket errors above; {@link TypeError} when the account is not active or the
   *   address is not its own (misuse).
   */
  complete(ticket: string, result: { accountId: number; email: string }): Promise<{ code?: string }>;
  /**
   * Marks the registration failed with one of the protocol's reasons.
   * @throws the ticket errors above; {@link TypeError} for another reason (misuse).
   */
  fail(ticket: string, reason: RegistrationErrorReason): Promise<void>;
  /** The ticket as `isitdone` needs it; `undefined` for an unknown or malformed ticket. */
  read(ticket: string): Promise<TicketRecord | undefined>;
  /** Everything stored about a ticket except the plain code. */
  get(ticket: string): Promise<StoredTicket | undefined>;
  /**
   * Wipes the plain codes of expired tickets and deletes tickets and codes expired for longer
   * than `graceMs`.
   * @returns how many tickets and codes were deleted.
   */
  purgeExpired(options?: { graceMs?: number }): Promise<{ tickets: number; codes: number }>;
}

/**
 * The SQLite implementation of {@link TicketRepository}.
 *
 * Decisions where the issue is silent:
 * - Every change needs a pending, unexpired ticket; a finished ticket never changes again
 *   ({@link TicketFinishedError}), an expired one is refused ({@link TicketExpiredError}).
 * - The first `attach` wins: a second one must repeat the same values (a page reload), otherwise
 *   {@link TicketConflictError}, so whoever learns a ticket cannot swap in their own challenge or
 *   callback URLs. Likewise the first bound account keeps the ticket.
 */
export class TicketStore implements TicketRepository {
  readonly #db: SqlDatabase;
  readonly #now: () => number;
  readonly #codeLifetimeMs: number;

  constructor(db: SqlDatabase, options: TicketStoreOptions = {}) {
    this.#db = db;
    this.#now = options.now ?? Date.now;
    this.#codeLifetimeMs = options.codeLifetimeMs ?? AUTHORIZATION_CODE_LIFETIME_MS_DEFAULT;
  }

  /**
   * Creates a ticket (`GET /index.php?id=givemeaticket`): 32 random bytes, base64url (256 bits,
   * above the 128 the issue asks for), and its user code (protocol `newUserCode`), which the
   * installer shows and the registration and confirmation pages repeat. Rate limiting is the
   * caller's, with `RateLimiter`.
   * @param options.lifetimeMs - how long the ticket lives, in ms: 1 to 24 hours' worth;
   *   default 30 minutes (`TICKET_LIFETIME_MS_DEFAULT`).
   * @param options.createdFrom - the address that asks (shown on the confirmation page); at most 64 characters.
   * @throws {TypeError} for a lifetime out of range (caller misuse; the config validates it).
   * @example
   * const ticket = await tickets.create({ createdFrom: '203.0.113.5' });
   * (await tickets.get(ticket))?.userCode; // e.g. 'WDJB-MJHT'
   */
  async create(options: { lifetimeMs?: number; pingNonce?: string; createdFrom?: string } = {}): Promise<string> {
    const lifetime = options.lifetimeMs ?? TICKET_LIFETIME_MS_DEFAULT;
    if (!Number.isSafeInteger(lifetime) || lifetime <= 0 || lifetime > TICKET_LIFETIME_MS_MAX) {
      throw new TypeError(`lifetimeMs must be an integer from 1 to ${TICKET_LIFETIME_MS_MAX}`);
    }
    if (options.pingNonce !== undefined && !isValidPingNonce(options.pingNonce)) throw new TypeError('pingNonce must be 22 to 128 base64url characters');
    if (options.createdFrom !== undefined && (typeof options.createdFrom !== 'string' || options.createdFrom.length > 64))
      throw new TypeError('createdFrom must be at most 64 characters');
    const ticket = newTicket(randomBytes);
    const userCode = newUserCode(randomBytes);
    const now = this.#now();
    await this.#db
      .insertInto('tickets')
      .values({
        ticket,
        created_at_ms: now,
        expires_at_ms: now + lifetime,
        ping_nonce: options.pingNonce ?? null,
        user_code: userCode,
        created_from: options.createdFrom ?? null,
      })
      .execute();
    return ticket;
  }

  /**
   * The ping nonce the installer gave with the ticket (`POST givemeaticket`), if any, and wipes
   * it: it goes into the registration's ping once, and is kept nowhere in clear after.
   * @example
   * const nonce = await tickets.takePingNonce(ticket);
   */
  takePingNonce(ticket: string): Promise<string | undefined> {
    return this.#db.transaction().execute(async (trx) => {
      const nonce = (await this.#row(ticket, trx))?.ping_nonce ?? undefined;
      if (nonce !== undefined) await trx.updateTable('tickets').set({ ping_nonce: null }).where('ticket', '=', ticket).execute();
      return nonce;
    });
  }

  /** The ping nonce the installer gave with the ticket, if it is still there (not wiped). */
  async pingNonceOf(ticket: string): Promise<string | undefined> {
    return (await this.#row(ticket))?.ping_nonce ?? undefined;
  }

  /**
   * Ties the registration page's parameters to a ticket. The URLs must already have passed the
   * protocol's `validateCallbackUrl` (its https allowlist is configuration the store does not
   * have); here they are only checked for type and length.
   * @throws {TicketUnknownError} `ERR_TICKET_UNKNOWN`, {@link TicketExpiredError} `ERR_TICKET_EXPIRED`,
   *   {@link TicketFinishedError} `ERR_TICKET_FINISHED`, {@link TicketConflictError}
   *   `ERR_TICKET_CONFLICT` (attached before with other values), {@link TicketInputError}
   *   `ERR_TICKET_INVALID` (a challenge that is not S256, RFC 7636 §4.2, or a bad URL). Nothing
   *   is changed on any of them.
   * @example
   * await tickets.attach(ticket, { continueUrl: 'http://127.0.0.1:8123/continue', codeChallenge });
   */
  async attach(ticket: string, attachment: TicketAttachment): Promise<void> {
    if (attachment.codeChallenge !== undefined && !isValidChallenge(attachment.codeChallenge)) {
      throw new TicketInputError('codeChallenge', 'code_challenge must be an S256 challenge: 43 base64url characters (RFC 7636 §4.2)');
    }
    for (const field of ['continueUrl', 'errorUrl'] as const) {
      const url = attachment[field];
      if (url !== undefined && (typeof url !== 'string' || url.length === 0 || url.length > URL_MAX_LENGTH)) {
        throw new TicketInputError(field, `${field} must be a URL of 1 to ${URL_MAX_LENGTH} characters`);
      }
    }
    await this.#db.transaction().execute(async (trx) => {
      const row = await this.#pending(ticket, trx);
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
   * Records which (pending) account registered with the ticket, so the confirmation link can
   * find the ticket again with {@link TicketStore.openTicketOf}.
   * @throws the same ticket errors as {@link TicketStore.attach}; `ERR_TICKET_CONFLICT` when
   *   another account is bound already.
   * @example
   * await tickets.bindAccount(ticket, accountId);
   */
  async bindAccount(ticket: string, accountId: number): Promise<void> {
    await this.#db.transaction().execute(async (trx) => {
      const row = await this.#pending(ticket, trx);
      if (row.account_id !== null && row.account_id !== accountId) {
        throw new TicketConflictError('the ticket is already tied to another account');
      }
      await trx.updateTable('tickets').set({ account_id: accountId }).where('ticket', '=', ticket).execute();
    });
  }

  /**
   * The newest pending, unexpired ticket bound to an account, if any.
   * @example
   * const ticket = await tickets.openTicketOf(accountId); // then complete or fail it
   */
  async openTicketOf(accountId: number): Promise<string | undefined> {
    const row = await this.#db
      .selectFrom('tickets')
      .select('ticket')
      .where('account_id', '=', accountId)
      .where('completed_at_ms', 'is', null)
      .where('expires_at_ms', '>', this.#now())
      .orderBy('created_at_ms', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row?.ticket;
  }

  /**
   * Marks the registration done, after the address was confirmed. When the ticket carries a
   * code challenge, also issues the one-time authorization code (RFC 7636 §4.4), in the same
   * transaction, and returns it for the continue link; `read` returns it to `isitdone` until it
   * is redeemed or the ticket expires.
   * @param result.accountId - the active account registered with the ticket.
   * @param result.email - its address (checked against the account, case-insensitively).
   * @returns `{ code }` with PKCE, `{}` without.
   * @throws the ticket errors of {@link TicketStore.attach} (conflict: bound to another account).
   * @throws {TypeError} when the account is not active or the address is not its own (misuse).
   * @example
   * const { code } = await tickets.complete(ticket, { accountId, email });
   */
  complete(ticket: string, result: { accountId: number; email: string }): Promise<{ code?: string }> {
    const { accountId, email } = result;
    return this.#db.transaction().execute(async (trx) => {
      const row = await this.#pending(ticket, trx);
      if (row.account_id !== null && row.account_id !== accountId) {
        throw new TicketConflictError('the ticket is already tied to another account');
      }
      const account = await trx.selectFrom('accounts').select('email').where('id', '=', accountId).where('status', '=', 'active').executeTakeFirst();
      if (account === undefined) throw new TypeError('a ticket is completed only for an active account');
      if (account.email.toLowerCase() !== email.toLowerCase()) throw new TypeError("the email address is not the account's");
      const now = this.#now();
      // Issued inside this transaction: the code and the done answer exist together or not at all.
      const code =
        row.code_challenge !== null
          ? await insertAuthorizationCode(trx, accountId, row.code_challenge, { now, lifetimeMs: this.#codeLifetimeMs, ticket })
          : null;
      await trx.updateTable('tickets').set({ account_id: accountId, email: account.email, completed_at_ms: now, code }).where('ticket', '=', ticket).execute();
      return code !== null ? { code } : {};
    });
  }

  /**
   * Marks the registration failed with a documented reason (`address_taken`, `ticket_expired`,
   * `cancelled`, `confirmation_failed`, `invalid_request`).
   * @throws the ticket errors of {@link TicketStore.attach}.
   * @throws {TypeError} for a reason outside the protocol's list (caller misuse).
   * @example
   * await tickets.fail(ticket, 'cancelled');
   */
  async fail(ticket: string, reason: RegistrationErrorReason): Promise<void> {
    if (!isRegistrationErrorReason(reason)) throw new TypeError("reason must be one of the protocol's registration error reasons");
    await this.#db.transaction().execute(async (trx) => {
      await this.#pending(ticket, trx);
      await trx.updateTable('tickets').set({ error_reason: reason, completed_at_ms: this.#now() }).where('ticket', '=', ticket).execute();
    });
  }

  /**
   * The ticket as `isitdone` needs it (pass it to the protocol's `ticketState`); `undefined` for an
   * unknown or malformed ticket. The plain code is included until it is redeemed; once the ticket
   * has expired it is wiped from the row and never returned.
   * @example
   * ticketState(await tickets.read(ticket), Date.now());
   */
  async read(ticket: string): Promise<TicketRecord | undefined> {
    const row = await this.#row(ticket);
    if (row === undefined) return undefined;
    if (row.code !== null && this.#now() >= row.expires_at_ms) {
      await this.#db
        .updateTable('tickets')
        .set({ code: null })
        .where('ticket', '=', ticket)
        .where('code', 'is not', null)
        .where('expires_at_ms', '<=', this.#now())
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
   * Everything stored about a ticket except the plain code, for the registration page.
   * @example
   * (await tickets.get(ticket))?.continueUrl;
   */
  async get(ticket: string): Promise<StoredTicket | undefined> {
    const row = await this.#row(ticket);
    if (row === undefined) return undefined;
    return {
      ticket: row.ticket,
      ...(row.user_code !== null && isValidUserCode(row.user_code) ? { userCode: row.user_code } : {}),
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
   * Housekeeping, to run periodically: wipes the plain codes of expired tickets, and deletes
   * tickets and authorization codes expired for longer than `graceMs`. During the grace period
   * `isitdone` still answers `expired` rather than `unknown`.
   * @param options.graceMs - in ms; default {@link PURGE_GRACE_MS_DEFAULT}.
   * @returns how many tickets and codes were deleted.
   * @example
   * await tickets.purgeExpired(); // { tickets: 3, codes: 1 }
   */
  async purgeExpired(options: { graceMs?: number } = {}): Promise<{ tickets: number; codes: number }> {
    const grace = options.graceMs ?? PURGE_GRACE_MS_DEFAULT;
    if (!Number.isSafeInteger(grace) || grace < 0) throw new TypeError('graceMs must be a non-negative integer');
    return this.#db.transaction().execute(async (trx) => {
      const now = this.#now();
      await trx.updateTable('tickets').set({ code: null }).where('code', 'is not', null).where('expires_at_ms', '<=', now).execute();
      const codes = await trx
        .deleteFrom('authorization_codes')
        .where('expires_at_ms', '<=', now - grace)
        .executeTakeFirst();
      const tickets = await trx
        .deleteFrom('tickets')
        .where('expires_at_ms', '<=', now - grace)
        .executeTakeFirst();
      return { tickets: Number(tickets.numDeletedRows), codes: Number(codes.numDeletedRows) };
    });
  }

  async #row(ticket: string, db: SqlDatabase = this.#db): Promise<Row | undefined> {
    if (typeof ticket !== 'string' || !TICKET_PATTERN.test(ticket)) return undefined;
    return db.selectFrom('tickets').selectAll().where('ticket', '=', ticket).executeTakeFirst();
  }

  /** The row of a ticket that may still change, or the typed reason why it may not. */
  async #pending(ticket: string, db: SqlDatabase): Promise<Row> {
    const row = await this.#row(ticket, db);
    if (row === undefined) throw new TicketUnknownError('no such ticket');
    if (this.#now() >= row.expires_at_ms) throw new TicketExpiredError('the ticket has expired');
    if (row.completed_at_ms !== null) throw new TicketFinishedError('the registration for this ticket has already finished');
    return row;
  }
}
