import { describe, expect, it } from 'vitest';
import { RateLimiter } from './rate-limiter.js';

describe('RateLimiter', () => {
  it('allows a burst of `capacity`, then refuses with the time until the next token', () => {
    let now = 0;
    const limiter = new RateLimiter({ capacity: 3, refillIntervalMs: 1000, now: () => now });
    expect([1, 2, 3].map(() => limiter.take('ip').allowed)).toEqual([true, true, true]);
    expect(limiter.take('ip')).toEqual({ allowed: false, remaining: 0, retryAfterMs: 1000 });
    now = 400;
    expect(limiter.take('ip')).toEqual({ allowed: false, remaining: 0, retryAfterMs: 600 });
    now = 1000;
    expect(limiter.take('ip')).toEqual({ allowed: true, remaining: 0, retryAfterMs: 0 });
  });

  it('refills continuously up to the capacity, never beyond', () => {
    let now = 0;
    const limiter = new RateLimiter({ capacity: 2, refillIntervalMs: 1000, now: () => now });
    limiter.take('ip');
    limiter.take('ip');
    now = 60_000;
    expect(limiter.take('ip')).toMatchObject({ allowed: true, remaining: 1 });
    expect(limiter.take('ip')).toMatchObject({ allowed: true, remaining: 0 });
    expect(limiter.take('ip').allowed).toBe(false);
  });

  it('keeps one bucket per key', () => {
    const limiter = new RateLimiter({ capacity: 1, now: () => 0 });
    expect(limiter.take('a').allowed).toBe(true);
    expect(limiter.take('a').allowed).toBe(false);
    expect(limiter.take('b').allowed).toBe(true);
  });

  it('bounds memory by forgetting the least recently seen key', () => {
    const limiter = new RateLimiter({ capacity: 1, maxKeys: 2, now: () => 0 });
    limiter.take('a');
    limiter.take('b');
    limiter.take('a'); // a is now the most recent
    limiter.take('c'); // evicts b
    expect(limiter.size).toBe(2);
    expect(limiter.take('a').allowed).toBe(false); // still remembered, still empty
    expect(limiter.take('b').allowed).toBe(true); // forgotten, so a fresh bucket
  });

  it('neither mints nor loses tokens when the clock steps back', () => {
    let now = 10_000;
    const limiter = new RateLimiter({ capacity: 1, refillIntervalMs: 1000, now: () => now });
    limiter.take('ip');
    now = 0;
    expect(limiter.take('ip').allowed).toBe(false);
    now = 11_000;
    expect(limiter.take('ip').allowed).toBe(true);
  });

  it.each([{ capacity: 0 }, { refillIntervalMs: -1 }, { maxKeys: 1.5 }])('refuses options %o', (options) => {
    expect(() => new RateLimiter(options)).toThrow(TypeError);
  });
});
