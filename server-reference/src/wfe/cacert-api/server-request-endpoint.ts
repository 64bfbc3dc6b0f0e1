/**
 * `POST /api/requests` (form field `csr`, authenticated like ccsr: `Authorization: Bearer
 * <installation token>` or `username` + `password`): a request for a server certificate (DNS
 * names). It always waits for an operator, whoever sends it: nothing proves the account holds
 * the names. Answers as ccsr does: `202,Pending <id>`; poll `GET /api/requests/:id`.
 */
import { encodeCcsrAnswer } from '@certwizard/protocol';
import { type CertificateRequest, parseCsr } from '@certwizard/pki';
import type { Request, Response } from 'express';
import { decideServerCertificate } from '../../ca/server-certificate-policy.js';
import { authenticateApiCaller, readApiParams, sendFailure, sendText } from './api-request.js';
import { csrFailure } from './ccsr-endpoint.js';
import type { CacertApiContext } from './context.js';
import { describeCsr } from '../../store/certificate-requests.js';

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
    if (pems.length !== 1 || pems[0] === '') return sendFailure(res, { code: 'csr_required', message: 'send the PEM request in the field csr, once' });
    let csr: CertificateRequest;
    try {
      csr = parseCsr(pems[0] as string);
    } catch (err) {
      const failure = csrFailure(err);
      if (failure === undefined) throw err;
      return sendFailure(res, failure);
    }
    const decision = decideServerCertificate(csr);
    if (!decision.ok) return sendFailure(res, decision);
    const record = ctx.requests.create({
      accountId: caller.account.id,
      ...describeCsr(csr),
      profile: decision.profile,
      source: caller.credential === 'installation' ? 'installation' : 'ccsr',
      ...(caller.tokenId !== undefined ? { installationTokenId: caller.tokenId } : {}),
      approver: 'operator',
    });
    ctx.logger.info('server certificate request awaits an operator', { accountId: caller.account.id, requestId: record.id });
    const answer = encodeCcsrAnswer({ status: 'pending', requestId: record.id });
    sendText(res, answer.status, answer.body);
  };
}
