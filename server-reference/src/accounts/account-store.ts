/**
 * Accounts: the repository of the `accounts` and `email_confirmations` tables. It persists what
 * it is given (the hashes, the confirmation token's digest and expiry, and the time, are made by
 * `AccountService`, account-service.ts) and enforces the one-time rules in the database: the address is unique case-insensitively (a `UNIQUE NOCASE`
 * index), and a confirmation token confirms once (a guarded update in one transaction).
 */
import { normalizeEmailAddress } from '@certwizard/pki';
import type { Selectable } from 'kysely';
import type { AccountsTable } from '../store/schema.js';
import type { SqlDatabase } from '../store/sqlite-dialect.js';
import { ConfirmationInvalidError, EmailTakenError } from './errors.js';

export {
  type LostPasswordQuestion,
  NAME_MAX_LENGTH,
  normalizeAnswer,
  PASSWORD_MAX_LENGTH,
  PASSWORD_MIN_LENGTH,
  QUESTION_MAX_LENGTH,
  type RegistrationInput,
} from './registration-input.js';

/** An account as the rest of the CA sees it: never a hash. */
export interface Account {
  readonly id: number;
  /** The normalised address (domain in lower case, local part as registered). */
  readonly email: string;
  readonly firstName: string;
  readonly middleName?: string;
  readonly lastName: string;
  readonly dateOfBirth: string;
  /** The two lost-password questions (the answers are hashed and not readable). */
  readonly questions: readonly [string, string];
  readonly status: 'pending' | 'active';
  /** Whether the account may ask for code signing certificates (`CS=1`); set by an operator, default false. */
  readonly codeSigning: boolean;
  readonly createdAtMs: number;
  readonly activatedAtMs?: number;
}

/**
 * A confirmation token as the email ping sees it: found even when used or expired, so that a
 * machine's repeat can be told from a stranger's guess. Never holds the token.
 */
export interface ConfirmationRecord {
  readonly accountId: number;
  /** The account's address: what the token confirms. */
  readonly email: string;
  readonly expiresAtMs: number;
  readonly usedAtMs?: number;
}

/** A pending account as {@link AccountRepository.insertPending} stores it: checked values and hashes only. */
export interface PendingAccountRecord {
  /** The normalised address (`normalizeEmailAddress`). */
  readonly email: string;
  readonly firstName: string;
  readonly middleName: string | null;
  readonly lastName: string;
  /** `YYYY-MM-DD`. */
  readonly dateOfBirth: string;
  readonly questions: readonly [string, string];
  /** The password's `hashSecret` string; the password itself never reaches the repository. */
  readonly passwordHash: string;
  /** The two answers' `hashSecret` strings, in the order of `questions`. */
  readonly answerHashes: readonly [string, string];
  /** `hashToken` of the confirmation token that is mailed. */
  readonly confirmationTokenHash: string;
  /** When the confirmation token stops working, in ms since the epoch. */
  readonly confirmationExpiresAtMs: number;
  /** Now, in ms since the epoch: the account's creation time, and the instant at which tokens count as live. */
  readonly createdAtMs: number;
}

/** An account with its stored password hash, for the one caller that verifies it (`AccountService.authenticate`). */
export interface AccountCredentials {
  readonly account: Account;
  /** The stored `hashSecret` string. */
  readonly passwordHash: string;
}

/**
 * Storage of accounts and their confirmation tokens. It holds no policy: input checks, hashing,
 * the confirmation token and its lifetime, and the clock are the caller's (`AccountService`).
 * Contract, for every implementation:
 * - An address belongs to one account, compared case-insensitively; the database decides between
 *   two concurrent registrations (a unique index, not a read before the write).
 * - A pending account blocks its address only while one of its confirmation tokens is live (unused
 *   and unexpired); once every token has expired unused, a new registration replaces it, in the
 *   same transaction as the insert. Otherwise anyone could squat an address they cannot confirm.
 * - A confirmation token confirms once, before it expires, and only a pending account: marking it
 *   used and activating the account is one transaction whose updates are guarded by those states.
 * - Only the digest of a confirmation token is stored, and looked up; the token never reaches it.
 * - Reads of an account never return a hash, except {@link AccountRepository.credentialsOf}.
 */
export interface AccountRepository {
  /**
   * Whether a registration for this normalised address would be refused at `nowMs`: an active
   * account has it, or a pending one with a confirmation token live then. A hint to fail fast
   * before hashing; {@link AccountRepository.insertPending} decides.
   */
  isTaken(email: string, nowMs: number): Promise<boolean>;
  /**
   * Stores a pending account and its confirmation token in one transaction, first deleting a
   * pending account for the address whose every token expired unused.
   * @returns the new account's id.
   * @throws {EmailTakenError} `ERR_ACCOUNT_EMAIL_TAKEN` when the address (in any case) is held.
   */
  insertPending(record: PendingAccountRecord): Promise<number>;
  /**
   * Finds a confirmation token by its digest, whatever its state (live, used or expired).
   * Changes nothing.
   * @returns the record, or `undefined` for an unknown digest.
   */
  confirmationOf(tokenHash: string): Promise<ConfirmationRecord | undefined>;
  /**
   * Uses the confirmation token with this digest at `nowMs` and activates its account, in one
   * transaction: single use, before expiry, only a pending account.
   * @throws {ConfirmationInvalidError} `ERR_ACCOUNT_CONFIRMATION_INVALID` for an unknown, used or
   *   expired token, or an account already active; nothing is changed.
   */
  confirmEmail(tokenHash: string, nowMs: number): Promise<{ accountId: number; email: string }>;
  /**
   * The account and its password hash, by address in any case; `undefined` for an unknown or
   * malformed address. Whatever the status: the caller decides what a pending account may do.
   */
  credentialsOf(email: string): Promise<AccountCredentials | undefined>;
  /**
   * Removes an account that was never confirmed, with what hangs on it; never an active account.
   * @returns whether an account was removed.
   */
  removeUnconfirmed(accountId: number): Promise<boolean>;
  /** Finds an account by id. */
  get(accountId: number): Promise<Account | undefined>;
  /** Finds an account by address, in any case; `undefined` also for a malformed address. */
  findByEmail(email: string): Promise<Account | undefined>;
  /**
   * Grants or withdraws code signing (`CS=1` in cemails).
   * @throws {TypeError} when no account has this id (caller misuse).
   */
  setCodeSigning(accountId: number, allowed: boolean): Promise<void>;
}

type Row = Selectable<AccountsTable>;

/**
 * The SQLite implementation of {@link AccountRepository}.
 * @example
 * const accounts = new AccountService(new AccountStore(sql), { scryptN });
 */
export class AccountStore implements AccountRepository {
  readonly #db: SqlDatabase;

  constructor(db: SqlDatabase) {
    this.#db = db;
  }

  /**
   * Whether an active account, or a pending one with a confirmation token live at `nowMs`, holds the address.
   * @param email - normalised.
   * @example
   * if (await accounts.isTaken('ada@example.org', Date.now())) refuse();
   */
  async isTaken(email: string, nowMs: number): Promise<boolean> {
    const row = await this.#byEmail(email);
    if (row === undefined) return false;
    if (row.status === 'active') return true;
    const live = await this.#db
      .selectFrom('email_confirmations')
      .select('id')
      .where('account_id', '=', row.id)
      .where('used_at_ms', 'is', null)
      .where('expires_at_ms', '>', nowMs)
      .executeTakeFirst();
    return live !== undefined;
  }

  /**
   * Stores a pending account and its confirmation token, in one transaction.
   * @throws {EmailTakenError} `ERR_ACCOUNT_EMAIL_TAKEN` when the address (in any case) is held.
   * @example
   * const accountId = await accounts.insertPending({ ...clean, passwordHash, answerHashes, confirmationTokenHash, confirmationExpiresAtMs, createdAtMs });
   */
  insertPending(record: PendingAccountRecord): Promise<number> {
    return this.#db.transaction().execute(async (trx) => {
      const now = record.createdAtMs;
      // A pending account whose every confirmation token expired unused frees its address.
      await trx
        .deleteFrom('accounts')
        .where('email', '=', record.email)
        .where('status', '=', 'pending')
        .where(({ not, exists, selectFrom }) =>
          not(
            exists(
              selectFrom('email_confirmations as c')
                .select('c.id')
                .whereRef('c.account_id', '=', 'accounts.id')
                .where('c.used_at_ms', 'is', null)
                .where('c.expires_at_ms', '>', now),
            ),
          ),
        )
        .execute();
      // The UNIQUE NOCASE index is the authority: a concurrent registration may have won
      // between the caller's early check and this insert.
      const inserted = await trx
        .insertInto('accounts')
        .values({
          email: record.email,
          first_name: record.firstName,
          middle_name: record.middleName,
          last_name: record.lastName,
          date_of_birth: record.dateOfBirth,
          password_hash: record.passwordHash,
          question1: record.questions[0],
          answer1_hash: record.answerHashes[0],
          question2: record.questions[1],
          answer2_hash: record.answerHashes[1],
          created_at_ms: now,
        })
        .onConflict((oc) => oc.column('email').doNothing())
        .returning('id')
        .executeTakeFirst();
      if (inserted === undefined) throw new EmailTakenError('this email address is already registered');
      await trx
        .insertInto('email_confirmations')
        .values({ token_hash: record.confirmationTokenHash, account_id: inserted.id, created_at_ms: now, expires_at_ms: record.confirmationExpiresAtMs })
        .execute();
      return inserted.id;
    });
  }

  /**
   * Finds a confirmation token whatever its state (live, used or expired), for the email ping,
   * which must tell a repeat from an unknown token. Changes nothing.
   * @returns the record, or `undefined` for an unknown digest.
   * @example
   * (await accounts.confirmationOf(hashToken(token)))?.usedAtMs;
   */
  async confirmationOf(tokenHash: string): Promise<ConfirmationRecord | undefined> {
    const row = await this.#db
      .selectFrom('email_confirmations as c')
      .innerJoin('accounts as a', 'a.id', 'c.account_id')
      .select(['c.account_id', 'a.email', 'c.expires_at_ms', 'c.used_at_ms'])
      .where('c.token_hash', '=', tokenHash)
      .executeTakeFirst();
    if (row === undefined) return undefined;
    return {
      accountId: row.account_id,
      email: row.email,
      expiresAtMs: row.expires_at_ms,
      ...(row.used_at_ms !== null ? { usedAtMs: row.used_at_ms } : {}),
    };
  }

  /**
   * Uses a confirmation token at `nowMs` and activates its account, in one transaction.
   * @throws {ConfirmationInvalidError} `ERR_ACCOUNT_CONFIRMATION_INVALID` for an unknown, used or
   *   expired token, or an account already active; nothing is changed.
   * @example
   * const { accountId, email } = await accounts.confirmEmail(hashToken(tokenFromLink), Date.now());
   */
  confirmEmail(tokenHash: string, nowMs: number): Promise<{ accountId: number; email: string }> {
    return this.#db.transaction().execute(async (trx) => {
      const c = await trx.selectFrom('email_confirmations').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
      if (c === undefined || c.used_at_ms !== null || nowMs >= c.expires_at_ms) {
        throw new ConfirmationInvalidError('the confirmation link is unknown, used or expired');
      }
      const account = await trx.selectFrom('accounts').select(['id', 'email', 'status']).where('id', '=', c.account_id).executeTakeFirst();
      if (account === undefined || account.status !== 'pending') {
        throw new ConfirmationInvalidError('the confirmation link is unknown, used or expired');
      }
      await trx.updateTable('email_confirmations').set({ used_at_ms: nowMs }).where('id', '=', c.id).where('used_at_ms', 'is', null).execute();
      await trx
        .updateTable('accounts')
        .set({ status: 'active', activated_at_ms: nowMs })
        .where('id', '=', account.id)
        .where('status', '=', 'pending')
        .execute();
      return { accountId: account.id, email: account.email };
    });
  }

  /**
   * The account and its stored password hash, by address in any case, whatever its status.
   * @example
   * const found = await accounts.credentialsOf('ada@example.org');
   */
  async credentialsOf(email: string): Promise<AccountCredentials | undefined> {
    const row = await this.#rowByEmail(email);
    return row ? { account: fromRow(row), passwordHash: row.password_hash } : undefined;
  }

  /**
   * Removes an account that was never confirmed, with what hangs on it (confirmation tokens,
   * hand-off, kept requests: ON DELETE CASCADE; its ticket is set free). For a registration whose
   * confirmation mail could not be sent: the address must not stay taken by an account nobody can
   * confirm. An active account is never removed.
   * @returns whether an account was removed.
   * @example
   * await accounts.removeUnconfirmed(accountId);
   */
  async removeUnconfirmed(accountId: number): Promise<boolean> {
    const result = await this.#db.deleteFrom('accounts').where('id', '=', accountId).where('status', '=', 'pending').executeTakeFirst();
    return result.numDeletedRows === 1n;
  }

  /**
   * Finds an account by id.
   * @example
   * (await accounts.get(1))?.email;
   */
  async get(accountId: number): Promise<Account | undefined> {
    const row = await this.#db.selectFrom('accounts').selectAll().where('id', '=', accountId).executeTakeFirst();
    return row ? fromRow(row) : undefined;
  }

  /**
   * Finds an account by address, in any case; `undefined` also for a malformed address, under
   * which nothing can be stored.
   * @example
   * (await accounts.findByEmail('ADA@Example.org'))?.id;
   */
  async findByEmail(email: string): Promise<Account | undefined> {
    const row = await this.#rowByEmail(email);
    return row ? fromRow(row) : undefined;
  }

  /**
   * Grants or withdraws code signing (`CS=1` in cemails). An operator's decision: no page of the
   * account area calls this.
   * @throws {TypeError} when no account has this id (caller misuse).
   * @example
   * await accounts.setCodeSigning(account.id, true);
   */
  async setCodeSigning(accountId: number, allowed: boolean): Promise<void> {
    const result = await this.#db
      .updateTable('accounts')
      .set({ code_signing: allowed ? 1 : 0 })
      .where('id', '=', accountId)
      .executeTakeFirst();
    if (result.numUpdatedRows !== 1n) throw new TypeError(`no account with id ${accountId}`);
  }

  async #rowByEmail(email: string): Promise<Row | undefined> {
    let normalized: string;
    try {
      normalized = normalizeEmailAddress(email);
    } catch {
      return undefined;
    }
    return this.#byEmail(normalized);
  }

  #byEmail(email: string): Promise<Row | undefined> {
    return this.#db.selectFrom('accounts').selectAll().where('email', '=', email).executeTakeFirst();
  }
}

function fromRow(r: Row): Account {
  return {
    id: r.id,
    email: r.email,
    firstName: r.first_name,
    ...(r.middle_name !== null ? { middleName: r.middle_name } : {}),
    lastName: r.last_name,
    dateOfBirth: r.date_of_birth,
    questions: [r.question1, r.question2],
    status: r.status,
    codeSigning: r.code_signing === 1,
    createdAtMs: r.created_at_ms,
    ...(r.activated_at_ms !== null ? { activatedAtMs: r.activated_at_ms } : {}),
  };
}
