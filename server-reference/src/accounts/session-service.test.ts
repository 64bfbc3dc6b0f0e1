import { beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../store/database.js';
import { snapshotTables, useTempDatabase } from '../store/test-support/snapshot.js';
import { AccountService } from './account-service.js';
import { AccountStore } from './account-store.js';
import { OperatorService } from './operator-service.js';
import { OperatorStore } from './operator-store.js';
import { hashToken } from './password.js';
import { SESSION_LIFETIME_MS_DEFAULT, SessionService } from './session-service.js';
import { SessionStore } from './session-store.js';
import { registerAccount } from './test-support/register-account.js';

const T0 = Date.UTC(2030, 0, 1);
const HOUR = 60 * 60_000;

let db: Db;
const temp = useTempDatabase('certwizard-sessions-');
let clock: number;
let sessions: SessionService;
let accountId: number;
beforeEach(async () => {
  db = temp.db;
  clock = T0;
  const now = () => clock;
  sessions = new SessionService(new SessionStore(temp.sql), { now });
  accountId = await registerAccount(new AccountService(new AccountStore(temp.sql), { now, scryptN: 2 ** 10 }));
});

describe('SessionService', () => {
  it('opens a session living 8 hours, stored under the SHA-256 of its id only, with its own CSRF token', async () => {
    const { sessionId, csrfToken, expiresAtMs } = await sessions.create(accountId);
    expect(sessionId).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(csrfToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(csrfToken).not.toBe(sessionId);
    expect(expiresAtMs).toBe(T0 + SESSION_LIFETIME_MS_DEFAULT);
    expect(SESSION_LIFETIME_MS_DEFAULT).toBe(8 * HOUR);
    expect(snapshotTables(db).sessions).toEqual([
      { id_hash: hashToken(sessionId), account_id: accountId, csrf_token: csrfToken, created_at_ms: T0, expires_at_ms: expiresAtMs },
    ]);
    expect(JSON.stringify(snapshotTables(db))).not.toContain(sessionId);
    expect(await sessions.get(sessionId)).toEqual({ accountId, csrfToken, expiresAtMs });
    expect((await sessions.create(accountId)).sessionId).not.toBe(sessionId);
  });

  it('finds a session until its expiry instant, not at it (a fixed lifetime from login, no sliding renewal)', async () => {
    const { sessionId } = await sessions.create(accountId);
    clock = T0 + 8 * HOUR - 1;
    expect(await sessions.get(sessionId)).toBeDefined();
    clock = T0 + 8 * HOUR;
    expect(await sessions.get(sessionId)).toBeUndefined();
  });

  it.each([
    { name: 'absent', id: undefined },
    { name: 'unknown', id: 'A'.repeat(43) },
    { name: 'malformed', id: 'not a session' },
    { name: 'not a string', id: 7 as unknown as string },
  ])('finds nothing for an $name id', async ({ id }) => {
    await sessions.create(accountId);
    expect(await sessions.get(id)).toBeUndefined();
  });

  it('ends a session on logout; unknown and malformed ids change nothing', async () => {
    const { sessionId } = await sessions.create(accountId);
    const other = await sessions.create(accountId);
    const before = snapshotTables(db);
    await sessions.delete('A'.repeat(43));
    await sessions.delete('../etc');
    expect(snapshotTables(db)).toEqual(before);
    await sessions.delete(sessionId);
    expect(await sessions.get(sessionId)).toBeUndefined();
    expect(await sessions.get(other.sessionId)).toBeDefined();
  });

  it('purges the sessions expired by its clock, and only those', async () => {
    const old = await sessions.create(accountId);
    clock = T0 + HOUR;
    const fresh = await sessions.create(accountId);
    clock = T0 + 8 * HOUR;
    expect(await sessions.purgeExpired()).toBe(1);
    expect(snapshotTables(db).sessions).toEqual([expect.objectContaining({ id_hash: hashToken(fresh.sessionId) })]);
    expect(await sessions.get(old.sessionId)).toBeUndefined();
  });

  it('honours the lifetimeMs option and refuses one that is not a positive integer', async () => {
    const short = new SessionService(new SessionStore(temp.sql), { now: () => clock, lifetimeMs: 60_000 });
    expect((await short.create(accountId)).expiresAtMs).toBe(T0 + 60_000);
    for (const lifetimeMs of [0, -1, 1.5, Number.NaN]) {
      expect(() => new SessionService(new SessionStore(temp.sql), { lifetimeMs })).toThrow(TypeError);
    }
  });

  it("keeps operators' sessions in their own table", async () => {
    const operator = await new OperatorService(new OperatorStore(temp.sql), { scryptN: 2 ** 10 }).create('ops@ca.example', 'operator password');
    const operatorSessions = new SessionService(new SessionStore(temp.sql, { table: 'operator_sessions' }), { now: () => clock });
    const { sessionId } = await operatorSessions.create(operator.id);
    expect(snapshotTables(db).operator_sessions).toHaveLength(1);
    expect(snapshotTables(db).sessions).toEqual([]);
    expect(await sessions.get(sessionId)).toBeUndefined();
    expect((await operatorSessions.get(sessionId))?.accountId).toBe(operator.id);
    expect(() => new SessionStore(temp.sql, { table: 'accounts' as 'sessions' })).toThrow(TypeError);
  });
});

describe('SessionStore (the repository alone)', () => {
  it('stores the digest, token and times it is given, and filters on the time given', async () => {
    const store = new SessionStore(temp.sql);
    const record = { idHash: 'a'.repeat(64), accountId, csrfToken: 'c'.repeat(43), createdAtMs: 10, expiresAtMs: 20 };
    await store.insert(record);
    expect(snapshotTables(db).sessions).toEqual([
      { id_hash: 'a'.repeat(64), account_id: accountId, csrf_token: 'c'.repeat(43), created_at_ms: 10, expires_at_ms: 20 },
    ]);
    expect(await store.find('a'.repeat(64), 19)).toEqual({ accountId, csrfToken: 'c'.repeat(43), expiresAtMs: 20 });
    expect(await store.find('a'.repeat(64), 20)).toBeUndefined();
    expect(await store.purgeExpired(19)).toBe(0);
    expect(await store.purgeExpired(20)).toBe(1);
  });
});
