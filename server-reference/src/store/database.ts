/**
 * Opens the CA's SQLite database (better-sqlite3) in WAL mode and brings its schema up to date.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { ConfigError } from '../errors.js';
import { MIGRATIONS, type Migration } from './migrations.js';

/** The database handle type used across the store. */
export type Db = Database.Database;

/** Name of the database file inside the data directory. */
export const DATABASE_FILE = 'ca.sqlite3';

/**
 * Opens (creating when missing) `DIR/ca.sqlite3` with WAL, foreign keys and a busy timeout,
 * and applies pending migrations.
 * @throws {ConfigError} `ERR_CA_CONFIG` when the database is newer than this program.
 */
export function openDatabase(dataDir: string, options: { migrations?: readonly Migration[] } = {}): Db {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const db = new Database(join(dataDir, DATABASE_FILE));
  try {
    db.pragma('journal_mode = WAL');
    // NORMAL is durable across application crashes in WAL mode; only an OS crash can lose the
    // last transactions, never corrupt the file.
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    migrate(db, options.migrations ?? MIGRATIONS);
  } catch (err) {
    db.close();
    throw err;
  }
  return db;
}

/**
 * Wraps `fn` in a write transaction that starts with `BEGIN IMMEDIATE`, to be built once and
 * called per write.
 *
 * Why not better-sqlite3's default (`BEGIN`, deferred): a deferred transaction that reads before
 * it writes holds a read snapshot, and SQLite will not upgrade it to a write while another
 * connection writes; it fails with `SQLITE_BUSY` at once, without waiting for `busy_timeout`
 * (waiting could deadlock two upgraders). `BEGIN IMMEDIATE` takes the write lock first, where the
 * busy timeout applies: a write waits for another process's lock instead of failing.
 * Inside another transaction it runs as a savepoint, as the default does.
 * @example
 * const insertTwo = writeTransaction(db, (a: string, b: string) => { insert.run(a); insert.run(b); });
 * insertTwo('x', 'y');
 */
export function writeTransaction<F extends Parameters<Db['transaction']>[0]>(db: Db, fn: F): Database.Transaction<F>['immediate'] {
  return db.transaction(fn).immediate;
}

/** Applies every migration above the database's `user_version`, each in its own transaction. */
export function migrate(db: Db, migrations: readonly Migration[]): number {
  const current = db.pragma('user_version', { simple: true }) as number;
  const latest = migrations.at(-1)?.version ?? 0;
  if (current > latest) {
    throw new ConfigError(`the database is at schema version ${current}, newer than this program (${latest})`);
  }
  for (const m of migrations) {
    if (m.version <= current) continue;
    writeTransaction(db, () => {
      db.exec(m.sql);
      db.pragma(`user_version = ${m.version}`);
    })();
  }
  return latest;
}
