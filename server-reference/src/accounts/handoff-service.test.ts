import { createHash } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../store/database.js';
import { snapshotTables, useTempDatabase } from '../store/test-support/snapshot.js';
import { AccountService } from './account-service.js';
import { AccountStore } from './account-store.js';
import { HandoffService } from './handoff-service.js';
import { HandoffStore } from './handoff-store.js';
import { registerAccount } from './test-support/register-account.js';

const T0 = Date.UTC(2030, 0, 1);
const NONCE = 'n0nce-Of_The-Mail-Server-43-characters-long';
const CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';
const CONTINUE = 'http://127.0.0.1:5000/done';
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

let db: Db;
const temp = useTempDatabase('certwizard-handoffs-');
let clock: number;
let accounts: AccountService;
let handoffs: HandoffService;
beforeEach(async () => {
  db = temp.db;
  clock = T0;
  const now = () => clock;
  accounts = new AccountService(new AccountStore(temp.sql), { now, scryptN: 2 ** 10 });
  handoffs = new HandoffService(new HandoffStore(temp.sql), { now });
});

describe("HandoffService and the registration's nonce", () => {
  it('keeps the nonce digest past the confirmation, and only it', async () => {
    await registerAccount(accounts, { confirm: false });
    await registerAccount(accounts, { email: 'c@d.example', confirm: false });
    await handoffs.save(1, { continueUrl: CONTINUE, codeChallenge: CHALLENGE, pingNonce: NONCE });
    await handoffs.save(2, { continueUrl: CONTINUE });
    expect(await handoffs.pingNonceHashOf(1)).toBe(sha256(NONCE));
    expect(await handoffs.pingNonceHashOf(2)).toBeUndefined();
    expect(await handoffs.take(1)).toEqual({ continueUrl: CONTINUE, codeChallenge: CHALLENGE });
    expect(await handoffs.take(2)).toEqual({ continueUrl: CONTINUE });
    // The one-time values are gone (a challenge yields one code); the digest stays for repeats.
    expect(await handoffs.take(1)).toEqual({});
    expect(await handoffs.pingNonceHashOf(1)).toBe(sha256(NONCE));
    expect(db.prepare('SELECT account_id FROM registration_handoffs').all()).toEqual([{ account_id: 1 }]);
    expect(JSON.stringify(snapshotTables(db))).not.toContain(NONCE);
  });

  it('stores a hand-off that carries only a nonce, and refuses a malformed one', async () => {
    await registerAccount(accounts, { confirm: false });
    await expect(handoffs.save(1, { pingNonce: 'short' })).rejects.toThrow(TypeError);
    await handoffs.save(1, { pingNonce: NONCE });
    expect(await handoffs.pingNonceHashOf(1)).toBe(sha256(NONCE));
  });
});

describe('HandoffService.save', () => {
  it('stores nothing for an empty hand-off, and refuses a malformed user code, changing nothing', async () => {
    await registerAccount(accounts, { confirm: false });
    const before = snapshotTables(db);
    await handoffs.save(1, {});
    await expect(handoffs.save(1, { continueUrl: CONTINUE, userCode: 'not-a-code' })).rejects.toThrow(TypeError);
    expect(snapshotTables(db)).toEqual(before);
    expect(await handoffs.get(1)).toBeUndefined();
    expect(await handoffs.originOf(1)).toEqual({});
  });

  it('keeps who started the flow, stamps the row with its clock, and stores only the named fields of a wider object', async () => {
    await registerAccount(accounts, { confirm: false });
    clock = T0 + 5000;
    const fromThePage = { continueUrl: CONTINUE, ticket: 'A'.repeat(43), userCode: 'WDJB-MJHT', startedAtMs: T0, startedFrom: '203.0.113.5' };
    await handoffs.save(1, fromThePage);
    expect(await handoffs.originOf(1)).toEqual({ userCode: 'WDJB-MJHT', startedAtMs: T0, startedFrom: '203.0.113.5' });
    expect(await handoffs.get(1)).toEqual({ continueUrl: CONTINUE });
    expect(db.prepare('SELECT created_at_ms FROM registration_handoffs').get()).toEqual({ created_at_ms: T0 + 5000 });
    expect(JSON.stringify(snapshotTables(db).registration_handoffs)).not.toContain('A'.repeat(43));
  });
});

describe('HandoffStore (the repository alone)', () => {
  it('stores the digest and time it is given, and replaces an earlier hand-off of the account', async () => {
    await registerAccount(accounts, { confirm: false });
    const store = new HandoffStore(temp.sql);
    await store.save(1, { errorUrl: CONTINUE, pingNonceHash: 'd'.repeat(64), createdAtMs: 42 });
    expect(db.prepare('SELECT error_url, ping_nonce_hash, created_at_ms FROM registration_handoffs').all()).toEqual([
      { error_url: CONTINUE, ping_nonce_hash: 'd'.repeat(64), created_at_ms: 42 },
    ]);
    await store.save(1, { continueUrl: CONTINUE, createdAtMs: 43 });
    expect(await store.get(1)).toEqual({ continueUrl: CONTINUE });
    expect(await store.pingNonceHashOf(1)).toBeUndefined();
  });
});
