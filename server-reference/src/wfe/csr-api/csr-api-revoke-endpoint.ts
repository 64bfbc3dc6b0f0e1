/**
 * `POST /api/csr/:client/revoke`: our extension of the ssl_api-style endpoint. The body is
 * `{"serial": "<hex>", "reason": "<RFC 5280 §5.3.1 name>"}` (`application/json`); the client
 * segment authenticates exactly as for `PUT /api/csr/:client`, and a client revokes only the
 * certificates issued to it. Decodes, calls the request service, encodes; the answers are
 * written by refusal-answer.ts.
 */
import { CSR_API_REVOKE_MAX_BODY_BYTES, CSR_API_REVOKE_MEDIA_TYPE, decodeCsrApiRevokeRequest } from '@certwizard/protocol';
import type { Request, Response } from 'express';
import type { RequestService } from '../../ca/request-service.js';
import { HttpError } from '../http-error.js';
import { readBody } from '../read-body.js';
import { clientOf, mediaTypeOf } from './csr-api-request.js';
import { sendCsrApiRevokeOutcome } from './refusal-answer.js';

/**
 * Builds the express handler of `POST /api/csr/:client/revoke`.
 * @example
 * app.post(CSR_API_REVOKE_ROUTE, csrApiRevokeHandler({ service }));
 */
export function csrApiRevokeHandler(options: { readonly service: RequestService }) {
  return async (req: Request, res: Response): Promise<void> => {
    const client = clientOf(req);
    mediaTypeOf(req, [CSR_API_REVOKE_MEDIA_TYPE]);
    const body = await readBody(req, CSR_API_REVOKE_MAX_BODY_BYTES);
    const decoded = decodeCsrApiRevokeRequest(body.toString('utf8'));
    // A request the wire cannot carry never reaches the CA: nothing is looked up or changed.
    if (!decoded.ok) throw new HttpError(decoded.code, decoded.message);
    const { serialHex, reason } = decoded.fields;
    // Another client's certificate is not_found, as an unknown serial is: no oracle.
    const outcome = await options.service.revoke(serialHex, { holder: { client }, reason });
    sendCsrApiRevokeOutcome(res, outcome, serialHex);
  };
}
