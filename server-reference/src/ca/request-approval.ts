/**
 * Approving a stored request: claim it (pending -> approved), issue through the signing core
 * with the profile decided when it was stored, record the serial. A failed issuance puts it
 * back to pending, so an approval can be retried and nothing is half done.
 */
import type { Logger } from '../log.js';
import type { CertificateRequestStore, RequestApprover } from '../store/certificate-requests.js';
import type { CertificateAuthority, IssuedCertificate } from './authority.js';

/** The requester recorded with certificates issued to an account. */
export function accountRequester(accountId: number): string {
  return `account:${accountId}`;
}

/**
 * Approves one of the account's pending requests and issues its certificate.
 * @param approver - who is deciding (default `owner`); a request another approver decides
 *   counts as none, so an owner cannot approve what waits for an operator.
 * @returns the certificate, or `undefined` when the request is not pending (unknown, another
 *   account's, another approver's, already decided, or being approved by a concurrent click).
 * @throws whatever {@link CertificateAuthority.issue} throws (hook refusal, serial trouble); the
 *   request is then pending again.
 * @example
 * const issued = await approveRequest({ ca, requests, logger }, account.id, requestId);
 */
export async function approveRequest(
  deps: { ca: CertificateAuthority; requests: CertificateRequestStore; logger: Logger },
  accountId: number,
  id: string,
  approver: RequestApprover = 'owner',
): Promise<IssuedCertificate | undefined> {
  const record = deps.requests.getOf(accountId, id);
  if (record === undefined || record.approver !== approver || !deps.requests.transition(accountId, id, 'pending', 'approved')) return undefined;
  try {
    const issued = await deps.ca.issue(record.csrPem, { client: accountRequester(accountId), profile: record.profile });
    deps.requests.markIssued(id, issued.serialHex);
    deps.logger.info('pending request approved', { accountId, requestId: id, approver, serial: issued.serialHex });
    return issued;
  } catch (err) {
    deps.requests.transition(accountId, id, 'approved', 'pending');
    throw err;
  }
}
