/**
 * The CA's OCSP responder (RFC 6960): answers a request about certificates of this CA from the
 * database, signed by the CA key, so that every CA process on one database answers the same.
 *
 * Answers: `good` for a stored certificate that is not revoked; `revoked` with time and reason
 * for a revoked one; `unknown` for a CertID of another issuer (its name or key hash is not ours,
 * §2.2) and for a serial of ours that no stored certificate has. Every certificate is stored
 * before it leaves the server (see issuance.ts), so such a serial was never issued. §2.2 would
 * let a responder call it `revoked` (certificateHold, revocationTime 1970-01-01, with the
 * extended revoked definition extension of §4.4.8); we do not: the CRL does not list it either,
 * and `unknown` ("this responder knows nothing of it") is the plain truth.
 */
import {
  createOcspResponse,
  type Issuer,
  ocspCertIdMatchesIssuer,
  ocspErrorResponse,
  type OcspCertStatus,
  type OcspResponseStatus,
  parseOcspRequest,
  PkiError,
  type RevocationReason,
} from '@certwizard/pki';
import type { CertificateRepository } from '../store/certificate-store.js';

/** What the responder answered: the DER OCSPResponse, and for a successful one its validity. */
export interface OcspAnswer {
  readonly responseStatus: OcspResponseStatus;
  /** The DER OCSPResponse (`application/ocsp-response`). */
  readonly der: Uint8Array;
  /** thisUpdate of every SingleResponse (a successful answer only). */
  readonly thisUpdate?: Date;
  /** nextUpdate of every SingleResponse: how long a client or cache may keep the answer. */
  readonly nextUpdate?: Date;
}

/** Options of {@link answerOcspRequest}. */
export interface OcspResponderOptions {
  readonly identity: Issuer;
  readonly store: Pick<CertificateRepository, 'get'>;
  /** The CA's clock. */
  readonly now: () => Date;
  /** nextUpdate - thisUpdate, in ms: how long an answer may be cached. */
  readonly validityMs: number;
}

/** Reasons as stored (the names of RFC 5280 §5.3.1); `unspecified` is left out, as on the CRL. */
function statusOf(stored: { status: 'valid' | 'revoked'; revokedAt?: Date; revocationReason?: string } | undefined): OcspCertStatus {
  if (stored === undefined) return { type: 'unknown' };
  if (stored.status !== 'revoked') return { type: 'good' };
  const reason = stored.revocationReason as RevocationReason | undefined;
  return { type: 'revoked', revokedAt: stored.revokedAt ?? new Date(0), ...(reason !== undefined && reason !== 'unspecified' ? { reason } : {}) };
}

/**
 * Answers one DER OCSPRequest (RFC 6960 §4.1, §4.2): a signed successful response with one
 * SingleResponse per CertID and the nonce echoed, or the unsigned `malformedRequest` answer for
 * bytes that are not a request we accept. Reads only.
 * @throws whatever the store throws (the caller answers `internalError`).
 * @example
 * const { der } = await answerOcspRequest(options, body);
 */
export async function answerOcspRequest(options: OcspResponderOptions, requestDer: Uint8Array): Promise<OcspAnswer> {
  let request;
  try {
    request = parseOcspRequest(requestDer);
  } catch (err) {
    if (err instanceof PkiError) return { responseStatus: 'malformedRequest', der: ocspErrorResponse('malformedRequest') };
    throw err;
  }
  const now = options.now();
  const thisUpdate = new Date(Math.floor(now.getTime() / 1000) * 1000);
  const nextUpdate = new Date(thisUpdate.getTime() + options.validityMs);
  const responses = [];
  for (const certId of request.certIds) {
    // A serial is only ours under our issuer hashes; another CA's serial may equal one of ours.
    const ours = ocspCertIdMatchesIssuer(certId, options.identity.certificate);
    const stored = ours ? await options.store.get(certId.serialNumberHex) : undefined;
    responses.push({ certId, status: statusOf(stored), thisUpdate, nextUpdate });
  }
  const der = createOcspResponse({
    issuer: options.identity,
    producedAt: thisUpdate,
    responses,
    ...(request.nonce !== undefined ? { nonce: request.nonce } : {}),
  });
  return { responseStatus: 'successful', der, thisUpdate, nextUpdate };
}
