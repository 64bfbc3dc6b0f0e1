/**
 * The rules of pings to additional addresses (`POST /api/addresses`), above the repository: each
 * ping has a token (32 random bytes, base64url, mailed in the link; stored as SHA-256 only),
 * optionally the SHA-256 of the requester's nonce, a lifetime, and hourly limits per account and
 * per address. The repository ({@link AddressPingRepository}) counts and inserts in one
 * transaction and uses a ping once.
 */
import { isValidPingNonce } from '@certwizard/protocol';
import type { AddressPingRecord, AddressPingRepository } from './address-pings.js';
import { isBearerSecret, newBearerSecret } from './bearer-secret.js';
import { hashToken } from './password.js';
import { PING_LIMIT_WINDOW_MS, pingLimitError } from './ping-limits.js';
import { positiveInteger } from './positive-integer.js';

/** How long a ping's link works by default, in ms (24 hours). */
export const PING_LIFETIME_MS_DEFAULT = 24 * 60 * 60_000;

/** How many pings an account may ask for per hour, by default. */
export const PINGS_PER_HOUR_DEFAULT = 10;

/**
 * Pings one address may receive in any hour, whichever accounts asked: many accounts must not
 * add up to a flood of one mailbox.
 */
export const PINGS_PER_ADDRESS_PER_HOUR = 5;

/** Options of {@link AddressPingService}. */
export interface AddressPingServiceOptions {
  /** Clock, in ms since the epoch; `Date.now` by default. */
  readonly now?: () => number;
  /** Lifetime of a ping's link, in ms; default {@link PING_LIFETIME_MS_DEFAULT}. */
  readonly lifetimeMs?: number;
  /** Pings an account may ask for in any hour; default {@link PINGS_PER_HOUR_DEFAULT}. */
  readonly perHour?: number;
}

/**
 * Address pings over an {@link AddressPingRepository}. The hourly limits are sliding windows of
 * one hour counted in storage, so they hold across restarts and several CA processes; a ping
 * whose mail could not be sent is {@link AddressPingService.remove}d and does not count.
 * @example
 * const pings = new AddressPingService(new AddressPingStore(sql));
 * const { id, token } = await pings.create(account.id, 'ada@example.net', { nonce });
 * // ...mail the link with `token`; later, from the link:
 * await pings.confirm(id); // the address is now confirmed
 */
export class AddressPingService {
  readonly #repository: AddressPingRepository;
  readonly #now: () => number;
  readonly #lifetimeMs: number;
  readonly #perHour: number;

  /** @throws {TypeError} for a non-positive or non-integer lifetime or limit. */
  constructor(repository: AddressPingRepository, options: AddressPingServiceOptions = {}) {
    this.#repository = repository;
    this.#now = options.now ?? Date.now;
    this.#lifetimeMs = positiveInteger(options.lifetimeMs ?? PING_LIFETIME_MS_DEFAULT, 'lifetimeMs');
    this.#perHour = positiveInteger(options.perHour ?? PINGS_PER_HOUR_DEFAULT, 'perHour');
  }

  /**
   * Makes a ping for `email` (already normalised by the caller) of the account.
   * @returns the ping's id, its token (never readable again: only its SHA-256 is stored) and expiry.
   * @throws {PingLimitError} `ERR_PING_LIMIT` with `retryAfterMs` over a limit; nothing is stored.
   * @throws {TypeError} for a malformed nonce (the caller checks it first).
   * @example
   * const { id, token } = await pings.create(accountId, 'ada@example.net', { nonce });
   */
  async create(accountId: number, email: string, options: { nonce?: string } = {}): Promise<{ id: number; token: string; expiresAtMs: number }> {
    if (options.nonce !== undefined && !isValidPingNonce(options.nonce)) throw new TypeError('nonce must be 22 to 128 base64url characters');
    const { secret: token, digest: tokenHash } = newBearerSecret();
    const now = this.#now();
    const expiresAtMs = now + this.#lifetimeMs;
    const stored = await this.#repository.insertWithinLimits(
      {
        tokenHash,
        accountId,
        email,
        ...(options.nonce !== undefined ? { nonceHash: hashToken(options.nonce) } : {}),
        createdAtMs: now,
        expiresAtMs,
      },
      { sinceMs: now - PING_LIMIT_WINDOW_MS, perAccount: this.#perHour, perAddress: PINGS_PER_ADDRESS_PER_HOUR },
    );
    if ('id' in stored) return { id: stored.id, token, expiresAtMs };
    throw pingLimitError(stored, { perAccount: this.#perHour, perAddress: PINGS_PER_ADDRESS_PER_HOUR }, now, 'pings');
  }

  /**
   * Finds a ping by its token, whatever its state.
   * @returns `undefined` for an unknown or malformed token.
   * @example
   * (await pings.find(token))?.email;
   */
  async find(token: string): Promise<AddressPingRecord | undefined> {
    return isBearerSecret(token) ? this.#repository.find(hashToken(token)) : undefined;
  }

  /**
   * Uses the ping and adds its address to the account's, in one transaction.
   * @returns false when it was used or has expired meanwhile (nothing changed).
   * @example
   * if (!(await pings.confirm(record.id))) recheck();
   */
  confirm(id: number): Promise<boolean> {
    return this.#repository.confirm(id, this.#now());
  }

  /**
   * Deletes an unused ping (its mail could not be sent), so it does not count; a used one stays.
   * @example
   * await pings.remove(ping.id);
   */
  remove(id: number): Promise<void> {
    return this.#repository.remove(id);
  }
}
