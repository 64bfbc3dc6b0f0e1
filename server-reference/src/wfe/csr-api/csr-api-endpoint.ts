/**
 * `PUT /api/csr/:client`: the ssl_api-style endpoint. The body is a PEM request
 * (`application/x-pem-file`) or a PEM or DER request as `application/pkcs10` (RFC 5967);
 * the answer is `{"signed_x509_pem": "<certificate + CA certificate>"}`. Decodes, calls the
 * request service with `SSL_API_POLICY`, encodes; refusals are written by refusal-answer.ts.
 */
import { CSR_API_MEDIA_TYPES, type CsrApiSuccess } from '@certwizard/protocol';
import type { Request, Response } from 'express';
import type { RequestService } from '../../ca/request-service.js';
import { SSL_API_POLICY } from '../../ca/ssl-api-policy.js';
import { readBody } from '../read-body.js';
import { sendJson } from '../send-json.js';
import { clientOf, mediaTypeOf } from './csr-api-request.js';
import { sendCsrApiRefusal } from './refusal-answer.js';

/** Options of {@link csrApiHandler}. */
export interface CsrApiOptions {
  readonly service: RequestService;
  /** Body limit in bytes. */
  readonly maxBodyBytes: number;
}

/** Builds the express handler of `PUT /api/csr/:client`. */
export function csrApiHandler(options: CsrApiOptions) {
  return async (req: Request, res: Response): Promise<void> => {
    const client = clientOf(req);
    const mediaType = mediaTypeOf(req, CSR_API_MEDIA_TYPES);
    const body = await readBody(req, options.maxBodyBytes);
    // PEM is ASCII text; application/pkcs10 may also carry the DER bytes themselves.
    const pem = body.subarray(0, 64).toString('latin1').includes('-----BEGIN');
    const input = pem || mediaType === 'application/x-pem-file' ? body.toString('latin1') : new Uint8Array(body);

    const abort = new AbortController();
    const onClose = () => {
      if (!res.writableFinished) abort.abort(new Error('client went away'));
    };
    res.once('close', onClose);
    // Only the client going away aborts: a CA shutting down finishes what is in flight.
    // A client that resends a request (after losing the answer) gets the certificate already
    // signed for it: one request, one certificate (SSL_API_POLICY answers replays).
    const outcome = await options.service.submit(input, { client }, SSL_API_POLICY, { signal: abort.signal });
    res.off('close', onClose);
    if (outcome.status === 'refused') return sendCsrApiRefusal(res, outcome);
    // The revocation secret is in this answer only (none on a replay): never cached.
    const answer: CsrApiSuccess = { signed_x509_pem: outcome.chainPem, ...(outcome.revocationSecret ? { revocation_secret: outcome.revocationSecret } : {}) };
    res.setHeader('Cache-Control', 'no-store');
    sendJson(res, 200, answer);
  };
}
