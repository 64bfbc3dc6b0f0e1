/**
 * `GET /api/requests/:id` with `Authorization: Bearer <installation token>`: what became of a
 * request of the token's account. JSON (docs/protocol.md): `pending` with `Retry-After`,
 * `issued` with the certificate and chain, `rejected` with the reason, `discarded`.
 */
import { encodeRequestStatus, type RequestStatusAnswer } from '@certwizard/protocol';
import type { Request, Response } from 'express';
import type { RequestView } from '../../ca/request-service.js';
import type { CacertApiContext } from './context.js';
import { bearerAccount, failRequestStatus } from './bearer-account.js';

/**
 * Builds the handler.
 * @example
 * router.get(REQUEST_STATUS_ROUTE, requestStatusEndpoint(ctx));
 */
export function requestStatusEndpoint(ctx: CacertApiContext): (req: Request, res: Response) => Promise<void> {
  return async (req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    const accountId = await bearerAccount(req, res, ctx);
    if (accountId === undefined) return;
    const view = await ctx.service.view(accountId, String(req.params.id ?? ''));
    if (view === undefined) return failRequestStatus(res, 'not_found', 'no such request for this account');
    if (view.status === 'pending') res.setHeader('Retry-After', String(ctx.retryAfterSeconds));
    res.status(200).json(encodeRequestStatus(toAnswer(view)));
  };
}

function toAnswer(view: RequestView): RequestStatusAnswer {
  const { id } = view.record;
  switch (view.status) {
    case 'issued':
      return { status: 'issued', id, certificate: view.certificatePem, chain: view.caCertificatePem };
    case 'rejected':
      return { status: 'rejected', id, reason: view.reason };
    default:
      return { status: view.status, id };
  }
}
