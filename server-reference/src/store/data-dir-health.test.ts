import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DataDirHealth, HEALTH_PROBE_FILE } from './data-dir-health.js';
import { DATABASE_FILE, type Db, openDatabase } from './database.js';

let dir: string;
let db: Db;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'certwizard-health-'));
  db = openDatabase(dir);
});
afterEach(() => {
  if (db.open) db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('DataDirHealth', () => {
  it('is healthy on a writable directory and database, and leaves no file behind', () => {
    const files = readdirSync(dir).sort();
    expect(new DataDirHealth(db, dir).check()).toEqual({ ok: true });
    expect(readdirSync(dir).sort()).toEqual(files);
  });

  it('reports data_dir_not_writable with the system error code when the probe cannot be written', () => {
    // A directory where the probe goes fails the write for any user, root included.
    mkdirSync(join(dir, HEALTH_PROBE_FILE));
    expect(new DataDirHealth(db, dir).check()).toEqual({
      ok: false,
      reason: 'data_dir_not_writable',
      message: 'a file cannot be written in the data directory (EISDIR)',
    });
  });

  it('reports database_not_writable for a handle opened read-only (a real SQLite handle that cannot write)', () => {
    const readOnly = new Database(join(dir, DATABASE_FILE), { readonly: true });
    try {
      expect(new DataDirHealth(readOnly, dir).check()).toMatchObject({ ok: false, reason: 'database_not_writable' });
    } finally {
      readOnly.close();
    }
  });

  it('reports database_not_writable for a closed handle', () => {
    db.close();
    expect(new DataDirHealth(db, dir).check()).toMatchObject({ ok: false, reason: 'database_not_writable' });
  });

  it('reuses an answer for cacheMs, then checks again', () => {
    let now = 1_000;
    const health = new DataDirHealth(db, dir, { now: () => now, cacheMs: 100 });
    expect(health.check().ok).toBe(true);
    mkdirSync(join(dir, HEALTH_PROBE_FILE));
    now += 99;
    expect(health.check().ok).toBe(true);
    now += 1;
    expect(health.check()).toMatchObject({ ok: false, reason: 'data_dir_not_writable' });
  });
});
