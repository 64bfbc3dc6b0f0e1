/**
 * The OCSP responder over HTTP (RFC 6960 Appendix A.1): `POST /ocsp` with an
 * `application/ocsp-request` body, and `GET /ocsp/{url-encoded base64 of the DER request}`,
 * both answering `application/ocsp-response`. The CA decides (ca/ocsp-responder.ts); this only
 * moves bytes, bounds them, and says how long a GET answer may be cached.
 */
import { ocspErrorResponse } from '@certwizard/pki';
import { type Request, type Response, Router } from 'express';
import type { CertificateAuthority } from '../../ca/authority.js';
import type { OcspAnswer } from '../../ca/ocsp-responder.js';
import type { Logger } from '../../log.js';
import { HttpError } from '../http-error.js';
import { readBody } from '../read-body.js';

/** The responder's path; issued certificates name `${publicUrl}${OCSP_PATH}` (authorityInfoAccess). */
export const OCSP_PATH = '/ocsp';

/**
 * Largest request accepted, in bytes, POST body or decoded GET path: 20 CertIDs take about
 * 1.5 KiB; the rest is room for a signed request's certificates (accepted and ignored).
 */
export const OCSP_MAX_REQUEST_BYTES = 16 * 1024;

/**
 * Largest request accepted in a GET path, in DER bytes: one or a few CertIDs (RFC 5019 §5 has
 * clients use GET below 255 bytes); the base64 stays well under Node's 16 KiB header limit.
 */
export const OCSP_MAX_GET_REQUEST_BYTES = 2 * 1024;

const OCSP_RESPONSE_TYPE = 'application/ocsp-response';
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** What {@link ocspRoutes} needs. */
export interface OcspRoutesOptions {
  readonly ca: Pick<CertificateAuthority, 'ocsp'>;
  readonly logger: Logger;
}

/** HTTP status of each answer: 200 only for a signed answer; the body says the OCSP status either way. */
function httpStatusOf(answer: OcspAnswer): number {
  if (answer.responseStatus === 'successful') return 200;
  return answer.responseStatus === 'malformedRequest' ? 400 : 500;
}

function sendOcsp(res: Response, status: number, der: Uint8Array): void {
  res.status(status).setHeader('Content-Type', OCSP_RESPONSE_TYPE);
  res.send(Buffer.from(der));
}

function sendMalformed(res: Response, status = 400): void {
  sendOcsp(res, status, ocspErrorResponse('malformedRequest'));
}

/** The DER request of a GET path: `/ocsp/` then url-encoded base64 (slashes of unencoded base64 kept). */
function requestOfPath(req: Request): Uint8Array | undefined {
  const raw = req.url.slice(`${OCSP_PATH}/`.length).split('?')[0] as string;
  let text: string;
  try {
    text = decodeURIComponent(raw);
  } catch {
    return undefined;
  }
  if (text.length > Math.ceil(OCSP_MAX_GET_REQUEST_BYTES / 3) * 4 || !BASE64.test(text)) return undefined;
  const der = Buffer.from(text, 'base64');
  // Only the canonical encoding (Buffer.from skips what it cannot read).
  if (der.toString('base64').replace(/=+$/, '') !== text.replace(/=+$/, '')) return undefined;
  return new Uint8Array(der);
}

async function answer(options: OcspRoutesOptions, der: Uint8Array, res: Response): Promise<OcspAnswer | undefined> {
  try {
    return await options.ca.ocsp(der);
  } catch (err) {
    options.logger.error('OCSP responder failed', { error: err });
    sendOcsp(res, 500, ocspErrorResponse('internalError'));
    return undefined;
  }
}

/**
 * The `/ocsp` routes. A GET answer is cacheable until its nextUpdate (RFC 5019 §6.2:
 * `max-age`, `public, no-transform, must-revalidate`, Last-Modified and Expires); a POST answer,
 * which may echo a nonce, is not. Neither changes anything stored.
 * @example
 * app.use(ocspRoutes({ ca, logger }));
 */
export function ocspRoutes(options: OcspRoutesOptions): Router {
  const router = Router();

  // RFC 6960 Appendix A.1.1: POST, Content-Type application/ocsp-request, the DER request as body.
  router.post(OCSP_PATH, async (req, res) => {
    if (req.headers['content-type']?.split(';')[0]?.trim().toLowerCase() !== 'application/ocsp-request') {
      req.resume();
      sendMalformed(res, 415);
      return;
    }
    let body: Buffer;
    try {
      body = await readBody(req, OCSP_MAX_REQUEST_BYTES);
    } catch (err) {
      if (!(err instanceof HttpError)) throw err;
      sendMalformed(res, 413);
      return;
    }
    const result = await answer(options, new Uint8Array(body), res);
    if (result) sendOcsp(res, httpStatusOf(result), result.der);
  });

  // RFC 6960 Appendix A.1.1: GET {url}/{url-encoding of base-64 encoding of the DER OCSPRequest}.
  router.get(`${OCSP_PATH}/*request`, async (req, res) => {
    const der = requestOfPath(req);
    if (der === undefined) {
      sendMalformed(res);
      return;
    }
    const result = await answer(options, der, res);
    if (!result) return;
    if (result.responseStatus === 'successful' && result.thisUpdate && result.nextUpdate) {
      // thisUpdate is the CA's now: the answer is fresh for nextUpdate - thisUpdate from here.
      const maxAgeSeconds = Math.max(0, Math.floor((result.nextUpdate.getTime() - result.thisUpdate.getTime()) / 1000));
      res.setHeader('Cache-Control', `public, max-age=${maxAgeSeconds}, no-transform, must-revalidate`);
      res.setHeader('Last-Modified', result.thisUpdate.toUTCString());
      res.setHeader('Expires', result.nextUpdate.toUTCString());
    }
    sendOcsp(res, httpStatusOf(result), result.der);
  });

  router.get(OCSP_PATH, (_req, res) => sendMalformed(res));
  router.all([OCSP_PATH, `${OCSP_PATH}/*request`], (req, res) => {
    req.resume();
    res.setHeader('Allow', 'GET, POST');
    sendMalformed(res, 405);
  });
  return router;
}
