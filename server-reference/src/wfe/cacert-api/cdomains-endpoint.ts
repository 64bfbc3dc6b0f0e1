/**
 * `/api/cdomains.php` (POST; GET as cemails): our extension, the sibling of `/api/cemails.php`
 * with its authentication and failure lines. Answers `200,Authentication Ok`, then one
 * `DOMAIN=<ASCII form>` line per verified, unlapsed domain of the account: a domain removed (by
 * its owner, an operator, or by lapse) leaves the list, which is how an installation learns that
 * its names are no longer covered.
 */
import { encodeCdomainsAnswer } from '@certwizard/protocol';
import type { Request, Response } from 'express';
import { authenticateApiCaller, readApiParams } from './api-request.js';
import { sendFailure, sendText } from './answer-writer.js';
import type { CacertApiContext } from './context.js';

/**
 * Builds the handler.
 * @example
 * router.post(CDOMAINS_PATH, textAnswers(ctx, CDOMAINS_PATH, cdomainsEndpoint(ctx)));
 */
export function cdomainsEndpoint(ctx: CacertApiContext): (req: Request, res: Response) => Promise<void> {
  return async (req, res) => {
    const read = await readApiParams(req);
    if (!read.ok) return sendFailure(res, read);
    const caller = await authenticateApiCaller(ctx, req, read.params);
    if (!caller.ok) return sendFailure(res, caller);
    sendText(res, 200, encodeCdomainsAnswer(await ctx.domains.verifiedDomainsOf(caller.account.id)));
  };
}
