/**
 * withDeadline: the caller's signal and a time limit as one signal, each ending the run with the
 * caller's typed error, whatever the step under way rejected with.
 */
import { describe, expect, it } from 'vitest';
import { withDeadline } from './deadline.js';

class Timeout extends Error {}
class Aborted extends Error {}

const typed = { timeoutError: () => new Timeout('late'), abortError: (cause: unknown) => new Aborted('aborted', { cause }) };

/** A step that rejects with a plain AbortError when its signal aborts, as `fetch` does. */
const likeFetch = (signal: AbortSignal) =>
  new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(new DOMException('This operation was aborted', 'AbortError'))));

const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

describe('withDeadline', () => {
  it('resolves with what the run returns, and then aborts the run signal so that leftovers stop', async () => {
    let seen: AbortSignal | undefined;
    await expect(withDeadline(async (signal) => ((seen = signal), 42), { timeoutMs: 60_000, ...typed })).resolves.toBe(42);
    expect(seen?.aborted).toBe(true);
  });

  it('ends a step that hangs with timeoutError() at timeoutMs, and clears its timer', async () => {
    const before = timers();
    await expect(withDeadline(likeFetch, { timeoutMs: 5, ...typed })).rejects.toBeInstanceOf(Timeout);
    expect(timers()).toBeLessThanOrEqual(before);
  });

  it("ends the run with abortError(reason) when the caller's signal aborts", async () => {
    const controller = new AbortController();
    const run = withDeadline(likeFetch, { signal: controller.signal, timeoutMs: 60_000, ...typed });
    controller.abort('user pressed cancel');
    const error = await run.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Aborted);
    expect((error as Aborted).cause).toBe('user pressed cancel');
  });

  it('does not call the run for an already aborted signal', async () => {
    let called = false;
    const error = await withDeadline(async () => void (called = true), { signal: AbortSignal.abort('early'), ...typed }).catch((e: unknown) => e);
    expect(error).toMatchObject({ cause: 'early' });
    expect(called).toBe(false);
  });

  it("passes the run's own failure through untouched, and clears the timer", async () => {
    const before = timers();
    const failure = new Error('refused');
    await expect(withDeadline(async () => Promise.reject(failure), { timeoutMs: 60_000, ...typed })).rejects.toBe(failure);
    expect(timers()).toBeLessThanOrEqual(before);
  });

  it('rejects with the reason itself without abortError', async () => {
    const controller = new AbortController();
    const run = withDeadline(likeFetch, { signal: controller.signal });
    const reason = new Error('stop');
    controller.abort(reason);
    await expect(run).rejects.toBe(reason);
  });

  it.each([
    { name: 'a timeoutMs of 0', options: { timeoutMs: 0, ...typed } },
    { name: 'a timeoutMs beyond setTimeout', options: { timeoutMs: 2 ** 31, ...typed } },
    { name: 'a timeoutMs without timeoutError', options: { timeoutMs: 1000 } },
  ])('refuses $name with a TypeError', async ({ options }) => {
    await expect(withDeadline(async () => 1, options)).rejects.toThrow(TypeError);
  });
});
