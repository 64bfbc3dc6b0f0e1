/**
 * `GET /api/requests/:id` with `Authorization: Bearer <installation token>`: what became of a
 * request of the token's account. JSON (docs/protocol.md): `pending` with `Retry-After`,
 * `issued` with the certificate and chain, `rejected` with the reason, `discarded`.
 */
import { encodeRequestStatus, type RequestStatusAnswer } from '@certwizard/protocol';
import type { Request, Response } from 'express';
import type { CertificateRequestRecord } from '../../store/certificate-requests.js';
import type { CacertApiContext } from './context.js';
import { bearerAccount, failRequestStatus } from './bearer-account.js';

const fail = failRequestStatus;

/**
 * Builds the handler.
 * @example
 * router.get(REQUEST_STATUS_ROUTE, requestStatusEndpoint(ctx));
 */
export function requestStatusEndpoint(ctx: CacertApiContext): (req: Request, res: Response) => void {
  return (req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    const accountId = bearerAccount(req, res, ctx);
    if (accountId === undefined) return;
    const record = ctx.requests.getOf(accountId, String(req.params.id ?? ''));
    if (record === undefined) return fail(res, 'not_found', 'no such request for this account');
    const answer = toAnswer(ctx, record);
    if (answer.status === 'pending') res.setHeader('Retry-After', String(ctx.retryAfterSeconds));
    res.status(200).json(encodeRequestStatus(answer));
  };
}

function toAnswer(ctx: CacertApiContext, record: CertificateRequestRecord): RequestStatusAnswer {
  const { id } = record;
  switch (record.status) {
    case 'issued': {
      const certificate = ctx.store.get(record.certificateSerial as string);
      if (certificate === undefined) throw new Error('the certificate of an issued request is missing');
      return { status: 'issued', id, certificate: certificate.pem, chain: ctx.ca.certificate.pem };
    }
    case 'rejected':
      return { status: 'rejected', id, reason: record.reason ?? 'rejected' };
    case 'discarded':
      return { status: 'discarded', id };
    default:
      // `approved` lasts only while the certificate is being signed: still pending to a poller.
      return { status: 'pending', id };
  }
}
