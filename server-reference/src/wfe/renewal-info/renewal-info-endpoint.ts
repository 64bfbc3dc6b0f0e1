/**
 * `GET /api/renewal-info/:certId` (docs/protocol.md): renewal information in the shape of ACME
 * Renewal Information (RFC 9773 §4.2), unauthenticated as ARI is. Decode the identifier, ask the
 * RenewalAdvisor, encode; a GET changes nothing.
 */
import {
  encodeRenewalInfo,
  encodeRenewalInfoError,
  InvalidCertIdError,
  parseCertId,
  RENEWAL_INFO_ERRORS,
  RENEWAL_INFO_RETRY_AFTER_SECONDS,
  RENEWAL_INFO_ROUTE,
  type ParsedCertId,
  type RenewalInfoErrorCode,
} from '@certwizard/protocol';
import { type Response, Router } from 'express';
import type { RenewalAdvisor } from '../../ca/renewal-advice.js';

/** What the endpoint needs. */
export interface RenewalInfoContext {
  readonly advisor: Pick<RenewalAdvisor, 'adviseFor'>;
}

function fail(res: Response, code: RenewalInfoErrorCode, message: string): void {
  res.status(RENEWAL_INFO_ERRORS[code]).json(encodeRenewalInfoError(code, message));
}

/**
 * The endpoint's routes: GET (and HEAD) answer; any other method is 405 with `Allow`.
 * @example
 * app.use(renewalInfoRoutes({ advisor: new RenewalAdvisor({ certificates, windows }) }));
 */
export function renewalInfoRoutes(context: RenewalInfoContext): Router {
  const router = Router();
  // RFC 9773 §4.2: GET {renewalInfo}/{certID}, answering the suggestedWindow with Retry-After.
  router.get(RENEWAL_INFO_ROUTE, async (req, res) => {
    let id: ParsedCertId;
    try {
      id = parseCertId(String(req.params.certId));
    } catch (err) {
      if (err instanceof InvalidCertIdError) return fail(res, 'malformed_cert_id', `not a certificate identifier (RFC 9773 §4.1): ${err.message}`);
      throw err;
    }
    const advice = await context.advisor.adviseFor(id);
    if (advice === undefined) return fail(res, 'unknown_certificate', 'this CA issued no certificate with this identifier');
    res.setHeader('Retry-After', String(RENEWAL_INFO_RETRY_AFTER_SECONDS));
    res.json(encodeRenewalInfo({ suggestedWindow: { start: advice.start, end: advice.end } }));
  });
  router.all(RENEWAL_INFO_ROUTE, (_req, res) => {
    res.setHeader('Allow', 'GET, HEAD');
    fail(res, 'method_not_allowed', 'use GET');
  });
  return router;
}
