/**
 * The one piece of the SDK that talks HTTP to the CA: one request, with bounded retries on
 * network failures and the CA's own "come back later" answers honoured.
 */
import { REVOCATION_SECRET_HEADER } from '@certwizard/protocol';
import { CaProtocolError, CaUnreachableError } from '../errors.js';
import type { Clock } from '../registration/clock.js';
import { retryAfterMs } from '../registration/retry-after.js';
import { poll } from './poll.js';

/** How the SDK reaches the CA; shared by every request of one flow. */
export interface CaRequestContext {
  /** The `fetch` to use (the global one unless the caller injected another). */
  readonly fetch: typeof fetch;
  /** Clock for the waits between attempts. */
  readonly clock: Clock;
  /** Aborts the request and every wait; its reason is what the call rejects with. */
  readonly signal: AbortSignal;
  /** Further attempts after a network failure or a 502/504 answer, before `ERR_SDK_CA_UNREACHABLE`. */
  readonly retries: number;
  /** Longest wait between two attempts of one request, in ms (a longer `Retry-After` still wins). */
  readonly maxDelayMs: number;
  /**
   * Told of each failed attempt that will be tried again (a network failure, 502, 504), with its
   * number from 1, so that a person learns of it as it happens instead of after the last one.
   */
  readonly onRetry?: (attempt: number) => void;
}

/** One request to the CA. */
export interface CaRequest {
  /** Names the endpoint in error messages; never the URL, which may carry the ticket. */
  readonly what: string;
  readonly url: string;
  readonly method: 'GET' | 'POST' | 'PUT';
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
  /** First wait between attempts, in ms; each later wait is 1.5 times longer, up to `maxDelayMs`. */
  readonly initialDelayMs: number;
  /**
   * Statuses among 502/503/504 that this endpoint documents as its own answer (e.g. the address
   * ping's `502 mail_not_sent`): returned to the caller to decode, never retried.
   */
  readonly documentedStatuses?: readonly number[];
}

/** The CA's final answer: any status other than 429, 502, 503, 504. */
export interface CaAnswer {
  readonly status: number;
  readonly body: string;
  /** The answer's `Retry-After` header, raw (e.g. a pending request's). */
  readonly retryAfter: string | null;
  /** The answer's `Revocation-Secret` header, raw (the CAcert-style answers that took a new request), when present. */
  readonly revocationSecret?: string;
}

/** Connection errors that prove the request never reached the CA, so resending is harmless. */
const NEVER_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

function neverSent(error: unknown): boolean {
  const code = (error as { cause?: { code?: unknown } } | null)?.cause?.code;
  return typeof code === 'string' && NEVER_SENT.has(code);
}

/**
 * Sends one request until the CA gives a final answer.
 *
 * - 429 and 503 (the CA is there and asks to wait): wait `Retry-After` (RFC 9110 §10.2.3) when
 *   it is longer than the current backoff delay, else the delay, and try again. These do not
 *   count against `retries`: the caller's timeout and signal bound them.
 * - A network failure, 502 or 504: the same wait, at most `retries` times; then
 *   `ERR_SDK_CA_UNREACHABLE` with the last failure as `cause` (never swallowed). POST and PUT
 *   change state at the CA (a second certificate, a second pending request, a spent code), so
 *   for them only failures that prove the request never left (connection refused, name not
 *   resolved, no route) are retried; a 502/504 or a connection lost mid-way is not.
 * - A redirect (3xx) is never followed: the request may carry a password or a bearer token, and
 *   `fetch` would send them (and a form body, for 307/308) to wherever `Location` points. It is
 *   `ERR_SDK_CA_PROTOCOL`: the installer must be configured with the CA's final URL.
 * - Anything else is returned for the caller to decode.
 *
 * The waits are {@link poll}'s: `initialDelayMs` growing ×1.5 up to `ctx.maxDelayMs`, no jitter.
 *
 * @throws {CaUnreachableError} `ERR_SDK_CA_UNREACHABLE` when every attempt failed on the network.
 * @throws {CaProtocolError} `ERR_SDK_CA_PROTOCOL` for a redirect, with its status.
 * @throws whatever `ctx.signal.reason` is, once it aborts.
 * @example
 * const answer = await sendCaRequest({ what: 'givemeaticket', url, method: 'GET', headers: {}, initialDelayMs: 2000 }, ctx);
 */
export async function sendCaRequest(request: CaRequest, ctx: CaRequestContext): Promise<CaAnswer> {
  let failures = 0;
  return poll<CaAnswer>(
    async (signal) => {
      let response: Response;
      let body: string;
      try {
        response = await ctx.fetch(request.url, {
          method: request.method,
          headers: request.headers,
          ...(request.body === undefined ? {} : { body: request.body }),
          redirect: 'manual',
          signal,
        });
        body = await response.text();
      } catch (error) {
        if (signal.aborted) throw signal.reason;
        failures += 1;
        if (failures > ctx.retries || (request.method !== 'GET' && !neverSent(error))) {
          throw new CaUnreachableError(`the CA at ${originOf(request.url)} could not be reached (${plural(failures)})`, failures, {
            cause: error,
            endpoint: request.what,
          });
        }
        ctx.onRetry?.(failures);
        return { done: false };
      }
      const { status } = response;
      // A browser's fetch hides a manual redirect as type 'opaqueredirect' with status 0.
      if ((status >= 300 && status < 400) || response.type === 'opaqueredirect') {
        throw new CaProtocolError(
          `${request.what}: the CA answered with a redirect (HTTP ${status}); credentials never follow a redirect: configure the CA's final URL`,
          status,
        );
      }
      const retryAfter = response.headers.get('retry-after');
      const secret = response.headers.get(REVOCATION_SECRET_HEADER);
      const documented = request.documentedStatuses?.includes(status) === true && isJsonError(body);
      if ((status !== 429 && status !== 502 && status !== 503 && status !== 504) || documented)
        return { done: true, value: { status, body, retryAfter, ...(secret !== null ? { revocationSecret: secret } : {}) } };
      if (status === 502 || status === 504) {
        failures += 1;
        if (failures > ctx.retries || request.method !== 'GET') {
          throw new CaUnreachableError(`the CA at ${originOf(request.url)} answered ${status} (${plural(failures)})`, failures, { endpoint: request.what });
        }
        ctx.onRetry?.(failures);
      }
      return { done: false, retryAfterMs: retryAfterMs(retryAfter, ctx.clock.now()) };
    },
    { clock: ctx.clock, signal: ctx.signal, initialDelayMs: request.initialDelayMs, maxDelayMs: ctx.maxDelayMs },
  );
}

/** The origin of a request URL: what a person may read (the path and query may carry a ticket). */
function originOf(url: string): string {
  return new URL(url).origin;
}

const plural = (attempts: number) => (attempts === 1 ? '1 attempt' : `${attempts} attempts`);

/** Whether `body` is the CA's JSON error (`{"error":{"code":...}}`), not a gateway's page. */
function isJsonError(body: string): boolean {
  try {
    const code = (JSON.parse(body) as { error?: { code?: unknown } } | null)?.error?.code;
    return typeof code === 'string';
  } catch {
    return false;
  }
}

/**
 * The body of a JSON answer, parsed.
 * @param what - names the endpoint in the message (never the URL).
 * @throws {CaProtocolError} `ERR_SDK_CA_PROTOCOL` for a body that is not JSON.
 * @example
 * const json = parseJsonAnswer('domain list', answer);
 */
export function parseJsonAnswer(what: string, answer: CaAnswer): unknown {
  try {
    return JSON.parse(answer.body);
  } catch (error) {
    throw new CaProtocolError(`${what}: the CA answered ${answer.status} with a body that is not JSON`, answer.status, { cause: error });
  }
}
