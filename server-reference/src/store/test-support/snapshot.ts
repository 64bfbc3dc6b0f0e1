/**
 * Test support for the store: a fresh database per test, and every row of every table (the
 * picture "nothing changed" is compared against when a refusal must leave stored state as it was).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import { type Db, openDatabase } from '../database.js';
import { createSqlDatabase, type SqlDatabase } from '../sqlite-dialect.js';
import { tableRows } from '../table-rows.js';

/**
 * All rows of all tables that record something, by table name, in rowid order (the management
 * server's picture, see table-rows.ts: the CA's working state, rate-limit buckets and fixed
 * serials' reservations, is left out).
 */
export function snapshotTables(db: Db): Record<string, unknown[]> {
  return tableRows(db);
}

/**
 * Registers beforeEach/afterEach hooks that give every test a fresh database in its own
 * temporary directory, closed and deleted afterwards. Read `.db` (the connection, for snapshots
 * and migration tests) or `.sql` (the query builder the repositories take) inside a test or a
 * later hook.
 */
export function useTempDatabase(prefix: string): { readonly db: Db; readonly sql: SqlDatabase } {
  let dir: string | undefined;
  let db: Db | undefined;
  let sql: SqlDatabase | undefined;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), prefix));
    db = openDatabase(dir);
    sql = createSqlDatabase(db);
  });
  afterEach(() => {
    db?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
    db = undefined;
    sql = undefined;
    dir = undefined;
  });
  return {
    get db(): Db {
      if (!db) throw new Error('useTempDatabase: the database exists only inside a test');
      return db;
    },
    get sql(): SqlDatabase {
      if (!sql) throw new Error('useTempDatabase: the database exists only inside a test');
      return sql;
    },
  };
}
