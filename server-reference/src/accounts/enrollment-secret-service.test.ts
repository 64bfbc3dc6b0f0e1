import { beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../store/database.js';
import { snapshotTables, useTempDatabase } from '../store/test-support/snapshot.js';
import { AccountService } from './account-service.js';
import { AccountStore } from './account-store.js';
import { ENROLLMENT_SECRET_LIFETIME_MS_DEFAULT, EnrollmentSecretService } from './enrollment-secret-service.js';
import { EnrollmentSecretStore } from './enrollment-secrets.js';
import { hashToken } from './password.js';
import { refusal } from './test-support/refusal.js';
import { registerAccount } from './test-support/register-account.js';

const T0 = Date.UTC(2030, 0, 1);
const DAY = 24 * 60 * 60_000;

let db: Db;
const temp = useTempDatabase('certwizard-enrollment-secrets-');
let clock: number;
let secrets: EnrollmentSecretService;
let accountId: number;
beforeEach(async () => {
  db = temp.db;
  clock = T0;
  const now = () => clock;
  secrets = new EnrollmentSecretService(new EnrollmentSecretStore(temp.sql), { now });
  accountId = await registerAccount(new AccountService(new AccountStore(temp.sql), { now, scryptN: 2 ** 10 }));
});

describe('EnrollmentSecretService', () => {
  it('makes a secret living 24 hours, stored as its SHA-256 only, found by peek without using it', async () => {
    const { secret, expiresAtMs } = await secrets.create(accountId);
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(expiresAtMs).toBe(T0 + ENROLLMENT_SECRET_LIFETIME_MS_DEFAULT);
    expect(ENROLLMENT_SECRET_LIFETIME_MS_DEFAULT).toBe(DAY);
    expect(snapshotTables(db).enrollment_secrets).toEqual([
      { id: 1, secret_hash: hashToken(secret), account_id: accountId, created_at_ms: T0, expires_at_ms: T0 + DAY, used_at_ms: null },
    ]);
    const before = snapshotTables(db);
    expect(await secrets.peek(secret)).toEqual({ id: 1, accountId });
    expect(snapshotTables(db)).toEqual(before);
  });

  it('is used once: a second consume is refused and changes nothing; release makes it usable again', async () => {
    const { secret } = await secrets.create(accountId);
    const { id } = await secrets.peek(secret);
    clock += 1000;
    await secrets.consume(id);
    expect(db.prepare('SELECT used_at_ms FROM enrollment_secrets').get()).toEqual({ used_at_ms: T0 + 1000 });
    const before = snapshotTables(db);
    expect((await refusal(() => secrets.consume(id))).code).toBe('ERR_ENROLLMENT_SECRET_INVALID');
    expect((await refusal(() => secrets.peek(secret))).code).toBe('ERR_ENROLLMENT_SECRET_INVALID');
    expect(snapshotTables(db)).toEqual(before);
    await secrets.release(id);
    expect(await secrets.peek(secret)).toEqual({ id, accountId });
  });

  it('lets exactly one of two concurrent consumes win (the guarded update decides)', async () => {
    const { id } = await secrets.peek((await secrets.create(accountId)).secret);
    const results = await Promise.allSettled([secrets.consume(id), secrets.consume(id)]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(results.find((r) => r.status === 'rejected')).toMatchObject({ reason: { code: 'ERR_ENROLLMENT_SECRET_INVALID' } });
  });

  it('refuses a secret at its expiry instant, to peek and to consume, changing nothing', async () => {
    const { secret } = await secrets.create(accountId);
    const { id } = await secrets.peek(secret);
    clock = T0 + DAY;
    const before = snapshotTables(db);
    expect((await refusal(() => secrets.peek(secret))).code).toBe('ERR_ENROLLMENT_SECRET_INVALID');
    expect((await refusal(() => secrets.consume(id))).code).toBe('ERR_ENROLLMENT_SECRET_INVALID');
    expect(snapshotTables(db)).toEqual(before);
  });

  it.each([
    { name: 'unknown', secret: 'A'.repeat(43) },
    { name: 'malformed', secret: 'short' },
    { name: 'not a string', secret: undefined },
  ])('refuses an $name secret with ERR_ENROLLMENT_SECRET_INVALID, its message free of it', async ({ secret }) => {
    await secrets.create(accountId);
    const err = await refusal(() => secrets.peek(secret as string));
    expect(err.code).toBe('ERR_ENROLLMENT_SECRET_INVALID');
    if (secret !== undefined) expect(err.message).not.toContain(secret);
  });

  it('honours the lifetimeMs option and refuses one that is not a positive integer', async () => {
    const short = new EnrollmentSecretService(new EnrollmentSecretStore(temp.sql), { now: () => clock, lifetimeMs: 60_000 });
    expect((await short.create(accountId)).expiresAtMs).toBe(T0 + 60_000);
    for (const lifetimeMs of [0, -5, 2.5]) expect(() => new EnrollmentSecretService(new EnrollmentSecretStore(temp.sql), { lifetimeMs })).toThrow(TypeError);
  });
});

describe('EnrollmentSecretStore (the repository alone)', () => {
  it('stores the digest and times it is given, and decides liveness at the time given', async () => {
    const store = new EnrollmentSecretStore(temp.sql);
    await store.insert({ secretHash: 'e'.repeat(64), accountId, createdAtMs: 10, expiresAtMs: 20 });
    expect(await store.findLive('e'.repeat(64), 19)).toEqual({ id: 1, accountId });
    expect(await store.findLive('e'.repeat(64), 20)).toBeUndefined();
    expect(await store.consume(1, 20)).toBe(false);
    expect(await store.consume(1, 19)).toBe(true);
    expect(await store.consume(1, 19)).toBe(false);
    expect(db.prepare('SELECT used_at_ms FROM enrollment_secrets').get()).toEqual({ used_at_ms: 19 });
  });
});
