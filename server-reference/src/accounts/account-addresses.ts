/**
 * The addresses an account may certify: its registration address (confirmed when the account
 * was activated) and the additional confirmed addresses of the `account_addresses` table.
 * Issue 5 adds addresses through the email ping; until then only {@link AccountAddressStore.addConfirmed}
 * (operators, tests) writes the table.
 */
import { normalizeEmailAddress } from '@certwizard/pki';
import type { SqlDatabase } from '../store/sqlite-dialect.js';
import type { Account } from './account-store.js';

/**
 * Storage of an account's additional confirmed addresses. Contract: an address is recorded once
 * per account (a unique constraint; recording it again changes nothing).
 */
export interface AccountAddressRepository {
  /**
   * The account's confirmed addresses: none for an account that is not active; otherwise the
   * registration address first, then the others in the order they were confirmed, each once.
   */
  confirmedOf(account: Account): Promise<string[]>;
  /**
   * Records an additional confirmed address; recording one again changes nothing.
   * @throws {InvalidNameError} `ERR_PKI_INVALID_NAME` for a malformed address.
   */
  addConfirmed(accountId: number, email: string): Promise<void>;
  /**
   * Forgets a confirmed address (compared case-insensitively), as when its owner gave it up:
   * `cemails` no longer lists it, and nothing more is certified for it. `false` when the account
   * had no such recorded address (its registration address is the account's, not recorded here).
   */
  removeConfirmed(accountId: number, email: string): Promise<boolean>;
}

/** The SQLite implementation of {@link AccountAddressRepository}. */
export class AccountAddressStore implements AccountAddressRepository {
  readonly #db: SqlDatabase;
  readonly #now: () => number;

  constructor(db: SqlDatabase, options: { now?: () => number } = {}) {
    this.#db = db;
    this.#now = options.now ?? Date.now;
  }

  /**
   * The account's confirmed addresses: none for an account that is not active (its address is
   * not confirmed yet); otherwise the registration address first, then the others in the order
   * they were confirmed, each once (compared case-insensitively).
   * @example
   * await addresses.confirmedOf(account); // ['ada@example.org', 'a.l@example.net']
   */
  async confirmedOf(account: Account): Promise<string[]> {
    if (account.status !== 'active') return [];
    const out = [account.email];
    const rows = await this.#db.selectFrom('account_addresses').select('email').where('account_id', '=', account.id).orderBy('id').execute();
    for (const { email } of rows) {
      if (!out.some((e) => e.toLowerCase() === email.toLowerCase())) out.push(email);
    }
    return out;
  }

  /**
   * Records an additional confirmed address; recording one again changes nothing.
   * @throws {InvalidNameError} `ERR_PKI_INVALID_NAME` for a malformed address.
   * @example
   * await addresses.addConfirmed(account.id, 'a.l@example.net');
   */
  async addConfirmed(accountId: number, email: string): Promise<void> {
    await insertConfirmedAddress(this.#db, accountId, email, this.#now());
  }

  /**
   * Forgets a confirmed address; one statement, so two CA processes removing it at once remove it once.
   * @example
   * await addresses.removeConfirmed(account.id, 'a.l@example.net'); // true
   */
  async removeConfirmed(accountId: number, email: string): Promise<boolean> {
    const result = await this.#db
      .deleteFrom('account_addresses')
      .where('account_id', '=', accountId)
      .where((eb) => eb(eb.fn('lower', ['email']), '=', email.toLowerCase()))
      .executeTakeFirst();
    return result.numDeletedRows > 0n;
  }
}

/**
 * Inserts a confirmed address unless the account has it already; shared with the address ping
 * store, which adds the address in the transaction that uses the ping.
 * @throws {InvalidNameError} `ERR_PKI_INVALID_NAME` for a malformed address.
 */
export async function insertConfirmedAddress(db: SqlDatabase, accountId: number, email: string, now: number): Promise<void> {
  await db
    .insertInto('account_addresses')
    .values({ account_id: accountId, email: normalizeEmailAddress(email), confirmed_at_ms: now })
    .onConflict((oc) => oc.columns(['account_id', 'email']).doNothing())
    .execute();
}
