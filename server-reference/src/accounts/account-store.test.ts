import { beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../store/database.js';
import { AccountService } from './account-service.js';
import { AccountStore, normalizeAnswer, type RegistrationInput } from './account-store.js';
import { hashToken, verifySecret } from './password.js';
import { snapshotTables, useTempDatabase } from '../store/test-support/snapshot.js';

const N = 2 ** 10;
const DAY = 24 * 60 * 60_000;
const T0 = Date.UTC(2025, 5, 1, 12, 0, 0);

let db: Db;
const temp = useTempDatabase('certwizard-accounts-');
let clock: number;
let store: AccountService;
beforeEach(async () => {
  db = temp.db;
  clock = T0;
  store = new AccountService(new AccountStore(temp.sql), { now: () => clock, scryptN: N });
});

const snapshot = () => snapshotTables(db);

const PASSWORD = 'a long enough passphrase';
const input = (over: Partial<RegistrationInput> = {}): RegistrationInput => ({
  firstName: 'Ada',
  lastName: 'Lovelace',
  email: 'Ada@Example.ORG',
  dateOfBirth: '1990-12-10',
  password: PASSWORD,
  questions: [
    { question: 'First pet?', answer: '  Big   REX ' },
    { question: 'Home town?', answer: 'London' },
  ],
  ...over,
});

describe('AccountService.register', () => {
  it('stores a pending account with hashed secrets and only the hash of the confirmation token', async () => {
    const { accountId, confirmationToken } = await store.register(input({ middleName: '  ' }));
    expect(confirmationToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const row = db.prepare('SELECT * FROM accounts WHERE id = ?').get(accountId) as Record<string, unknown>;
    expect(row).toMatchObject({
      email: 'Ada@example.org', // domain lower-cased, local part kept
      first_name: 'Ada',
      middle_name: null,
      status: 'pending',
      created_at_ms: T0,
      activated_at_ms: null,
    });
    expect(JSON.stringify(row)).not.toContain(PASSWORD);
    // Hash columns are random base64url and may spell "rex" by chance: look at the others only.
    const plainColumns = Object.values(row).filter((v) => typeof v !== 'string' || !v.startsWith('scrypt$'));
    expect(JSON.stringify(plainColumns).toLowerCase()).not.toContain('rex');
    expect(row.answer1_hash).toMatch(/^scrypt\$/);
    expect(await verifySecret(PASSWORD, row.password_hash as string)).toBe(true);
    // Answers are hashed after normalisation, so a differently spaced and cased answer matches.
    expect(await verifySecret(normalizeAnswer('big rex'), row.answer1_hash as string)).toBe(true);
    const confirmations = db.prepare('SELECT * FROM email_confirmations').all();
    expect(confirmations).toEqual([
      { id: 1, token_hash: hashToken(confirmationToken), account_id: accountId, created_at_ms: T0, expires_at_ms: T0 + DAY, used_at_ms: null },
    ]);
    expect(await store.get(accountId)).toEqual({
      id: accountId,
      email: 'Ada@example.org',
      firstName: 'Ada',
      lastName: 'Lovelace',
      dateOfBirth: '1990-12-10',
      questions: ['First pet?', 'Home town?'],
      status: 'pending',
      codeSigning: false,
      createdAtMs: T0,
    });
  });

  it('honours the confirmationLifetimeMs option', async () => {
    const short = new AccountService(new AccountStore(temp.sql), { now: () => clock, scryptN: N, confirmationLifetimeMs: 60_000 });
    await short.register(input());
    expect(db.prepare('SELECT expires_at_ms FROM email_confirmations').get()).toEqual({ expires_at_ms: T0 + 60_000 });
  });

  const invalid: { name: string; over: Partial<RegistrationInput>; field: string }[] = [
    { name: 'empty first name', over: { firstName: '   ' }, field: 'firstName' },
    { name: 'missing last name', over: { lastName: undefined as unknown as string }, field: 'lastName' },
    { name: 'name of 65 characters', over: { lastName: 'x'.repeat(65) }, field: 'lastName' },
    { name: 'control character in a name', over: { firstName: 'Ada\u0007' }, field: 'firstName' },
    { name: 'bidi override in a name', over: { middleName: 'evil\u202Eeman' }, field: 'middleName' },
    { name: 'left-to-right embedding (U+202A) in a name', over: { firstName: 'Ada\u202A' }, field: 'firstName' },
    { name: 'first strong isolate (U+2068) in a name', over: { lastName: 'Love\u2068lace' }, field: 'lastName' },
    { name: 'pop directional isolate (U+2069) in a name', over: { lastName: 'Lovelace\u2069' }, field: 'lastName' },
    { name: 'right-to-left mark (U+200F) in a name', over: { lastName: 'Lovelace\u200F' }, field: 'lastName' },
    { name: 'left-to-right mark (U+200E) in a name', over: { firstName: '\u200EAda' }, field: 'firstName' },
    { name: 'Arabic letter mark (U+061C) in a name', over: { middleName: 'B\u061C' }, field: 'middleName' },
    {
      name: 'right-to-left mark in a lost-password question',
      over: {
        questions: [
          { question: 'Pet?\u200F', answer: 'a' },
          { question: 'Town?', answer: 'b' },
        ],
      },
      field: 'questions',
    },
    { name: 'lone surrogate in a name', over: { firstName: 'A\uD800' }, field: 'firstName' },
    { name: 'address without a domain', over: { email: 'ada@' }, field: 'email' },
    { name: 'address with a space', over: { email: 'a da@example.org' }, field: 'email' },
    { name: 'address not a string', over: { email: 7 as unknown as string }, field: 'email' },
    { name: 'date not in ISO form', over: { dateOfBirth: '10.12.1990' }, field: 'dateOfBirth' },
    { name: 'date with one-digit month', over: { dateOfBirth: '1990-1-10' }, field: 'dateOfBirth' },
    { name: 'impossible date', over: { dateOfBirth: '1990-02-30' }, field: 'dateOfBirth' },
    { name: 'date before 1900', over: { dateOfBirth: '1899-12-31' }, field: 'dateOfBirth' },
    { name: 'date of birth today', over: { dateOfBirth: '2025-06-01' }, field: 'dateOfBirth' },
    { name: 'date of birth in the future', over: { dateOfBirth: '2030-01-01' }, field: 'dateOfBirth' },
    { name: 'password of 9 characters', over: { password: 'nine char' }, field: 'password' },
    { name: 'password equal to the address', over: { password: 'ADA@example.org' }, field: 'password' },
    { name: 'password of 1025 characters', over: { password: 'p'.repeat(1025) }, field: 'password' },
    { name: 'passwords differ', over: { passwordConfirmation: `${PASSWORD}!` }, field: 'passwordConfirmation' },
    { name: 'one question only', over: { questions: [{ question: 'a?', answer: 'b' }] as unknown as RegistrationInput['questions'] }, field: 'questions' },
    {
      name: 'the same question twice',
      over: {
        questions: [
          { question: 'Pet?', answer: 'a' },
          { question: 'PET?', answer: 'b' },
        ],
      },
      field: 'questions',
    },
    {
      name: 'a blank answer',
      over: {
        questions: [
          { question: 'Pet?', answer: ' \t ' },
          { question: 'Town?', answer: 'b' },
        ],
      },
      field: 'questions',
    },
    {
      name: 'an empty question',
      over: {
        questions: [
          { question: '', answer: 'a' },
          { question: 'Town?', answer: 'b' },
        ],
      },
      field: 'questions',
    },
  ];
  it.each(invalid)('refuses $name with ERR_ACCOUNT_INVALID on $field and stores nothing', async ({ over, field }) => {
    const before = snapshot();
    const err = await store.register(input(over)).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ERR_ACCOUNT_INVALID', field, name: 'AccountInputError' });
    const message = (err as Error).message;
    for (const secret of [PASSWORD, over.password, 'rex', 'London'].filter((s): s is string => typeof s === 'string' && s !== '')) {
      expect(message.toLowerCase()).not.toContain(secret.toLowerCase());
    }
    expect(snapshot()).toEqual(before);
  });

  it('refuses an address already registered in another case, storing nothing', async () => {
    await store.register(input());
    const before = snapshot();
    await expect(store.register(input({ email: 'ADA@EXAMPLE.org', firstName: 'Other' }))).rejects.toMatchObject({
      code: 'ERR_ACCOUNT_EMAIL_TAKEN',
    });
    expect(snapshot()).toEqual(before);
  });

  it('lets exactly one of two concurrent registrations of an address win (the UNIQUE index decides)', async () => {
    const results = await Promise.allSettled([store.register(input()), store.register(input({ email: 'ada@example.org' }))]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(results.find((r) => r.status === 'rejected')).toMatchObject({ reason: { code: 'ERR_ACCOUNT_EMAIL_TAKEN' } });
    expect(snapshot().accounts).toHaveLength(1);
    expect(snapshot().email_confirmations).toHaveLength(1);
  });

  it('replaces a pending account whose confirmation expired unused (no squatting on an address)', async () => {
    const first = await store.register(input());
    clock = T0 + DAY - 1;
    await expect(store.register(input())).rejects.toMatchObject({ code: 'ERR_ACCOUNT_EMAIL_TAKEN' });
    clock = T0 + DAY;
    const second = await store.register(input({ firstName: 'Second' }));
    expect(await store.get(first.accountId)).toBeUndefined();
    expect((await store.get(second.accountId))?.firstName).toBe('Second');
    expect(snapshot().email_confirmations).toHaveLength(1);
    await expect(store.confirmEmail(first.confirmationToken)).rejects.toThrow(expect.objectContaining({ code: 'ERR_ACCOUNT_CONFIRMATION_INVALID' }));
  });

  it('never replaces an active account, however old', async () => {
    const { confirmationToken } = await store.register(input());
    await store.confirmEmail(confirmationToken);
    clock = T0 + 400 * DAY;
    const before = snapshot();
    await expect(store.register(input())).rejects.toMatchObject({ code: 'ERR_ACCOUNT_EMAIL_TAKEN' });
    expect(snapshot()).toEqual(before);
  });
});

describe('AccountService.confirmEmail', () => {
  it('activates the account once; a second use changes nothing', async () => {
    const { accountId, confirmationToken } = await store.register(input());
    clock = T0 + 5000;
    expect(await store.confirmEmail(confirmationToken)).toEqual({ accountId, email: 'Ada@example.org' });
    expect(await store.get(accountId)).toMatchObject({ status: 'active', activatedAtMs: T0 + 5000 });
    expect(db.prepare('SELECT used_at_ms FROM email_confirmations').get()).toEqual({ used_at_ms: T0 + 5000 });
    const before = snapshot();
    clock += 1;
    await expect(store.confirmEmail(confirmationToken)).rejects.toThrow(expect.objectContaining({ code: 'ERR_ACCOUNT_CONFIRMATION_INVALID' }));
    expect(snapshot()).toEqual(before);
  });

  it('refuses a token at its expiry instant, changing nothing', async () => {
    const { confirmationToken } = await store.register(input());
    clock = T0 + DAY;
    const before = snapshot();
    const err = await (async () => {
      try {
        await store.confirmEmail(confirmationToken);
      } catch (e) {
        return e as Error & { code: string };
      }
    })();
    expect(err?.code).toBe('ERR_ACCOUNT_CONFIRMATION_INVALID');
    expect(err?.message).not.toContain(confirmationToken);
    expect(snapshot()).toEqual(before);
  });

  it.each([
    { name: 'unknown', token: 'A'.repeat(43) },
    { name: 'too short', token: 'abc' },
    { name: 'not base64url', token: `${'A'.repeat(42)}+` },
    { name: 'not a string', token: undefined },
  ])('refuses an $name token, changing nothing', async ({ token }) => {
    await store.register(input());
    const before = snapshot();
    await expect(store.confirmEmail(token as string)).rejects.toThrow(expect.objectContaining({ code: 'ERR_ACCOUNT_CONFIRMATION_INVALID' }));
    expect(snapshot()).toEqual(before);
  });
});

describe('AccountService.authenticate', () => {
  async function active(): Promise<number> {
    const { accountId, confirmationToken } = await store.register(input());
    await store.confirmEmail(confirmationToken);
    return accountId;
  }

  it('logs in with the address in any case and the right password', async () => {
    const id = await active();
    const account = await store.authenticate('ada@EXAMPLE.org', PASSWORD);
    expect(account).toMatchObject({ id, status: 'active' });
    expect(Object.keys(account).join()).not.toMatch(/hash|password|answer/i);
  });

  it.each([
    { name: 'a wrong password', email: 'Ada@example.org', password: 'not the password' },
    { name: 'an unknown address', email: 'nobody@example.org', password: PASSWORD },
    { name: 'a malformed address', email: 'not an address', password: PASSWORD },
  ])('answers ERR_ACCOUNT_CREDENTIALS for $name, changing nothing', async ({ email, password }) => {
    await active();
    const before = snapshot();
    const err = await store.authenticate(email, password).catch((e: unknown) => e as Error & { code: string });
    expect(err).toMatchObject({ code: 'ERR_ACCOUNT_CREDENTIALS' });
    expect((err as Error).message).not.toContain(password);
    expect(snapshot()).toEqual(before);
  });

  it('tells a pending account apart only when the password is right', async () => {
    await store.register(input());
    await expect(store.authenticate('Ada@example.org', PASSWORD)).rejects.toMatchObject({ code: 'ERR_ACCOUNT_NOT_CONFIRMED' });
    await expect(store.authenticate('Ada@example.org', 'wrong password!')).rejects.toMatchObject({ code: 'ERR_ACCOUNT_CREDENTIALS' });
  });

  it('runs the scrypt check for an unknown or malformed address too (no account-existence timing oracle)', async () => {
    // Deterministic probe instead of a stopwatch: with an aborted signal, a lookup that goes on
    // to verify a password against a (dummy) hash rejects as aborted; one that short-circuited on
    // "no such account" would reject with ERR_ACCOUNT_CREDENTIALS instead.
    const { confirmationToken } = await store.register(input());
    await store.confirmEmail(confirmationToken);
    const aborted = AbortSignal.abort(new Error('probe'));
    for (const email of ['Ada@example.org', 'nobody@example.org', 'not an address']) {
      await expect(store.authenticate(email, 'wrong password!', { signal: aborted }), email).rejects.toThrow('probe');
    }
    await expect(store.authenticate('nobody@example.org', 'wrong password!')).rejects.toMatchObject({
      code: 'ERR_ACCOUNT_CREDENTIALS',
    });
  });
});

describe('AccountStore lookups', () => {
  it('finds by id and by address in any case; undefined for unknown or malformed', async () => {
    const { accountId } = await store.register(input());
    expect((await store.findByEmail('ADA@example.ORG'))?.id).toBe(accountId);
    expect((await store.findByEmail('ada@example.org'))?.id).toBe(accountId); // NOCASE: the local part too
    expect(await store.findByEmail('nobody@example.org')).toBeUndefined();
    expect(await store.findByEmail('@@')).toBeUndefined();
    expect(await store.get(accountId + 1)).toBeUndefined();
  });
});

describe('AccountStore (the repository alone)', () => {
  const record = {
    email: 'ada@example.org',
    firstName: 'Ada',
    middleName: null,
    lastName: 'Lovelace',
    dateOfBirth: '1990-12-10',
    questions: ['q1', 'q2'] as const,
    passwordHash: 'scrypt$given-password-hash',
    answerHashes: ['scrypt$given-answer-1', 'scrypt$given-answer-2'] as const,
    confirmationTokenHash: 'c'.repeat(64),
    confirmationExpiresAtMs: T0 + 1000,
    createdAtMs: T0,
  };

  it('stores the hashes it is given as they are, and hands the password hash back only through credentialsOf', async () => {
    const repository = new AccountStore(temp.sql);
    const id = await repository.insertPending(record);
    expect(db.prepare('SELECT password_hash, answer1_hash, answer2_hash FROM accounts WHERE id = ?').get(id)).toEqual({
      password_hash: 'scrypt$given-password-hash',
      answer1_hash: 'scrypt$given-answer-1',
      answer2_hash: 'scrypt$given-answer-2',
    });
    expect(db.prepare('SELECT token_hash, expires_at_ms FROM email_confirmations').all()).toEqual([{ token_hash: 'c'.repeat(64), expires_at_ms: T0 + 1000 }]);
    expect(await repository.credentialsOf('ADA@example.org')).toMatchObject({ account: { id, status: 'pending' }, passwordHash: 'scrypt$given-password-hash' });
    expect(await repository.credentialsOf('not an address')).toBeUndefined();
    await expect(repository.insertPending({ ...record, email: 'ADA@example.org' })).rejects.toMatchObject({ code: 'ERR_ACCOUNT_EMAIL_TAKEN' });
  });

  it('looks a confirmation token up by the digest given and decides its expiry at the time given, not by a clock of its own', async () => {
    const repository = new AccountStore(temp.sql);
    const id = await repository.insertPending(record);
    expect(await repository.isTaken('ada@example.org', T0 + 999)).toBe(true);
    expect(await repository.isTaken('ada@example.org', T0 + 1000)).toBe(false);
    expect(await repository.confirmationOf('c'.repeat(64))).toEqual({ accountId: id, email: 'ada@example.org', expiresAtMs: T0 + 1000 });
    expect(await repository.confirmationOf('d'.repeat(64))).toBeUndefined();
    const before = snapshot();
    await expect(repository.confirmEmail('c'.repeat(64), T0 + 1000)).rejects.toMatchObject({ code: 'ERR_ACCOUNT_CONFIRMATION_INVALID' });
    expect(snapshot()).toEqual(before);
    expect(await repository.confirmEmail('c'.repeat(64), T0 + 999)).toEqual({ accountId: id, email: 'ada@example.org' });
    expect(await repository.get(id)).toMatchObject({ status: 'active', createdAtMs: T0, activatedAtMs: T0 + 999 });
  });
});

describe('migration 2 constraints', () => {
  it('refuses rows that break the CHECKs, whatever code writes them', async () => {
    const insert = (dob: string, status: string, activated: number | null) =>
      db
        .prepare(
          `INSERT INTO accounts (email, first_name, last_name, date_of_birth, password_hash, question1, answer1_hash, question2, answer2_hash, status, created_at_ms, activated_at_ms)
          VALUES ('a@b.example', 'A', 'B', ?, 'scrypt$x', 'q1', 'scrypt$x', 'q2', 'scrypt$x', ?, 0, ?)`,
        )
        .run(dob, status, activated);
    expect(() => insert('1990-02-30', 'pending', null)).toThrow(expect.objectContaining({ code: 'SQLITE_CONSTRAINT_CHECK' }));
    expect(() => insert('1990-02-03', 'active', null)).toThrow(expect.objectContaining({ code: 'SQLITE_CONSTRAINT_CHECK' }));
    expect(() => insert('1990-02-03', 'deleted', null)).toThrow(expect.objectContaining({ code: 'SQLITE_CONSTRAINT_CHECK' }));
    expect(() => insert('1990-02-03', 'pending', null)).not.toThrow();
    expect(() =>
      db.prepare('INSERT INTO email_confirmations (token_hash, account_id, created_at_ms, expires_at_ms) VALUES (?, 999, 0, 1)').run('a'.repeat(64)),
    ).toThrow(expect.objectContaining({ code: 'SQLITE_CONSTRAINT_FOREIGNKEY' }));
  });
});
