/**
 * The one wait loop, against an injected clock: every wait is recorded instead of slept, and the
 * clock counts the sleeps still pending, so that a poll that leaves one behind is caught.
 */
import { describe, expect, it } from 'vitest';
import type { Clock } from '../registration/clock.js';
import { poll, type PollOptions, type PollStep, waitLimits } from './poll.js';

/** A clock whose sleeps are recorded, move time on, and end on the next turn (or at an abort). */
function testClock(onSleep?: (ms: number) => void): Clock & { readonly waits: number[]; pending: number } {
  let now = 1_000_000;
  const clock = {
    waits: [] as number[],
    pending: 0,
    now: () => now,
    sleep: (ms: number, signal: AbortSignal) =>
      new Promise<void>((resolve, reject) => {
        signal.throwIfAborted();
        clock.waits.push(ms);
        clock.pending += 1;
        const onAbort = () => {
          clearImmediate(handle);
          clock.pending -= 1;
          reject(signal.reason);
        };
        const handle = setImmediate(() => {
          signal.removeEventListener('abort', onAbort);
          clock.pending -= 1;
          now += ms;
          resolve();
        });
        signal.addEventListener('abort', onAbort, { once: true });
        onSleep?.(ms);
      }),
  };
  return clock;
}

/** An attempt that answers `steps` in turn (the last one again once they run out), counting its calls. */
function scripted<T>(steps: PollStep<T>[]): { (signal: AbortSignal): Promise<PollStep<T>>; calls: number } {
  const attempt = async () => {
    attempt.calls += 1;
    return steps[Math.min(attempt.calls, steps.length) - 1] as PollStep<T>;
  };
  attempt.calls = 0;
  return attempt;
}

const notYet: PollStep<string> = { done: false };
const done: PollStep<string> = { done: true, value: 'ok' };
const pending = (n: number): PollStep<string>[] => [...Array.from({ length: n }, () => notYet), done];

describe('poll: the schedule of waits', () => {
  const cases: { name: string; steps: PollStep<string>[]; options: Omit<PollOptions, 'clock'>; want: number[] }[] = [
    {
      name: 'the first attempt is at once by default, the first wait after it',
      steps: pending(1),
      options: { initialDelayMs: 100, maxDelayMs: 1000 },
      want: [100],
    },
    {
      name: 'waitFirst waits initialDelayMs before the first attempt',
      steps: pending(1),
      options: { initialDelayMs: 100, maxDelayMs: 1000, waitFirst: true },
      want: [100, 150],
    },
    {
      name: 'the waits grow ×1.5 and stop at maxDelayMs',
      steps: pending(6),
      options: { initialDelayMs: 100, maxDelayMs: 400 },
      want: [100, 150, 225, 338, 400, 400],
    },
    {
      name: 'waits are whole ms, the growth is not rounded on the way (10, 15, 22.5, 33.75)',
      steps: pending(4),
      options: { initialDelayMs: 10, maxDelayMs: 40 },
      want: [10, 15, 23, 34],
    },
    { name: 'factor 1 is a fixed interval', steps: pending(3), options: { initialDelayMs: 250, maxDelayMs: 250, factor: 1 }, want: [250, 250, 250] },
    { name: 'an initialDelayMs above maxDelayMs is cut to it', steps: pending(2), options: { initialDelayMs: 500, maxDelayMs: 300 }, want: [300, 300] },
    {
      name: 'a longer Retry-After wins over the backoff, a shorter one does not, and the backoff goes on growing (RFC 9110 §10.2.3)',
      steps: [{ done: false, retryAfterMs: 1000 }, { done: false, retryAfterMs: 10 }, notYet, done],
      options: { initialDelayMs: 100, maxDelayMs: 1000 },
      want: [1000, 150, 225],
    },
    {
      name: "with retryAfter 'instead' the Retry-After replaces the backoff, shorter or longer, not below minRetryAfterMs",
      steps: [{ done: false, retryAfterMs: 500 }, { done: false, retryAfterMs: 7000 }, { done: false, retryAfterMs: 0 }, notYet, done],
      options: { initialDelayMs: 2000, maxDelayMs: 300_000, retryAfter: 'instead', minRetryAfterMs: 1000 },
      want: [1000, 7000, 1000, 6750],
    },
    {
      name: 'a Retry-After longer than maxDelayMs still wins',
      steps: [{ done: false, retryAfterMs: 60_000 }, done],
      options: { initialDelayMs: 100, maxDelayMs: 1000 },
      want: [60_000],
    },
  ];
  it.each(cases)('$name', async ({ steps, options, want }) => {
    const clock = testClock();
    const attempt = scripted(steps);
    const waited: number[] = [];
    await expect(poll(attempt, { ...options, clock, onWait: (ms) => waited.push(ms) })).resolves.toBe('ok');
    expect(clock.waits).toEqual(want);
    expect(waited).toEqual(want);
    expect(attempt.calls).toBe(steps.length);
    expect(clock.pending).toBe(0);
  });

  it('tells each attempt its number and the backoff delay it waited for', async () => {
    const seen: unknown[] = [];
    await poll(
      async (_signal, info) => {
        seen.push(info);
        return info.attempt === 3 ? done : notYet;
      },
      { clock: testClock(), initialDelayMs: 10, maxDelayMs: 100, waitFirst: true },
    );
    expect(seen).toEqual([
      { attempt: 1, backoffMs: 10 },
      { attempt: 2, backoffMs: 15 },
      { attempt: 3, backoffMs: 22.5 },
    ]);
  });
});

describe('poll: jitter', () => {
  it.each([
    { name: 'the lowest random value gives -10%', random: 0, want: [900, 1350] },
    { name: 'the middle gives the exact backoff', random: 0.5, want: [1000, 1500] },
    { name: 'the highest gives just under +10%', random: 0.999_999, want: [1100, 1650] },
  ])('$name', async ({ random, want }) => {
    const clock = testClock();
    await poll(scripted(pending(2)), { clock, initialDelayMs: 1000, maxDelayMs: 10_000, jitter: 0.1, random: () => random });
    expect(clock.waits).toEqual(want);
  });

  it('stays within ±jitter for any random value, and never touches a Retry-After that wins', async () => {
    for (let i = 0; i < 200; i++) {
      const clock = testClock();
      await poll(scripted([notYet, { done: false, retryAfterMs: 5000 }, done]), { clock, initialDelayMs: 1000, maxDelayMs: 10_000, jitter: 0.2 });
      const [first, second] = clock.waits as [number, number];
      expect(first).toBeGreaterThanOrEqual(800);
      expect(first).toBeLessThanOrEqual(1200);
      expect(second).toBe(5000);
    }
  });

  it('is off by default: Math.random is never asked', async () => {
    const clock = testClock();
    await poll(scripted(pending(3)), {
      clock,
      initialDelayMs: 100,
      maxDelayMs: 1000,
      random: () => {
        throw new Error('asked');
      },
    });
    expect(clock.waits).toEqual([100, 150, 225]);
  });
});

describe('poll: the end', () => {
  class Timeout extends Error {}
  class Exhausted extends Error {}
  class Aborted extends Error {}

  it('rejects with timeoutError() when the limit passes, cutting the last wait and attempting no more', async () => {
    const clock = testClock();
    const attempt = scripted([notYet]);
    const error = await poll(attempt, { clock, initialDelayMs: 1000, maxDelayMs: 1000, timeoutMs: 2500, timeoutError: () => new Timeout('late') }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(Timeout);
    expect(clock.waits).toEqual([1000, 1000, 500]);
    expect(attempt.calls).toBe(3);
    expect(clock.pending).toBe(0);
  });

  it('cuts a Retry-After at the limit too', async () => {
    const clock = testClock();
    const attempt = scripted([{ done: false, retryAfterMs: 60_000 }]);
    await expect(poll(attempt, { clock, initialDelayMs: 1000, maxDelayMs: 1000, timeoutMs: 10_000, timeoutError: () => new Timeout() })).rejects.toBeInstanceOf(
      Timeout,
    );
    expect(clock.waits).toEqual([10_000]);
    expect(attempt.calls).toBe(1);
  });

  it('ends an attempt that hangs at timeoutMs of real time, with timeoutError(), and leaves no timer', async () => {
    const timersBefore = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    let seen: AbortSignal | undefined;
    // Hangs until its signal aborts, then rejects as fetch does.
    const hanging = (signal: AbortSignal) => {
      seen = signal;
      return new Promise<PollStep<string>>((_, reject) => signal.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError'))));
    };
    await expect(
      poll(hanging, { clock: testClock(), initialDelayMs: 1, maxDelayMs: 1, timeoutMs: 5, timeoutError: () => new Timeout('hung') }),
    ).rejects.toThrow('hung');
    // The attempt was told through its signal, with the same error as reason.
    expect(seen?.reason).toBeInstanceOf(Timeout);
    expect(process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length).toBeLessThanOrEqual(timersBefore);
  });

  it('rejects with exhaustedError() once maxAttempts attempts were not done, with one wait fewer', async () => {
    const clock = testClock();
    const attempt = scripted([notYet]);
    await expect(
      poll(attempt, { clock, initialDelayMs: 250, maxDelayMs: 250, factor: 1, maxAttempts: 4, exhaustedError: () => new Exhausted() }),
    ).rejects.toBeInstanceOf(Exhausted);
    expect(attempt.calls).toBe(4);
    expect(clock.waits).toEqual([250, 250, 250]);
    expect(clock.pending).toBe(0);
  });

  it('resolves on the last allowed attempt when that one is done', async () => {
    await expect(
      poll(scripted(pending(3)), { clock: testClock(), initialDelayMs: 1, maxDelayMs: 1, maxAttempts: 4, exhaustedError: () => new Exhausted() }),
    ).resolves.toBe('ok');
  });

  it("propagates the attempt's own rejection, the same error, and attempts no more", async () => {
    const clock = testClock();
    const failure = new Error('the CA refused');
    let calls = 0;
    const attempt = async () => {
      calls += 1;
      if (calls === 3) throw failure;
      return notYet;
    };
    await expect(poll(attempt, { clock, initialDelayMs: 10, maxDelayMs: 100, timeoutMs: 60_000, timeoutError: () => new Timeout() })).rejects.toBe(failure);
    expect(calls).toBe(3);
    expect(clock.waits).toEqual([10, 15]);
    expect(clock.pending).toBe(0);
  });

  it("rejects with the signal's reason when it aborts during a wait, leaving no sleep pending", async () => {
    const controller = new AbortController();
    const reason = new Error('user pressed cancel');
    const clock = testClock((ms) => {
      if (ms === 15) controller.abort(reason);
    });
    const attempt = scripted([notYet]);
    await expect(poll(attempt, { clock, signal: controller.signal, initialDelayMs: 10, maxDelayMs: 100 })).rejects.toBe(reason);
    expect(attempt.calls).toBe(2);
    expect(clock.pending).toBe(0);
  });

  it('rejects with abortError(reason) when given one, also for an attempt that rejects on the abort', async () => {
    const controller = new AbortController();
    const attempt = (signal: AbortSignal) =>
      new Promise<PollStep<string>>((_, reject) => {
        signal.addEventListener('abort', () => reject(new DOMException('fetch aborted', 'AbortError')));
        controller.abort('stop');
      });
    const error = await poll(attempt, {
      clock: testClock(),
      signal: controller.signal,
      initialDelayMs: 1,
      maxDelayMs: 1,
      abortError: (cause) => new Aborted('aborted', { cause }),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Aborted);
    expect((error as Aborted).cause).toBe('stop');
  });

  it('never calls the attempt when the signal is already aborted', async () => {
    const attempt = scripted(pending(0));
    await expect(poll(attempt, { clock: testClock(), signal: AbortSignal.abort('early'), initialDelayMs: 1, maxDelayMs: 1 })).rejects.toBe('early');
    expect(attempt.calls).toBe(0);
  });

  it('returns what a finished attempt found even when the signal aborted meanwhile', async () => {
    const controller = new AbortController();
    const attempt = async () => {
      controller.abort('too late');
      return done;
    };
    await expect(poll(attempt, { clock: testClock(), signal: controller.signal, initialDelayMs: 1, maxDelayMs: 1 })).resolves.toBe('ok');
  });
});

describe('poll: caller misuse', () => {
  const base = { initialDelayMs: 1, maxDelayMs: 1 };
  it.each([
    { name: 'a negative initialDelayMs', options: { ...base, initialDelayMs: -1 } },
    { name: 'a missing maxDelayMs', options: { initialDelayMs: 1 } },
    { name: 'a factor below 1', options: { ...base, factor: 0.5 } },
    { name: 'a jitter above 1', options: { ...base, jitter: 2 } },
    { name: 'maxAttempts 0', options: { ...base, maxAttempts: 0, exhaustedError: () => new Error() } },
    { name: 'maxAttempts without exhaustedError', options: { ...base, maxAttempts: 3 } },
    { name: 'timeoutMs without timeoutError', options: { ...base, timeoutMs: 1000 } },
    { name: 'a timeoutMs beyond setTimeout', options: { ...base, timeoutMs: 2 ** 31, timeoutError: () => new Error() } },
    { name: 'an unknown retryAfter', options: { ...base, retryAfter: 'never' } },
    { name: 'a signal that is no AbortSignal', options: { ...base, signal: {} } },
  ])('refuses $name with a TypeError, before any attempt', async ({ options }) => {
    const attempt = scripted(pending(0));
    await expect(poll(attempt, { clock: testClock(), ...(options as PollOptions) })).rejects.toThrow(TypeError);
    expect(attempt.calls).toBe(0);
  });

  it('refuses a negative retryAfterMs from the attempt', async () => {
    await expect(poll(scripted([{ done: false, retryAfterMs: -5 }]), { clock: testClock(), ...base })).rejects.toThrow(TypeError);
  });

  it('refuses a random source outside [0, 1)', async () => {
    await expect(poll(scripted(pending(1)), { clock: testClock(), ...base, jitter: 0.1, random: () => 1 })).rejects.toThrow(TypeError);
  });
});

describe('waitLimits', () => {
  const defaults = { timeoutMs: 600_000, pollIntervalMs: 2000, maxPollIntervalMs: 30_000 };

  it('takes the caller’s values, else the defaults, with the longest interval at least the first', () => {
    expect(waitLimits({}, defaults)).toEqual(defaults);
    expect(waitLimits({ pollIntervalMs: 60_000 }, defaults)).toEqual({ timeoutMs: 600_000, pollIntervalMs: 60_000, maxPollIntervalMs: 60_000 });
    expect(waitLimits({ timeoutMs: 5, maxPollIntervalMs: 7 }, defaults)).toEqual({ timeoutMs: 5, pollIntervalMs: 2000, maxPollIntervalMs: 7 });
  });

  it.each([0, -1, 1.5, 2 ** 31, Number.NaN])('refuses %s ms, naming the option', (bad) => {
    expect(() => waitLimits({ pollIntervalMs: bad }, defaults)).toThrow(new TypeError('pollIntervalMs must be a positive integer of ms, at most 2^31-1'));
  });
});
