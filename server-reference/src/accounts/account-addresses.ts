/**
 * The addresses an account may certify: its registration address (confirmed when the account
 * was activated) and the additional confirmed addresses of the `account_addresses` table.
 * Issue 5 adds addresses through the email ping; until then only {@link AccountAddressStore.addConfirmed}
 * (operators, tests) writes the table.
 */
import { normalizeEmailAddress } from '@certwizard/pki';
import type { Db } from '../store/database.js';
import type { Account } from './account-store.js';

/** Repository of an account's confirmed addresses. */
export class AccountAddressStore {
  readonly #now: () => number;
  readonly #list;
  readonly #insert;

  constructor(db: Db, options: { now?: () => number } = {}) {
    this.#now = options.now ?? Date.now;
    this.#list = db.prepare('SELECT email FROM account_addresses WHERE account_id = ? ORDER BY id');
    this.#insert = db.prepare('INSERT OR IGNORE INTO account_addresses (account_id, email, confirmed_at_ms) VALUES (?, ?, ?)');
  }

  /**
   * The account's confirmed addresses: none for an account that is not active (its address is
   * not confirmed yet); otherwise the registration address first, then the others in the order
   * they were confirmed, each once (compared case-insensitively).
   * @example
   * addresses.confirmedOf(account); // ['ada@example.org', 'a.l@example.net']
   */
  confirmedOf(account: Account): string[] {
    if (account.status !== 'active') return [];
    const out = [account.email];
    for (const { email } of this.#list.all(account.id) as { email: string }[]) {
      if (!out.some((e) => e.toLowerCase() === email.toLowerCase())) out.push(email);
    }
    return out;
  }

  /**
   * Records an additional confirmed address; recording one again changes nothing.
   * @throws {InvalidNameError} `ERR_PKI_INVALID_NAME` for a malformed address.
   * @example
   * addresses.addConfirmed(account.id, 'a.l@example.net');
   */
  addConfirmed(accountId: number, email: string): void {
    this.#insert.run(accountId, normalizeEmailAddress(email), this.#now());
  }
}
