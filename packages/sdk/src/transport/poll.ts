/**
 * The one wait loop of the SDK: every retry and every poll (a request's retries, the ticket, the
 * address confirmation, a pending certificate request, the enrollment lock) goes through
 * {@link poll}, so that they all wait, grow, honour `Retry-After`, end and stop the same way.
 */
import { systemClock, type Clock } from '../registration/clock.js';
import { withDeadline } from './deadline.js';

/** Default growth of the backoff delay from one wait to the next. */
export const DEFAULT_BACKOFF_FACTOR = 1.5;

/**
 * What one attempt found: done with a value, or not yet, optionally with the peer's own word on
 * when to ask again (an HTTP `Retry-After`, RFC 9110 §10.2.3, already turned into ms).
 */
export type PollStep<T> = { readonly done: true; readonly value: T } | { readonly done: false; readonly retryAfterMs?: number | undefined };

/** What an attempt is told about itself. */
export interface PollAttemptInfo {
  /** 1 for the first attempt. */
  readonly attempt: number;
  /**
   * The backoff delay of the wait before this attempt, in ms, without `Retry-After`, jitter or
   * rounding (`initialDelayMs` for a first attempt that did not wait).
   */
  readonly backoffMs: number;
}

/**
 * One attempt: resolves with a {@link PollStep}; what it throws ends the poll with that error
 * (never retried here, never swallowed: an attempt that wants a failure retried returns
 * `{ done: false }` itself). It must pass `signal` to every request it makes and end when it
 * aborts: the poll waits for the attempt under way to settle (so that nothing it started, such as
 * a lock file being created, is left behind unseen), then rejects with the stop's error.
 */
export type PollAttempt<T> = (signal: AbortSignal, info: PollAttemptInfo) => Promise<PollStep<T>>;

/** Options of {@link poll}. */
export interface PollOptions {
  /** Clock of the waits, and of `timeoutMs`'s cut of the last wait. Default: the system clock. Inject one in tests. */
  readonly clock?: Clock | undefined;
  /** Aborts the poll at once, also during a wait or an attempt. Default: none. */
  readonly signal?: AbortSignal | undefined;
  /** The first wait, in ms (before the first attempt with `waitFirst`, else after it). Required. */
  readonly initialDelayMs: number;
  /**
   * Longest backoff delay, in ms: the waits grow by `factor` up to it (jitter then applies around
   * it). A longer `Retry-After` still wins. Required.
   */
  readonly maxDelayMs: number;
  /** Growth of the backoff delay per wait, at least 1 (1 for a fixed interval). Default {@link DEFAULT_BACKOFF_FACTOR} (1.5). */
  readonly factor?: number | undefined;
  /**
   * Spread of each backoff delay, as a fraction: 0.1 makes each wait a uniform ±10% of the delay,
   * so that many clients that failed together do not come back together. 0 to 1. Default 0: the
   * SDK's callers keep their waits exact, so that a recording clock in the tests (and a person
   * reading a `waiting` event) sees the documented schedule; a `Retry-After` wait is never jittered.
   */
  readonly jitter?: number | undefined;
  /** Source of the jitter, returning a number in [0, 1), as `Math.random`. Default `Math.random`; inject one in tests (0.5 gives no spread). */
  readonly random?: (() => number) | undefined;
  /** Wait `initialDelayMs` before the first attempt too. Default `false`: the first attempt is made at once. */
  readonly waitFirst?: boolean | undefined;
  /**
   * How an attempt's `retryAfterMs` sets the next wait (RFC 9110 §10.2.3):
   * - `'at-least'` (default): the longer of it and the backoff delay; the backoff goes on growing.
   * - `'instead'`: it replaces the backoff delay, shorter or longer (a peer that knows when its
   *   answer is due is taken at its word); the backoff, used when an answer has none, goes on growing.
   */
  readonly retryAfter?: 'at-least' | 'instead' | undefined;
  /** Shortest wait a `retryAfterMs` may ask for, in ms, so that `Retry-After: 0` cannot make a hot loop. Default 0. */
  readonly minRetryAfterMs?: number | undefined;
  /** At most this many attempts; then the poll rejects with `exhaustedError()`. Default: no limit. */
  readonly maxAttempts?: number | undefined;
  /** The error the poll rejects with after `maxAttempts` unfinished attempts. Required with `maxAttempts`. */
  readonly exhaustedError?: (() => unknown) | undefined;
  /**
   * Limit of the whole poll, attempts and waits, in ms (integer 1 to 2^31 - 1). Measured twice: on
   * `clock`, a wait that would pass the limit is cut to end at it and the poll then rejects
   * without another attempt (one could not finish in time); in real time, a timer aborts an
   * attempt that hangs. Either way the poll rejects with `timeoutError()`. Default: none.
   */
  readonly timeoutMs?: number | undefined;
  /** The error the poll rejects with at `timeoutMs`. Required with `timeoutMs`. */
  readonly timeoutError?: (() => unknown) | undefined;
  /** The error the poll rejects with when `signal` aborts, made from its reason. Default: the reason itself. */
  readonly abortError?: ((reason: unknown) => unknown) | undefined;
  /** Called with each wait, in ms, just before it starts (for `waiting` events). What it throws ends the poll. */
  readonly onWait?: ((delayMs: number) => void) | undefined;
}

/**
 * Calls `attempt` until it is done, waiting between attempts.
 *
 * - The first attempt is made at once (or after `initialDelayMs` with `waitFirst`).
 * - The backoff delay starts at `initialDelayMs` and grows by `factor` (×1.5) per wait, up to
 *   `maxDelayMs`; `jitter` spreads it (default none). Waits are whole ms.
 * - An attempt's `retryAfterMs` wins when longer (RFC 9110 §10.2.3), or replaces the backoff with
 *   `retryAfter: 'instead'`; never below `minRetryAfterMs`.
 * - The explicit end: the attempt is done, or throws (that error, never swallowed), or
 *   `maxAttempts` is reached (`exhaustedError()`), or `timeoutMs` passes (`timeoutError()`), or
 *   `signal` aborts (`abortError(reason)`). Without `maxAttempts` and `timeoutMs`, the signal is
 *   the only bound on an attempt that is never done: the caller's own deadline must be in it.
 * - Once it settles, no timer of it is left and no wait of it is pending.
 *
 * @param attempt - one try; see {@link PollAttempt}.
 * @throws {TypeError} for malformed options.
 * @throws whatever `attempt` throws, `exhaustedError()`, `timeoutError()` or `abortError(signal.reason)`.
 * @example
 * // Ask every 2 s, growing ×1.5 up to 30 s, for at most an hour; honour the server's Retry-After.
 * const order = await poll(
 *   async (signal) => {
 *     const response = await fetch(orderUrl, { signal });
 *     const body = (await response.json()) as { status: string };
 *     if (body.status !== 'pending') return { done: true, value: body };
 *     return { done: false, retryAfterMs: retryAfterMs(response.headers.get('retry-after'), Date.now()) };
 *   },
 *   { initialDelayMs: 2000, maxDelayMs: 30_000, timeoutMs: 3_600_000, timeoutError: () => new Error('order still pending after 1 h') },
 * );
 */
export async function poll<T>(attempt: PollAttempt<T>, options: PollOptions): Promise<T> {
  const s = checkOptions(options);
  return withDeadline(
    async (signal) => {
      const end = s.timeoutMs === undefined ? undefined : s.clock.now() + s.timeoutMs;
      let next = Math.min(s.initialDelayMs, s.maxDelayMs);
      let last = s.initialDelayMs;
      const wait = async (retryAfterMs: number | undefined): Promise<void> => {
        const wanted = Math.round(waitFor(next, retryAfterMs, s));
        const remaining = end === undefined ? Infinity : end - s.clock.now();
        if (remaining <= 0) throw s.timeoutError();
        const delayMs = Math.min(wanted, remaining);
        s.onWait?.(delayMs);
        await s.clock.sleep(delayMs, signal);
        // An attempt after the limit could only learn what the caller no longer waits for.
        if (wanted > remaining) throw s.timeoutError();
        last = next;
        next = Math.min(next * s.factor, s.maxDelayMs);
      };
      if (s.waitFirst) await wait(undefined);
      for (let n = 1; ; n++) {
        signal.throwIfAborted();
        const step = await attempt(signal, { attempt: n, backoffMs: last });
        if (step.done) return step.value;
        if (n >= s.maxAttempts) throw s.exhaustedError();
        const { retryAfterMs } = step;
        if (retryAfterMs !== undefined && !(Number.isFinite(retryAfterMs) && retryAfterMs >= 0))
          throw new TypeError('retryAfterMs must be a non-negative number of ms');
        await wait(retryAfterMs);
      }
    },
    { signal: s.signal, timeoutMs: s.timeoutMs, timeoutError: s.timeoutError, abortError: s.abortError },
  );
}

/** The wait before the next attempt, in ms, before rounding and the cut at the limit. */
function waitFor(backoffMs: number, retryAfterMs: number | undefined, s: Settings): number {
  let jittered = backoffMs;
  if (s.jitter > 0) {
    const r = s.random();
    if (!(r >= 0 && r < 1)) throw new TypeError('random must return a number in [0, 1)');
    jittered = backoffMs * (1 + s.jitter * (2 * r - 1));
  }
  if (retryAfterMs === undefined) return jittered;
  const asked = Math.max(retryAfterMs, s.minRetryAfterMs);
  return s.retryAfter === 'instead' ? asked : Math.max(jittered, asked);
}

interface Settings {
  readonly clock: Clock;
  readonly signal: AbortSignal | undefined;
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  readonly factor: number;
  readonly jitter: number;
  readonly random: () => number;
  readonly waitFirst: boolean;
  readonly retryAfter: 'at-least' | 'instead';
  readonly minRetryAfterMs: number;
  readonly maxAttempts: number;
  readonly exhaustedError: () => unknown;
  readonly timeoutMs: number | undefined;
  readonly timeoutError: () => unknown;
  readonly abortError: ((reason: unknown) => unknown) | undefined;
  readonly onWait: ((delayMs: number) => void) | undefined;
}

function checkOptions(options: PollOptions): Settings {
  if (options === null || typeof options !== 'object') throw new TypeError('options must be an object');
  const ms = (name: string, value: unknown): number => {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw new TypeError(`${name} must be a non-negative number of ms`);
    return value;
  };
  const fn = <F>(name: string, value: F | undefined, required: boolean): F | undefined => {
    if (value === undefined ? required : typeof value !== 'function') throw new TypeError(`${name} must be a function`);
    return value;
  };
  const factor = options.factor ?? DEFAULT_BACKOFF_FACTOR;
  if (!Number.isFinite(factor) || factor < 1) throw new TypeError('factor must be a number of at least 1');
  const jitter = options.jitter ?? 0;
  if (!Number.isFinite(jitter) || jitter < 0 || jitter > 1) throw new TypeError('jitter must be a fraction from 0 to 1');
  const maxAttempts = options.maxAttempts ?? Infinity;
  if (maxAttempts !== Infinity && (!Number.isInteger(maxAttempts) || maxAttempts < 1)) throw new TypeError('maxAttempts must be a positive integer');
  const retryAfter = options.retryAfter ?? 'at-least';
  if (retryAfter !== 'at-least' && retryAfter !== 'instead') throw new TypeError("retryAfter must be 'at-least' or 'instead'");
  const clock = options.clock ?? systemClock;
  if (clock === null || typeof clock !== 'object' || typeof clock.now !== 'function' || typeof clock.sleep !== 'function')
    throw new TypeError('clock must have now() and sleep()');
  // Timeout and abort checks (and the signal's type) are withDeadline's.
  const { timeoutMs } = options;
  // Each is checked present when its end is set, and only called then.
  const timeoutError = fn('timeoutError', options.timeoutError, timeoutMs !== undefined) as () => unknown;
  const exhaustedError = fn('exhaustedError', options.exhaustedError, maxAttempts !== Infinity) as () => unknown;
  return {
    clock,
    signal: options.signal,
    initialDelayMs: ms('initialDelayMs', options.initialDelayMs),
    maxDelayMs: ms('maxDelayMs', options.maxDelayMs),
    factor,
    jitter,
    random: fn('random', options.random, false) ?? Math.random,
    waitFirst: options.waitFirst ?? false,
    retryAfter,
    minRetryAfterMs: ms('minRetryAfterMs', options.minRetryAfterMs ?? 0),
    maxAttempts,
    exhaustedError,
    timeoutMs,
    timeoutError,
    abortError: fn('abortError', options.abortError, false),
    onWait: fn('onWait', options.onWait, false),
  };
}

/** A wait's limits, in ms, as the SDK's waiting calls take them. */
export interface WaitLimits {
  readonly timeoutMs: number;
  readonly pollIntervalMs: number;
  readonly maxPollIntervalMs: number;
}

/**
 * The limits of a waiting call (`submit()`, `verifyAddress()`): the caller's values, else the
 * defaults (`maxPollIntervalMs` at least `pollIntervalMs`), each a positive whole number of ms.
 * @throws {TypeError} naming the option, for anything else, or beyond 2^31-1 ms (setTimeout would
 *   fire at once rather than wait that long).
 * @example
 * const { timeoutMs, pollIntervalMs } = waitLimits(options, { timeoutMs: 600_000, pollIntervalMs: 2000, maxPollIntervalMs: 30_000 });
 */
export function waitLimits(options: Partial<WaitLimits>, defaults: WaitLimits): WaitLimits {
  const pollIntervalMs = options.pollIntervalMs ?? defaults.pollIntervalMs;
  const limits: WaitLimits = {
    timeoutMs: options.timeoutMs ?? defaults.timeoutMs,
    pollIntervalMs,
    maxPollIntervalMs: options.maxPollIntervalMs ?? Math.max(defaults.maxPollIntervalMs, pollIntervalMs),
  };
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value <= 0 || value > 2 ** 31 - 1) throw new TypeError(`${name} must be a positive integer of ms, at most 2^31-1`);
  }
  return limits;
}
