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
import type { CertificateRequestStore } from '../store/certificate-requests.js';
import { addressesOnly, decideEmailCertificate, nameForms } from './email-certificate-policy.js';
import { isRefusal } from './refusal.js';
import type { RequestService } from './request-service.js';
import type { SubmissionPolicy } from './submission-policy.js';

/**
 * Whether a request names exactly the address (subjectAltName rfc822Name and subject
 * emailAddress together, case-insensitively) and nothing else to certify.
 * @example
 * namesExactly(parseCsr(pem), 'ada@example.org');
 */
export function namesExactly(csr: Pick<CertificateRequest, 'subject' | 'subjectAltNames'>, email: string): boolean {
  const addresses = addressesOnly(csr);
  return addresses?.size === 1 && addresses.has(email.toLowerCase());
}

/**
 * The policy of a registration's request: held for the owner of the (not yet confirmed) account,
 * with the S/MIME profile of its registered address and first name form, whatever the request
 * names (the request contributes its key). Each registration keeps its own request (no replays).
 * @example
 * await service.submit(csr.der, { accountId: account.id, source: 'registration' }, registrationPolicy(account));
 */
export function registrationPolicy(account: Account): SubmissionPolicy {
  return {
    name: 'registration',
    answersReplays: false,
    decide: () => {
      const decision = decideEmailCertificate(account, [account.email], {
        email: account.email,
        name: nameForms(account)[0] as string,
        codeSigning: false,
      });
      // Cannot be refused: the address and the name form are the account's own.
      if (!decision.ok) throw new Error(decision.message);
      return { action: 'hold', approver: 'owner', profile: decision.profile };
    },
  };
}

/**
 * On confirmation: approves, as the owner, the account's pending registration requests that
 * name exactly its address; the others stay pending for the owner. A refusal (hook) or failure
 * is logged and leaves the request pending: the confirmation itself must not fail for it.
 * @returns the ids of the requests issued.
 * @example
 * await issueRegistrationRequests({ service, requests, logger }, account);
 */
export async function issueRegistrationRequests(
  deps: { service: RequestService; requests: CertificateRequestStore; logger: Logger },
  account: Account,
): Promise<string[]> {
  const issued: string[] = [];
  for (const record of await deps.requests.pendingOf(account.id)) {
    if (record.source !== 'registration' || !namesExactly(parseCsr(record.csrPem), account.email)) continue;
    try {
      const outcome = await deps.service.approve(record.id, { owner: account.id });
      if (outcome.status === 'issued') issued.push(record.id);
      else if (isRefusal(outcome))
        deps.logger.warn('registration request refused; it stays pending', { accountId: account.id, requestId: record.id, reason: outcome.reason });
    } catch (err) {
      deps.logger.warn('registration request not issued; it stays pending', { accountId: account.id, requestId: record.id, error: err });
    }
  }
  return issued;
}
