/**
 * The registration hand-off kept with a pending account, over `registration_handoffs`:
 * the `continue` and `error` URLs and the PKCE challenge the registration page was opened with.
 *
 * Why beside the ticket: a registration may come without a ticket (the callback path alone), and
 * a ticket may expire before the mail is confirmed; the confirmation page still needs the
 * continue link, and a code must still be issued for the challenge. With a ticket, the ticket
 * store gets the same values (`attach`) and issues the code; this row then only serves the links.
 */
import type { Db } from '../store/database.js';
import { hashToken } from './password.js';

/** What the registration page was opened with, already validated. */
export interface Handoff {
  readonly continueUrl?: string;
  readonly errorUrl?: string;
  /** RFC 7636 §4.2 S256 challenge. */
  readonly codeChallenge?: string;
}

/**
 * Repository of hand-offs, one per pending account; taken (read and deleted) on confirmation.
 * @example
 * handoffs.save(accountId, { continueUrl, codeChallenge });
 * const handoff = handoffs.take(accountId);
 */
export class HandoffStore {
  readonly #now: () => number;
  readonly #upsert;
  readonly #get;
  readonly #delete;
  readonly #confirmationAccount;

  constructor(db: Db, options: { now?: () => number } = {}) {
    this.#now = options.now ?? Date.now;
    this.#upsert = db.prepare(`INSERT INTO registration_handoffs (account_id, continue_url, error_url, code_challenge, created_at_ms)
      VALUES (?, ?, ?, ?, ?) ON CONFLICT (account_id) DO UPDATE SET continue_url = excluded.continue_url,
      error_url = excluded.error_url, code_challenge = excluded.code_challenge, created_at_ms = excluded.created_at_ms`);
    this.#get = db.prepare('SELECT * FROM registration_handoffs WHERE account_id = ?');
    this.#delete = db.prepare('DELETE FROM registration_handoffs WHERE account_id = ?');
    this.#confirmationAccount = db.prepare('SELECT account_id FROM email_confirmations WHERE token_hash = ?');
  }

  /** Stores the hand-off of a new pending account; nothing is stored when it is empty. */
  save(accountId: number, handoff: Handoff): void {
    if (handoff.continueUrl === undefined && handoff.errorUrl === undefined && handoff.codeChallenge === undefined) return;
    this.#upsert.run(accountId, handoff.continueUrl ?? null, handoff.errorUrl ?? null, handoff.codeChallenge ?? null, this.#now());
  }

  /** The account's hand-off, left in place. */
  get(accountId: number): Handoff | undefined {
    const row = this.#get.get(accountId) as { continue_url: string | null; error_url: string | null; code_challenge: string | null } | undefined;
    if (row === undefined) return undefined;
    return {
      ...(row.continue_url !== null ? { continueUrl: row.continue_url } : {}),
      ...(row.error_url !== null ? { errorUrl: row.error_url } : {}),
      ...(row.code_challenge !== null ? { codeChallenge: row.code_challenge } : {}),
    };
  }

  /** The account's hand-off, deleted: a challenge yields one code, once. */
  take(accountId: number): Handoff | undefined {
    const handoff = this.get(accountId);
    this.#delete.run(accountId);
    return handoff;
  }

  /**
   * Which account a confirmation token was issued to, even when it is used or expired, so a
   * failed confirmation can still fail the account's ticket. `undefined` for an unknown token.
   */
  accountOfConfirmationToken(token: string): number | undefined {
    if (typeof token !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(token)) return undefined;
    return (this.#confirmationAccount.get(hashToken(token)) as { account_id: number } | undefined)?.account_id;
  }
}
