/**
 * What the agent does with one HTTP request: the whole policy as a pure function of the request
 * line, the Host header and the flow's secret, so that it can be read and tested without sockets.
 */
import { timingSafeEqual } from 'node:crypto';

/** Which callback the CA sent the browser to. */
export type CallbackKind = 'continue' | 'error';

/** Most distinct query parameters a callback may carry. */
export const CALLBACK_MAX_PARAMS = 64;

/** Longest parameter name or value accepted, in UTF-16 code units after decoding. */
export const CALLBACK_MAX_PARAM_LENGTH = 4096;

/**
 * Parameters a callback may carry at most once (docs/protocol.md, "The links back"): the CA
 * appends `EmailAddress`, `code` and `reason` once, and `state` is the caller's own. A second copy
 * means someone else added one, and which of the two is genuine cannot be told.
 */
export const CALLBACK_SINGLE_PARAMS: readonly string[] = Object.freeze(['state', 'EmailAddress', 'code', 'reason']);

/**
 * Why a request was refused. None of these ends the flow: only a request that proves it knows the
 * secret can, and a refusal never reveals whether a guess was close.
 */
export type RefusalReason =
  /** No Host header, a Host other than `127.0.0.1:PORT`, or an absolute-form target for another authority (421). */
  | 'misdirected'
  /** More than one Host header (400, as RFC 9112 §3.2 requires). */
  | 'duplicate-host'
  /** Not a callback path of this flow: unknown path, wrong secret, extra segments (404). */
  | 'not-found'
  /** A callback path with a method other than GET (405, `Allow: GET`). */
  | 'method-not-allowed'
  /** A callback with more than {@link CALLBACK_MAX_PARAMS} parameters or an over-long one (414). */
  | 'params-too-large'
  /** A callback that repeats one of {@link CALLBACK_SINGLE_PARAMS} (400). */
  | 'repeated-parameter';

/** HTTP status of each refusal. */
export const REFUSAL_STATUS: Readonly<Record<RefusalReason, number>> = Object.freeze({
  misdirected: 421,
  'duplicate-host': 400,
  'not-found': 404,
  'method-not-allowed': 405,
  'params-too-large': 414,
  'repeated-parameter': 400,
});

/** The request, as the HTTP server parsed it. */
export interface CallbackRequest {
  /** The method, as sent (Node's parser upper-cases nothing: it only accepts known methods). */
  readonly method: string;
  /** The raw request-target (RFC 9112 §3.2): origin-form `/p?q` or absolute-form `http://h/p?q`. */
  readonly target: string;
  /** Every Host header line of the request, raw (usually exactly one). */
  readonly hosts: readonly string[];
}

/** What the agent knows about its own flow. */
export interface CallbackFlow {
  /** `127.0.0.1:PORT`, the one authority the agent answers for. */
  readonly authority: string;
  /** The secret path segment, as bytes of its base64url text. */
  readonly secret: Buffer;
}

/** Result of {@link classifyCallbackRequest}. */
export type CallbackDecision =
  | { readonly action: 'callback'; readonly kind: CallbackKind; readonly params: Readonly<Record<string, string>> }
  | { readonly action: 'refuse'; readonly reason: RefusalReason; readonly status: number };

/**
 * Decides what to do with one request. The checks, in order:
 * 1. exactly one Host header, equal byte for byte to `127.0.0.1:PORT` (else 421; two Host lines
 *    are 400). This is the DNS-rebinding defence: a hostile page whose name now resolves to
 *    127.0.0.1 still makes the browser send its own name as Host, so it cannot talk to us;
 * 2. an origin-form target, or an absolute-form one starting with exactly `http://127.0.0.1:PORT/`
 *    (RFC 9112 §3.2.2; any other absolute-form target is for someone else: 421);
 * 3. the path is exactly `/wizard/<secret>/continue` or `/wizard/<secret>/error`, compared raw
 *    (no percent-decoding, no dot-segment removal: every other spelling is 404), the secret in
 *    constant time;
 * 4. the method is GET (else 405: HEAD too, so that link scanners that probe with HEAD neither
 *    end the flow nor are told that a GET would);
 * 5. the query holds at most {@link CALLBACK_MAX_PARAMS} names, each name and value at most
 *    {@link CALLBACK_MAX_PARAM_LENGTH} long (else 414). The parameters are decoded as
 *    `application/x-www-form-urlencoded` (WHATWG URL §5.1: `+` is a space, `%2B` a plus) and the
 *    first value of each name is kept;
 * 6. none of {@link CALLBACK_SINGLE_PARAMS} appears twice, compared after decoding (else 400,
 *    whether or not the values differ).
 *
 * @example
 * classifyCallbackRequest({ method: 'GET', target: '/wizard/s3cr3t/continue?EmailAddress=a%40b.test', hosts: ['127.0.0.1:5000'] },
 *   { authority: '127.0.0.1:5000', secret: Buffer.from('s3cr3t') });
 * // { action: 'callback', kind: 'continue', params: { EmailAddress: 'a@b.test' } }
 */
export function classifyCallbackRequest(request: CallbackRequest, flow: CallbackFlow): CallbackDecision {
  if (request.hosts.length > 1) return refuse('duplicate-host');
  if (request.hosts[0] !== flow.authority) return refuse('misdirected');

  let target = request.target;
  if (!target.startsWith('/')) {
    const prefix = `http://${flow.authority}/`;
    if (target.startsWith(prefix)) target = target.slice(prefix.length - 1);
    else if (/^[A-Za-z][A-Za-z0-9+.-]*:/.test(target)) return refuse('misdirected');
    else return refuse('not-found');
  }
  // A browser never sends a fragment; a raw client might, and WHATWG parsing would drop it.
  const hash = target.indexOf('#');
  if (hash !== -1) target = target.slice(0, hash);
  const question = target.indexOf('?');
  const path = question === -1 ? target : target.slice(0, question);
  const query = question === -1 ? '' : target.slice(question + 1);

  const kind = matchCallbackPath(path, flow.secret);
  if (kind === undefined) return refuse('not-found');
  if (request.method !== 'GET') return refuse('method-not-allowed');

  const params = new Map<string, string>();
  for (const [name, value] of new URLSearchParams(query)) {
    if (name.length > CALLBACK_MAX_PARAM_LENGTH || value.length > CALLBACK_MAX_PARAM_LENGTH) return refuse('params-too-large');
    if (params.has(name)) {
      if (SINGLE_PARAMS.has(name)) return refuse('repeated-parameter');
      continue;
    }
    if (params.size === CALLBACK_MAX_PARAMS) return refuse('params-too-large');
    params.set(name, value);
  }
  // Object.fromEntries defines own properties, so a `__proto__` parameter is just a key.
  return { action: 'callback', kind, params: Object.freeze(Object.fromEntries(params)) };
}

const SINGLE_PARAMS: ReadonlySet<string> = new Set(CALLBACK_SINGLE_PARAMS);

function matchCallbackPath(path: string, secret: Buffer): CallbackKind | undefined {
  const parts = path.split('/');
  if (parts.length !== 4 || parts[0] !== '' || parts[1] !== 'wizard') return undefined;
  const kind = parts[3];
  if (kind !== 'continue' && kind !== 'error') return undefined;
  // Constant time, so that response timing does not reveal how many leading characters of a
  // guess were right. Only the length can differ in time, and the length (43) is public.
  const candidate = Buffer.from(parts[2] ?? '', 'utf8');
  if (candidate.length !== secret.length || !timingSafeEqual(candidate, secret)) return undefined;
  return kind;
}

function refuse(reason: RefusalReason): CallbackDecision {
  return { action: 'refuse', reason, status: REFUSAL_STATUS[reason] };
}
