import { describe, expect, it } from 'vitest';
import { RateLimitStore } from '../store/rate-limit-store.js';
import { createSqlDatabase } from '../store/sqlite-dialect.js';
import { useTempDatabase } from '../store/test-support/snapshot.js';
import { RateLimiter, type RateLimiterOptions } from './rate-limiter.js';

const temp = useTempDatabase('certwizard-rate-');
const limiterOf = (options: Omit<RateLimiterOptions, 'name'> & { name?: string }) =>
  new RateLimiter(new RateLimitStore(createSqlDatabase(temp.db)), { name: 'test', ...options });
const takeAll = async (limiter: RateLimiter, key: string, n: number) => {
  const out: boolean[] = [];
  for (let i = 0; i < n; i++) out.push((await limiter.take(key)).allowed);
  return out;
};

describe('RateLimiter', () => {
  it('allows a burst of `capacity`, then refuses with the time until the next token', async () => {
    let now = 0;
    const limiter = limiterOf({ capacity: 3, refillIntervalMs: 1000, now: () => now });
    expect(await takeAll(limiter, 'ip', 3)).toEqual([true, true, true]);
    expect(await limiter.take('ip')).toEqual({ allowed: false, remaining: 0, retryAfterMs: 1000 });
    now = 400;
    expect(await limiter.take('ip')).toEqual({ allowed: false, remaining: 0, retryAfterMs: 600 });
    now = 1000;
    expect(await limiter.take('ip')).toEqual({ allowed: true, remaining: 0, retryAfterMs: 0 });
  });

  it('refills continuously up to the capacity, never beyond', async () => {
    let now = 0;
    const limiter = limiterOf({ capacity: 2, refillIntervalMs: 1000, now: () => now });
    await takeAll(limiter, 'ip', 2);
    now = 60_000;
    expect(await limiter.take('ip')).toMatchObject({ allowed: true, remaining: 1 });
    expect(await limiter.take('ip')).toMatchObject({ allowed: true, remaining: 0 });
    expect((await limiter.take('ip')).allowed).toBe(false);
  });

  it('keeps one bucket per key, and one set of buckets per limiter name', async () => {
    const limiter = limiterOf({ capacity: 1, now: () => 0 });
    expect(await takeAll(limiter, 'a', 2)).toEqual([true, false]);
    expect((await limiter.take('b')).allowed).toBe(true);
    expect((await limiterOf({ name: 'other', capacity: 1, now: () => 0 }).take('a')).allowed).toBe(true);
  });

  it('bounds the table: prune deletes the buckets that are full again, and only those of its limiter', async () => {
    let now = 0;
    const limiter = limiterOf({ capacity: 2, refillIntervalMs: 1000, now: () => now });
    const other = limiterOf({ name: 'other', capacity: 2, refillIntervalMs: 1000, now: () => now });
    await limiter.take('old');
    await other.take('old');
    now = 1500;
    await limiter.take('recent');
    now = 2500; // 'old' is full again (2 tokens after 2 s), 'recent' is not
    expect(await limiter.prune()).toBe(1);
    const buckets = temp.db.prepare('SELECT bucket FROM rate_limits ORDER BY bucket').all();
    expect(buckets).toEqual([{ bucket: 'other:old' }, { bucket: 'test:recent' }]);
    // A pruned bucket was full: forgetting it changed nothing.
    expect(await takeAll(limiter, 'old', 3)).toEqual([true, true, false]);
  });

  it('neither mints nor loses tokens when the clock steps back', async () => {
    let now = 10_000;
    const limiter = limiterOf({ capacity: 1, refillIntervalMs: 1000, now: () => now });
    await limiter.take('ip');
    now = 0;
    expect((await limiter.take('ip')).allowed).toBe(false);
    now = 11_000;
    expect((await limiter.take('ip')).allowed).toBe(true);
  });

  it.each([{ capacity: 0 }, { refillIntervalMs: -1 }, { capacity: 1.5 }, { name: 'no spaces' }])('refuses options %o', (options) => {
    expect(() => limiterOf(options)).toThrow(TypeError);
  });
});
