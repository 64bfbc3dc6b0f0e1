/**
 * The domains of an account on the wire (our extension of the CAcert-style API; docs/protocol.md,
 * "Domains of an account"): adding a domain and asking for its verification by an email ping to
 * an administrative address, a DNS TXT record or an HTTP file; asking the CA to check a dns/http
 * challenge; listing the account's domains. Paths, field names, challenge locations, error codes
 * with their HTTP status, and the pure codecs of every request and answer, used by both the CA
 * and the SDK. Every name here is part of the wire contract and is never renamed.
 */
import { CaRejectedError, MalformedResponseError } from './errors.js';
import { isValidPingNonce, PING_NONCE_PARAM } from './email-ping.js';

/** `POST`: add a domain and ask for its verification; `GET`: the account's domains. */
export const DOMAINS_PATH = '/api/domains';

/** `POST`: ask the CA to check a dns or http challenge now. */
export const DOMAIN_CHECK_PATH = '/api/domains/check';

/**
 * The label the DNS TXT record is put under: `_certwizard-challenge.<domain>`. An underscore
 * label (RFC 8552 §2) is never a host name, so the record cannot collide with one, and the CA
 * never follows a CNAME out of it blindly: the resolver does, as for ACME's `_acme-challenge`.
 */
export const DNS_CHALLENGE_LABEL = '_certwizard-challenge';

/** The path of an HTTP file challenge, below which the token is the file's name (RFC 8615 well-known URI). */
export const HTTP_CHALLENGE_PATH_PREFIX = '/.well-known/certwizard-challenge/';

/** The verification methods. */
export const DOMAIN_METHODS = ['email', 'dns', 'http'] as const;

/** One of {@link DOMAIN_METHODS}. */
export type DomainMethod = (typeof DOMAIN_METHODS)[number];

/** Field names of the forms. */
export const DOMAIN_PARAMS = { domain: 'domain', method: 'method', address: 'address', pingNonce: PING_NONCE_PARAM } as const;

/**
 * Error codes of the domain endpoints, with their HTTP status. Codes are API: added, never renamed.
 */
export const DOMAIN_ERRORS = {
  /** A field missing, repeated or malformed; a body that is not form-urlencoded. */
  invalid_request: 400,
  /** The domain is not one an account may hold (a public suffix, an IP, localhost, ...). */
  invalid_domain: 400,
  /** The email ping's address is not one of the domain's administrative addresses. */
  invalid_address: 400,
  /** No bearer token, or an unknown or revoked one (with `WWW-Authenticate: Bearer`). */
  unauthorized: 401,
  /** The CA looked and did not find the challenge's record or file with its value. */
  challenge_failed: 403,
  /** The domain is not one of the account's. */
  unknown_domain: 404,
  /** No live challenge of that method for the domain: ask for one with `POST /api/domains`. */
  no_challenge: 404,
  /** Another method on this path. */
  method_not_allowed: 405,
  /** Another account holds the domain. */
  domain_taken: 409,
  /** The `PingNonce` was used before, by this or any other request. */
  nonce_in_use: 409,
  /** Too many requests or pings; `Retry-After` says when to try again. */
  too_many_requests: 429,
  /** A failure on the CA's side; details are in its log only. */
  internal_error: 500,
  /** The CA could not hand the ping to its mail relay; nothing was kept, ask again later. */
  mail_not_sent: 502,
} as const;

/** One of {@link DOMAIN_ERRORS}. */
export type DomainErrorCode = keyof typeof DOMAIN_ERRORS;

/** The error body, as on the CA's other JSON endpoints. */
export interface DomainErrorBody {
  readonly error: { readonly code: DomainErrorCode; readonly message: string };
}

/** How the CA's `name_not_allowed` for DNS names outside the account's verified domains begins; the names follow. */
const NAMES_NOT_COVERED = 'not within a verified domain of this account: ';

/**
 * The detail the CA gives with `name_not_allowed` when DNS names lie outside the account's
 * verified domains (`POST /api/requests`, ccsr): the names, comma-separated, after a fixed text.
 * Part of the wire: {@link namesNotCoveredOf} reads it back.
 * @example
 * namesNotCoveredDetail(['www.other.test']); // 'not within a verified domain of this account: www.other.test'
 */
export function namesNotCoveredDetail(names: readonly string[]): string {
  return `${NAMES_NOT_COVERED}${names.join(', ')}`;
}

/**
 * The names a `name_not_allowed` detail made by {@link namesNotCoveredDetail} names, wherever the
 * detail stands in the answer's text (a wire writer may add the code after it in parentheses).
 * @returns the names, or `undefined` for any other detail (ccsr's `name_not_allowed` for a NAME=).
 * @example
 * namesNotCoveredOf('not within a verified domain of this account: a.example, b.example'); // ['a.example', 'b.example']
 */
export function namesNotCoveredOf(text: string): string[] | undefined {
  const at = text.indexOf(NAMES_NOT_COVERED);
  if (at < 0) return undefined;
  const listed = text.slice(at + NAMES_NOT_COVERED.length).replace(/ \(name_not_allowed\)$/, '');
  const names = listed.split(', ').filter((n) => n !== '');
  return names.length > 0 ? names : undefined;
}

/** A request of `POST /api/domains`. */
export type DomainRequest =
  | { readonly domain: string; readonly method: 'email'; readonly address: string; readonly pingNonce?: string }
  | { readonly domain: string; readonly method: 'dns' | 'http' };

/** A request of `POST /api/domains/check`. */
export interface DomainCheckRequest {
  readonly domain: string;
  readonly method: 'dns' | 'http';
}

/** The answers of `POST /api/domains`. */
export type DomainAnswer =
  /** 202: the ping is on its way to `address`. */
  | { readonly status: 'ping_sent'; readonly domain: string; readonly address: string }
  /** 200: publish `value` as a TXT record at `name`, then ask for the check. */
  | { readonly status: 'challenge'; readonly domain: string; readonly method: 'dns'; readonly name: string; readonly value: string; readonly expiresAt: string }
  /** 200: serve `content` at `url`, then ask for the check. */
  | {
      readonly status: 'challenge';
      readonly domain: string;
      readonly method: 'http';
      readonly url: string;
      readonly content: string;
      readonly expiresAt: string;
    };

/** The answer of `POST /api/domains/check` (200). */
export interface DomainVerifiedAnswer {
  readonly status: 'verified';
  readonly domain: string;
  readonly method: DomainMethod;
  readonly verifiedAt: string;
  readonly lapsesAt: string;
}

/** One domain of `GET /api/domains`. */
export interface ListedDomain {
  /** ASCII form (A-labels). */
  readonly domain: string;
  /** Unicode form, for display. */
  readonly unicode: string;
  /** `verified`: covers its names now; `lapsed`: was verified, no longer covers them; `unverified`: never verified. */
  readonly status: 'unverified' | 'verified' | 'lapsed';
  /** With a verification (verified or lapsed): how, when, until when. */
  readonly method?: DomainMethod;
  readonly verifiedAt?: string;
  readonly lapsesAt?: string;
}

/** Result of the request decoders: a request, or the message of an `invalid_request`. */
export type DomainRequestResult<T> = { readonly ok: true; readonly request: T } | { readonly ok: false; readonly message: string };

/** A domain's text as sent, at most this long (a U-label form can be longer than its A-labels, within reason). */
const MAX_DOMAIN_FIELD = 1024;
const MAX_ADDRESS_LENGTH = 254;

/**
 * The name of a domain's TXT record.
 * @param domain - the domain, ASCII form.
 * @example
 * dnsChallengeName('example.org'); // '_certwizard-challenge.example.org'
 */
export function dnsChallengeName(domain: string): string {
  return `${DNS_CHALLENGE_LABEL}.${domain}`;
}

/**
 * The URL of a domain's HTTP file: plain http on the default port, as ACME's http-01 (RFC 8555
 * §8.3): a name is verified by whoever answers for it on port 80.
 * @example
 * httpChallengeUrl('example.org', 'tok'); // 'http://example.org/.well-known/certwizard-challenge/tok'
 */
export function httpChallengeUrl(domain: string, token: string): string {
  return `http://${domain}${HTTP_CHALLENGE_PATH_PREFIX}${token}`;
}

function one(params: URLSearchParams, name: string): string | undefined | null {
  const all = params.getAll(name);
  if (all.length > 1) return null;
  return all[0];
}

/**
 * Reads the form of `POST /api/domains`. Shape only: whether the domain is one an account may
 * hold, and whether the address is administrative, is the CA's decision (`invalid_domain`,
 * `invalid_address`).
 * @example
 * decodeDomainRequest(new URLSearchParams('domain=example.org&method=dns')); // { ok: true, request: { domain: 'example.org', method: 'dns' } }
 */
export function decodeDomainRequest(params: URLSearchParams): DomainRequestResult<DomainRequest> {
  const base = decodeDomainAndMethod(params, DOMAIN_METHODS);
  if (!base.ok) return base;
  const { domain, method } = base.request;
  const address = one(params, DOMAIN_PARAMS.address);
  const nonces = params.getAll(PING_NONCE_PARAM).filter((n) => n !== '');
  if (method !== 'email') {
    if (address !== undefined || nonces.length > 0) return { ok: false, message: `${DOMAIN_PARAMS.address} and ${PING_NONCE_PARAM} go with method=email only` };
    return { ok: true, request: { domain, method } };
  }
  if (address === null || address === undefined) return { ok: false, message: `${DOMAIN_PARAMS.address} must be sent exactly once with method=email` };
  const trimmed = address.trim();
  if (trimmed === '' || trimmed.length > MAX_ADDRESS_LENGTH || /\s/.test(trimmed))
    return { ok: false, message: 'address is not an address of at most 254 characters' };
  if (nonces.length > 1) return { ok: false, message: `${PING_NONCE_PARAM} must be sent at most once` };
  const nonce = nonces[0];
  if (nonce !== undefined && !isValidPingNonce(nonce)) return { ok: false, message: `${PING_NONCE_PARAM} is not 22 to 128 base64url characters` };
  return { ok: true, request: { domain, method, address: trimmed, ...(nonce !== undefined ? { pingNonce: nonce } : {}) } };
}

/**
 * Reads the form of `POST /api/domains/check`.
 * @example
 * decodeDomainCheckRequest(new URLSearchParams('domain=example.org&method=http'));
 */
export function decodeDomainCheckRequest(params: URLSearchParams): DomainRequestResult<DomainCheckRequest> {
  return decodeDomainAndMethod(params, ['dns', 'http'] as const);
}

function decodeDomainAndMethod<M extends DomainMethod>(
  params: URLSearchParams,
  methods: readonly M[],
): DomainRequestResult<{ readonly domain: string; readonly method: M }> {
  const domain = one(params, DOMAIN_PARAMS.domain);
  if (domain === null || domain === undefined || domain.trim() === '') return { ok: false, message: 'domain must be sent exactly once' };
  if (domain.length > MAX_DOMAIN_FIELD) return { ok: false, message: 'domain is too long' };
  const method = one(params, DOMAIN_PARAMS.method);
  if (method === null || method === undefined || !(methods as readonly string[]).includes(method)) {
    return { ok: false, message: `method must be sent once: ${methods.join(', ')}` };
  }
  return { ok: true, request: { domain: domain.trim(), method: method as M } };
}

/**
 * Encodes a request of `POST /api/domains` as its form body.
 * @example
 * encodeDomainRequest({ domain: 'example.org', method: 'email', address: 'postmaster@example.org', pingNonce });
 */
export function encodeDomainRequest(request: DomainRequest): URLSearchParams {
  const params = new URLSearchParams({ [DOMAIN_PARAMS.domain]: request.domain, [DOMAIN_PARAMS.method]: request.method });
  if (request.method === 'email') {
    params.set(DOMAIN_PARAMS.address, request.address);
    if (request.pingNonce !== undefined) params.set(PING_NONCE_PARAM, request.pingNonce);
  }
  return params;
}

/**
 * Encodes a request of `POST /api/domains/check` as its form body.
 * @example
 * encodeDomainCheckRequest({ domain: 'example.org', method: 'dns' });
 */
export function encodeDomainCheckRequest(request: DomainCheckRequest): URLSearchParams {
  return new URLSearchParams({ [DOMAIN_PARAMS.domain]: request.domain, [DOMAIN_PARAMS.method]: request.method });
}

/**
 * Builds the error body of the domain endpoints.
 * @example
 * encodeDomainError('domain_taken', 'another account holds this domain');
 */
export function encodeDomainError(code: DomainErrorCode, message: string): DomainErrorBody {
  return { error: { code, message } };
}

/** The HTTP status of a {@link DomainAnswer}: 202 for a ping sent, 200 for a challenge. */
export function domainAnswerStatus(answer: DomainAnswer): 200 | 202 {
  return answer.status === 'ping_sent' ? 202 : 200;
}

type Json = Record<string, unknown>;

function asObject(json: unknown): Json | undefined {
  return typeof json === 'object' && json !== null && !Array.isArray(json) ? (json as Json) : undefined;
}

/** Throws the documented refusal, or a malformed answer; for a status other than the success one. */
function refusal(httpStatus: number, body: Json | undefined, what: string): never {
  const error = asObject(body?.error);
  const code = typeof error?.code === 'string' ? error.code : undefined;
  if (code !== undefined && typeof error?.message === 'string' && Object.hasOwn(DOMAIN_ERRORS, code) && DOMAIN_ERRORS[code as DomainErrorCode] === httpStatus) {
    throw new CaRejectedError(`the CA refused the ${what}: ${error.message} (${code})`, httpStatus, code);
  }
  throw new MalformedResponseError(`${what} answered ${httpStatus} without a documented error body`, httpStatus);
}

function hasExactly(body: Json, keys: readonly string[]): boolean {
  const got = Object.keys(body).sort();
  const want = [...keys].sort();
  return got.length === want.length && got.every((k, i) => k === want[i]) && keys.every((k) => typeof body[k] === 'string' && body[k] !== '');
}

/**
 * Decodes an answer of `POST /api/domains`, already parsed from JSON.
 * @throws {CaRejectedError} `ERR_PROTOCOL_CA_REJECTED` with `caCode` for a documented error body.
 * @throws {MalformedResponseError} `ERR_PROTOCOL_MALFORMED_RESPONSE` for anything else.
 * @example
 * decodeDomainAnswer(202, { status: 'ping_sent', domain: 'example.org', address: 'postmaster@example.org' });
 */
export function decodeDomainAnswer(httpStatus: number, json: unknown): DomainAnswer {
  const body = asObject(json);
  const what = 'domain request';
  if (httpStatus !== 200 && httpStatus !== 202) refusal(httpStatus, body, what);
  const malformed = () => new MalformedResponseError(`${what} answered ${httpStatus} with an undocumented body`, httpStatus);
  if (body === undefined) throw malformed();
  if (httpStatus === 202 && body.status === 'ping_sent' && hasExactly(body, ['status', 'domain', 'address'])) return body as unknown as DomainAnswer;
  if (httpStatus === 200 && body.status === 'challenge') {
    if (body.method === 'dns' && hasExactly(body, ['status', 'domain', 'method', 'name', 'value', 'expiresAt'])) return body as unknown as DomainAnswer;
    if (body.method === 'http' && hasExactly(body, ['status', 'domain', 'method', 'url', 'content', 'expiresAt'])) return body as unknown as DomainAnswer;
  }
  throw malformed();
}

/**
 * Decodes an answer of `POST /api/domains/check`, already parsed from JSON.
 * @throws {CaRejectedError} `ERR_PROTOCOL_CA_REJECTED` (`challenge_failed`, `no_challenge`, ...).
 * @throws {MalformedResponseError} `ERR_PROTOCOL_MALFORMED_RESPONSE` for anything else.
 * @example
 * decodeDomainVerifiedAnswer(200, json).lapsesAt;
 */
export function decodeDomainVerifiedAnswer(httpStatus: number, json: unknown): DomainVerifiedAnswer {
  const body = asObject(json);
  const what = 'domain check';
  if (httpStatus !== 200) refusal(httpStatus, body, what);
  if (
    body === undefined ||
    body.status !== 'verified' ||
    !(DOMAIN_METHODS as readonly unknown[]).includes(body.method) ||
    !hasExactly(body, ['status', 'domain', 'method', 'verifiedAt', 'lapsesAt'])
  ) {
    throw new MalformedResponseError(`${what} answered 200 with an undocumented body`, httpStatus);
  }
  return body as unknown as DomainVerifiedAnswer;
}

/**
 * Decodes the answer of `GET /api/domains`, already parsed from JSON.
 * @throws {CaRejectedError} `ERR_PROTOCOL_CA_REJECTED` (`unauthorized`).
 * @throws {MalformedResponseError} `ERR_PROTOCOL_MALFORMED_RESPONSE` for anything else.
 * @example
 * decodeDomainList(200, json).filter((d) => d.status === 'verified');
 */
export function decodeDomainList(httpStatus: number, json: unknown): ListedDomain[] {
  const body = asObject(json);
  if (httpStatus !== 200) refusal(httpStatus, body, 'domain list');
  const malformed = () => new MalformedResponseError('domain list answered 200 with an undocumented body', httpStatus);
  if (body === undefined || !Array.isArray(body.domains) || Object.keys(body).length !== 1) throw malformed();
  return body.domains.map((item: unknown) => {
    const d = asObject(item);
    if (d === undefined || !['unverified', 'verified', 'lapsed'].includes(d.status as string)) throw malformed();
    const verifiedKeys = d.status === 'unverified' ? [] : ['method', 'verifiedAt', 'lapsesAt'];
    if (!hasExactly(d, ['domain', 'unicode', 'status', ...verifiedKeys])) throw malformed();
    if (d.method !== undefined && !(DOMAIN_METHODS as readonly unknown[]).includes(d.method)) throw malformed();
    return d as unknown as ListedDomain;
  });
}
