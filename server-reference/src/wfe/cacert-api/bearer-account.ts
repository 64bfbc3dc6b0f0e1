/**
 * Authentication of the request-status endpoints: the installation token as
 * `Authorization: Bearer`, and their error answer.
 */
import { encodeRequestStatusError, REQUEST_STATUS_ERRORS, type RequestStatusErrorCode } from '@certwizard/protocol';
import type { Request, Response } from 'express';
import { TokenInvalidError } from '../../accounts/errors.js';
import type { CacertApiContext } from './context.js';

/** Writes a request-status error; `unauthorized` also names the scheme (RFC 6750 §3). */
export function failRequestStatus(res: Response, code: RequestStatusErrorCode, message: string): void {
  if (code === 'unauthorized') res.setHeader('WWW-Authenticate', 'Bearer');
  res.status(REQUEST_STATUS_ERRORS[code]).json(encodeRequestStatusError(code, message));
}

/**
 * The account whose installation token the request carries, or undefined after answering 401.
 * @example
 * const accountId = await bearerAccount(req, res, ctx);
 * if (accountId === undefined) return;
 */
export async function bearerAccount(req: Request, res: Response, ctx: Pick<CacertApiContext, 'tokens'>): Promise<number | undefined> {
  const m = /^Bearer ([A-Za-z0-9_-]+)$/.exec(req.headers.authorization ?? '');
  try {
    if (!m) throw new TokenInvalidError('no bearer token');
    return (await ctx.tokens.authenticateToken(m[1] as string)).accountId;
  } catch (err) {
    if (!(err instanceof TokenInvalidError)) throw err;
    failRequestStatus(res, 'unauthorized', 'send the installation token as Authorization: Bearer <token>');
    return undefined;
  }
}
