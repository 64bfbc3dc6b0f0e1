/**
 * The CAcert-style registration hand-off: `/index.php?id=1` with prefill, `continue`, `error`,
 * `ticket` and PKCE parameters, and the links back to the installer. Documented in
 * docs/protocol.md; every name here is part of the wire contract and is never renamed.
 */
import { hasLoneSurrogate } from './lone-surrogate.js';
import { validateCallbackUrl } from './callback-url.js';
import { isValidPingNonce, PING_NONCE_PARAM } from './email-ping.js';
import { isValidChallenge, PKCE_METHOD } from './pkce.js';

/** Path of the registration page and of the ticket endpoints, relative to the CA's base URL. */
export const REGISTRATION_PATH = '/index.php';

/** Values of the `id` query parameter that select what `/index.php` does (CAcert's names). */
export const REGISTRATION_IDS = {
  /** The registration page. */
  register: '1',
  /** `GET`: hands out a new ticket. */
  giveMeATicket: 'givemeaticket',
  /** `GET` with `ticket`: tells how the registration tied to the ticket went. */
  isItDone: 'isitdone',
} as const;

/** Names of the query parameters of the registration page and of the links back. */
export const REGISTRATION_PARAMS = {
  /** Selects the operation, one of {@link REGISTRATION_IDS}. */
  id: 'id',
  /** Where the browser goes after a successful registration (see validateCallbackUrl). */
  continue: 'continue',
  /** Where the browser goes after a failed or cancelled registration. */
  error: 'error',
  /** Ties the registration to a ticket, so the installer can poll `isitdone`. */
  ticket: 'ticket',
  /**
   * `isitdone` only: how long, in whole seconds (1 to {@link ISITDONE_MAX_WAIT_SECONDS}), the CA
   * may hold a `pending` answer back, answering as soon as the registration ends (a long poll).
   * A CA that does not know it answers at once; the installer's own interval then applies.
   */
  wait: 'wait',
  /** RFC 7636 §4.3 code challenge. */
  codeChallenge: 'code_challenge',
  /** RFC 7636 §4.3 challenge method; only `S256`. */
  codeChallengeMethod: 'code_challenge_method',
  /** Added to the error link: one of {@link REGISTRATION_ERROR_REASONS}. */
  reason: 'reason',
  /** Added to the continue link when a challenge was sent: the one-time code for the token endpoint. */
  code: 'code',
  /** Added to both links: the address finally registered (or entered, on failure). */
  emailAddress: 'EmailAddress',
  /** A PEM certificate request sent with the registration, issued once the address is confirmed. */
  csr: 'CSR',
  /**
   * The installer's mail server's nonce: the confirmation mail becomes an email ping carrying it,
   * which that mail server may answer by itself (see email-ping.ts).
   */
  pingNonce: PING_NONCE_PARAM,
} as const;

/** Longest hold of an `isitdone` long poll, in seconds: under the 60 s idle timeouts of common proxies. */
export const ISITDONE_MAX_WAIT_SECONDS = 30;

/**
 * Reads the `wait` parameter of `isitdone`: whole seconds 1 to {@link ISITDONE_MAX_WAIT_SECONDS}
 * as ASCII digits without a sign or leading zero, or `undefined` when absent.
 * @throws {RangeError} for anything else (the CA answers 400: a client that asks for an
 * impossible wait has a bug worth seeing).
 * @example
 * readIsItDoneWait('25'); // 25
 */
export function readIsItDoneWait(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^[1-9][0-9]?$/.test(value) || Number(value) > ISITDONE_MAX_WAIT_SECONDS) {
    throw new RangeError(`wait must be whole seconds from 1 to ${ISITDONE_MAX_WAIT_SECONDS}`);
  }
  return Number(value);
}

/**
 * Longest `CSR` the registration URL carries, in characters of PEM (an RSA-4096 request is about
 * 1.7 KiB): the whole URL must stay within the 16 KiB request head that HTTP servers accept.
 */
export const REGISTRATION_CSR_MAX_CHARS = 8 * 1024;

/** The GET parameters that prefill the registration form; all other parameters are ignored. */
export const PREFILL_FIELDS = ['FirstName', 'MiddleName', 'LastName', 'EmailAddress'] as const;

/** One of {@link PREFILL_FIELDS}. */
export type PrefillField = (typeof PREFILL_FIELDS)[number];

/**
 * What a ticket looks like on the wire: base64url (RFC 4648 §5) without padding, 22 to 64
 * characters. 22 characters hold 132 bits, just above the 128 random bits a ticket must have;
 * the reference CA hands out 43 (32 bytes, see `newTicket`).
 */
export const TICKET_PATTERN = /^[A-Za-z0-9_-]{22,64}$/;

/**
 * Why a registration did not finish: the `reason` of the error link and of an `isitdone` error
 * answer. Codes are API: added, never renamed.
 */
export const REGISTRATION_ERROR_REASONS = {
  /** The address is already registered to another account. */
  address_taken: 'the email address is already registered',
  /** The ticket expired before the registration finished. */
  ticket_expired: 'the ticket expired before the registration finished',
  /** The user cancelled the registration. */
  cancelled: 'the user cancelled the registration',
  /** The address could not be confirmed (the confirmation mail was not answered in time, or failed). */
  confirmation_failed: 'the email address could not be confirmed',
  /** The registration request itself was invalid (e.g. a malformed ticket or challenge). */
  invalid_request: 'the registration request was invalid',
} as const;

/** One of {@link REGISTRATION_ERROR_REASONS}. */
export type RegistrationErrorReason = keyof typeof REGISTRATION_ERROR_REASONS;

/**
 * Whether a value is one of the documented reason codes.
 * @example
 * isRegistrationErrorReason('cancelled'); // true
 */
export function isRegistrationErrorReason(value: unknown): value is RegistrationErrorReason {
  return typeof value === 'string' && Object.hasOwn(REGISTRATION_ERROR_REASONS, value);
}

/** Options of {@link buildRegistrationUrl}. Any other key is refused. */
export interface RegistrationUrlOptions {
  /**
   * Form fields to prefill: only those the vendor is sure of. Only {@link PREFILL_FIELDS}; an
   * empty value is left out, so the user types it.
   */
  readonly prefill?: Partial<Record<PrefillField, string>>;
  /** `continue` target: a canonical loopback http URL with a port, or an https URL. */
  readonly continueUrl?: string;
  /** `error` target, same rules as `continueUrl`. */
  readonly errorUrl?: string;
  /** A ticket from `givemeaticket`, matching {@link TICKET_PATTERN}. */
  readonly ticket?: string;
  /** An S256 code challenge (RFC 7636 §4.2); `code_challenge_method=S256` is added with it. */
  readonly codeChallenge?: string;
  /**
   * A PEM `CERTIFICATE REQUEST` to send with the registration (field `CSR`), at most
   * {@link REGISTRATION_CSR_MAX_CHARS} characters. A request is public: it may travel in a URL.
   */
  readonly csrPem?: string;
  /**
   * A nonce from the installer's mail server (`PingNonce`, see {@link isValidPingNonce}): the
   * confirmation mail is then an email ping carrying it. It lets that mail server confirm the
   * address by itself, once: the URL is for the user's browser only, never for a log.
   */
  readonly pingNonce?: string;
}

const OPTION_KEYS: readonly string[] = ['prefill', 'continueUrl', 'errorUrl', 'ticket', 'codeChallenge', 'csrPem', 'pingNonce'];

/** One PEM certificate request block, nothing around it but whitespace. */
const CSR_PEM_PATTERN = /^\s*-----BEGIN (?:NEW )?CERTIFICATE REQUEST-----\r?\n[A-Za-z0-9+/=\r\n]+-----END (?:NEW )?CERTIFICATE REQUEST-----\s*$/;
/** Names that suggest a secret; refused with a message that says so, not just "unknown". */
const SECRET_LIKE = /pass|pwd|secret|pin|token|key|credential/i;

/**
 * Builds the URL of the registration page to open in the user's browser.
 *
 * The query is `id=1`, then the prefill fields in {@link PREFILL_FIELDS} order, then `continue`,
 * `error`, `ticket`, `code_challenge`, `code_challenge_method`, `CSR`, `PingNonce`, encoded as
 * application/x-www-form-urlencoded (WHATWG URL §5.2, `URLSearchParams`): space as `+`, and
 * `+ & # = %` and non-ASCII percent-encoded, so every value reaches the CA unchanged.
 * There is no way to pass a password: unknown keys are refused, and the form has none.
 *
 * @param caBaseUrl - the CA's base URL (`https://ca.example` or `https://ca.example/cacert/`);
 *   `/index.php` is appended to its path.
 * @param options - see {@link RegistrationUrlOptions}.
 * @throws {TypeError} when `caBaseUrl` is not an http(s) URL without user info, query and
 *   fragment; for an unknown or password-like option or prefill key; a non-string value; a
 *   callback URL that the CA would refuse for a reason other than its https allowlist (which
 *   only the CA knows); an empty or malformed `ticket`, `codeChallenge` or `pingNonce`.
 * @example
 * buildRegistrationUrl('https://ca.example', {
 *   prefill: { EmailAddress: 'a+b@example.org' },
 *   continueUrl: 'http://127.0.0.1:53111/done?state=x',
 * });
 * // 'https://ca.example/index.php?id=1&EmailAddress=a%2Bb%40example.org&continue=http%3A%2F%2F127.0.0.1%3A53111%2Fdone%3Fstate%3Dx'
 */
export function buildRegistrationUrl(caBaseUrl: string, options: RegistrationUrlOptions = {}): string {
  const base = parseBaseUrl(caBaseUrl);
  for (const key of Object.keys(options)) {
    // Known options first: `pingNonce` would otherwise read as secret-like ("pin").
    if (OPTION_KEYS.includes(key)) continue;
    if (SECRET_LIKE.test(key)) throw new TypeError(`option ${JSON.stringify(key)} looks like a secret; the registration URL never carries one`);
    throw new TypeError(`unknown option ${JSON.stringify(key)}`);
  }
  const query = new URLSearchParams({ [REGISTRATION_PARAMS.id]: REGISTRATION_IDS.register });
  for (const [field, value] of prefillEntries(options.prefill)) query.append(field, value);
  const callbacks = [
    [REGISTRATION_PARAMS.continue, options.continueUrl],
    [REGISTRATION_PARAMS.error, options.errorUrl],
  ] as const;
  for (const [name, value] of callbacks) {
    if (value === undefined) continue;
    const checked = validateCallbackUrl(value);
    // The SDK cannot know the CA's https allowlist; everything else the CA would refuse anyway.
    if (!checked.ok && checked.reason !== 'https_origin_not_allowed') {
      throw new TypeError(`${name} URL refused (${checked.reason}): ${checked.message}`);
    }
    query.append(name, value);
  }
  if (options.ticket !== undefined) {
    if (typeof options.ticket !== 'string' || !TICKET_PATTERN.test(options.ticket)) throw new TypeError('ticket must be 22 to 64 base64url characters');
    query.append(REGISTRATION_PARAMS.ticket, options.ticket);
  }
  if (options.codeChallenge !== undefined) {
    if (!isValidChallenge(options.codeChallenge)) throw new TypeError('codeChallenge must be an S256 challenge: 43 base64url characters');
    query.append(REGISTRATION_PARAMS.codeChallenge, options.codeChallenge);
    query.append(REGISTRATION_PARAMS.codeChallengeMethod, PKCE_METHOD);
  }
  if (options.csrPem !== undefined) {
    if (typeof options.csrPem !== 'string' || options.csrPem.length > REGISTRATION_CSR_MAX_CHARS || !CSR_PEM_PATTERN.test(options.csrPem)) {
      throw new TypeError(`csrPem must be one PEM CERTIFICATE REQUEST block of at most ${REGISTRATION_CSR_MAX_CHARS} characters`);
    }
    query.append(REGISTRATION_PARAMS.csr, options.csrPem.trim());
  }
  if (options.pingNonce !== undefined) {
    if (!isValidPingNonce(options.pingNonce)) throw new TypeError('pingNonce must be 22 to 128 base64url characters');
    query.append(REGISTRATION_PARAMS.pingNonce, options.pingNonce);
  }
  return `${base}${REGISTRATION_PATH}?${query.toString()}`;
}

/**
 * Reads the prefill fields from the registration page's query, as the CA does: only
 * {@link PREFILL_FIELDS}; a field that is empty or repeated is left out (the user types it),
 * every other parameter is ignored.
 * @param query - the page's query string (with or without `?`) or its parameters.
 * @example
 * readPrefill('?id=1&FirstName=Ann&password=x'); // { FirstName: 'Ann' }
 */
export function readPrefill(query: string | URLSearchParams): Partial<Record<PrefillField, string>> {
  const params = typeof query === 'string' ? new URLSearchParams(query) : query;
  const prefill: Partial<Record<PrefillField, string>> = {};
  for (const field of PREFILL_FIELDS) {
    const values = params.getAll(field);
    if (values.length === 1 && values[0] !== '') prefill[field] = values[0];
  }
  return prefill;
}

/**
 * Appends query parameters to a URL after the parameters it already has, as the CA does to the
 * `continue` and `error` links (`EmailAddress`, `code`, `reason`).
 *
 * The existing path and query are kept byte for byte; the new pairs are encoded as
 * application/x-www-form-urlencoded (WHATWG URL §5.2), so `+`, `&`, `#`, `=`, `%` and non-ASCII
 * in a value survive a round trip through `URLSearchParams`. Pairs keep the order of `params`.
 *
 * @param url - an absolute URL without a fragment (RFC 3986 §3.5: the query must come before it).
 * @param params - names and values to append.
 * @throws {TypeError} when `url` cannot be parsed or has a fragment (even an empty `#`), or a
 *   value is not a string.
 * @example
 * appendQueryParams('http://127.0.0.1:53111/done?state=x', { EmailAddress: 'a+b@example.org' });
 * // 'http://127.0.0.1:53111/done?state=x&EmailAddress=a%2Bb%40example.org'
 */
export function appendQueryParams(url: string, params: Readonly<Record<string, string>>): string {
  if (typeof url !== 'string' || !URL.canParse(url)) throw new TypeError('url must be an absolute URL');
  if (url.includes('#')) throw new TypeError('url must not have a fragment: appended parameters would end up in it');
  for (const value of Object.values(params)) {
    if (typeof value !== 'string') throw new TypeError('query parameter values must be strings');
  }
  const encoded = new URLSearchParams(Object.entries(params)).toString();
  if (encoded === '') return url;
  if (!url.includes('?')) return `${url}?${encoded}`;
  return url.endsWith('?') || url.endsWith('&') ? `${url}${encoded}` : `${url}&${encoded}`;
}

function parseBaseUrl(caBaseUrl: string): string {
  if (typeof caBaseUrl !== 'string' || !URL.canParse(caBaseUrl)) throw new TypeError('caBaseUrl must be an absolute http(s) URL');
  const url = new URL(caBaseUrl);
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new TypeError('caBaseUrl must be an http(s) URL');
  if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '' || caBaseUrl.includes('#') || caBaseUrl.includes('?')) {
    throw new TypeError('caBaseUrl must not carry user info, a query or a fragment');
  }
  return url.origin + url.pathname.replace(/\/+$/, '');
}

function prefillEntries(prefill: RegistrationUrlOptions['prefill']): Array<[PrefillField, string]> {
  if (prefill === undefined) return [];
  if (prefill === null || typeof prefill !== 'object') throw new TypeError('prefill must be an object');
  for (const key of Object.keys(prefill)) {
    if (SECRET_LIKE.test(key)) throw new TypeError(`prefill field ${JSON.stringify(key)} looks like a secret; the registration URL never carries one`);
    if (!(PREFILL_FIELDS as readonly string[]).includes(key))
      throw new TypeError(`unknown prefill field ${JSON.stringify(key)}; allowed: ${PREFILL_FIELDS.join(', ')}`);
  }
  const entries: Array<[PrefillField, string]> = [];
  for (const field of PREFILL_FIELDS) {
    const value: unknown = prefill[field];
    if (value === undefined || value === '') continue;
    if (typeof value !== 'string') throw new TypeError(`prefill field ${field} must be a string`);
    // URLSearchParams would send a lone surrogate as U+FFFD: the CA would prefill another value.
    if (hasLoneSurrogate(value)) {
      throw new TypeError(`prefill field ${field} is not well-formed Unicode (a lone surrogate)`);
    }
    entries.push([field, value]);
  }
  return entries;
}
