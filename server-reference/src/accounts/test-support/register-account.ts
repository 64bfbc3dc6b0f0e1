/** Test support for the account service: an account registered with fixed values. */
import type { AccountService } from '../account-service.js';

/**
 * Registers Ada Lovelace under `email` (default `ada@example.org`) and, unless `confirm` is
 * false, confirms the address, so the account is active.
 * @returns the account's id.
 */
export async function registerAccount(accounts: AccountService, options: { email?: string; confirm?: boolean } = {}): Promise<number> {
  const { accountId, confirmationToken } = await accounts.register({
    firstName: 'Ada',
    lastName: 'Lovelace',
    email: options.email ?? 'ada@example.org',
    dateOfBirth: '1990-12-10',
    password: 'a long enough passphrase',
    questions: [
      { question: 'Pet?', answer: 'rex' },
      { question: 'Town?', answer: 'london' },
    ],
  });
  if (options.confirm !== false) await accounts.confirmEmail(confirmationToken);
  return accountId;
}
