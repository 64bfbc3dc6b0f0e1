/**
 * `/api/ccsr.php` (POST; GET for old clients): certifies the key of a PEM request for one of the
 * account's confirmed addresses (S/MIME, optionally code signing). Issued at once when the person
 * authenticated with their password (`200,Issued <id>` + chain); stored for the owner's approval
 * when an installation token sent it (`202,Pending <id>`, and a mail to the owner). The decisions
 * are the request service's and `emailCertificatePolicy`'s; this handler decodes and encodes.
 */
import { decodeCcsrRequest } from '@certwizard/protocol';
import type { Request, Response } from 'express';
import { emailCertificatePolicy } from '../../ca/email-certificate-policy.js';
import { authenticateApiCaller, readApiParams, requesterOf } from './api-request.js';
import { sendCcsrOutcome, sendFailure } from './answer-writer.js';
import type { CacertApiContext } from './context.js';

/**
 * Builds the handler.
 * @example
 * router.post(CCSR_PATH, textAnswers(ctx, CCSR_PATH, ccsrEndpoint(ctx)));
 */
export function ccsrEndpoint(ctx: CacertApiContext): (req: Request, res: Response) => Promise<void> {
  return async (req, res) => {
    const read = await readApiParams(req);
    if (!read.ok) return sendFailure(res, read);
    const caller = await authenticateApiCaller(ctx, req, read.params);
    if (!caller.ok) return sendFailure(res, caller);
    const fields = decodeCcsrRequest(read.params);
    if (!fields.ok) return sendFailure(res, fields);
    const { account } = caller;
    const confirmed = await ctx.addresses.confirmedOf(account);
    const policy = emailCertificatePolicy(account, confirmed, fields.request, caller.credential, await ctx.domains.verifiedDomainsOf(account.id));
    sendCcsrOutcome(res, await ctx.service.submit(fields.request.csrPem, requesterOf(caller), policy));
  };
}
