/**
 * What the CA certifies for a server certificate request (DNS names): the request's DNS names,
 * the first as CN, EKU serverAuth; and when: at once for names that all lie inside the account's
 * verified, unlapsed domains (docs/protocol.md, "Domains of an account"), otherwise refused
 * `name_not_allowed` naming the names outside, or held for an operator where the CA is
 * configured so (`--names-outside-domains operator`). Pure: the endpoint passes the domains.
 */
import type { CertificateRequest } from '@certwizard/pki';
import { isNameWithinDomain, namesNotCoveredDetail } from '@certwizard/protocol';
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
 * The names of `names` that none of `domains` covers (the domain itself or a name below it), in order.
 * @example
 * namesOutsideDomains(['mail.example.org', 'www.other.test'], ['example.org']); // ['www.other.test']
 */
export function namesOutsideDomains(names: readonly string[], domains: readonly string[]): string[] {
  return names.filter((name) => !domains.some((domain) => isNameWithinDomain(name, domain)));
}

/** The refusal of names outside the account's verified domains, naming them. */
export function namesNotCovered(outside: readonly string[]): RequestRefusal {
  return refuse('name_not_allowed', namesNotCoveredDetail(outside));
}

/**
 * The policy of `POST /api/requests`: {@link decideServerCertificate}'s profile; issued at once
 * when every DNS name lies inside `verifiedDomains`, otherwise refused `name_not_allowed` (naming
 * the names outside) or, with `namesOutside: 'operator'`, held for an operator. Each submission is
 * a request of its own (no replays).
 * @param verifiedDomains - the account's verified, unlapsed domains (ASCII form).
 * @example
 * await service.submit(pem, requester, serverCertificatePolicy(await domains.verifiedDomainsOf(accountId), { namesOutside: 'refuse' }));
 */
export function serverCertificatePolicy(verifiedDomains: readonly string[], options: { readonly namesOutside: 'refuse' | 'operator' }): SubmissionPolicy {
  return {
    name: 'server',
    answersReplays: false,
    decide: (csr: CertificateRequest) => {
      const decision = decideServerCertificate(csr);
      if (!decision.ok) return decision;
      const outside = namesOutsideDomains(csr.subjectAltNames.dns, verifiedDomains);
      if (outside.length === 0) return { action: 'issue' as const, profile: decision.profile };
      if (options.namesOutside === 'operator') return { action: 'hold' as const, approver: 'operator' as const, profile: decision.profile };
      return namesNotCovered(outside);
    },
  };
}

/**
 * A server certificate policy for an account without verified domains where the CA holds such
 * requests for an operator: every request waits in the operator queue, whoever sends it.
 * @example
 * await service.submit(pem, requester, SERVER_CERTIFICATE_POLICY);
 */
export const SERVER_CERTIFICATE_POLICY: SubmissionPolicy = Object.freeze(serverCertificatePolicy([], { namesOutside: 'operator' }));
