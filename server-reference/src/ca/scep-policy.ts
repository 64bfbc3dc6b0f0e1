/**
 * The SCEP policies (RFC 8894) of the request service: what the CA certifies for a PKCSReq or a
 * RenewalReq, and when. The profile is the request's own subject and DNS names with EKU
 * serverAuth and clientAuth (SCEP clients are devices and services that use one certificate for
 * both). Three ways in:
 * - a PKCSReq with a one-time PIN as its challengePassword: issued at once, the PIN used up by
 *   the issuance (checked against its names before, so a request for other names uses nothing);
 * - a PKCSReq without one: held for an operator (the CA's own `/scep`) or for the owner of the
 *   personal SCEP URL it came to;
 * - a RenewalReq, or a PKCSReq (certmonger renews that way), signed by an unrevoked, unexpired
 *   certificate of this CA for the same subject: issued at once for names the old certificate
 *   carried, the request's key old or new.
 */
import { type CertificateRequest, formatName } from '@certwizard/pki';
import type { DecidedProfile } from '../store/certificate-requests.js';
import { refuse, type RequestRefusal } from './refusal.js';
import type { OneTimeCredential, SubmissionPolicy } from './submission-policy.js';

/**
 * The profile of a SCEP request: its subject as sent, its DNS names, serverAuth and clientAuth.
 * @returns a `names_unsuitable` refusal for addresses or IPs, or for a request naming nothing.
 * @example
 * decideScepProfile(parseCsr(der)); // { ok: true, profile: { subject: [{ type: 'CN', value: 'host.example' }], ... } }
 */
export function decideScepProfile(
  csr: Pick<CertificateRequest, 'subject' | 'subjectAltNames'>,
): { readonly ok: true; readonly profile: DecidedProfile } | RequestRefusal {
  const { dns, email, ip } = csr.subjectAltNames;
  if (email.length > 0 || ip.length > 0) return refuse('names_unsuitable', 'a SCEP request names DNS names only (no addresses or IPs)');
  if (dns.length === 0 && csr.subject.length === 0) return refuse('names_unsuitable', 'the request names neither a subject nor a DNS name');
  return {
    ok: true,
    profile: { subject: csr.subject, subjectAltNames: { dns: [...dns], email: [], ip: [] }, extendedKeyUsage: ['serverAuth', 'clientAuth'] },
  };
}

/**
 * The policy of a PKCSReq whose PIN was checked against the request's names: issue, spending the
 * PIN right before signing (one guarded UPDATE: of two requests with one PIN, in any number of CA
 * processes, one signs and the other is refused `unauthenticated`).
 * @param pin - `take` consumes it; `giveBack` is called when nothing was signed after all.
 * @example
 * await service.submit(der, { accountId, source: 'scep' }, scepPinPolicy({ take: () => pins.consume(pin, usedBy), giveBack: async () => {} }));
 */
export function scepPinPolicy(pin: OneTimeCredential): SubmissionPolicy {
  return {
    name: 'scep_pin',
    // Resends are answered from scep_transactions (same transactionID and signer key), not here.
    answersReplays: false,
    spends: pin,
    decide: (csr) => {
      const decision = decideScepProfile(csr);
      return decision.ok ? { action: 'issue', profile: decision.profile } : decision;
    },
  };
}

/**
 * The policy of a PKCSReq without a PIN: held for `approver` (an operator for the CA's own
 * `/scep`, the owner for a personal SCEP URL).
 * @example
 * await service.submit(der, { accountId: undefined, source: 'scep' }, scepHoldPolicy('operator'));
 */
export function scepHoldPolicy(approver: 'owner' | 'operator'): SubmissionPolicy {
  return {
    name: 'scep_pending',
    answersReplays: false,
    decide: (csr) => {
      const decision = decideScepProfile(csr);
      return decision.ok ? { action: 'hold', approver, profile: decision.profile } : decision;
    },
  };
}

/**
 * The policy of a renewal (RFC 8894 §3.3.1.2: a RenewalReq, or a PKCSReq signed by the old certificate) whose signer, a valid certificate of this CA,
 * was checked by the caller: issue at once when the request's subject is the old certificate's
 * and its DNS names are among the old certificate's (a renewal adds no names without a PIN).
 * @param old - the old certificate's subject (RFC 4514 text, as `formatName` writes it) and DNS names.
 * @example
 * await service.submit(der, requester, scepRenewalPolicy({ subject: 'CN=host.example', dnsNames: ['host.example'] }));
 */
export function scepRenewalPolicy(old: { readonly subject: string; readonly dnsNames: readonly string[] }): SubmissionPolicy {
  return {
    name: 'scep_renewal',
    answersReplays: false,
    decide: (csr) => {
      if (formatName(csr.subject) !== old.subject) return refuse('name_not_allowed', 'a renewal keeps the subject of the certificate that signs it');
      const added = csr.subjectAltNames.dns.filter((name) => !old.dnsNames.includes(name));
      if (added.length > 0) return refuse('name_not_allowed', `a renewal names only what the old certificate named; new: ${added.join(', ')}`);
      const decision = decideScepProfile(csr);
      return decision.ok ? { action: 'issue', profile: decision.profile } : decision;
    },
  };
}
