/**
 * The registration hand-off kept with a pending account, over `registration_handoffs`:
 * the `continue` and `error` URLs, the PKCE challenge and the SHA-256 of the `PingNonce` the
 * registration page was opened with.
 *
 * Why beside the ticket: a registration may come without a ticket (the callback path alone), and
 * a ticket may expire before the mail is confirmed; the confirmation page still needs the
 * continue link, and a code must still be issued for the challenge. With a ticket, the ticket
 * store gets the same values (`attach`) and issues the code; this row then only serves the links.
 *
 * The nonce digest is why a row may outlive the confirmation: the installer's mail server may
 * repeat its confirmation (a lost answer), and the email ping answers a repeat with the same
 * nonce as a success and any other nonce as a mismatch, which needs the digest afterwards.
 */
import { isValidPingNonce, isValidUserCode } from '@certwizard/protocol';
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
 * Who started the registration, for the person who is asked to confirm it (RFC 8628 §5.4): the
 * user code their installer shows, when and from where the flow began. Absent for hand-offs
 * made before migration 9.
 */
export interface HandoffOrigin {
  /** The ticket's user code; absent when the registration came without a ticket. */
  readonly userCode?: string;
  /** When the flow began (the ticket was asked for, or else the form was sent), in ms since the epoch. */
  readonly startedAtMs?: number;
  /** The address that began it, as the CA saw it. */
  readonly startedFrom?: string;
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
  readonly #clearOneTime;
  readonly #confirmationAccount;

  constructor(db: Db, options: { now?: () => number } = {}) {
    this.#now = options.now ?? Date.now;
    this.#upsert = db.prepare(`INSERT INTO registration_handoffs (account_id, continue_url, error_url, code_challenge, ping_nonce_hash, created_at_ms,
      user_code, started_at_ms, started_from)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (account_id) DO UPDATE SET continue_url = excluded.continue_url,
      error_url = excluded.error_url, code_challenge = excluded.code_challenge, ping_nonce_hash = excluded.ping_nonce_hash,
      created_at_ms = excluded.created_at_ms, user_code = excluded.user_code, started_at_ms = excluded.started_at_ms,
      started_from = excluded.started_from`);
    this.#get = db.prepare('SELECT * FROM registration_handoffs WHERE account_id = ?');
    this.#delete = db.prepare('DELETE FROM registration_handoffs WHERE account_id = ? AND ping_nonce_hash IS NULL');
    this.#clearOneTime = db.prepare('UPDATE registration_handoffs SET continue_url = NULL, error_url = NULL, code_challenge = NULL WHERE account_id = ?');
    this.#confirmationAccount = db.prepare('SELECT account_id FROM email_confirmations WHERE token_hash = ?');
  }

  /**
   * Stores the hand-off of a new pending account, with who started it; nothing is stored when
   * it is empty. Of `pingNonce` only the SHA-256 is stored.
   * @throws {TypeError} for a malformed `pingNonce` or `userCode` (the caller checks them first).
   */
  save(accountId: number, handoff: Handoff & HandoffOrigin & { readonly pingNonce?: string }): void {
    const { continueUrl, errorUrl, codeChallenge, pingNonce, userCode, startedAtMs, startedFrom } = handoff;
    if ([continueUrl, errorUrl, codeChallenge, pingNonce, userCode, startedAtMs, startedFrom].every((v) => v === undefined)) return;
    if (pingNonce !== undefined && !isValidPingNonce(pingNonce)) throw new TypeError('pingNonce must be 22 to 128 base64url characters');
    if (userCode !== undefined && !isValidUserCode(userCode)) throw new TypeError('userCode must be a user code');
    this.#upsert.run(
      accountId,
      continueUrl ?? null,
      errorUrl ?? null,
      codeChallenge ?? null,
      pingNonce !== undefined ? hashToken(pingNonce) : null,
      this.#now(),
      userCode ?? null,
      startedAtMs ?? null,
      startedFrom ?? null,
    );
  }

  /**
   * Who started the account's registration, for the confirmation pages; `{}` when nothing is known.
   * @example
   * handoffs.originOf(accountId).userCode; // 'WDJB-MJHT'
   */
  originOf(accountId: number): HandoffOrigin {
    const row = this.#get.get(accountId) as { user_code: string | null; started_at_ms: number | null; started_from: string | null } | undefined;
    if (row === undefined) return {};
    return {
      ...(row.user_code !== null ? { userCode: row.user_code } : {}),
      ...(row.started_at_ms !== null ? { startedAtMs: row.started_at_ms } : {}),
      ...(row.started_from !== null ? { startedFrom: row.started_from } : {}),
    };
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

  /**
   * The account's hand-off, removed: a challenge yields one code, once. A row holding a nonce
   * digest keeps only that (see the class comment); any other row is deleted.
   */
  take(accountId: number): Handoff | undefined {
    const handoff = this.get(accountId);
    this.#delete.run(accountId);
    this.#clearOneTime.run(accountId);
    return handoff;
  }

  /**
   * SHA-256 (hex) of the account's registration `PingNonce`, before and after confirmation;
   * `undefined` when the registration carried none.
   * @example
   * handoffs.pingNonceHashOf(accountId);
   */
  pingNonceHashOf(accountId: number): string | undefined {
    return (this.#get.get(accountId) as { ping_nonce_hash: string | null } | undefined)?.ping_nonce_hash ?? undefined;
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
