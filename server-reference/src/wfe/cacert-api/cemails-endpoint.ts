/**
 * `/api/cemails.php` (POST; GET for old clients): tells an authenticated caller what the account
 * may certify, in CAcert's text format (`200,Authentication Ok`, `CS=`, `NAME=`, `EMAIL=`).
 */
import { encodeCemailsAnswer } from '@certwizard/protocol';
import type { Request, Response } from 'express';
import { nameForms } from '../../ca/email-certificate-policy.js';
import { authenticateApiCaller, readApiParams } from './api-request.js';
import { sendFailure, sendText } from './answer-writer.js';
import type { CacertApiContext } from './context.js';

/**
 * Builds the handler.
 * @example
 * router.post(CEMAILS_PATH, textAnswers(ctx, CEMAILS_PATH, cemailsEndpoint(ctx)));
 */
export function cemailsEndpoint(ctx: CacertApiContext): (req: Request, res: Response) => Promise<void> {
  return async (req, res) => {
    const read = await readApiParams(req);
    if (!read.ok) return sendFailure(res, read);
    const caller = await authenticateApiCaller(ctx, req, read.params);
    if (!caller.ok) return sendFailure(res, caller);
    const { account } = caller;
    sendText(res, 200, encodeCemailsAnswer({ codeSigning: account.codeSigning, names: nameForms(account), emails: await ctx.addresses.confirmedOf(account) }));
  };
}
