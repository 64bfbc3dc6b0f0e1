/**
 * A certificate request sent with a registration (`CSR` field of `/index.php?id=1`): kept as a
 * pending request of the new account (source `registration`) for the registered address, and
 * issued automatically once the address is confirmed, if the request named exactly that
 * address. When the user changed the address in the form (the request names the prefilled one),
 * it stays in the owner's pending list instead: the owner decides whether this key should get a
 * certificate for the address they confirmed.
 */
import { type CertificateRequest, parseCsr } from '@certwizard/pki';
import type { Account } from '../accounts/account-store.js';
import type { Logger } from '../log.js';
import type { CertificateRequestRecord, CertificateRequestStore } from '../store/certificate-requests.js';
import type { CertificateAuthority } from './authority.js';
import { decideEmailCertificate, nameForms } from './email-certificate-policy.js';
import { approveRequest } from './request-approval.js';
import { describeCsr } from '../store/certificate-requests.js';

/**
 * Whether a request names exactly the address (subjectAltName rfc822Name and subject
 * emailAddress together, case-insensitively) and nothing else to certify.
 * @example
 * namesExactly(parseCsr(pem), 'ada@example.org');
 */
export function namesExactly(csr: Pick<CertificateRequest, 'subject' | 'subjectAltNames'>, email: string): boolean {
  const addresses = new Set(
    [...csr.subjectAltNames.email, ...csr.subject.filter((a) => a.type === 'emailAddress').map((a) => a.value)].map((e) => e.toLowerCase()),
  );
  return addresses.size === 1 && addresses.has(email.toLowerCase()) && csr.subjectAltNames.dns.length === 0 && csr.subjectAltNames.ip.length === 0;
}

/**
 * Stores the registration's request as pending for the (not yet confirmed) account, with the
 * S/MIME profile of its registered address and first name form.
 * @example
 * keepRegistrationRequest(requests, account, parseCsr(pem));
 */
export function keepRegistrationRequest(requests: CertificateRequestStore, account: Account, csr: CertificateRequest): CertificateRequestRecord {
  const decision = decideEmailCertificate(account, [account.email], {
    email: account.email,
    name: nameForms(account)[0] as string,
    codeSigning: false,
  });
  // Cannot fail: the address and the name form are the account's own.
  if (!decision.ok) throw new Error(decision.message);
  return requests.create({
    accountId: account.id,
    ...describeCsr(csr),
    profile: decision.profile,
    source: 'registration',
  });
}

/**
 * On confirmation: issues the account's pending registration requests that name exactly its
 * address; the others stay pending for the owner. A refusal (hook) or failure is logged and
 * leaves the request pending: the confirmation itself must not fail for it.
 * @returns the ids of the requests issued.
 * @example
 * await issueRegistrationRequests({ ca, requests, logger }, account);
 */
export async function issueRegistrationRequests(
  deps: { ca: CertificateAuthority; requests: CertificateRequestStore; logger: Logger },
  account: Account,
): Promise<string[]> {
  const issued: string[] = [];
  for (const record of deps.requests.pendingOf(account.id)) {
    if (record.source !== 'registration' || !namesExactly(parseCsr(record.csrPem), account.email)) continue;
    try {
      if (await approveRequest(deps, account.id, record.id)) issued.push(record.id);
    } catch (err) {
      deps.logger.warn('registration request not issued; it stays pending', { accountId: account.id, requestId: record.id, error: err });
    }
  }
  return issued;
}
