/**
 * Accounts: registration, email confirmation and login, over the `accounts` and
 * `email_confirmations` tables. No HTTP and no mail here: the registration page calls
 * {@link AccountStore.register} and mails the confirmation token; the link handler calls
 * {@link AccountStore.confirmEmail}.
 */
import { randomBytes } from 'node:crypto';
import { normalizeEmailAddress } from '@certwizard/pki';
import type { Selectable } from 'kysely';
import type { AccountsTable } from '../store/schema.js';
import type { SqlDatabase } from '../store/sqlite-dialect.js';
import { ConfirmationInvalidError, CredentialsError, EmailTakenError, NotConfirmedError } from './errors.js';
import { type CleanRegistration, cleanRegistration, type RegistrationInput } from './registration-input.js';

export {
  type LostPasswordQuestion,
  NAME_MAX_LENGTH,
  normalizeAnswer,
  PASSWORD_MAX_LENGTH,
  PASSWORD_MIN_LENGTH,
  QUESTION_MAX_LENGTH,
  type RegistrationInput,
} from './registration-input.js';
import { hashSecret, hashToken, SCRYPT_N_DEFAULT, verifySecret } from './password.js';

/** How long a confirmation link works by default, in milliseconds (24 hours). */
export const CONFIRMATION_LIFETIME_MS_DEFAULT = 24 * 60 * 60_000;

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

/** Options of {@link AccountStore}. */
export interface AccountStoreOptions {
  /** Clock, in ms since the epoch; `Date.now` by default. */
  readonly now?: () => number;
  /** scrypt cost N for new hashes (see `hashSecret`); tests pass 2^10. */
  readonly scryptN?: number;
  /** Lifetime of a confirmation token, in ms; default {@link CONFIRMATION_LIFETIME_MS_DEFAULT}. */
  readonly confirmationLifetimeMs?: number;
}

type Row = Selectable<AccountsTable>;

/** A confirmation token as this store makes it: 32 bytes, base64url. */
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

/**
 * Repository of accounts and their confirmation tokens.
 *
 * Decisions where the issue is silent:
 * - A pending account blocks its address only while one of its confirmation tokens is live: once
 *   every token has expired unused, a new registration for the address replaces it (in the same
 *   transaction). Otherwise anyone could squat an address they cannot confirm.
 * - `authenticate` answers {@link NotConfirmedError} for a pending account only after the
 *   password has been verified, so the distinct code tells nothing to someone without it.
 */
export class AccountStore {
  readonly #db: SqlDatabase;
  readonly #now: () => number;
  readonly #scryptN: number | undefined;
  readonly #confirmationLifetimeMs: number;
  /**
   * Verified against when the address is unknown. Any well-formed string with the current cost
   * does: verifySecret runs the full scrypt before comparing, and no secret hashes to all zeros.
   */
  readonly #dummyHash: string;

  constructor(db: SqlDatabase, options: AccountStoreOptions = {}) {
    this.#db = db;
    this.#now = options.now ?? Date.now;
    this.#scryptN = options.scryptN;
    this.#dummyHash = `scrypt$${options.scryptN ?? SCRYPT_N_DEFAULT}$8$1$${'A'.repeat(22)}$${'A'.repeat(43)}`;
    const lifetime = options.confirmationLifetimeMs ?? CONFIRMATION_LIFETIME_MS_DEFAULT;
    if (!Number.isSafeInteger(lifetime) || lifetime <= 0) throw new TypeError('confirmationLifetimeMs must be a positive integer');
    this.#confirmationLifetimeMs = lifetime;
  }

  /**
   * Creates a pending account and its confirmation token, in one transaction.
   *
   * The input is checked by `cleanRegistration` (registration-input.ts: names, address, date of
   * birth, password policy, questions; first failure wins); password and answers are hashed
   * with scrypt before the transaction.
   *
   * @returns the new account's id and the confirmation token to mail (32 random bytes,
   *   base64url). Only its SHA-256 is stored: this is the one time it can be read.
   * @throws {AccountInputError} `ERR_ACCOUNT_INVALID`, `field` naming the bad field.
   * @throws {EmailTakenError} `ERR_ACCOUNT_EMAIL_TAKEN` when the address (in any case) belongs to
   *   an active account or to a pending one with a live confirmation token.
   * @example
   * const { accountId, confirmationToken } = await accounts.register({
   *   firstName: 'Ada', lastName: 'Lovelace', email: 'ada@example.org', dateOfBirth: '1815-12-10',
   *   password, questions: [{ question: 'First pet?', answer: 'Rex' }, { question: 'Town?', answer: 'London' }],
   * });
   */
  async register(input: RegistrationInput, options: { signal?: AbortSignal } = {}): Promise<{ accountId: number; confirmationToken: string }> {
    const clean = cleanRegistration(input, this.#now());
    // Fail fast before spending three scrypt runs; the transaction below checks again.
    if (await this.#isTaken(clean.email)) throw new EmailTakenError('this email address is already registered');
    const hashOptions = { ...(this.#scryptN !== undefined ? { N: this.#scryptN } : {}), ...(options.signal ? { signal: options.signal } : {}) };
    const hashes = (await Promise.all([
      hashSecret(clean.password, hashOptions),
      hashSecret(clean.answers[0], hashOptions),
      hashSecret(clean.answers[1], hashOptions),
    ])) as [string, string, string];
    const confirmationToken = randomBytes(32).toString('base64url');
    const accountId = await this.#insert(clean, hashes, hashToken(confirmationToken));
    return { accountId, confirmationToken };
  }

  #insert(clean: CleanRegistration, hashes: [string, string, string], tokenHash: string): Promise<number> {
    return this.#db.transaction().execute(async (trx) => {
      const now = this.#now();
      // A pending account whose every confirmation token expired unused frees its address.
      await trx
        .deleteFrom('accounts')
        .where('email', '=', clean.email)
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
      // between the early check and this insert.
      const inserted = await trx
        .insertInto('accounts')
        .values({
          email: clean.email,
          first_name: clean.firstName,
          middle_name: clean.middleName,
          last_name: clean.lastName,
          date_of_birth: clean.dateOfBirth,
          password_hash: hashes[0],
          question1: clean.questions[0],
          answer1_hash: hashes[1],
          question2: clean.questions[1],
          answer2_hash: hashes[2],
          created_at_ms: now,
        })
        .onConflict((oc) => oc.column('email').doNothing())
        .returning('id')
        .executeTakeFirst();
      if (inserted === undefined) throw new EmailTakenError('this email address is already registered');
      await trx
        .insertInto('email_confirmations')
        .values({ token_hash: tokenHash, account_id: inserted.id, created_at_ms: now, expires_at_ms: now + this.#confirmationLifetimeMs })
        .execute();
      return inserted.id;
    });
  }

  /**
   * Finds a confirmation token whatever its state (live, used or expired), for the email ping,
   * which must tell a repeat from an unknown token. Changes nothing.
   * @returns the record, or `undefined` for an unknown or malformed token.
   * @example
   * (await accounts.confirmationOf(token))?.usedAtMs;
   */
  async confirmationOf(token: string): Promise<ConfirmationRecord | undefined> {
    if (typeof token !== 'string' || !TOKEN_SHAPE.test(token)) return undefined;
    const row = await this.#db
      .selectFrom('email_confirmations as c')
      .innerJoin('accounts as a', 'a.id', 'c.account_id')
      .select(['c.account_id', 'a.email', 'c.expires_at_ms', 'c.used_at_ms'])
      .where('c.token_hash', '=', hashToken(token))
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
   * Confirms an address with the token from the mail: single use, before expiry; activates the
   * account.
   * @throws {ConfirmationInvalidError} `ERR_ACCOUNT_CONFIRMATION_INVALID` for an unknown,
   *   malformed, used or expired token, or an account already active; nothing is changed.
   * @example
   * const { accountId, email } = await accounts.confirmEmail(tokenFromLink);
   */
  async confirmEmail(token: string): Promise<{ accountId: number; email: string }> {
    if (typeof token !== 'string' || !TOKEN_SHAPE.test(token)) {
      throw new ConfirmationInvalidError('the confirmation link is unknown, used or expired');
    }
    const tokenHash = hashToken(token);
    return this.#db.transaction().execute(async (trx) => {
      const now = this.#now();
      const c = await trx.selectFrom('email_confirmations').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
      if (c === undefined || c.used_at_ms !== null || now >= c.expires_at_ms) {
        throw new ConfirmationInvalidError('the confirmation link is unknown, used or expired');
      }
      const account = await trx.selectFrom('accounts').select(['id', 'email', 'status']).where('id', '=', c.account_id).executeTakeFirst();
      if (account === undefined || account.status !== 'pending') {
        throw new ConfirmationInvalidError('the confirmation link is unknown, used or expired');
      }
      await trx.updateTable('email_confirmations').set({ used_at_ms: now }).where('id', '=', c.id).where('used_at_ms', 'is', null).execute();
      await trx.updateTable('accounts').set({ status: 'active', activated_at_ms: now }).where('id', '=', account.id).where('status', '=', 'pending').execute();
      return { accountId: account.id, email: account.email };
    });
  }

  /**
   * Checks an address and password for login.
   *
   * An unknown or malformed address costs one scrypt run too (against a dummy hash), so the time
   * of the answer does not tell whether an account exists.
   *
   * @returns the account, when active and the password matches.
   * @throws {CredentialsError} `ERR_ACCOUNT_CREDENTIALS` for an unknown address or a wrong password.
   * @throws {NotConfirmedError} `ERR_ACCOUNT_NOT_CONFIRMED` for the right password of a pending account.
   * @example
   * const account = await accounts.authenticate('ada@example.org', password);
   */
  async authenticate(email: string, password: string, options: { signal?: AbortSignal } = {}): Promise<Account> {
    const row = await this.#rowByEmail(email);
    const signal = options.signal ? { signal: options.signal } : {};
    if (row === undefined) {
      await verifySecret(typeof password === 'string' ? password : '', this.#dummyHash, signal);
      throw new CredentialsError('the email address or the password is wrong');
    }
    if (!(await verifySecret(password, row.password_hash, signal))) {
      throw new CredentialsError('the email address or the password is wrong');
    }
    if (row.status !== 'active') throw new NotConfirmedError('the email address has not been confirmed yet');
    return fromRow(row);
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

  async #isTaken(email: string): Promise<boolean> {
    const row = await this.#byEmail(email);
    if (row === undefined) return false;
    if (row.status === 'active') return true;
    const live = await this.#db
      .selectFrom('email_confirmations')
      .select('id')
      .where('account_id', '=', row.id)
      .where('used_at_ms', 'is', null)
      .where('expires_at_ms', '>', this.#now())
      .executeTakeFirst();
    return live !== undefined;
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
