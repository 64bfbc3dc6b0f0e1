import { createHash } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../store/database.js';
import { snapshotTables, useTempDatabase } from '../store/test-support/snapshot.js';
import { PingNonceService } from './ping-nonce-service.js';
import { PingNonceStore } from './ping-nonces.js';

const T0 = Date.UTC(2030, 0, 1);
const NONCE = 'n0nce-Of_The-Mail-Server-43-characters-long';
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

let db: Db;
const temp = useTempDatabase('certwizard-ping-nonces-');
let clock: number;
let nonces: PingNonceService;
beforeEach(() => {
  db = temp.db;
  clock = T0;
  nonces = new PingNonceService(new PingNonceStore(temp.sql), { now: () => clock });
});

describe('PingNonceService', () => {
  it('accepts a nonce once, keeping only its SHA-256, and refuses it after', async () => {
    expect(await nonces.claim(NONCE)).toBe(true);
    expect(snapshotTables(db).ping_nonces).toEqual([{ digest: sha256(NONCE), created_at_ms: T0 }]);
    expect(JSON.stringify(snapshotTables(db))).not.toContain(NONCE);
    const before = snapshotTables(db);
    clock += 1000;
    expect(await nonces.claim(NONCE)).toBe(false);
    expect(snapshotTables(db)).toEqual(before);
  });

  it('lets exactly one of two concurrent claims of a nonce win (the primary key decides)', async () => {
    const results = await Promise.all([nonces.claim(NONCE), nonces.claim(NONCE)]);
    expect(results.sort()).toEqual([false, true]);
  });

  it('forgets a released nonce (its ping was never sent), so it may be claimed again; others stay', async () => {
    const other = `${NONCE}-other`;
    await nonces.claim(NONCE);
    await nonces.claim(other);
    await nonces.release(NONCE);
    expect(snapshotTables(db).ping_nonces).toEqual([{ digest: sha256(other), created_at_ms: T0 }]);
    expect(await nonces.claim(NONCE)).toBe(true);
    expect(await nonces.claim(other)).toBe(false);
  });
});

describe('PingNonceStore (the repository alone)', () => {
  it('records the digest and time it is given', async () => {
    const store = new PingNonceStore(temp.sql);
    expect(await store.claim('f'.repeat(64), 7)).toBe(true);
    expect(await store.claim('f'.repeat(64), 8)).toBe(false);
    expect(snapshotTables(db).ping_nonces).toEqual([{ digest: 'f'.repeat(64), created_at_ms: 7 }]);
  });
});
