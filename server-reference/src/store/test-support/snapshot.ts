/**
 * Test support for the store: a fresh database per test, and every row of every table (the
 * picture "nothing changed" is compared against when a refusal must leave stored state as it was).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import { type Db, openDatabase } from '../database.js';

/** All rows of all tables, by table name, in rowid order. */
export function snapshotTables(db: Db): Record<string, unknown[]> {
  const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as { name: string }[];
  return Object.fromEntries(tables.map(({ name }) => [name, db.prepare(`SELECT * FROM "${name}" ORDER BY rowid`).all()]));
}

/**
 * Registers beforeEach/afterEach hooks that give every test a fresh database in its own
 * temporary directory, closed and deleted afterwards. Read `.db` inside a test or a later hook.
 */
export function useTempDatabase(prefix: string): { readonly db: Db } {
  let dir: string | undefined;
  let db: Db | undefined;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), prefix));
    db = openDatabase(dir);
  });
  afterEach(() => {
    db?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
    db = undefined;
    dir = undefined;
  });
  return {
    get db(): Db {
      if (!db) throw new Error('useTempDatabase: the database exists only inside a test');
      return db;
    },
  };
}
