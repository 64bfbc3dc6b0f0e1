import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from './database.js';
import { MIGRATIONS } from './migrations.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'certwizard-db-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

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
    const broken = [...MIGRATIONS, { version: 99, description: 'broken', sql: 'CREATE TABLE t (a); SELECT nonsense FROM nowhere;' }];
    expect(() => openDatabase(dir, { migrations: broken })).toThrow();
    const db = openDatabase(dir);
    expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.at(-1)?.version);
    expect(db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 't'").get()).toEqual({ n: 0 });
    db.close();
  });
});

describe('migration 7 (the email ping)', () => {
  it('keeps every hand-off of version 6, without a nonce digest, and checks the new columns', () => {
    const v6 = openDatabase(dir, { migrations: MIGRATIONS.filter((m) => m.version <= 6) });
    v6.prepare(
      "INSERT INTO accounts (email, first_name, last_name, date_of_birth, password_hash, question1, answer1_hash, question2, answer2_hash, created_at_ms) VALUES ('a@b.example', 'A', 'B', '1990-01-01', 'scrypt$x', 'q1', 'scrypt$x', 'q2', 'scrypt$x', 0)",
    ).run();
    v6.prepare("INSERT INTO registration_handoffs (account_id, continue_url, created_at_ms) VALUES (1, 'http://127.0.0.1:5000/done', 0)").run();
    v6.close();
    const db = openDatabase(dir);
    expect(db.prepare('SELECT account_id, continue_url, ping_nonce_hash FROM registration_handoffs').all()).toEqual([
      { account_id: 1, continue_url: 'http://127.0.0.1:5000/done', ping_nonce_hash: null },
    ]);
    expect(() => db.prepare("UPDATE registration_handoffs SET ping_nonce_hash = 'abc'").run()).toThrow(/CHECK/);
    const ping = db.prepare('INSERT INTO address_pings (token_hash, account_id, email, nonce_hash, created_at_ms, expires_at_ms) VALUES (?, 1, ?, ?, 0, ?)');
    expect(() => ping.run('a'.repeat(64), 'x@y.example', 'short', 1)).toThrow(/CHECK/);
    expect(() => ping.run('a'.repeat(64), 'x@y.example', null, 0)).toThrow(/CHECK/);
    ping.run('a'.repeat(64), 'x@y.example', null, 1);
    // A ping goes with its account.
    db.prepare('DELETE FROM accounts').run();
    expect(db.prepare('SELECT count(*) AS n FROM address_pings').get()).toEqual({ n: 0 });
    db.close();
  });

  it('keeps every request of version 13 through the rebuild of version 14, and lets only SCEP requests for an operator lack an account', () => {
    const v13 = openDatabase(dir, { migrations: MIGRATIONS.filter((m) => m.version <= 13) });
    v13
      .prepare(
        "INSERT INTO accounts (email, first_name, last_name, date_of_birth, password_hash, question1, answer1_hash, question2, answer2_hash, created_at_ms) VALUES ('a@b.example', 'A', 'B', '1990-01-01', 'scrypt$x', 'q1', 'scrypt$x', 'q2', 'scrypt$x', 0)",
      )
      .run();
    const insert = (db: typeof v13, id: string, accountId: number | null, source: string, approver: string) =>
      db
        .prepare(
          "INSERT INTO certificate_requests (id, account_id, csr_pem, subject, names_json, profile_json, key_description, fingerprint_sha256, source, status, created_at_ms, approver) VALUES (?, ?, 'pem', 'CN=x', '{}', '{}', 'RSA 2048', ?, ?, 'pending', 0, ?)",
        )
        .run(id, accountId, 'f'.repeat(64), source, approver);
    insert(v13, 'r'.repeat(22), 1, 'ccsr', 'operator');
    v13.close();
    const db = openDatabase(dir);
    expect(db.prepare('SELECT id, account_id, source, approver, status FROM certificate_requests').all()).toEqual([
      { id: 'r'.repeat(22), account_id: 1, source: 'ccsr', approver: 'operator', status: 'pending' },
    ]);
    insert(db, 's'.repeat(22), null, 'scep', 'operator');
    expect(() => insert(db, 't'.repeat(22), null, 'ccsr', 'operator')).toThrow(/CHECK/);
    expect(() => insert(db, 'u'.repeat(22), null, 'scep', 'owner')).toThrow(/CHECK/);
    const transaction = db.prepare("INSERT INTO scep_transactions (transaction_id, signer_key_sha256, request_id, created_at_ms) VALUES ('42', ?, ?, 0)");
    transaction.run('a'.repeat(64), 's'.repeat(22));
    expect(() => transaction.run('a'.repeat(64), 's'.repeat(22))).toThrow(/UNIQUE|PRIMARY/);
    // Requests still go with their account, and transactions with their request.
    db.prepare('DELETE FROM accounts').run();
    db.prepare('DELETE FROM certificate_requests').run();
    expect(
      db.prepare('SELECT (SELECT count(*) FROM certificate_requests) AS requests, (SELECT count(*) FROM scep_transactions) AS transactions').get(),
    ).toEqual({
      requests: 0,
      transactions: 0,
    });
    db.close();
  });
});

describe('migration 16 (SCEP transactions keyed by the signer certificate too)', () => {
  it('keeps the transactions of version 15, and lets a renewal repeat the transactionID and key of a first enrolment', () => {
    const v15 = openDatabase(dir, { migrations: MIGRATIONS.filter((m) => m.version <= 15) });
    v15
      .prepare(
        "INSERT INTO certificate_requests (id, account_id, csr_pem, subject, names_json, profile_json, key_description, fingerprint_sha256, source, status, created_at_ms, approver) VALUES (?, NULL, 'pem', 'CN=x', '{}', '{}', 'RSA 2048', ?, 'scep', 'pending', 0, 'operator')",
      )
      .run('s'.repeat(22), 'f'.repeat(64));
    v15
      .prepare("INSERT INTO scep_transactions (transaction_id, signer_key_sha256, request_id, created_at_ms) VALUES ('42', ?, ?, 7)")
      .run('a'.repeat(64), 's'.repeat(22));
    v15.close();
    const db = openDatabase(dir);
    expect(db.prepare('SELECT transaction_id, signer_key_sha256, signer_certificate_sha256, request_id, created_at_ms FROM scep_transactions').all()).toEqual([
      { transaction_id: '42', signer_key_sha256: 'a'.repeat(64), signer_certificate_sha256: '', request_id: 's'.repeat(22), created_at_ms: 7 },
    ]);
    const insert = db.prepare(
      "INSERT INTO scep_transactions (transaction_id, signer_key_sha256, signer_certificate_sha256, request_id, created_at_ms) VALUES ('42', ?, ?, ?, 0)",
    );
    insert.run('a'.repeat(64), 'c'.repeat(64), 's'.repeat(22));
    expect(() => insert.run('a'.repeat(64), 'c'.repeat(64), 's'.repeat(22))).toThrow(/UNIQUE|PRIMARY/);
    expect(() => insert.run('a'.repeat(64), '', 's'.repeat(22))).toThrow(/UNIQUE|PRIMARY/);
    expect(() => insert.run('a'.repeat(64), 'short', 's'.repeat(22))).toThrow(/CHECK/);
    // Transactions still go with their request.
    db.prepare('DELETE FROM certificate_requests').run();
    expect(db.prepare('SELECT count(*) AS n FROM scep_transactions').get()).toEqual({ n: 0 });
    db.close();
  });
});
