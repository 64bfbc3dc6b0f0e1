/**
 * Pings to additional addresses of an account (migration 7, `address_pings`): the repository
 * stores the digests, expiry and times it is given; the token, the nonce's digest, the lifetime
 * and the hourly limits are `AddressPingService`'s (address-ping-service.ts). Confirming a ping
 * adds its address to the account's confirmed addresses (`account_addresses`) in the same
 * transaction.
 */
import type { SqlDatabase } from '../store/sqlite-dialect.js';
import { insertConfirmedAddress } from './account-addresses.js';
import { firstLimitReached, type PingLimits, type PingsOverLimit } from './ping-limits.js';

export type { PingLimits, PingsOverLimit } from './ping-limits.js';

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

/** A ping as {@link AddressPingRepository.insertWithinLimits} stores it. */
export interface NewAddressPing {
  /** `hashToken` of the token mailed in the link. */
  readonly tokenHash: string;
  readonly accountId: number;
  /** The address to ping, normalised by the caller. */
  readonly email: string;
  /** `hashToken` of the requester's nonce, when there is one. */
  readonly nonceHash?: string;
  readonly createdAtMs: number;
  readonly expiresAtMs: number;
}

/**
 * Storage of address pings. It holds no policy. Contract: the limits are counted and the ping
 * inserted in one transaction, and a ping is used once (a guarded update), in the transaction that
 * adds its address; so concurrent requests (any processes) can neither both take the last ping
 * of the hour nor both use one ping.
 */
export interface AddressPingRepository {
  /**
   * Stores a ping unless the account's or the address's counted pings already reach their limit.
   * @returns the new ping's id, or which limit was reached (nothing stored).
   */
  insertWithinLimits(ping: NewAddressPing, limits: PingLimits): Promise<{ id: number } | PingsOverLimit>;
  /** Finds a ping by its token's digest, whatever its state. */
  find(tokenHash: string): Promise<AddressPingRecord | undefined>;
  /**
   * Uses the ping at `nowMs` and adds its address to the account's, if it is unused and unexpired then.
   * @returns whether this call used it.
   */
  confirm(id: number, nowMs: number): Promise<boolean>;
  /** Deletes an unused ping (its mail could not be sent); a used one stays. */
  remove(id: number): Promise<void>;
}

/**
 * The SQLite implementation of {@link AddressPingRepository}. The limits are counted from the
 * table itself, so they hold across restarts and several CA processes on one database; a ping
 * that was {@link AddressPingStore.remove}d does not count.
 * @example
 * const pings = new AddressPingService(new AddressPingStore(sql));
 */
export class AddressPingStore implements AddressPingRepository {
  readonly #db: SqlDatabase;

  constructor(db: SqlDatabase) {
    this.#db = db;
  }

  /**
   * @example
   * await store.insertWithinLimits(ping, { sinceMs: now - HOUR, perAccount: 10, perAddress: 5 }); // { id: 1 }
   */
  insertWithinLimits(ping: NewAddressPing, limits: PingLimits): Promise<{ id: number } | PingsOverLimit> {
    // Count and insert in one transaction, so that concurrent requests cannot both take the last ping.
    return this.#db.transaction().execute(async (trx) => {
      const over = await firstLimitReached(limits, (scope) =>
        trx
          .selectFrom('address_pings')
          .select('created_at_ms')
          .where(scope === 'account' ? 'account_id' : 'email', '=', scope === 'account' ? ping.accountId : ping.email),
      );
      if (over !== undefined) return over;
      const row = await trx
        .insertInto('address_pings')
        .values({
          token_hash: ping.tokenHash,
          account_id: ping.accountId,
          email: ping.email,
          nonce_hash: ping.nonceHash ?? null,
          created_at_ms: ping.createdAtMs,
          expires_at_ms: ping.expiresAtMs,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      return { id: row.id };
    });
  }

  /**
   * @example
   * (await store.find(hashToken(token)))?.email;
   */
  async find(tokenHash: string): Promise<AddressPingRecord | undefined> {
    const row = await this.#db.selectFrom('address_pings').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
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
   * if (!(await store.confirm(record.id, Date.now()))) recheck();
   */
  confirm(id: number, nowMs: number): Promise<boolean> {
    return this.#db.transaction().execute(async (trx) => {
      const used = await trx
        .updateTable('address_pings')
        .set({ used_at_ms: nowMs })
        .where('id', '=', id)
        .where('used_at_ms', 'is', null)
        .where('expires_at_ms', '>', nowMs)
        .returning(['account_id', 'email'])
        .executeTakeFirst();
      if (used === undefined) return false;
      await insertConfirmedAddress(trx, used.account_id, used.email, nowMs);
      return true;
    });
  }

  /**
   * @example
   * await store.remove(ping.id);
   */
  async remove(id: number): Promise<void> {
    await this.#db.deleteFrom('address_pings').where('id', '=', id).where('used_at_ms', 'is', null).execute();
  }
}
