/**
 * What the enrollment methods share to reach the CA: the SDK's one HTTP path
 * (`sendCaRequest`, bounded retries and `Retry-After`) with injectable fetch and clock.
 */
import { systemClock, type Clock } from '../registration/clock.js';
import type { CaRequestContext } from '../transport/ca-request.js';

/** Transport options every method accepts. */
export interface MethodTransportOptions {
  /** The `fetch` to use. Default: the global one. */
  readonly fetch?: typeof fetch;
  /** Clock for the waits between retried attempts. Default: {@link systemClock}. */
  readonly clock?: Clock;
  /** Further attempts after a network failure or a 502/504 answer. Default: 2. */
  readonly retries?: number;
  /** First wait between retried attempts of one request, in ms. Default: 1000. */
  readonly retryDelayMs?: number;
  /** Longest wait between retried attempts, in ms (a longer `Retry-After` still wins). Default: 30 000. */
  readonly maxRetryDelayMs?: number;
}

/** The transport of one call: its `fetch` and clock decided, bound to a signal per request. */
export interface CallTransport {
  readonly fetch: typeof fetch;
  readonly clock: Clock;
  readonly retries: number;
  readonly retryDelayMs: number;
  readonly maxRetryDelayMs: number;
  /** The request context of one call, bound to its signal; `onRetry` hears of each failed attempt tried again. */
  context(signal: AbortSignal | undefined, onRetry?: (attempt: number) => void): CaRequestContext;
}

/** Checked transport settings of one method; alone, the method's own `fetch` and clock (or the defaults). */
export interface MethodTransport extends CallTransport {
  /**
   * The transport of one call driven by a caller with its own `fetch` and clock (`enroll()`'s
   * options): the method's own options win, the caller's come next, then the defaults.
   */
  forCall(call: { readonly fetch?: typeof fetch; readonly clock?: Clock } | undefined): CallTransport;
}

/**
 * Checks the transport options and the CA URL of a method.
 * @returns the CA's base URL without a trailing slash, and the transport.
 * @throws {TypeError} for a CA URL that is not http(s) or carries credentials, query or fragment, or bad options.
 * @example
 * const { base, transport } = methodTransport('https://ca.example', {});
 */
export function methodTransport(caUrl: string, options: MethodTransportOptions): { base: string; transport: MethodTransport } {
  let url: URL;
  try {
    url = new URL(caUrl);
  } catch {
    throw new TypeError('caUrl must be an absolute URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new TypeError('caUrl must be http or https');
  // Credentials in the URL would end up in every request line and error; the API takes them otherwise.
  if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '') {
    throw new TypeError('caUrl must not carry credentials, a query or a fragment');
  }
  if (options.fetch !== undefined && typeof options.fetch !== 'function') throw new TypeError('fetch must be a function');
  const retries = options.retries ?? 2;
  const retryDelayMs = options.retryDelayMs ?? 1000;
  const maxRetryDelayMs = options.maxRetryDelayMs ?? 30_000;
  for (const [name, value] of [
    ['retries', retries],
    ['retryDelayMs', retryDelayMs],
    ['maxRetryDelayMs', maxRetryDelayMs],
  ] as const) {
    if (!Number.isSafeInteger(value) || value < 0) throw new TypeError(`${name} must be a non-negative integer`);
  }
  const bind = (fetchImpl: typeof fetch, clock: Clock): CallTransport => ({
    fetch: fetchImpl,
    clock,
    retries,
    retryDelayMs,
    maxRetryDelayMs,
    context: (signal, onRetry) => ({
      fetch: fetchImpl,
      clock,
      // A call without a signal still needs one for sendCaRequest's waits: one that never aborts.
      signal: signal ?? new AbortController().signal,
      retries,
      maxDelayMs: maxRetryDelayMs,
      ...(onRetry === undefined ? {} : { onRetry }),
    }),
  });
  const alone = bind(options.fetch ?? globalThis.fetch, options.clock ?? systemClock);
  if (typeof alone.fetch !== 'function') throw new TypeError('fetch must be a function');
  const transport: MethodTransport = {
    ...alone,
    forCall: (call) => {
      const fetchImpl = options.fetch ?? call?.fetch;
      const clock = options.clock ?? call?.clock;
      return fetchImpl === undefined && clock === undefined ? alone : bind(fetchImpl ?? alone.fetch, clock ?? alone.clock);
    },
  };
  return { base: `${url.origin}${url.pathname.replace(/\/+$/, '')}`, transport };
}
