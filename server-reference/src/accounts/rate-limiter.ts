/**
 * An in-memory token-bucket rate limiter per key (e.g. the client's IP address), used for ticket
 * creation and other cheap-to-ask, costly-to-answer requests.
 */

/** Options of {@link RateLimiter}. */
export interface RateLimiterOptions {
  /** Bucket size: how many requests a key may make in a burst; default 10. */
  readonly capacity?: number;
  /** Time to earn back one request, in ms; default 6000 (10 per minute sustained). */
  readonly refillIntervalMs?: number;
  /** Most keys remembered; beyond, the least recently seen is forgotten. Default 10 000. */
  readonly maxKeys?: number;
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

interface Bucket {
  tokens: number;
  updatedMs: number;
}

/**
 * Token buckets per key, refilled continuously. Memory is bounded by `maxKeys`: the map is kept
 * in least-recently-seen order and the oldest key is dropped when full. Dropping a key forgets
 * its debt, so an attacker who controls more than `maxKeys` addresses can reset buckets; such an
 * attacker is beyond what a per-address limit can stop anyway. The caller chooses the key: for
 * IPv6 a /64 prefix, since one host usually holds a whole /64.
 *
 * @example
 * const limiter = new RateLimiter({ capacity: 5, refillIntervalMs: 12_000 });
 * const { allowed, retryAfterMs } = limiter.take(req.ip);
 */
export class RateLimiter {
  readonly #capacity: number;
  readonly #refillIntervalMs: number;
  readonly #maxKeys: number;
  readonly #now: () => number;
  readonly #buckets = new Map<string, Bucket>();

  /** @throws {TypeError} for a non-positive or non-integer option. */
  constructor(options: RateLimiterOptions = {}) {
    this.#capacity = positiveInteger(options.capacity ?? 10, 'capacity');
    this.#refillIntervalMs = positiveInteger(options.refillIntervalMs ?? 6000, 'refillIntervalMs');
    this.#maxKeys = positiveInteger(options.maxKeys ?? 10_000, 'maxKeys');
    this.#now = options.now ?? Date.now;
  }

  /**
   * Takes one token from the key's bucket, if there is one.
   * @example
   * if (!limiter.take(ip).allowed) res.status(429);
   */
  take(key: string): RateLimitDecision {
    const now = this.#now();
    const bucket = this.#refilled(key, now);
    // Re-inserted so the Map's insertion order stays least-recently-seen first.
    this.#buckets.delete(key);
    this.#buckets.set(key, bucket);
    if (this.#buckets.size > this.#maxKeys) {
      const oldest = this.#buckets.keys().next().value as string;
      this.#buckets.delete(oldest);
    }
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { allowed: true, remaining: Math.floor(bucket.tokens), retryAfterMs: 0 };
    }
    return { allowed: false, remaining: 0, retryAfterMs: Math.ceil((1 - bucket.tokens) * this.#refillIntervalMs) };
  }

  /** How many keys are remembered (for tests and metrics). */
  get size(): number {
    return this.#buckets.size;
  }

  #refilled(key: string, now: number): Bucket {
    const bucket = this.#buckets.get(key);
    if (bucket === undefined) return { tokens: this.#capacity, updatedMs: now };
    // A clock that steps back must not mint tokens nor take them away.
    const elapsed = Math.max(0, now - bucket.updatedMs);
    bucket.tokens = Math.min(this.#capacity, bucket.tokens + elapsed / this.#refillIntervalMs);
    bucket.updatedMs = Math.max(bucket.updatedMs, now);
    return bucket;
  }
}

function positiveInteger(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value <= 0) throw new TypeError(`${name} must be a positive integer`);
  return value;
}
