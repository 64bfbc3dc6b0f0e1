import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CertificateStore } from './certificate-store.js';
import { openDatabase } from './database.js';
import { MIGRATIONS } from './migrations.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'certwizard-db-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const signed = (pem: string) => ({
  pem,
  subject: 'CN=x',
  subjectAltNames: { dns: ['x.test'], email: [], ip: [] },
  notBefore: new Date(0),
  notAfter: new Date(1000),
  fingerprintSha256: 'ff',
});

describe('openDatabase', () => {
  it('uses WAL, reaches the latest schema version, and reopening changes nothing', () => {
    const db = openDatabase(dir);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.at(-1)?.version);
    db.close();
    const again = openDatabase(dir);
    expect(again.pragma('user_version', { simple: true })).toBe(MIGRATIONS.at(-1)?.version);
    again.close();
  });

  it('refuses a database newer than the program', () => {
    const db = openDatabase(dir);
    db.pragma('user_version = 999');
    db.close();
    expect(() => openDatabase(dir)).toThrow(expect.objectContaining({ code: 'ERR_CA_CONFIG' }));
  });

  it('rolls back a migration that fails half-way', () => {
    const broken = [
      ...MIGRATIONS,
      { version: 99, description: 'broken', sql: 'CREATE TABLE t (a); SELECT nonsense FROM nowhere;' },
    ];
    expect(() => openDatabase(dir, { migrations: broken })).toThrow();
    const db = openDatabase(dir);
    expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.at(-1)?.version);
    expect(db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 't'").get()).toEqual({ n: 0 });
    db.close();
  });
});

describe('CertificateStore.issue', () => {
  it('retries a colliding random serial and stores exactly one row per certificate', () => {
    const db = openDatabase(dir);
    const store = new CertificateStore(db);
    const serials = ['0a', '0a', '0b'];
    store.issue(
      () => serials.shift() as string,
      () => signed('A'),
      { requester: 'r', publicKeySha1: 'aa' },
    );
    const second = store.issue(
      () => serials.shift() as string,
      () => signed('B'),
      { requester: 'r', publicKeySha1: 'bb' },
    );
    expect(second.serialHex).toBe('0b');
    expect(store.counts().certificates).toBe(2);
    db.close();
  });

  it('stores nothing when signing throws inside the transaction', () => {
    const db = openDatabase(dir);
    const store = new CertificateStore(db);
    expect(() =>
      store.issue(
        () => '0c',
        () => {
          throw new Error('sign failed');
        },
        { requester: 'r', publicKeySha1: 'aa' },
      ),
    ).toThrow('sign failed');
    expect(store.counts().certificates).toBe(0);
    db.close();
  });

  it('refuses a fixed serial that is taken, without a second row', () => {
    const db = openDatabase(dir);
    const store = new CertificateStore(db);
    store.issue(
      () => '0d',
      () => signed('A'),
      { requester: 'r', publicKeySha1: 'aa', fixedSerial: true },
    );
    expect(() =>
      store.issue(
        () => '0d',
        () => signed('B'),
        { requester: 'r', publicKeySha1: 'aa', fixedSerial: true },
      ),
    ).toThrow(expect.objectContaining({ code: 'ERR_CA_SERIAL' }));
    expect(store.counts().certificates).toBe(1);
    expect(store.get('0d')?.pem).toBe('A');
    db.close();
  });

  it('hands out increasing CRL numbers', () => {
    const db = openDatabase(dir);
    const store = new CertificateStore(db);
    expect([store.nextCrlNumber(), store.nextCrlNumber(), store.nextCrlNumber()]).toEqual([1n, 2n, 3n]);
    db.close();
  });
});
