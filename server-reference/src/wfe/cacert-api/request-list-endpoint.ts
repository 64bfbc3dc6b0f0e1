/**
 * `GET /api/requests` with `Authorization: Bearer <installation token>`: the account's requests,
 * newest first, optionally only those of one source (`?source=registration` finds the request
 * sent with the registration). JSON: `{"requests":[{"id","status","source","createdAt"}]}`; each
 * id answers `GET /api/requests/:id` with the certificate once issued.
 */
import { encodeRequestStatusError, REQUEST_STATUS_ERRORS, type RequestStatusErrorCode } from '@certwizard/protocol';
import type { Request, Response } from 'express';
import { TokenInvalidError } from '../../accounts/errors.js';
import type { RequestSource } from '../../store/certificate-requests.js';
import type { CacertApiContext } from './context.js';

const SOURCES: readonly RequestSource[] = ['ccsr', 'installation', 'registration', 'enrollment_secret'];

function fail(res: Response, code: RequestStatusErrorCode, message: string): void {
  if (code === 'unauthorized') res.setHeader('WWW-Authenticate', 'Bearer');
  res.status(REQUEST_STATUS_ERRORS[code]).json(encodeRequestStatusError(code, message));
}

/**
 * Builds the handler.
 * @example
 * router.get('/api/requests', requestListEndpoint(ctx));
 */
export function requestListEndpoint(ctx: CacertApiContext): (req: Request, res: Response) => void {
  return (req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    const m = /^Bearer ([A-Za-z0-9_-]+)$/.exec(req.headers.authorization ?? '');
    let accountId: number;
    try {
      if (!m) throw new TokenInvalidError('no bearer token');
      accountId = ctx.tokens.authenticateToken(m[1] as string).accountId;
    } catch (err) {
      if (!(err instanceof TokenInvalidError)) throw err;
      return fail(res, 'unauthorized', 'send the installation token as Authorization: Bearer <token>');
    }
    const source = typeof req.query.source === 'string' ? req.query.source : undefined;
    // An unknown source simply matches nothing: the list is empty, not an error.
    const records = ctx.requests
      .allOf(accountId)
      .filter((r) => source === undefined || (SOURCES.includes(source as RequestSource) && r.source === source));
    res.status(200).json({
      requests: records.map((r) => ({ id: r.id, status: r.status === 'approved' ? 'pending' : r.status, source: r.source, createdAt: new Date(r.createdAtMs).toISOString() })),
    });
  };
}
