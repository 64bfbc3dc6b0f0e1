/**
 * The clock the polling loop waits on: injectable, so that backoff and `Retry-After` are tested
 * by recording the waits instead of sleeping through them.
 */

/** Time source and timer of the polling loop. */
export interface Clock {
  /** Current time in milliseconds since the epoch (used to turn an HTTP-date `Retry-After` into a delay). */
  now(): number;
  /**
   * Resolves after `ms` milliseconds; rejects with `signal.reason` as soon as `signal` aborts,
   * and then leaves no timer behind.
   */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

/**
 * The real clock: `Date.now()` and `setTimeout`, cleared on abort.
 * @example
 * await systemClock.sleep(100, AbortSignal.timeout(1000));
 */
export const systemClock: Clock = Object.freeze({
  now: () => Date.now(),
  sleep: (ms: number, signal: AbortSignal) =>
    new Promise<void>((resolve, reject) => {
      if (signal.aborted) {
        reject(signal.reason);
        return;
      }
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal.reason);
      };
      const timer = setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      signal.addEventListener('abort', onAbort, { once: true });
    }),
});
