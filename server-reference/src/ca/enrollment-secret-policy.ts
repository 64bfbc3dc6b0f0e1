/**
 * The policy of `POST /api/enroll` (Dogtag's shared-token enrollment): the owner made a one-time
 * secret for one request, so the secret is the approval. The request must name exactly one
 * address, a confirmed one of the account; it gets the ccsr S/MIME profile under the account's
 * first name form, without code signing, at once, and the secret is used up by the issuance
 * (given back when nothing was issued).
 */
import type { Account } from '../accounts/account-store.js';
import type { EnrollmentSecretService } from '../accounts/enrollment-secret-service.js';
import { EnrollmentSecretInvalidError } from '../accounts/errors.js';
import { addressesOnly, decideEmailCertificate, nameForms } from './email-certificate-policy.js';
import { refuse } from './refusal.js';
import type { OneTimeCredential, SubmissionPolicy } from './submission-policy.js';

/**
 * The policy for one enrollment with the secret `secretId` (found, not yet used) of `account`.
 * @param confirmed - the account's confirmed addresses.
 * @example
 * const found = secrets.peek(secret);
 * await service.submit(pem, requester, enrollmentSecretPolicy(account, confirmed, { secrets, secretId: found.id }));
 */
export function enrollmentSecretPolicy(
  account: Pick<Account, 'firstName' | 'middleName' | 'lastName' | 'codeSigning'>,
  confirmed: readonly string[],
  secret: { readonly secrets: Pick<EnrollmentSecretService, 'consume' | 'release'>; readonly secretId: number },
): SubmissionPolicy {
  const spends: OneTimeCredential = {
    take: async () => {
      try {
        await secret.secrets.consume(secret.secretId);
        return true;
      } catch (err) {
        if (err instanceof EnrollmentSecretInvalidError) return false;
        throw err;
      }
    },
    giveBack: async () => {
      await secret.secrets.release(secret.secretId);
    },
  };
  return {
    name: 'enrollment_secret',
    // The secret is checked before the request is looked at: a resent request finds it used.
    answersReplays: false,
    spends,
    decide: (csr) => {
      const addresses = addressesOnly(csr);
      if (addresses === undefined || addresses.size !== 1) {
        return refuse('names_unsuitable', 'the request must name exactly one address and no DNS name or IP');
      }
      const decision = decideEmailCertificate(account, confirmed, {
        email: [...addresses][0] as string,
        name: nameForms(account)[0] as string,
        codeSigning: false,
      });
      return !decision.ok ? decision : { action: 'issue', profile: decision.profile };
    },
  };
}
