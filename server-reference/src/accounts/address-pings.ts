/**
 * Pings to additional addresses of an account (migration 7, `address_pings`): what
 * `POST /api/addresses` asks for. Each ping has a token (32 random bytes, base64url, mailed in
 * the link; stored as SHA-256 only), optionally the SHA-256 of the requester's nonce, an expiry,
 * and a used mark. Confirming a ping adds its address to the account's confirmed addresses
 * (`account_addresses`) in the same transaction.
 */
import { randomBytes } from 'node:crypto';
import { isValidPingNonce } from '@certwizard/protocol';
import { type Db, writeTransaction } from '../store/database.js';
import type { AccountAddressStore } from './account-addresses.js';
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
  /** Where a confirmed ping's address goes. */
  readonly addresses: AccountAddressStore;
  /** Clock, in ms since the epoch; `Date.now` by default. */
  readonly now?: () => number;
  /** Lifetime of a ping's link, in ms; default {@link PING_LIFETIME_MS_DEFAULT}. */
  readonly lifetimeMs?: number;
  /** Pings an account may ask for in any hour; default {@link PINGS_PER_HOUR_DEFAULT}. */
  readonly perHour?: number;
}

interface Row {
  id: number;
  account_id: number;
  email: string;
  nonce_hash: string | null;
  created_at_ms: number;
  expires_at_ms: number;
  used_at_ms: number | null;
}

/**
 * Repository of address pings.
 *
 * The hourly limit is counted from the table itself (pings created in the last hour), so it
 * holds across restarts and several CA processes on one database; a ping whose mail could not
 * be sent is {@link AddressPingStore.remove}d and does not count.
 * @example
 * const { id, token } = pings.create(account.id, 'ada@example.net', { nonce });
 * // ...mail the link with `token`; later, from the link:
 * pings.confirm(id); // the address is now confirmed
 */
export class AddressPingStore {
  readonly #now: () => number;
  readonly #lifetimeMs: number;
  readonly #perHour: number;
  readonly #byHash;
  readonly #remove;
  readonly #createTx: (accountId: number, email: string, tokenHash: string, nonceHash: string | null) => { id: number; expiresAtMs: number };
  readonly #confirmTx: (id: number) => boolean;

  /** @throws {TypeError} for a non-positive or non-integer lifetime or limit. */
  constructor(db: Db, options: AddressPingStoreOptions) {
    this.#now = options.now ?? Date.now;
    this.#lifetimeMs = options.lifetimeMs ?? PING_LIFETIME_MS_DEFAULT;
    this.#perHour = options.perHour ?? PINGS_PER_HOUR_DEFAULT;
    for (const [name, value] of [
      ['lifetimeMs', this.#lifetimeMs],
      ['perHour', this.#perHour],
    ] as const) {
      if (!Number.isSafeInteger(value) || value <= 0) throw new TypeError(`${name} must be a positive integer`);
    }
    const { addresses } = options;
    this.#byHash = db.prepare('SELECT * FROM address_pings WHERE token_hash = ?');
    this.#remove = db.prepare('DELETE FROM address_pings WHERE id = ? AND used_at_ms IS NULL');
    const recent = db.prepare('SELECT created_at_ms FROM address_pings WHERE account_id = ? AND created_at_ms > ? ORDER BY created_at_ms');
    const recentTo = db.prepare('SELECT created_at_ms FROM address_pings WHERE email = ? AND created_at_ms > ? ORDER BY created_at_ms');
    const insert = db.prepare('INSERT INTO address_pings (token_hash, account_id, email, nonce_hash, created_at_ms, expires_at_ms) VALUES (?, ?, ?, ?, ?, ?)');
    const byId = db.prepare('SELECT * FROM address_pings WHERE id = ?');
    const use = db.prepare('UPDATE address_pings SET used_at_ms = ? WHERE id = ? AND used_at_ms IS NULL AND expires_at_ms > ?');

    // Count and insert in one transaction, so that concurrent requests cannot both take the last ping.
    this.#createTx = writeTransaction(db, (accountId: number, email: string, tokenHash: string, nonceHash: string | null) => {
      const now = this.#now();
      const times = (recent.all(accountId, now - HOUR_MS) as { created_at_ms: number }[]).map((r) => r.created_at_ms);
      if (times.length >= this.#perHour) {
        // The oldest ping of the hour leaving the window frees the next one.
        const retryAfterMs = Math.max(1, (times[times.length - this.#perHour] as number) + HOUR_MS - now);
        throw new PingLimitError(`at most ${this.#perHour} pings per hour may be asked for`, retryAfterMs);
      }
      const toAddress = (recentTo.all(email, now - HOUR_MS) as { created_at_ms: number }[]).map((r) => r.created_at_ms);
      if (toAddress.length >= PINGS_PER_ADDRESS_PER_HOUR) {
        const retryAfterMs = Math.max(1, (toAddress[toAddress.length - PINGS_PER_ADDRESS_PER_HOUR] as number) + HOUR_MS - now);
        throw new PingLimitError(`at most ${PINGS_PER_ADDRESS_PER_HOUR} pings per hour go to one address`, retryAfterMs);
      }
      const expiresAtMs = now + this.#lifetimeMs;
      const info = insert.run(tokenHash, accountId, email, nonceHash, now, expiresAtMs);
      return { id: Number(info.lastInsertRowid), expiresAtMs };
    });

    this.#confirmTx = writeTransaction(db, (id: number) => {
      const now = this.#now();
      if (use.run(now, id, now).changes !== 1) return false;
      const row = byId.get(id) as Row;
      addresses.addConfirmed(row.account_id, row.email);
      return true;
    });
  }

  /**
   * Makes a ping for `email` (already normalised by the caller) of the account.
   * @param options.nonce - the requester's nonce, or none (then only a person can confirm).
   * @returns the ping's id, its token (the one time it can be read) and its expiry.
   * @throws {PingLimitError} `ERR_PING_LIMIT` with `retryAfterMs` when the account asked for
   *   {@link AddressPingStoreOptions.perHour} pings in the last hour, or the address received
   *   {@link PINGS_PER_ADDRESS_PER_HOUR} from any accounts; nothing is stored.
   * @throws {TypeError} for a malformed nonce (the caller checks it first).
   * @example
   * const { id, token } = pings.create(accountId, 'ada@example.net', { nonce });
   */
  create(accountId: number, email: string, options: { nonce?: string } = {}): { id: number; token: string; expiresAtMs: number } {
    if (options.nonce !== undefined && !isValidPingNonce(options.nonce)) throw new TypeError('nonce must be 22 to 128 base64url characters');
    const token = randomBytes(32).toString('base64url');
    const created = this.#createTx(accountId, email, hashToken(token), options.nonce !== undefined ? hashToken(options.nonce) : null);
    return { ...created, token };
  }

  /**
   * Finds a ping by its token, whatever its state. Changes nothing.
   * @returns the record, or `undefined` for an unknown or malformed token.
   * @example
   * pings.find(token)?.email;
   */
  find(token: string): AddressPingRecord | undefined {
    if (typeof token !== 'string' || !TOKEN_SHAPE.test(token)) return undefined;
    const row = this.#byHash.get(hashToken(token)) as Row | undefined;
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
   * Uses the ping and adds its address to the account's confirmed addresses, in one transaction.
   * @returns false, changing nothing, when the ping was used or expired meanwhile.
   * @example
   * if (!pings.confirm(record.id)) recheck();
   */
  confirm(id: number): boolean {
    return this.#confirmTx(id);
  }

  /**
   * Deletes an unused ping: its mail could not be sent, so nobody can hold its token, and it must
   * not count against the account's hourly allowance.
   */
  remove(id: number): void {
    this.#remove.run(id);
  }
}
