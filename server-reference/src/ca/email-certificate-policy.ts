/**
 * What an account may certify through the CAcert-style API, and how: its name forms, the
 * S/MIME profile for one address, and whether a request waits for the owner's approval. Pure:
 * the endpoints pass the account and its confirmed addresses.
 */
import type { CertificateRequest, DistinguishedName, ExtendedKeyUsageName } from '@certwizard/pki';
import type { Account } from '../accounts/account-store.js';
import type { DecidedProfile } from '../store/certificate-requests.js';
import { refuse, type RequestRefusal } from './refusal.js';
import { namesNotCovered, namesOutsideDomains } from './server-certificate-policy.js';
import type { SubmissionPolicy } from './submission-policy.js';

/** How the requester proved who they are. */
export type ApiCredential = 'password' | 'installation' | 'enrollment_secret';

/**
 * The name forms an account may put in a certificate: "First Last", then "First Middle Last"
 * when there is a middle name. The full legal form and the everyday one are both true of the
 * person; anything else (initials, reordering) is not offered, since no one checked it.
 * @example
 * nameForms({ firstName: 'Ada', middleName: 'B', lastName: 'Lovelace' }); // ['Ada Lovelace', 'Ada B Lovelace']
 */
export function nameForms(account: Pick<Account, 'firstName' | 'middleName' | 'lastName'>): string[] {
  const short = `${account.firstName} ${account.lastName}`;
  return account.middleName === undefined ? [short] : [short, `${account.firstName} ${account.middleName} ${account.lastName}`];
}

/**
 * The addresses a request names (subjectAltName rfc822Name and subject emailAddress together),
 * lower-cased, when it names addresses only; `undefined` when it also names a DNS name or IP.
 * @example
 * addressesOnly(parseCsr(pem)); // Set { 'ada@example.org' }
 */
export function addressesOnly(csr: Pick<CertificateRequest, 'subject' | 'subjectAltNames'>): Set<string> | undefined {
  if (csr.subjectAltNames.dns.length > 0 || csr.subjectAltNames.ip.length > 0) return undefined;
  return new Set([...csr.subjectAltNames.email, ...csr.subject.filter((a) => a.type === 'emailAddress').map((a) => a.value)].map((e) => e.toLowerCase()));
}

/**
 * Decides the certificate for a ccsr request: the address must be one of `confirmed`
 * (compared case-insensitively; the stored spelling is certified), the name one of
 * {@link nameForms}, and code signing only for accounts that have it.
 *
 * The profile: SAN rfc822Name = the address; EKU emailProtection and clientAuth, plus
 * codeSigning when asked; subject givenName / surname of the chosen form and emailAddress.
 * The subject carries no CN: `@certwizard/pki` keeps a CN only when it is one of the certified
 * DNS names or addresses, so the person's name goes into givenName and surname instead.
 * @example
 * decideEmailCertificate(account, ['ada@example.org'], { email: 'ada@example.org', name: 'Ada Lovelace', codeSigning: false });
 */
export function decideEmailCertificate(
  account: Pick<Account, 'firstName' | 'middleName' | 'lastName' | 'codeSigning'>,
  confirmed: readonly string[],
  request: { readonly email: string; readonly name: string; readonly codeSigning: boolean },
): { readonly ok: true; readonly profile: DecidedProfile } | RequestRefusal {
  const email = confirmed.find((e) => e.toLowerCase() === request.email.toLowerCase());
  if (email === undefined) return refuse('address_not_confirmed', 'the address is not a confirmed address of this account');
  const forms = nameForms(account);
  const formIndex = forms.indexOf(request.name.normalize('NFC'));
  if (formIndex < 0) return refuse('name_not_allowed', 'the name is not one of the NAME values of cemails');
  if (request.codeSigning && !account.codeSigning) {
    return refuse('codesign_not_allowed', 'this account may not request code signing certificates (CS=0)');
  }
  const given = formIndex === 0 || account.middleName === undefined ? account.firstName : `${account.firstName} ${account.middleName}`;
  const subject: DistinguishedName = [
    { type: 'GN', value: given },
    { type: 'SN', value: account.lastName },
    { type: 'emailAddress', value: email },
  ];
  const extendedKeyUsage: ExtendedKeyUsageName[] = ['emailProtection', 'clientAuth'];
  if (request.codeSigning) extendedKeyUsage.push('codeSigning');
  return { ok: true, profile: { subject, subjectAltNames: { dns: [], email: [email], ip: [] }, extendedKeyUsage } };
}

/**
 * Whether a request made with this credential waits for the owner's approval. A password typed
 * by the person is their decision; an installation token is a long-lived secret on a machine,
 * so what it asks for waits until the owner approves it on the account page (a stolen token
 * then yields no certificate unseen). A one-time enrollment secret was made by the owner for one
 * request, so it is the approval.
 * @example
 * needsApproval('installation'); // true
 */
export function needsApproval(credential: ApiCredential): boolean {
  return credential === 'installation';
}

/**
 * The policy of `/api/ccsr.php`: certify the profile {@link decideEmailCertificate} decides for
 * the fields; issue at once for a password, hold for the owner for an installation token
 * ({@link needsApproval}). A resent request that still stands is answered from what is stored.
 *
 * A request that names DNS names (subjectAltName dNSName) gets them too, when every one lies
 * inside `verifiedDomains`: SAN dNSName, CN the first name, and EKU serverAuth besides
 * emailProtection and clientAuth; a name outside is refused `name_not_allowed` naming it, an IP
 * address `names_unsuitable`.
 * @param confirmed - the account's confirmed addresses.
 * @param verifiedDomains - the account's verified, unlapsed domains (ASCII form); none by default.
 * @example
 * await service.submit(fields.csrPem, requester, emailCertificatePolicy(account, confirmed, fields, 'installation'));
 */
export function emailCertificatePolicy(
  account: Pick<Account, 'firstName' | 'middleName' | 'lastName' | 'codeSigning'>,
  confirmed: readonly string[],
  fields: { readonly email: string; readonly name: string; readonly codeSigning: boolean },
  credential: ApiCredential,
  verifiedDomains: readonly string[] = [],
): SubmissionPolicy {
  return {
    name: 'ccsr',
    answersReplays: true,
    decide: (csr: CertificateRequest) => {
      const decision = decideEmailCertificate(account, confirmed, fields);
      if (!decision.ok) return decision;
      const withNames = withServerNames(decision.profile, csr, verifiedDomains);
      if (!withNames.ok) return withNames;
      const profile = withNames.profile;
      return needsApproval(credential) ? { action: 'hold', approver: 'owner', profile } : { action: 'issue', profile };
    },
  };
}

/** Adds the request's DNS names (all inside the verified domains) to an S/MIME profile, with CN and serverAuth. */
function withServerNames(
  profile: DecidedProfile,
  csr: Pick<CertificateRequest, 'subjectAltNames'>,
  verifiedDomains: readonly string[],
): { readonly ok: true; readonly profile: DecidedProfile } | RequestRefusal {
  const { dns, ip } = csr.subjectAltNames;
  if (ip.length > 0) return refuse('names_unsuitable', 'a certificate of this CA names no IP address');
  if (dns.length === 0) return { ok: true, profile };
  const outside = namesOutsideDomains(dns, verifiedDomains);
  if (outside.length > 0) return namesNotCovered(outside);
  return {
    ok: true,
    profile: {
      subject: [{ type: 'CN', value: dns[0] as string }, ...profile.subject],
      subjectAltNames: { ...profile.subjectAltNames, dns: [...dns] },
      extendedKeyUsage: ['serverAuth', ...profile.extendedKeyUsage],
    },
  };
}
