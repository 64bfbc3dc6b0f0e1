/**
 * `POST /api/crevoke.php`: our extension of the CAcert-style API. Revokes a certificate by
 * serial, with a reason a holder may give (RFC 5280 §5.3.1, `REVOCATION_REASONS`), authenticated
 * as ccsr and cemails are:
 * - the installation token (`Authorization: Bearer`): only the certificates requested with that
 *   token, never a sibling installation's of the same account;
 * - the owner's `username` + `password` form fields (rate-limited per client before the scrypt
 *   run, never logged): any certificate of the account, issued through any of its channels.
 * Either way another's certificate is `unknown_certificate`, as an unknown serial is. POST only,
 * so that no link or prefetch revokes. Decodes, calls the request service, encodes; the lines
 * are answer-writer.ts's (and the first revocation's time and reason are headers).
 */
import { decodeCrevokeRequest } from '@certwizard/protocol';
import type { Request, Response } from 'express';
import { authenticateApiCaller, readApiParams } from './api-request.js';
import { sendCrevokeOutcome, sendFailure } from './answer-writer.js';
import type { CacertApiContext } from './context.js';

/**
 * Builds the handler.
 * @example
 * router.post(CREVOKE_PATH, textAnswers(ctx, CREVOKE_PATH, crevokeEndpoint(ctx)));
 */
export function crevokeEndpoint(ctx: CacertApiContext): (req: Request, res: Response) => Promise<void> {
  return async (req, res) => {
    const read = await readApiParams(req);
    if (!read.ok) return sendFailure(res, read);
    // The token or the password, never both (authenticateApiCaller refuses that).
    const caller = await authenticateApiCaller(ctx, req, read.params);
    if (!caller.ok) return sendFailure(res, caller);
    const decoded = decodeCrevokeRequest(read.params);
    if (!decoded.ok) return sendFailure(res, decoded);
    const { serialHex, reason } = decoded.fields;
    // Another account's (or installation's) certificate is not_found, as an unknown serial is: no oracle.
    const holder =
      caller.credential === 'installation' && caller.tokenId !== undefined
        ? { accountId: caller.account.id, installationTokenId: caller.tokenId }
        : { accountId: caller.account.id };
    const by = caller.credential === 'password' ? ({ via: 'owner', accountId: caller.account.id } as const) : ({ via: 'holder' } as const);
    sendCrevokeOutcome(res, await ctx.service.revoke(serialHex, { holder, reason, by }), serialHex);
  };
}
