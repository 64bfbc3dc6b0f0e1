/**
 * The shared front half of cemails and ccsr: reading the fields (form body on POST, query on
 * GET), authenticating by `username` + `password` or by an installation token, and writing the
 * one-line text answers.
 */
import {
  CACERT_API_MEDIA_TYPE,
  CACERT_API_PARAMS,
  encodeCacertApiError,
  type CacertApiErrorCode,
} from '@certwizard/protocol';
import type { Request, Response } from 'express';
import type { Account } from '../../accounts/account-store.js';
import { CredentialsError, NotConfirmedError, TokenInvalidError } from '../../accounts/errors.js';
import { readForm } from '../registration/form-body.js';
import { clientKey, queryParams } from '../registration/request-checks.js';
import type { CacertApiContext } from './context.js';

/** Body limit of cemails and ccsr, in bytes: a 64 KiB request, percent-encoded, fits. */
export const CACERT_API_MAX_BODY_BYTES = 256 * 1024;

/** A refusal to write as a failure line. */
export interface ApiFailure {
  readonly ok: false;
  readonly code: CacertApiErrorCode;
  readonly message: string;
  /** Seconds for `Retry-After`, with `too_many_requests`. */
  readonly retryAfterSeconds?: number;
}

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
 * `password` fields (never both). Password attempts are rate-limited per client before the
 * scrypt run. An unconfirmed account is told apart only after its password was verified.
 */
export async function authenticateApiCaller(ctx: CacertApiContext, req: Request, params: URLSearchParams): Promise<ApiCaller | ApiFailure> {
  const header = req.headers.authorization;
  const usernames = params.getAll(CACERT_API_PARAMS.username);
  const passwords = params.getAll(CACERT_API_PARAMS.password);
  if (header !== undefined) {
    if (usernames.length > 0 || passwords.length > 0) {
      return { ok: false, code: 'invalid_request', message: 'send either a bearer token or username and password, not both' };
    }
    const m = /^Bearer ([A-Za-z0-9_-]+)$/.exec(header);
    if (!m) return { ok: false, code: 'authentication_failed', message: 'Authentication failed' };
    try {
      const { accountId, tokenId } = ctx.tokens.authenticateToken(m[1] as string);
      const account = ctx.accounts.get(accountId);
      if (account === undefined) return { ok: false, code: 'authentication_failed', message: 'Authentication failed' };
      return { ok: true, account, credential: 'installation', tokenId };
    } catch (err) {
      if (err instanceof TokenInvalidError) return { ok: false, code: 'authentication_failed', message: 'Authentication failed' };
      throw err;
    }
  }
  if (usernames.length !== 1 || passwords.length !== 1 || usernames[0] === '' || passwords[0] === '') {
    return { ok: false, code: 'invalid_request', message: 'username and password are required, once each' };
  }
  const limit = ctx.passwordLimiter.take(clientKey(req));
  if (!limit.allowed) {
    return {
      ok: false,
      code: 'too_many_requests',
      message: 'too many attempts; retry later',
      retryAfterSeconds: Math.max(1, Math.ceil(limit.retryAfterMs / 1000)),
    };
  }
  try {
    const account = await ctx.accounts.authenticate(usernames[0] as string, passwords[0] as string);
    return { ok: true, account, credential: 'password' };
  } catch (err) {
    if (err instanceof CredentialsError) return { ok: false, code: 'authentication_failed', message: 'Authentication failed' };
    if (err instanceof NotConfirmedError) return { ok: false, code: 'account_inactive', message: 'the account address is not confirmed yet' };
    throw err;
  }
}

/** Writes a text answer with the headers every answer of the API carries. */
export function sendText(res: Response, status: number, body: string): void {
  res.status(status);
  res.setHeader('Content-Type', CACERT_API_MEDIA_TYPE);
  res.setHeader('Cache-Control', 'no-store');
  res.send(body);
}

/** Writes a failure line (and `Retry-After` when the failure has one). */
export function sendFailure(res: Response, failure: Omit<ApiFailure, 'ok'>): void {
  const { status, body } = encodeCacertApiError(failure.code, failure.message);
  if (failure.retryAfterSeconds !== undefined) res.setHeader('Retry-After', String(failure.retryAfterSeconds));
  sendText(res, status, body);
}

/**
 * Wraps a handler so that an unexpected error becomes `500,internal_error` (logged, never echoed)
 * instead of the JSON error of the CSR endpoint: CAcert clients read the first line.
 */
export function textAnswers(ctx: Pick<CacertApiContext, 'logger'>, route: string, handler: (req: Request, res: Response) => Promise<void>) {
  return async (req: Request, res: Response): Promise<void> => {
    try {
      await handler(req, res);
    } catch (err) {
      ctx.logger.error('request failed', { route, error: err });
      if (res.headersSent) {
        res.destroy();
        return;
      }
      sendFailure(res, { code: 'internal_error', message: 'the CA could not process the request; see its log' });
    }
  };
}
