/**
 * The hourly limits of pings, one rule for both kinds: pings to additional addresses
 * (address-pings.ts) and domain pings to administrative addresses (domain-store.ts). Each
 * counts, in storage, the pings one account asked for and the pings one address was sent in a
 * sliding window, account first; the refusal says when the next ping is possible.
 */
import { type SelectQueryBuilder, sql } from 'kysely';
import type { CaSchema } from '../store/schema.js';
import { PingLimitError } from './errors.js';

/** The window the limits count in, in ms: one hour, sliding. */
export const PING_LIMIT_WINDOW_MS = 60 * 60_000;

/** The limits a new ping is held to. */
export interface PingLimits {
  /** Pings created after this instant (ms since the epoch) count. */
  readonly sinceMs: number;
  /** How many counted pings one account may have asked for. */
  readonly perAccount: number;
  /** How many counted pings one address (in any case) may have been sent, whichever accounts asked. */
  readonly perAddress: number;
}

/** Why a ping was not stored, with what the caller needs to say when to retry. */
export interface PingsOverLimit {
  /** The limit reached: the account's, or the address's. */
  readonly over: 'account' | 'address';
  /** Creation times of the counted pings of that account or address, oldest first. */
  readonly createdAtMs: readonly number[];
}

/**
 * Counts the pings of the account, then those to the address, and says which limit they reach.
 * Call it inside the transaction that inserts the ping, so that concurrent requests cannot both
 * take the last one.
 * @param pingsOf - the pings of the account or to the address, selecting `created_at_ms`
 *   (the caller adds its table's own conditions, such as the challenge method).
 * @returns the limit reached with its counted creation times, or `undefined` when the ping may be stored.
 * @example
 * const over = await firstLimitReached(limits, (scope) =>
 *   trx.selectFrom('address_pings').select('created_at_ms').where(scope === 'account' ? 'account_id' : 'email', '=', ...));
 */
export async function firstLimitReached<TB extends keyof CaSchema>(
  limits: PingLimits,
  pingsOf: (scope: 'account' | 'address') => SelectQueryBuilder<CaSchema, TB, { created_at_ms: number }>,
): Promise<PingsOverLimit | undefined> {
  for (const scope of ['account', 'address'] as const) {
    const createdAt = sql.ref<number>('created_at_ms');
    const rows = await pingsOf(scope).where(createdAt, '>', limits.sinceMs).orderBy(createdAt).execute();
    const createdAtMs = rows.map((r) => r.created_at_ms);
    if (createdAtMs.length >= (scope === 'account' ? limits.perAccount : limits.perAddress)) return { over: scope, createdAtMs };
  }
  return undefined;
}

/**
 * The refusal of a ping over a limit: the oldest ping of the window that still fills the limit
 * leaving the window frees the next one, so that is when to retry (at least 1 ms from now).
 * @param what - what the account asks for, in the message (`pings`, `domain pings`).
 * @example
 * throw pingLimitError(over, { perAccount: 10, perAddress: 5 }, now, 'pings');
 */
export function pingLimitError(over: PingsOverLimit, limits: Pick<PingLimits, 'perAccount' | 'perAddress'>, nowMs: number, what: string): PingLimitError {
  const limit = over.over === 'account' ? limits.perAccount : limits.perAddress;
  const freedAtMs = (over.createdAtMs[over.createdAtMs.length - limit] as number) + PING_LIMIT_WINDOW_MS;
  const message = over.over === 'account' ? `at most ${limit} ${what} per hour may be asked for` : `at most ${limit} pings per hour go to one address`;
  return new PingLimitError(message, Math.max(1, freedAtMs - nowMs));
}
