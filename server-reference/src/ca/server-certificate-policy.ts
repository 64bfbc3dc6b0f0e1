/**
 * What the CA certifies for a server certificate request (DNS names): the request's DNS names,
 * the first as CN, EKU serverAuth. Nothing checks that the account holds the names, which is why
 * such requests always wait for an operator (`/operator/queue`). Pure.
 */
import type { CertificateRequest } from '@certwizard/pki';
import type { DecidedProfile } from '../store/certificate-requests.js';

/** A refusal, with its wire reason code. */
export interface ServerPolicyRefusal {
  readonly ok: false;
  readonly code: 'invalid_request';
  readonly message: string;
}

/**
 * Decides the profile of a server certificate.
 * @returns a refusal when the request names no DNS name, or also addresses or IPs.
 * @example
 * decideServerCertificate(parseCsr(pem)); // { ok: true, profile: { subject: [{ type: 'CN', value: 'www.example.org' }], ... } }
 */
export function decideServerCertificate(
  csr: Pick<CertificateRequest, 'subjectAltNames'>,
): { readonly ok: true; readonly profile: DecidedProfile } | ServerPolicyRefusal {
  const { dns, email, ip } = csr.subjectAltNames;
  if (dns.length === 0) return { ok: false, code: 'invalid_request', message: 'the request names no DNS name (subjectAltName dNSName)' };
  if (email.length > 0 || ip.length > 0) {
    return { ok: false, code: 'invalid_request', message: 'a server certificate request names DNS names only; send addresses through ccsr' };
  }
  return {
    ok: true,
    profile: {
      subject: [{ type: 'CN', value: dns[0] as string }],
      subjectAltNames: { dns: [...dns], email: [], ip: [] },
      extendedKeyUsage: ['serverAuth'],
    },
  };
}
