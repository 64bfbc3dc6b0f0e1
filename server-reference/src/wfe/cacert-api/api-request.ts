/**
 * The shared front half of the CAcert-style API: reading the fields (form body on POST, query on
 * GET) and authenticating by `username` + `password` or by an installation token. Answers are
 * written by answer-writer.ts.
 */
import { CACERT_API_PARAMS } from '@certwizard/protocol';
import type { Request } from 'express';
import type { Account } from '../../accounts/account-store.js';
import { CredentialsError, NotConfirmedError, TokenInvalidError } from '../../accounts/errors.js';
import { refuse, type RequestRefusal } from '../../ca/refusal.js';
import type { Requester } from '../../ca/request-service.js';
import { readForm } from '../registration/form-body.js';
import { clientKey, queryParams } from '../registration/request-checks.js';
import type { ApiFailure } from './answer-writer.js';
import type { CacertApiContext } from './context.js';

/** Body limit of cemails and ccsr, in bytes: a 64 KiB request, percent-encoded, fits. */
export const CACERT_API_MAX_BODY_BYTES = 256 * 1024;

/** The one answer for every credential that does not check out (no telling which part was wrong). */
export const AUTHENTICATION_FAILED: RequestRefusal = Object.freeze(refuse('unauthenticated', 'Authentication failed'));

/** Who is asking, once authenticated. */
export interface ApiCaller {
  readonly ok: true;
  readonly account: Account;
  readonly credential: 'password' | 'installation';
  /** The installation token's id, for `installation`. */
  readonly tokenId?: number;
}

/**
 * Reads the fields: the form body of a POST (the query is ignored, so nothing secret needs to be
 * in a URL), the query of a GET (accepted for old CAcert clients; such URLs hold the password,
 * which is why the CA never logs URLs and docs/protocol.md recommends POST).
 */
export async function readApiParams(req: Request): Promise<{ ok: true; params: URLSearchParams } | ApiFailure> {
  if (req.method === 'GET') return { ok: true, params: queryParams(req) };
  const form = await readForm(req, CACERT_API_MAX_BODY_BYTES);
  if (form.ok) return form;
  switch (form.status) {
    case 415:
      return { ok: false, code: 'unsupported_media_type', message: 'send the fields as application/x-www-form-urlencoded' };
    case 413:
      return { ok: false, code: 'payload_too_large', message: `the body is over ${CACERT_API_MAX_BODY_BYTES} bytes` };
    case 400:
      return { ok: false, code: 'invalid_request', message: form.message };
  }
}

/**
 * Authenticates the caller: `Authorization: Bearer <installation token>`, or the `username` and
 * `password` fields (never both: `invalid_request`). Password attempts are rate-limited per
 * client before the scrypt run (`rate_limited`). An unconfirmed account is told apart
 * (`account_inactive`) only after its password was verified; every other miss is
 * `unauthenticated`.
 */
export async function authenticateApiCaller(ctx: CacertApiContext, req: Request, params: URLSearchParams): Promise<ApiCaller | ApiFailure | RequestRefusal> {
  const header = req.headers.authorization;
  const usernames = params.getAll(CACERT_API_PARAMS.username);
  const passwords = params.getAll(CACERT_API_PARAMS.password);
  if (header !== undefined) {
    if (usernames.length > 0 || passwords.length > 0) {
      return { ok: false, code: 'invalid_request', message: 'send either a bearer token or username and password, not both' };
    }
    const m = /^Bearer ([A-Za-z0-9_-]+)$/.exec(header);
    if (!m) return AUTHENTICATION_FAILED;
    try {
      const { accountId, tokenId } = await ctx.tokens.authenticateToken(m[1] as string);
      const account = await ctx.accounts.get(accountId);
      if (account === undefined) return AUTHENTICATION_FAILED;
      return { ok: true, account, credential: 'installation', tokenId };
    } catch (err) {
      if (err instanceof TokenInvalidError) return AUTHENTICATION_FAILED;
      throw err;
    }
  }
  if (usernames.length !== 1 || passwords.length !== 1 || usernames[0] === '' || passwords[0] === '') {
    return { ok: false, code: 'invalid_request', message: 'username and password are required, once each' };
  }
  const limit = await ctx.passwordLimiter.take(clientKey(req));
  if (!limit.allowed) {
    return refuse('rate_limited', 'too many attempts; retry later', { retryAfterSeconds: Math.max(1, Math.ceil(limit.retryAfterMs / 1000)) });
  }
  try {
    const account = await ctx.accounts.authenticate(usernames[0] as string, passwords[0] as string);
    return { ok: true, account, credential: 'password' };
  } catch (err) {
    if (err instanceof CredentialsError) return AUTHENTICATION_FAILED;
    if (err instanceof NotConfirmedError) return refuse('account_inactive', 'the account address is not confirmed yet');
    throw err;
  }
}

/**
 * The requester an authenticated caller's request is recorded under: source `installation`
 * (with the token's id) for an installation token, `ccsr` for the password.
 */
export function requesterOf(caller: ApiCaller): Requester {
  return caller.credential === 'installation'
    ? { accountId: caller.account.id, source: 'installation', ...(caller.tokenId !== undefined ? { installationTokenId: caller.tokenId } : {}) }
    : { accountId: caller.account.id, source: 'ccsr' };
}
