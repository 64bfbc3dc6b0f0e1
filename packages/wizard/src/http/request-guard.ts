/**
 * Which requests the wizard server answers at all: the whole policy as a pure function of the
 * request line and a few headers, so that it can be read and tested without sockets.
 */

/** What the guard looks at. */
export interface GuardedRequest {
  readonly method: string;
  /** The raw request-target (RFC 9112 §3.2). */
  readonly target: string;
  /** Every Host header line, raw. */
  readonly hosts: readonly string[];
  /** Every Origin header line, raw. */
  readonly origins: readonly string[];
  /** The `Sec-Fetch-Site` header (Fetch Metadata), when the browser sent one. */
  readonly fetchSite: string | undefined;
}

/** Why a request was refused. */
export type GuardRefusal =
  /** No Host, or not the server's own `127.0.0.1:PORT` / `localhost:PORT` (421). */
  | 'misdirected'
  /** More than one Host header (400, RFC 9112 §3.2), or a target that is not origin-form (400). */
  | 'bad-request'
  /** A state-changing request without the server's own Origin, or a cross-site fetch (403). */
  | 'cross-origin';

/** What {@link guardRequest} decided. */
export type GuardDecision = { readonly ok: true } | { readonly ok: false; readonly reason: GuardRefusal; readonly status: number };

const SAFE_METHODS = new Set(['GET', 'HEAD']);
/** `none`: the person typed the address or the installer opened it; `same-origin`: the wizard's own page. */
const ACCEPTED_FETCH_SITES = new Set(['same-origin', 'none']);

/**
 * Decides whether to answer a request. In order:
 * 1. exactly one Host, exactly `127.0.0.1:PORT` or `localhost:PORT` (DNS rebinding: a hostile
 *    name that now resolves to 127.0.0.1 still arrives with its own name as Host);
 * 2. an origin-form target (`/path?query`);
 * 3. for every method but GET and HEAD, exactly one Origin, equal to `http://` + that Host
 *    (a page of another origin, also another port of 127.0.0.1, cannot post here);
 * 4. when the browser says where a request comes from (`Sec-Fetch-Site`), only `same-origin` or
 *    `none`: cookies are sent per site, not per port, so another local web page is "same-site"
 *    and would otherwise carry the session cookie along.
 * @example
 * guardRequest({ method: 'POST', target: '/api/enroll', hosts: ['127.0.0.1:8000'], origins: ['http://127.0.0.1:8000'], fetchSite: 'same-origin' }, 8000);
 * // { ok: true }
 */
export function guardRequest(request: GuardedRequest, port: number): GuardDecision {
  if (request.hosts.length > 1) return refuse('bad-request', 400);
  const host = request.hosts[0];
  if (host !== `127.0.0.1:${port}` && host !== `localhost:${port}`) return refuse('misdirected', 421);
  if (!request.target.startsWith('/') || request.target.startsWith('//')) return refuse('bad-request', 400);
  if (!SAFE_METHODS.has(request.method)) {
    if (request.origins.length !== 1 || request.origins[0] !== `http://${host}`) return refuse('cross-origin', 403);
  }
  if (request.fetchSite !== undefined && !ACCEPTED_FETCH_SITES.has(request.fetchSite)) return refuse('cross-origin', 403);
  return { ok: true };
}

function refuse(reason: GuardRefusal, status: number): GuardDecision {
  return { ok: false, reason, status };
}
