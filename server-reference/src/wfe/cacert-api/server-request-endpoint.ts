/**
 * `POST /api/requests` (form field `csr`, authenticated like ccsr: `Authorization: Bearer
 * <installation token>` or `username` + `password`): a request for a server certificate (DNS
 * names). Issued at once (`200,Issued <id>` + chain) when every name lies inside the account's
 * verified, unlapsed domains; otherwise `403,name_not_allowed` naming the names outside, or, on a
 * CA run with `--names-outside-domains operator`, held for an operator (`202,Pending <id>`; poll
 * `GET /api/requests/:id`). The decision is `serverCertificatePolicy`'s.
 */
import type { Request, Response } from 'express';
import { serverCertificatePolicy } from '../../ca/server-certificate-policy.js';
import { authenticateApiCaller, readApiParams, requesterOf } from './api-request.js';
import { sendCcsrOutcome, sendFailure } from './answer-writer.js';
import type { CacertApiContext } from './context.js';

/** Path of the server certificate request endpoint. */
export const SERVER_REQUEST_PATH = '/api/requests';

/**
 * Builds the handler.
 * @example
 * router.post(SERVER_REQUEST_PATH, textAnswers(ctx, SERVER_REQUEST_PATH, serverRequestEndpoint(ctx)));
 */
export function serverRequestEndpoint(ctx: CacertApiContext): (req: Request, res: Response) => Promise<void> {
  return async (req, res) => {
    const read = await readApiParams(req);
    if (!read.ok) return sendFailure(res, read);
    const caller = await authenticateApiCaller(ctx, req, read.params);
    if (!caller.ok) return sendFailure(res, caller);
    const pems = read.params.getAll('csr');
    if (pems.length !== 1 || pems[0] === '')
      return sendFailure(res, { ok: false, code: 'csr_required', message: 'send the PEM request in the field csr, once' });
    const policy = serverCertificatePolicy(await ctx.domains.verifiedDomainsOf(caller.account.id), { namesOutside: ctx.namesOutsideDomains });
    sendCcsrOutcome(res, await ctx.service.submit(pems[0] as string, requesterOf(caller), policy));
  };
}
