/**
 * The account rules above the repository: registration (input checks, scrypt hashing of the
 * password and the two answers, the confirmation token and its lifetime), confirmation (the
 * token's shape and digest, the clock) and login (scrypt verification, timing-safe for unknown
 * addresses). The repository ({@link AccountRepository}) only stores the hashes given to it and
 * enforces the unique address and the one-time token.
 */
import { isBearerSecret, newBearerSecret } from './bearer-secret.js';
import type { Account, AccountRepository, ConfirmationRecord } from './account-store.js';
import { ConfirmationInvalidError, CredentialsError, EmailTakenError, NotConfirmedError } from './errors.js';
import { dummyHash, hashSecret, hashToken, SCRYPT_N_DEFAULT, verifySecret } from './password.js';
import { positiveInteger } from './positive-integer.js';
import { cleanRegistration, type RegistrationInput } from './registration-input.js';

/** How long a confirmation link works by default, in milliseconds (24 hours). */
export const CONFIRMATION_LIFETIME_MS_DEFAULT = 24 * 60 * 60_000;

/** Options of {@link AccountService}. */
export interface AccountServiceOptions {
  /** Clock, in ms since the epoch; `Date.now` by default. */
  readonly now?: () => number;
  /** scrypt cost N for new hashes and the dummy hash (see `hashSecret`); default 2^15, tests pass 2^10. */
  readonly scryptN?: number;
  /** Lifetime of a confirmation token, in ms; default {@link CONFIRMATION_LIFETIME_MS_DEFAULT}. */
  readonly confirmationLifetimeMs?: number;
}

/**
 * Registration and login over an {@link AccountRepository}; the other methods pass straight to
 * it, so pages hold one object for accounts.
 *
 * Decision where the issue is silent: `authenticate` answers {@link NotConfirmedError} for a
 * pending account only after the password has been verified, so the distinct code tells nothing
 * to someone without it.
 * @example
 * const accounts = new AccountService(new AccountStore(sql), { scryptN: 2 ** 15 });
 * const { accountId, confirmationToken } = await accounts.register(form);
 */
export class AccountService {
  readonly #repository: AccountRepository;
  readonly #now: () => number;
  readonly #scryptN: number;
  readonly #confirmationLifetimeMs: number;
  /** Verified against when the address is unknown, at the cost of new hashes. */
  readonly #dummyHash: string;

  constructor(repository: AccountRepository, options: AccountServiceOptions = {}) {
    this.#repository = repository;
    this.#now = options.now ?? Date.now;
    this.#scryptN = options.scryptN ?? SCRYPT_N_DEFAULT;
    this.#dummyHash = dummyHash(this.#scryptN);
    this.#confirmationLifetimeMs = positiveInteger(options.confirmationLifetimeMs ?? CONFIRMATION_LIFETIME_MS_DEFAULT, 'confirmationLifetimeMs');
  }

  /**
   * Creates a pending account and its confirmation token.
   *
   * The input is checked by `cleanRegistration` (registration-input.ts: names, address, date of
   * birth, password policy, questions; first failure wins); password and answers are hashed
   * with scrypt before the repository's one transaction.
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
    // Fail fast before spending three scrypt runs; insertPending decides in the database.
    if (await this.#repository.isTaken(clean.email, this.#now())) throw new EmailTakenError('this email address is already registered');
    const hashOptions = { N: this.#scryptN, ...(options.signal ? { signal: options.signal } : {}) };
    const [passwordHash, answer1Hash, answer2Hash] = await Promise.all([
      hashSecret(clean.password, hashOptions),
      hashSecret(clean.answers[0], hashOptions),
      hashSecret(clean.answers[1], hashOptions),
    ]);
    const { secret: confirmationToken, digest: confirmationTokenHash } = newBearerSecret();
    const now = this.#now();
    const accountId = await this.#repository.insertPending({
      email: clean.email,
      firstName: clean.firstName,
      middleName: clean.middleName,
      lastName: clean.lastName,
      dateOfBirth: clean.dateOfBirth,
      questions: clean.questions,
      passwordHash,
      answerHashes: [answer1Hash, answer2Hash],
      confirmationTokenHash,
      confirmationExpiresAtMs: now + this.#confirmationLifetimeMs,
      createdAtMs: now,
    });
    return { accountId, confirmationToken };
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
   * @throws {DOMException} `AbortError` when `options.signal` is aborted.
   * @example
   * const account = await accounts.authenticate('ada@example.org', password);
   */
  async authenticate(email: string, password: string, options: { signal?: AbortSignal } = {}): Promise<Account> {
    const found = await this.#repository.credentialsOf(email);
    const signal = options.signal ? { signal: options.signal } : {};
    if (found === undefined) {
      await verifySecret(typeof password === 'string' ? password : '', this.#dummyHash, signal);
      throw new CredentialsError('the email address or the password is wrong');
    }
    if (!(await verifySecret(password, found.passwordHash, signal))) {
      throw new CredentialsError('the email address or the password is wrong');
    }
    if (found.account.status !== 'active') throw new NotConfirmedError('the email address has not been confirmed yet');
    return found.account;
  }

  /**
   * Finds a confirmation token whatever its state (live, used or expired), for the email ping,
   * which must tell a repeat from an unknown token. Changes nothing.
   * @returns the record, or `undefined` for an unknown or malformed token.
   * @example
   * (await accounts.confirmationOf(token))?.usedAtMs;
   */
  async confirmationOf(token: string): Promise<ConfirmationRecord | undefined> {
    return isBearerSecret(token) ? this.#repository.confirmationOf(hashToken(token)) : undefined;
  }

  /**
   * Confirms an address with the token from the mail: single use, before expiry; activates the
   * account (the repository's one transaction).
   * @throws {ConfirmationInvalidError} `ERR_ACCOUNT_CONFIRMATION_INVALID` for an unknown,
   *   malformed, used or expired token, or an account already active; nothing is changed.
   * @example
   * const { accountId, email } = await accounts.confirmEmail(tokenFromLink);
   */
  async confirmEmail(token: string): Promise<{ accountId: number; email: string }> {
    if (!isBearerSecret(token)) throw new ConfirmationInvalidError('the confirmation link is unknown, used or expired');
    return this.#repository.confirmEmail(hashToken(token), this.#now());
  }

  /** {@link AccountRepository.removeUnconfirmed}: removes a pending account, never an active one. */
  removeUnconfirmed(accountId: number): Promise<boolean> {
    return this.#repository.removeUnconfirmed(accountId);
  }

  /** {@link AccountRepository.get}: an account by id. */
  get(accountId: number): Promise<Account | undefined> {
    return this.#repository.get(accountId);
  }

  /** {@link AccountRepository.findByEmail}: an account by address, in any case. */
  findByEmail(email: string): Promise<Account | undefined> {
    return this.#repository.findByEmail(email);
  }

  /**
   * {@link AccountRepository.setCodeSigning}: an operator's decision.
   * @throws {TypeError} when no account has this id.
   */
  setCodeSigning(accountId: number, allowed: boolean): Promise<void> {
    return this.#repository.setCodeSigning(accountId, allowed);
  }
}
