/**
 * The rules of a registration, apart from storage: the password policy and how each field of the
 * registration form is cleaned and checked (names, address, date of birth, lost-password
 * questions). The account store persists what {@link cleanRegistration} returns, hashed.
 */
import { InvalidNameError, normalizeEmailAddress } from '@certwizard/pki';
import { BIDI_CONTROLS } from './bidi-controls.js';
import { AccountInputError, type AccountField } from './errors.js';

/**
 * Password policy, after NIST SP 800-63B §5.1.1.2: length is what counts, so at least 10
 * characters (Unicode code points) and no composition rules; at most 1024 so a request cannot
 * make the hashing read megabytes; and not the account's own address (the first thing an
 * attacker tries), compared case-insensitively.
 */
export const PASSWORD_MIN_LENGTH = 10;
/** Upper bound of a password, in code points; see {@link PASSWORD_MIN_LENGTH}. */
export const PASSWORD_MAX_LENGTH = 1024;
/** Upper bound of a first, middle or last name, in code points. */
export const NAME_MAX_LENGTH = 64;
/** Upper bound of a lost-password question or answer, in code points. */
export const QUESTION_MAX_LENGTH = 200;

/** A lost-password question and its answer, as entered. */
export interface LostPasswordQuestion {
  readonly question: string;
  /** A secret like the password: hashed, never logged. */
  readonly answer: string;
}

/** What the registration form sends. */
export interface RegistrationInput {
  readonly firstName: string;
  /** Optional; empty or blank counts as absent. */
  readonly middleName?: string;
  readonly lastName: string;
  readonly email: string;
  /** ISO 8601 calendar date, `YYYY-MM-DD`. */
  readonly dateOfBirth: string;
  readonly password: string;
  /** The form's second password field; checked when given. */
  readonly passwordConfirmation?: string;
  readonly questions: readonly [LostPasswordQuestion, LostPasswordQuestion];
}

/** Validated, normalised registration values, hashes not yet computed. */
export interface CleanRegistration {
  firstName: string;
  middleName: string | null;
  lastName: string;
  email: string;
  dateOfBirth: string;
  password: string;
  questions: [string, string];
  answers: [string, string];
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
/**
 * Refused in names and questions: C0/C1 controls and lone surrogates; the bidirectional controls
 * ({@link BIDI_CONTROLS}) are refused with their own message. Other format characters stay
 * allowed: ZWNJ/ZWJ are part of correct spelling in Persian and Indic scripts.
 */
const FORBIDDEN_CHARS = /[\p{Cc}\p{Cs}]/u;

/**
 * Checks and normalises what the registration form sent (first failure wins, in this order):
 * names (first and last required, middle optional; trimmed, 1 to 64 code points, no control or
 * bidirectional control characters), email (`normalizeEmailAddress`: domain lower-cased), date
 * of birth (a real `YYYY-MM-DD` date from 1900-01-01 to yesterday, UTC), password (see
 * {@link PASSWORD_MIN_LENGTH}; equal to `passwordConfirmation` when that is given), questions
 * (two, different, 1 to 200 code points; answers non-empty after {@link normalizeAnswer}).
 * Pure: no storage, no hashing.
 * @param nowMs - today, for the date of birth.
 * @throws {AccountInputError} `ERR_ACCOUNT_INVALID`, `field` naming the bad field.
 * @throws {TypeError} when `input` is not an object (caller misuse).
 * @example
 * const clean = cleanRegistration(form, Date.now());
 */
export function cleanRegistration(input: RegistrationInput, nowMs: number): CleanRegistration {
  if (input === null || typeof input !== 'object') throw new TypeError('the registration input must be an object');
  const firstName = cleanName(input.firstName, 'firstName', true) as string;
  const middleName = cleanName(input.middleName, 'middleName', false);
  const lastName = cleanName(input.lastName, 'lastName', true) as string;
  let email: string;
  try {
    email = normalizeEmailAddress(typeof input.email === 'string' ? input.email.trim() : (input.email as string));
  } catch (err) {
    if (!(err instanceof InvalidNameError)) throw err;
    // The pki message quotes the address; ours does not, so it can go into logs as it is.
    throw new AccountInputError('email', 'the email address is not valid', { cause: err });
  }
  const dateOfBirth = cleanDate(input.dateOfBirth, nowMs);
  const password = input.password;
  if (typeof password !== 'string') throw new AccountInputError('password', 'a password is required');
  const length = [...password].length;
  if (length < PASSWORD_MIN_LENGTH) throw new AccountInputError('password', `the password must have at least ${PASSWORD_MIN_LENGTH} characters`);
  if (length > PASSWORD_MAX_LENGTH) throw new AccountInputError('password', `the password must have at most ${PASSWORD_MAX_LENGTH} characters`);
  if (password.trim().toLowerCase() === email.toLowerCase()) {
    throw new AccountInputError('password', 'the password must not be the email address');
  }
  if (input.passwordConfirmation !== undefined && input.passwordConfirmation !== password) {
    throw new AccountInputError('passwordConfirmation', 'the two passwords differ');
  }
  const qs = input.questions;
  if (!Array.isArray(qs) || qs.length !== 2) throw new AccountInputError('questions', 'two lost-password questions are required');
  const questions = qs.map((q: LostPasswordQuestion) => cleanText(q?.question, 'questions', 'a lost-password question')) as [string, string];
  if (questions[0].toLowerCase() === questions[1].toLowerCase()) {
    throw new AccountInputError('questions', 'the two lost-password questions must differ');
  }
  const answers = qs.map((q: LostPasswordQuestion) => {
    const a = typeof q?.answer === 'string' ? normalizeAnswer(q.answer) : '';
    if (a === '') throw new AccountInputError('questions', 'each lost-password question needs an answer');
    if ([...a].length > QUESTION_MAX_LENGTH) throw new AccountInputError('questions', `an answer must have at most ${QUESTION_MAX_LENGTH} characters`);
    return a;
  }) as [string, string];
  return { firstName, middleName, lastName, email, dateOfBirth, password, questions, answers };
}

/**
 * Normalises a lost-password answer before hashing, so that "  Rex " and "rex" match later:
 * NFKC, whitespace runs collapsed to one space, trimmed, case-folded (`toLowerCase`, locale-free).
 * @example
 * normalizeAnswer('  Big   REX '); // 'big rex'
 */
export function normalizeAnswer(answer: string): string {
  return answer.normalize('NFKC').replace(/\s+/gu, ' ').trim().toLowerCase();
}

function cleanName(value: unknown, field: AccountField, required: boolean): string | null {
  if (value === undefined || value === null || (typeof value === 'string' && value.trim() === '')) {
    if (required) throw new AccountInputError(field, 'this name is required');
    return null;
  }
  return cleanText(value, field, 'a name', NAME_MAX_LENGTH);
}

function cleanText(value: unknown, field: AccountField, what: string, max = QUESTION_MAX_LENGTH): string {
  if (typeof value !== 'string') throw new AccountInputError(field, `${what} is required`);
  const text = value.normalize('NFC').trim();
  if (text === '') throw new AccountInputError(field, `${what} is required`);
  // With the u flag, \p{Cs} matches only lone surrogates, which no text encoding can carry.
  if (FORBIDDEN_CHARS.test(text)) throw new AccountInputError(field, `${what} must not contain control characters`);
  if (BIDI_CONTROLS.test(text)) {
    throw new AccountInputError(
      field,
      `${what} must not contain bidirectional control characters (such as U+202E or U+200F): they change how the text around them displays`,
    );
  }
  if ([...text].length > max) throw new AccountInputError(field, `${what} must have at most ${max} characters`);
  return text;
}

function cleanDate(value: unknown, nowMs: number): string {
  const m = typeof value === 'string' ? ISO_DATE.exec(value) : null;
  if (!m) throw new AccountInputError('dateOfBirth', 'the date of birth must be a date written YYYY-MM-DD');
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const ms = Date.UTC(year, month - 1, day);
  const date = new Date(ms);
  // Date.UTC rolls 2023-02-30 over to March: a round trip catches impossible dates.
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) {
    throw new AccountInputError('dateOfBirth', 'the date of birth is not a real date');
  }
  // 1900 catches typed years like 0199 or 1099 while leaving every living person in range.
  const today = new Date(nowMs).toISOString().slice(0, 10);
  if (year < 1900 || (value as string) >= today) {
    throw new AccountInputError('dateOfBirth', 'the date of birth must be in the past, from 1900 on');
  }
  return value as string;
}
