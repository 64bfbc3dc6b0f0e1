/**
 * Pings to additional addresses of an account (migration 7, `address_pings`): what
 * `POST /api/addresses` asks for. Each ping has a token (32 random bytes, base64url, mailed in
 * the link; stored as SHA-256 only), optionally the SHA-256 of the requester's nonce, an expiry,
 * and a used mark. Confirming a ping adds its address to the account's confirmed addresses
 * (`account_addresses`) in the same transaction.
 */
import { randomBytes } from 'node:crypto';
import { isValidPingNonce } from '@certwizard/protocol';
import type { SqlDatabase } from '../store/sqlite-dialect.js';
import { insertConfirmedAddress } from './account-addresses.js';
import { PingLimitError } from './errors.js';
import { hashToken } from './password.js';

/** How long a ping's link works by default, in ms (24 hours). */
export const PING_LIFETIME_MS_DEFAULT = 24 * 60 * 60_000;

/** How many pings an account may ask for per hour, by default. */
export const PINGS_PER_HOUR_DEFAULT = 10;

/**
 * Pings one address may receive in any hour, whichever accounts asked: many accounts must not
 * add up to a flood of one mailbox.
 */
export const PINGS_PER_ADDRESS_PER_HOUR = 5;

const HOUR_MS = 60 * 60_000;
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

/** A stored ping, whatever its state. Never holds the token or the nonce. */
export interface AddressPingRecord {
  readonly id: number;
  readonly accountId: number;
  /** The address pinged, as stored (domain in lower case). */
  readonly email: string;
  /** SHA-256 (hex) of the requester's nonce; absent when the ping was asked for without one. */
  readonly nonceHash?: string;
  readonly createdAtMs: number;
  readonly expiresAtMs: number;
  readonly usedAtMs?: number;
}

/** Options of {@link AddressPingStore}. */
export interface AddressPingStoreOptions {
  /** Clock, in ms since the epoch; `Date.now` by default. */
  readonly now?: () => number;
  /** Lifetime of a ping's link, in ms; default {@link PING_LIFETIME_MS_DEFAULT}. */
  readonly lifetimeMs?: number;
  /** Pings an account may ask for in any hour; default {@link PINGS_PER_HOUR_DEFAULT}. */
  readonly perHour?: number;
}

/**
 * Storage of address pings. Contract: the hourly limits are counted and the ping inserted in one
 * transaction, and a ping is used once (a guarded update), in the transaction that adds its
 * address; so concurrent requests (any processes) can neither both take the last ping of the
 * hour nor both use one ping.
 */
export interface AddressPingRepository {
  /**
   * Makes a ping for `email` (already normalised by the caller) of the account.
   * @throws {PingLimitError} `ERR_PING_LIMIT` with `retryAfterMs` over a limit; nothing is stored.
   * @throws {TypeError} for a malformed nonce (the caller checks it first).
   */
  create(accountId: number, email: string, options?: { nonce?: string }): Promise<{ id: number; token: string; expiresAtMs: number }>;
  /** Finds a ping by its token, whatever its state; `undefined` for an unknown or malformed token. */
  find(token: string): Promise<AddressPingRecord | undefined>;
  /** Uses the ping and adds its address to the account's; false when used or expired meanwhile. */
  confirm(id: number): Promise<boolean>;
  /** Deletes an unused ping (its mail could not be sent). */
  remove(id: number): Promise<void>;
}

/**
 * The SQLite implementation of {@link AddressPingRepository}.
 *
 * The hourly limit is counted from the table itself (pings created in the last hour), so it
 * holds across restarts and several CA processes on one database; a ping whose mail could not
 * be sent is {@link AddressPingStore.remove}d and does not count.
 * @example
 * const { id, token } = await pings.create(account.id, 'ada@example.net', { nonce });
 * // ...mail the link with `token`; later, from the link:
 * await pings.confirm(id); // the address is now confirmed
 */
export class AddressPingStore implements AddressPingRepository {
  readonly #db: SqlDatabase;
  readonly #now: () => number;
  readonly #lifetimeMs: number;
  readonly #perHour: number;

  /** @throws {TypeError} for a non-positive or non-integer lifetime or limit. */
  constructor(db: SqlDatabase, options: AddressPingStoreOptions = {}) {
    this.#db = db;
    this.#now = options.now ?? Date.now;
    this.#lifetimeMs = options.lifetimeMs ?? PING_LIFETIME_MS_DEFAULT;
    this.#perHour = options.perHour ?? PINGS_PER_HOUR_DEFAULT;
    for (const [name, value] of [
      ['lifetimeMs', this.#lifetimeMs],
      ['perHour', this.#perHour],
    ] as const) {
      if (!Number.isSafeInteger(value) || value <= 0) throw new TypeError(`${name} must be a positive integer`);
    }
  }

  /**
   * @example
   * const { id, token } = await pings.create(accountId, 'ada@example.net', { nonce });
   */
  async create(accountId: number, email: string, options: { nonce?: string } = {}): Promise<{ id: number; token: string; expiresAtMs: number }> {
    if (options.nonce !== undefined && !isValidPingNonce(options.nonce)) throw new TypeError('nonce must be 22 to 128 base64url characters');
    const token = randomBytes(32).toString('base64url');
    const nonceHash = options.nonce !== undefined ? hashToken(options.nonce) : null;
    // Count and insert in one transaction, so that concurrent requests cannot both take the last ping.
    const created = await this.#db.transaction().execute(async (trx) => {
      const now = this.#now();
      const recent = (column: 'account_id' | 'email', value: number | string) =>
        trx
          .selectFrom('address_pings')
          .select('created_at_ms')
          .where(column, '=', value)
          .where('created_at_ms', '>', now - HOUR_MS)
          .orderBy('created_at_ms')
          .execute()
          .then((rows) => rows.map((r) => r.created_at_ms));
      const times = await recent('account_id', accountId);
      if (times.length >= this.#perHour) {
        // The oldest ping of the hour leaving the window frees the next one.
        const retryAfterMs = Math.max(1, (times[times.length - this.#perHour] as number) + HOUR_MS - now);
        throw new PingLimitError(`at most ${this.#perHour} pings per hour may be asked for`, retryAfterMs);
      }
      const toAddress = await recent('email', email);
      if (toAddress.length >= PINGS_PER_ADDRESS_PER_HOUR) {
        const retryAfterMs = Math.max(1, (toAddress[toAddress.length - PINGS_PER_ADDRESS_PER_HOUR] as number) + HOUR_MS - now);
        throw new PingLimitError(`at most ${PINGS_PER_ADDRESS_PER_HOUR} pings per hour go to one address`, retryAfterMs);
      }
      const expiresAtMs = now + this.#lifetimeMs;
      const row = await trx
        .insertInto('address_pings')
        .values({ token_hash: hashToken(token), account_id: accountId, email, nonce_hash: nonceHash, created_at_ms: now, expires_at_ms: expiresAtMs })
        .returning('id')
        .executeTakeFirstOrThrow();
      return { id: row.id, expiresAtMs };
    });
    return { ...created, token };
  }

  /**
   * @example
   * (await pings.find(token))?.email;
   */
  async find(token: string): Promise<AddressPingRecord | undefined> {
    if (typeof token !== 'string' || !TOKEN_SHAPE.test(token)) return undefined;
    const row = await this.#db.selectFrom('address_pings').selectAll().where('token_hash', '=', hashToken(token)).executeTakeFirst();
    if (row === undefined) return undefined;
    return {
      id: row.id,
      accountId: row.account_id,
      email: row.email,
      ...(row.nonce_hash !== null ? { nonceHash: row.nonce_hash } : {}),
      createdAtMs: row.created_at_ms,
      expiresAtMs: row.expires_at_ms,
      ...(row.used_at_ms !== null ? { usedAtMs: row.used_at_ms } : {}),
    };
  }

  /**
   * @example
   * if (!(await pings.confirm(record.id))) recheck();
   */
  confirm(id: number): Promise<boolean> {
    return this.#db.transaction().execute(async (trx) => {
      const now = this.#now();
      const used = await trx
        .updateTable('address_pings')
        .set({ used_at_ms: now })
        .where('id', '=', id)
        .where('used_at_ms', 'is', null)
        .where('expires_at_ms', '>', now)
        .returning(['account_id', 'email'])
        .executeTakeFirst();
      if (used === undefined) return false;
      await insertConfirmedAddress(trx, used.account_id, used.email, now);
      return true;
    });
  }

  async remove(id: number): Promise<void> {
    await this.#db.deleteFrom('address_pings').where('id', '=', id).where('used_at_ms', 'is', null).execute();
  }
}
