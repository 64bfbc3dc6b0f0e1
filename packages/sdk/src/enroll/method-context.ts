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

/** Checked transport settings of one method. */
export interface MethodTransport {
  readonly fetch: typeof fetch;
  readonly clock: Clock;
  readonly retries: number;
  readonly retryDelayMs: number;
  readonly maxRetryDelayMs: number;
  /** The request context of one call, bound to its signal. */
  context(signal: AbortSignal | undefined): CaRequestContext;
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
  const fetchImpl = options.fetch ?? globalThis.fetch;
  if (typeof fetchImpl !== 'function') throw new TypeError('fetch must be a function');
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
  const clock = options.clock ?? systemClock;
  const transport: MethodTransport = {
    fetch: fetchImpl,
    clock,
    retries,
    retryDelayMs,
    maxRetryDelayMs,
    context: (signal) => ({
      fetch: fetchImpl,
      clock,
      // A call without a signal still needs one for sendCaRequest's waits: one that never aborts.
      signal: signal ?? new AbortController().signal,
      retries,
      maxDelayMs: maxRetryDelayMs,
    }),
  };
  return { base: `${url.origin}${url.pathname.replace(/\/+$/, '')}`, transport };
}
