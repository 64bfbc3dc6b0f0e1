/**
 * What the CA certifies for a server certificate request (DNS names): the request's DNS names,
 * the first as CN, EKU serverAuth. Nothing checks that the account holds the names, which is why
 * such requests always wait for an operator (`/operator/queue`). Pure.
 */
import type { CertificateRequest } from '@certwizard/pki';
import type { DecidedProfile } from '../store/certificate-requests.js';
import { refuse, type RequestRefusal } from './refusal.js';
import type { SubmissionPolicy } from './submission-policy.js';

/**
 * Decides the profile of a server certificate.
 * @returns a `names_unsuitable` refusal when the request names no DNS name, or also addresses or IPs.
 * @example
 * decideServerCertificate(parseCsr(pem)); // { ok: true, profile: { subject: [{ type: 'CN', value: 'www.example.org' }], ... } }
 */
export function decideServerCertificate(
  csr: Pick<CertificateRequest, 'subjectAltNames'>,
): { readonly ok: true; readonly profile: DecidedProfile } | RequestRefusal {
  const { dns, email, ip } = csr.subjectAltNames;
  if (dns.length === 0) return refuse('names_unsuitable', 'the request names no DNS name (subjectAltName dNSName)');
  if (email.length > 0 || ip.length > 0) {
    return refuse('names_unsuitable', 'a server certificate request names DNS names only; send addresses through ccsr');
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

/**
 * The policy of `POST /api/requests`: {@link decideServerCertificate}'s profile, always held for
 * an operator, whoever sends it. Each submission is a request of its own (no replays).
 * @example
 * await service.submit(pem, requester, SERVER_CERTIFICATE_POLICY);
 */
export const SERVER_CERTIFICATE_POLICY: SubmissionPolicy = Object.freeze({
  name: 'server',
  answersReplays: false,
  decide: (csr: CertificateRequest) => {
    const decision = decideServerCertificate(csr);
    return !decision.ok ? decision : { action: 'hold' as const, approver: 'operator' as const, profile: decision.profile };
  },
});
