/**
 * The `continue` and `error` targets of the registration page (`/index.php?id=1`): which URLs the
 * CA may send the user's browser back to. Documented in docs/protocol.md; reason codes are API.
 */

/** Longest `continue` or `error` URL accepted, in characters (a canonical URL is ASCII). */
export const CALLBACK_URL_MAX_LENGTH = 2048;

/**
 * Host names that count as loopback for an `http://` target, exactly as the WHATWG URL parser
 * serialises them. Other spellings (`127.1`, `0x7f.0.0.1`, `[0:0:0:0:0:0:0:1]`, `LOCALHOST`) are
 * refused by the canonical-form check before this list is consulted; other loopback addresses
 * (`127.0.0.2`, `[::ffff:7f00:1]`) are not on it on purpose: the SDK's agent listens on
 * `127.0.0.1`, and a short list leaves nothing to interpret. Nor is `localhost`: it is a name,
 * which a hosts file, a proxy or a resolver may send somewhere else than this machine, and it may
 * reach `::1` first while the agent listens on `127.0.0.1` only.
 */
export const LOOPBACK_HOSTS: readonly string[] = ['127.0.0.1', '[::1]'];

/**
 * Query parameters the CA appends to the `continue` and `error` URLs (`EmailAddress`, `code`,
 * `reason`), compared in lower case. A URL that already carries one is refused: the installer
 * would read two values, and the first, chosen by whoever wrote the URL, could win.
 */
export const RESERVED_CALLBACK_PARAMS: readonly string[] = ['emailaddress', 'code', 'reason'];

/**
 * Why a `continue` or `error` URL was refused. Codes are API: added, never renamed.
 */
export const CALLBACK_URL_PROBLEMS = {
  /** The parameter is not a string (absent, repeated, or not text). */
  not_a_string: 'the URL is not a single string',
  /** Longer than {@link CALLBACK_URL_MAX_LENGTH} characters. */
  too_long: 'the URL is longer than 2048 characters',
  /** The WHATWG URL parser refuses it (includes relative URLs such as `//host/`). */
  unparsable: 'the URL cannot be parsed as an absolute URL',
  /** A scheme other than `http:` or `https:` (`javascript:`, `data:`, `file:`, ...). */
  bad_scheme: 'only http (loopback) and https (allowed origins) are accepted',
  /** It carries a user name or password (`http://user:pass@host/`, `http://localhost:8080@evil/`). */
  user_info: 'the URL must not contain user info',
  /** It carries a fragment (`#...`, even an empty one), which would swallow appended parameters. */
  fragment: 'the URL must not contain a fragment',
  /** The string differs from its parsed and re-serialised form (see {@link validateCallbackUrl}). */
  not_canonical: 'the URL is not in canonical form',
  /** An `http:` URL whose host is not one of {@link LOOPBACK_HOSTS}. */
  not_loopback: 'an http URL must point at 127.0.0.1 or [::1]',
  /** An `http:` URL without an explicit port. */
  port_required: 'an http URL must carry an explicit port',
  /** An `http:` URL with port 0, on which nothing can listen. */
  invalid_port: 'port 0 is not a port anything listens on',
  /** An `https:` URL whose origin the CA's operator has not allowed. */
  https_origin_not_allowed: 'this https origin is not allowed by the CA',
  /** The query already carries a parameter the CA appends ({@link RESERVED_CALLBACK_PARAMS}). */
  reserved_parameter: 'the URL must not carry EmailAddress, code or reason: the CA appends them',
} as const;

/** One of the documented reasons a callback URL is refused. */
export type CallbackUrlProblem = keyof typeof CALLBACK_URL_PROBLEMS;

/** Result of {@link validateCallbackUrl}. */
export type CallbackUrlResult =
  { readonly ok: true; readonly url: string } | { readonly ok: false; readonly reason: CallbackUrlProblem; readonly message: string };

/** Options of {@link validateCallbackUrl}. */
export interface CallbackUrlOptions {
  /**
   * `https` origins the operator allows, each in canonical form as `URL#origin` prints it
   * (`https://vendor.example` or `https://vendor.example:8443`: lower case, no path, no trailing
   * slash, no default port). Default: none, so only loopback `http` targets are accepted.
   */
  readonly allowedHttpsOrigins?: readonly string[];
}

/**
 * Checks a `continue` or `error` URL against the registration page's rules.
 *
 * The rules, in the order they are checked (the first that fails gives the reason):
 * 1. a string of at most 2048 characters;
 * 2. an absolute URL the WHATWG URL Standard's basic URL parser (§4.4) accepts;
 * 3. scheme `http:` or `https:`;
 * 4. no user info (RFC 3986 §3.2.1 deprecates it; it disguises the host), no fragment
 *    (RFC 3986 §3.5; parameters appended after it would not reach the server);
 * 5. the raw string equals the parser's serialisation (WHATWG URL §4.5, `href`). This one rule
 *    refuses every spelling a browser would quietly rewrite: `127.1`, `0x7f.0.0.1`, `2130706433`,
 *    full-width dots, percent-escapes in the host, upper-case scheme or host, backslashes, tabs
 *    and newlines (stripped by the parser), dot segments, and a default port: the parser drops
 *    `:80` from `http://127.0.0.1:80/`, so that raw string differs from `href` and is refused as
 *    `not_canonical` rather than `port_required`;
 * 6. `http:` only with a host in {@link LOOPBACK_HOSTS} and an explicit port other than 0;
 *    `https:` only when its origin (WHATWG URL §4.7 / RFC 6454) is exactly in the allowlist;
 * 7. no query parameter the CA appends ({@link RESERVED_CALLBACK_PARAMS}), by name after
 *    form-decoding (WHATWG URL §5.1) and in any letter case, so `Email%41ddress` counts too.
 *
 * What is accepted can be echoed into a page and appended to without reinterpretation, because
 * it is what every WHATWG-conforming browser will request.
 *
 * @param raw - the parameter as received: anything, since a query may repeat or omit it.
 * @param options - see {@link CallbackUrlOptions}.
 * @returns `{ ok: true, url }` with the URL unchanged, or `{ ok: false, reason, message }`; the
 *   message never contains the URL, so it is safe to log and to show.
 * @throws {TypeError} when `allowedHttpsOrigins` holds an entry that is not a canonical https
 *   origin (caller misuse, not bad input).
 * @example
 * validateCallbackUrl('http://127.0.0.1:53111/done?state=x'); // { ok: true, url: '...' }
 * validateCallbackUrl('http://127.1:53111/done'); // { ok: false, reason: 'not_canonical', ... }
 */
export function validateCallbackUrl(raw: unknown, options: CallbackUrlOptions = {}): CallbackUrlResult {
  const allowed = checkAllowedOrigins(options.allowedHttpsOrigins ?? []);
  if (typeof raw !== 'string') return refuse('not_a_string');
  if (raw.length > CALLBACK_URL_MAX_LENGTH) return refuse('too_long');
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return refuse('unparsable');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return refuse('bad_scheme');
  if (url.username !== '' || url.password !== '') return refuse('user_info');
  // `hash` is '' for an empty fragment (`.../cb#`), yet the `#` still ends the query.
  if (url.hash !== '' || url.href.includes('#')) return refuse('fragment');
  if (url.href !== raw) return refuse('not_canonical');
  if (url.protocol === 'https:') {
    if (!allowed.has(url.origin)) return refuse('https_origin_not_allowed');
  } else {
    if (!LOOPBACK_HOSTS.includes(url.hostname)) return refuse('not_loopback');
    if (url.port === '') return refuse('port_required');
    if (url.port === '0') return refuse('invalid_port');
  }
  for (const name of url.searchParams.keys()) {
    if (RESERVED_CALLBACK_PARAMS.includes(name.toLowerCase())) return refuse('reserved_parameter');
  }
  return { ok: true, url: raw };
}

function refuse(reason: CallbackUrlProblem): CallbackUrlResult {
  return { ok: false, reason, message: CALLBACK_URL_PROBLEMS[reason] };
}

/** Validates the operator's allowlist; a wrong entry is a configuration bug, so it throws. */
function checkAllowedOrigins(origins: readonly string[]): ReadonlySet<string> {
  if (!Array.isArray(origins)) throw new TypeError('allowedHttpsOrigins must be an array of origins');
  for (const origin of origins) {
    if (typeof origin !== 'string' || !URL.canParse(origin)) {
      throw new TypeError('allowedHttpsOrigins entries must be absolute https origins');
    }
    const parsed = new URL(origin);
    // Exact comparison only works if the entry is spelled as `URL#origin` spells it.
    if (parsed.protocol !== 'https:' || parsed.origin !== origin) {
      throw new TypeError(`allowedHttpsOrigins entry ${JSON.stringify(origin)} is not a canonical https origin (want e.g. https://vendor.example)`);
    }
  }
  return new Set(origins);
}
