/**
 * GetCACert answers (RFC 8894 §4.2): one DER certificate, or a degenerate certs-only PKCS #7.
 */
import { ScepError } from './errors.js';
import { certificateParts } from './der.js';
import { buildDegenerate, readDegenerate } from './signed-data.js';

/** RFC 8894 §4.2.1.2: GetCACert answer body for several certificates: a degenerate certs-only SignedData (DER), in the order given. */
export function buildCertsOnly(certificatesDer: readonly Uint8Array[]): Uint8Array {
  if (certificatesDer.length === 0) throw new TypeError('a certs-only message needs at least one certificate');
  return buildDegenerate(certificatesDer);
}

/**
 * RFC 8894 §4.2.1: parses a GetCACert body by its content type: `application/x-x509-ca-cert`
 * (one DER certificate: the CA, no RA) or `application/x-x509-ca-ra-cert` (degenerate PKCS #7).
 * Returns every certificate DER, and picks the RA (keyEncipherment, not a CA) and the CA
 * (basicConstraints cA). Throws ScepError ERR_SCEP_MALFORMED.
 */
export function parseCaCertResponse(
  body: Uint8Array,
  contentType: string,
): {
  readonly certificatesDer: readonly Uint8Array[];
  readonly raCertificateDer: Uint8Array;
  readonly caCertificateDer: Uint8Array;
} {
  const type = contentType.split(';')[0]?.trim().toLowerCase();
  if (type === 'application/x-x509-ca-cert') {
    certificateParts(body);
    return { certificatesDer: [body], raCertificateDer: body, caCertificateDer: body };
  }
  if (type !== 'application/x-x509-ca-ra-cert') {
    throw new ScepError('ERR_SCEP_MALFORMED', `GetCACert answered with an unexpected content type`);
  }
  const { certificatesDer } = readDegenerate(body, 'GetCACert answer');
  const parsed = certificatesDer.map((der) => ({ der, parts: certificateParts(der) }));
  const ca = parsed.find((c) => c.parts.isCa);
  if (ca === undefined) throw new ScepError('ERR_SCEP_MALFORMED', 'the GetCACert answer holds no CA certificate');
  const ra = parsed.find((c) => !c.parts.isCa && c.parts.keyEncipherment);
  return { certificatesDer, raCertificateDer: (ra ?? ca).der, caCertificateDer: ca.der };
}
