/**
 * `POST /api/crevoke.php`: our extension of the CAcert-style API. Revokes one of the account's
 * certificates (issued through any of its channels) by serial, with a reason a holder may give
 * (RFC 5280 §5.3.1, `REVOCATION_REASONS`). Authenticated by the installation token as
 * `Authorization: Bearer`, as ccsr and cemails take it; no password: an installer holds a token,
 * and a revocation needs no person at the keyboard, so the endpoint offers no password to guess.
 * POST only, so that no link or prefetch revokes. Decodes, calls the request service, encodes;
 * the lines are answer-writer.ts's.
 */
import { decodeCrevokeRequest } from '@certwizard/protocol';
import type { Request, Response } from 'express';
import { refuse, type RequestRefusal } from '../../ca/refusal.js';
import { authenticateApiCaller, readApiParams } from './api-request.js';
import { sendCrevokeOutcome, sendFailure } from './answer-writer.js';
import type { CacertApiContext } from './context.js';

const TOKEN_REQUIRED: RequestRefusal = Object.freeze(refuse('unauthenticated', 'send the installation token as Authorization: Bearer <token>'));

/**
 * Builds the handler.
 * @example
 * router.post(CREVOKE_PATH, textAnswers(ctx, CREVOKE_PATH, crevokeEndpoint(ctx)));
 */
export function crevokeEndpoint(ctx: CacertApiContext): (req: Request, res: Response) => Promise<void> {
  return async (req, res) => {
    const read = await readApiParams(req);
    if (!read.ok) return sendFailure(res, read);
    if (req.headers.authorization === undefined) return sendFailure(res, TOKEN_REQUIRED);
    // With the header, authenticateApiCaller takes the token (and refuses a password beside it).
    const caller = await authenticateApiCaller(ctx, req, read.params);
    if (!caller.ok) return sendFailure(res, caller);
    const decoded = decodeCrevokeRequest(read.params);
    if (!decoded.ok) return sendFailure(res, decoded);
    const { serialHex, reason } = decoded.fields;
    // Another account's certificate is not_found, as an unknown serial is: no oracle.
    sendCrevokeOutcome(res, await ctx.service.revoke(serialHex, { holder: { accountId: caller.account.id }, reason }), serialHex);
  };
}
