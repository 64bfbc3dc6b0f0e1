/**
 * A token-bucket rate limiter per key (e.g. the client's IP address), used for ticket creation
 * and other cheap-to-ask, costly-to-answer requests. The buckets live in storage
 * ({@link RateLimitRepository}), so that every CA process sharing one database counts the same
 * requests; this module holds only the arithmetic.
 */
import type { RateLimitRepository, TokenBucket } from '../store/rate-limit-store.js';
import { positiveInteger } from './positive-integer.js';

/** Options of {@link RateLimiter}. */
export interface RateLimiterOptions {
  /**
   * The limiter's name, the prefix of its buckets in storage (`tickets`, `forms`, ...): two
   * limiters with one name share their buckets. Letters, digits and `-` only.
   */
  readonly name: string;
  /** Bucket size: how many requests a key may make in a burst; default 10. */
  readonly capacity?: number;
  /** Time to earn back one request, in ms; default 6000 (10 per minute sustained). */
  readonly refillIntervalMs?: number;
  /** Clock, in ms since the epoch; `Date.now` by default. */
  readonly now?: () => number;
}

/** Answer of {@link RateLimiter.take}. */
export interface RateLimitDecision {
  /** Whether the request may go ahead (a token was taken). */
  readonly allowed: boolean;
  /** Whole tokens left after this request. */
  readonly remaining: number;
  /** When refused: ms until a token is available (for `Retry-After`, rounded up to seconds); else 0. */
  readonly retryAfterMs: number;
}

/**
 * Token buckets per key, refilled continuously, stored in the CA's database. A bucket left
 * alone long enough to be full again means the same as no bucket, so {@link RateLimiter.prune}
 * deletes it: the table holds only the keys seen within the last `capacity * refillIntervalMs`.
 * The caller chooses the key: for IPv6 a /64 prefix, since one host usually holds a whole /64.
 *
 * @example
 * const limiter = new RateLimiter(new RateLimitStore(sql), { name: 'tickets', capacity: 5, refillIntervalMs: 12_000 });
 * const { allowed, retryAfterMs } = await limiter.take(req.ip);
 */
export class RateLimiter {
  readonly #buckets: RateLimitRepository;
  readonly #prefix: string;
  readonly #capacity: number;
  readonly #refillIntervalMs: number;
  readonly #now: () => number;

  /** @throws {TypeError} for a non-positive or non-integer option, or a name with other characters. */
  constructor(buckets: RateLimitRepository, options: RateLimiterOptions) {
    if (!/^[a-z0-9-]{1,40}$/i.test(options.name)) throw new TypeError('name must be 1 to 40 letters, digits or -');
    this.#buckets = buckets;
    this.#prefix = `${options.name}:`;
    this.#capacity = positiveInteger(options.capacity ?? 10, 'capacity');
    this.#refillIntervalMs = positiveInteger(options.refillIntervalMs ?? 6000, 'refillIntervalMs');
    this.#now = options.now ?? Date.now;
  }

  /**
   * Takes one token from the key's bucket, if there is one. Atomic across processes: two CA
   * processes taking from one bucket at once take two tokens.
   * @example
   * if (!(await limiter.take(ip)).allowed) res.status(429);
   */
  take(key: string): Promise<RateLimitDecision> {
    const now = this.#now();
    return this.#buckets.update<RateLimitDecision>(this.#prefix + key, (stored) => {
      const bucket = this.#refilled(stored, now);
      if (bucket.tokens >= 1) {
        const tokens = bucket.tokens - 1;
        return { next: { tokens, updatedAtMs: bucket.updatedAtMs }, result: { allowed: true, remaining: Math.floor(tokens), retryAfterMs: 0 } };
      }
      return { next: bucket, result: { allowed: false, remaining: 0, retryAfterMs: Math.ceil((1 - bucket.tokens) * this.#refillIntervalMs) } };
    });
  }

  /**
   * Deletes this limiter's buckets that are full again (untouched for `capacity *
   * refillIntervalMs`); the housekeeping timer calls it.
   * @returns how many were deleted.
   */
  prune(): Promise<number> {
    return this.#buckets.prune(this.#prefix, this.#now() - this.#capacity * this.#refillIntervalMs);
  }

  #refilled(stored: TokenBucket | undefined, now: number): TokenBucket {
    if (stored === undefined) return { tokens: this.#capacity, updatedAtMs: now };
    // A clock that steps back must not mint tokens nor take them away.
    const elapsed = Math.max(0, now - stored.updatedAtMs);
    return {
      tokens: Math.min(this.#capacity, stored.tokens + elapsed / this.#refillIntervalMs),
      updatedAtMs: Math.max(stored.updatedAtMs, now),
    };
  }
}
