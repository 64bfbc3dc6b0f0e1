/**
 * Lets a caller's `AbortSignal` end the wait for a promise that cannot itself be cancelled.
 *
 * @packageDocumentation
 */

/**
 * Settles like `promise`, or rejects with `signal.reason` as soon as `signal` aborts (at once
 * when it already has). The work behind `promise` is not stopped: a native keychain call that
 * was handed to the platform finishes in the background, and its result is dropped.
 */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) {
    // The dropped promise may still reject later; keep that from becoming an unhandled rejection.
    promise.catch(() => {});
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
