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

/** Applies every migration above the database's `user_version`, each in its own transaction. */
export function migrate(db: Db, migrations: readonly Migration[]): number {
  const current = db.pragma('user_version', { simple: true }) as number;
  const latest = migrations.at(-1)?.version ?? 0;
  if (current > latest) {
    throw new ConfigError(`the database is at schema version ${current}, newer than this program (${latest})`);
  }
  for (const m of migrations) {
    if (m.version <= current) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.pragma(`user_version = ${m.version}`);
    })();
  }
  return latest;
}
