/**
 * The ticket rules above the repository: a ticket is 32 random bytes, base64url (256 bits, above
 * the 128 the issue asks for), with a user code (protocol `newUserCode`) the installer shows and
 * the registration and confirmation pages repeat; it lives 30 minutes by default, at most 24
 * hours; what the registration page attaches is checked here; completing a ticket that carries a
 * PKCE challenge issues a one-time code (32 random bytes, stored as SHA-256, living
 * {@link AUTHORIZATION_CODE_LIFETIME_MS_DEFAULT}); expired tickets are kept a grace period, so
 * `isitdone` answers `expired` rather than `unknown`. The repository ({@link TicketRepository})
 * enforces the ticket's states in the database.
 */
import { randomBytes } from 'node:crypto';
import {
  isRegistrationErrorReason,
  isValidChallenge,
  isValidPingNonce,
  isValidUserCode,
  newTicket,
  newUserCode,
  type RegistrationErrorReason,
  TICKET_LIFETIME_MS_DEFAULT,
  TICKET_PATTERN,
  type TicketRecord,
} from '@certwizard/protocol';
import { newBearerSecret } from './bearer-secret.js';
import { TicketInputError, TicketUnknownError } from './errors.js';
import { AUTHORIZATION_CODE_LIFETIME_MS_DEFAULT } from './installation-token-service.js';
import { positiveInteger } from './positive-integer.js';
import type { StoredTicket, TicketAttachment, TicketRepository } from './ticket-store.js';

/** Longest ticket lifetime {@link TicketService.create} accepts, in ms (24 hours). */
export const TICKET_LIFETIME_MS_MAX = 24 * 60 * 60_000;

/** How long expired tickets and codes are kept before {@link TicketService.purgeExpired} deletes them, in ms (24 hours). */
export const PURGE_GRACE_MS_DEFAULT = 24 * 60 * 60_000;

/** Longest `continue` or `error` URL stored, as the protocol's callback URL rules allow. */
const URL_MAX_LENGTH = 2048;

/** Options of {@link TicketService}. */
export interface TicketServiceOptions {
  /** Clock, in ms since the epoch; `Date.now` by default. */
  readonly now?: () => number;
  /** Lifetime of the one-time codes `complete` issues, in ms; default {@link AUTHORIZATION_CODE_LIFETIME_MS_DEFAULT}. */
  readonly codeLifetimeMs?: number;
}

/**
 * Tickets over a {@link TicketRepository}.
 *
 * Decisions where the issue is silent:
 * - Every change needs a pending, unexpired ticket; a finished ticket never changes again
 *   (`ERR_TICKET_FINISHED`), an expired one is refused (`ERR_TICKET_EXPIRED`).
 * - The first `attach` wins: a second one must repeat the same values (a page reload), otherwise
 *   `ERR_TICKET_CONFLICT`, so whoever learns a ticket cannot swap in their own challenge or
 *   callback URLs. Likewise the first bound account keeps the ticket.
 * @example
 * const tickets = new TicketService(new TicketStore(sql));
 * const ticket = await tickets.create({ createdFrom: '203.0.113.5' });
 */
export class TicketService {
  readonly #repository: TicketRepository;
  readonly #now: () => number;
  readonly #codeLifetimeMs: number;

  /** @throws {TypeError} for a code lifetime that is not a positive integer. */
  constructor(repository: TicketRepository, options: TicketServiceOptions = {}) {
    this.#repository = repository;
    this.#now = options.now ?? Date.now;
    this.#codeLifetimeMs = positiveInteger(options.codeLifetimeMs ?? AUTHORIZATION_CODE_LIFETIME_MS_DEFAULT, 'codeLifetimeMs');
  }

  /**
   * Creates a ticket (`GET /index.php?id=givemeaticket`) and its user code. Rate limiting is the
   * caller's, with `RateLimiter`.
   * @param options.lifetimeMs - how long the ticket lives, in ms: 1 to 24 hours' worth;
   *   default 30 minutes (`TICKET_LIFETIME_MS_DEFAULT`).
   * @param options.pingNonce - the installer's ping nonce (`POST givemeaticket`).
   * @param options.createdFrom - the address that asks (shown on the confirmation page); at most 64 characters.
   * @throws {TypeError} for a lifetime out of range, a bad nonce or `createdFrom` (caller misuse;
   *   the config and the endpoint validate them).
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
    const now = this.#now();
    await this.#repository.insert({
      ticket,
      userCode: newUserCode(randomBytes),
      createdAtMs: now,
      expiresAtMs: now + lifetime,
      pingNonce: options.pingNonce,
      createdFrom: options.createdFrom,
    });
    return ticket;
  }

  /**
   * The ping nonce the installer gave with the ticket, if any, and wipes it: it goes into the
   * registration's ping once, and is kept nowhere in clear after.
   * @example
   * const nonce = await tickets.takePingNonce(ticket);
   */
  async takePingNonce(ticket: string): Promise<string | undefined> {
    return isTicket(ticket) ? this.#repository.takePingNonce(ticket) : undefined;
  }

  /**
   * The ping nonce the installer gave with the ticket, if it is still there (not wiped).
   * @example
   * await tickets.pingNonceOf(ticket);
   */
  async pingNonceOf(ticket: string): Promise<string | undefined> {
    return isTicket(ticket) ? this.#repository.pingNonceOf(ticket) : undefined;
  }

  /**
   * Ties the registration page's parameters to a ticket. The URLs must already have passed the
   * protocol's `validateCallbackUrl` (its https allowlist is configuration this service does not
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
    await this.#repository.attach(knownShape(ticket), attachment, this.#now());
  }

  /**
   * Records which (pending) account registered with the ticket, so the confirmation link can
   * find the ticket again with {@link TicketService.openTicketOf}.
   * @throws the same ticket errors as {@link TicketService.attach}; `ERR_TICKET_CONFLICT` when
   *   another account is bound already.
   * @example
   * await tickets.bindAccount(ticket, accountId);
   */
  async bindAccount(ticket: string, accountId: number): Promise<void> {
    return this.#repository.bindAccount(knownShape(ticket), accountId, this.#now());
  }

  /**
   * The newest pending, unexpired ticket bound to an account, if any.
   * @example
   * const ticket = await tickets.openTicketOf(accountId); // then complete or fail it
   */
  openTicketOf(accountId: number): Promise<string | undefined> {
    return this.#repository.openTicketOf(accountId, this.#now());
  }

  /**
   * Marks the registration done, after the address was confirmed. When the ticket carries a
   * code challenge, also issues the one-time authorization code (RFC 7636 §4.4), in the same
   * transaction, and returns it for the continue link; `read` returns it to `isitdone` until it
   * is redeemed or the ticket expires.
   * @param result.accountId - the active account registered with the ticket.
   * @param result.email - its address (checked against the account, case-insensitively).
   * @returns `{ code }` with PKCE, `{}` without.
   * @throws the ticket errors of {@link TicketService.attach} (conflict: bound to another account).
   * @throws {TypeError} when the account is not active or the address is not its own (misuse).
   * @example
   * const { code } = await tickets.complete(ticket, { accountId, email });
   */
  async complete(ticket: string, result: { accountId: number; email: string }): Promise<{ code?: string }> {
    // Made whether or not the ticket carries a challenge: only the repository's transaction
    // knows, and an unused code costs 32 random bytes.
    const { secret: code, digest: codeHash } = newBearerSecret();
    const nowMs = this.#now();
    return this.#repository.complete(knownShape(ticket), result, { nowMs, code: { code, codeHash, expiresAtMs: nowMs + this.#codeLifetimeMs } });
  }

  /**
   * Marks the registration failed with a documented reason (`address_taken`, `ticket_expired`,
   * `cancelled`, `confirmation_failed`, `invalid_request`).
   * @throws the ticket errors of {@link TicketService.attach}.
   * @throws {TypeError} for a reason outside the protocol's list (caller misuse).
   * @example
   * await tickets.fail(ticket, 'cancelled');
   */
  async fail(ticket: string, reason: RegistrationErrorReason): Promise<void> {
    if (!isRegistrationErrorReason(reason)) throw new TypeError("reason must be one of the protocol's registration error reasons");
    await this.#repository.fail(knownShape(ticket), reason, this.#now());
  }

  /**
   * The ticket as `isitdone` needs it (pass it to the protocol's `ticketState`); `undefined` for an
   * unknown or malformed ticket. The plain code is included until it is redeemed; once the ticket
   * has expired it is wiped from the row and never returned.
   * @example
   * ticketState(await tickets.read(ticket), Date.now());
   */
  async read(ticket: string): Promise<TicketRecord | undefined> {
    return isTicket(ticket) ? this.#repository.read(ticket, this.#now()) : undefined;
  }

  /**
   * Everything stored about a ticket except the plain code, for the registration page;
   * `undefined` for an unknown or malformed ticket.
   * @example
   * (await tickets.get(ticket))?.continueUrl;
   */
  async get(ticket: string): Promise<StoredTicket | undefined> {
    const stored = isTicket(ticket) ? await this.#repository.get(ticket) : undefined;
    if (stored?.userCode === undefined || isValidUserCode(stored.userCode)) return stored;
    // A user code is repeated on pages as it is: one that is not of the protocol's shape is not shown.
    const { userCode: _unshown, ...rest } = stored;
    return rest;
  }

  /**
   * Housekeeping, to run periodically: wipes the plain codes of expired tickets, and deletes
   * tickets and authorization codes expired for longer than `graceMs`. During the grace period
   * `isitdone` still answers `expired` rather than `unknown`.
   * @param options.graceMs - in ms; default {@link PURGE_GRACE_MS_DEFAULT}.
   * @returns how many tickets and codes were deleted.
   * @throws {TypeError} for a negative or non-integer grace.
   * @example
   * await tickets.purgeExpired(); // { tickets: 3, codes: 1 }
   */
  async purgeExpired(options: { graceMs?: number } = {}): Promise<{ tickets: number; codes: number }> {
    const grace = options.graceMs ?? PURGE_GRACE_MS_DEFAULT;
    if (!Number.isSafeInteger(grace) || grace < 0) throw new TypeError('graceMs must be a non-negative integer');
    const now = this.#now();
    return this.#repository.purgeExpired(now, now - grace);
  }
}

function isTicket(ticket: unknown): ticket is string {
  return typeof ticket === 'string' && TICKET_PATTERN.test(ticket);
}

/** The ticket when it has the shape of one; else no ticket has it: `ERR_TICKET_UNKNOWN`. */
function knownShape(ticket: string): string {
  if (!isTicket(ticket)) throw new TicketUnknownError('no such ticket');
  return ticket;
}
