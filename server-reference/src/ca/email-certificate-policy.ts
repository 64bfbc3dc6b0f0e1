/**
 * What an account may certify through the CAcert-style API, and how: its name forms, the
 * S/MIME profile for one address, and whether a request waits for the owner's approval. Pure:
 * the endpoints pass the account and its confirmed addresses.
 */
import type { DistinguishedName, ExtendedKeyUsageName } from '@certwizard/pki';
import type { Account } from '../accounts/account-store.js';
import type { DecidedProfile } from '../store/certificate-requests.js';

/** A refusal, with its wire reason code. */
export interface PolicyRefusal {
  readonly ok: false;
  readonly code: 'address_not_confirmed' | 'name_not_allowed' | 'codesign_not_allowed';
  readonly message: string;
}

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
): { readonly ok: true; readonly profile: DecidedProfile } | PolicyRefusal {
  const email = confirmed.find((e) => e.toLowerCase() === request.email.toLowerCase());
  if (email === undefined) {
    return { ok: false, code: 'address_not_confirmed', message: 'the address is not a confirmed address of this account' };
  }
  const forms = nameForms(account);
  const formIndex = forms.indexOf(request.name.normalize('NFC'));
  if (formIndex < 0) return { ok: false, code: 'name_not_allowed', message: 'the name is not one of the NAME values of cemails' };
  if (request.codeSigning && !account.codeSigning) {
    return { ok: false, code: 'codesign_not_allowed', message: 'this account may not request code signing certificates (CS=0)' };
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
