/**
 * One time limit and one abort signal around a whole operation, each ending it with the caller's
 * own typed error, whatever step (a request, a wait) was under way.
 */

/** Options of {@link withDeadline}. */
export interface DeadlineOptions {
  /** The caller's signal: its abort ends the run with `abortError(signal.reason)`. Default: none. */
  readonly signal?: AbortSignal | undefined;
  /**
   * Limit of the whole run, in ms of real time (a `setTimeout`, so that it also ends a request that
   * hangs, whatever clock the waits use); integer 1 to 2^31 - 1. Default: none.
   */
  readonly timeoutMs?: number | undefined;
  /** The error the run rejects with at `timeoutMs`, e.g. `ERR_SDK_ENROLL_TIMEOUT`. Required with `timeoutMs`. */
  readonly timeoutError?: (() => unknown) | undefined;
  /**
   * The error the run rejects with when `signal` aborts, made from its reason (keep it as `cause`),
   * e.g. `ERR_SDK_ABORTED`. Default: the reason itself.
   */
  readonly abortError?: ((reason: unknown) => unknown) | undefined;
}

/** Longest delay a timer can hold (2^31 - 1 ms, about 24.8 days); `setTimeout` fires at once beyond it. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Runs `run` with one signal that aborts when the caller's `signal` does or `timeoutMs` passes,
 * its reason being the error the run then rejects with: whatever a step rejected with once the
 * run was stopped (a `fetch` `AbortError`, a clock's `sleep`), the typed error is the answer.
 * When the run settles, the timer is cleared, the listener removed, and the run's signal aborted,
 * so that work still in flight (a step that lost a race) stops too.
 *
 * @param run - the operation; it must pass the signal to every request and wait.
 * @throws {TypeError} for a `signal` that is no `AbortSignal`, a `timeoutMs` that is not an integer from 1 to 2^31 - 1, or one without `timeoutError`.
 * @throws `timeoutError()` at the limit, `abortError(signal.reason)` on abort (also when `signal` is
 *   already aborted: `run` is then not called), else whatever `run` rejects with.
 * @example
 * const result = await withDeadline((signal) => fetchTheThing(signal), {
 *   signal: options.signal,
 *   timeoutMs: 60_000,
 *   timeoutError: () => new RegistrationTimeoutError('the registration did not finish within 60000 ms', 60_000),
 *   abortError: (reason) => new RegistrationAbortedError('the registration was aborted', { cause: reason }),
 * });
 */
export async function withDeadline<T>(run: (signal: AbortSignal) => Promise<T>, options: DeadlineOptions = {}): Promise<T> {
  const { signal, timeoutMs, timeoutError } = options;
  const abortError = options.abortError ?? ((reason: unknown) => reason);
  if (timeoutMs !== undefined && (!Number.isSafeInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > MAX_TIMER_MS)) {
    throw new TypeError(`timeoutMs must be an integer from 1 to ${MAX_TIMER_MS}`);
  }
  if (timeoutMs !== undefined && typeof timeoutError !== 'function') throw new TypeError('timeoutError must be a function when timeoutMs is given');
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw new TypeError('signal must be an AbortSignal');
  if (signal?.aborted) throw abortError(signal.reason);

  const controller = new AbortController();
  /** Set once, by the caller's abort or the limit: the answer of the run from then on. */
  let stoppedBy: { readonly error: unknown } | undefined;
  const stop = (error: unknown) => {
    if (stoppedBy !== undefined) return;
    stoppedBy = { error };
    controller.abort(error);
  };
  const onAbort = () => stop(abortError(signal?.reason));
  signal?.addEventListener('abort', onAbort, { once: true });
  const timer = timeoutMs === undefined ? undefined : setTimeout(() => stop((timeoutError as () => unknown)()), timeoutMs);
  try {
    // A run that finished despite a late stop has its result: it is returned, not thrown away.
    return await run(controller.signal);
  } catch (error) {
    if (stoppedBy !== undefined) throw stoppedBy.error;
    throw error;
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
    if (!controller.signal.aborted) controller.abort(new DOMException('the operation ended', 'AbortError'));
  }
}
