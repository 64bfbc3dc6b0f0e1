/**
 * The health of what the CA keeps: its data directory takes a new file, and its database can be
 * written. Answers `GET /healthz`.
 */
import { accessSync, constants, existsSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DATABASE_FILE, type Db } from './database.js';

/** Name of the file written and removed in the data directory by each check. */
export const HEALTH_PROBE_FILE = '.healthz-probe';

/** How long a check's answer is reused, in ms (5 s): a burst of probes costs one write. */
export const HEALTH_CACHE_MS_DEFAULT = 5000;

/**
 * Why the CA is unhealthy. Codes are API (the `reason` of `/healthz`): added, never renamed.
 * - `data_dir_not_writable`: a new file cannot be written in the data directory (read-only or
 *   full file system, permissions);
 * - `database_not_writable`: the database handle is closed or read-only, or its file or WAL file
 *   cannot be opened for writing;
 * - `database_unreadable`: a read of the database fails.
 */
export type HealthProblem = 'data_dir_not_writable' | 'database_not_writable' | 'database_unreadable';

/** Result of {@link DataDirHealth.check}. */
export type HealthResult = { readonly ok: true } | { readonly ok: false; readonly reason: HealthProblem; readonly message: string };

/** Options of {@link DataDirHealth}. */
export interface DataDirHealthOptions {
  /** Clock, in ms since the epoch; `Date.now` by default. */
  readonly now?: () => number;
  /** How long an answer is reused, in ms; default {@link HEALTH_CACHE_MS_DEFAULT}. */
  readonly cacheMs?: number;
}

/**
 * Checks the data directory and the database, and keeps the answer for `cacheMs`.
 *
 * The probe file is written and removed again, so a check leaves nothing behind. A real write is
 * the only test that holds for every cause (read-only remount, full disk, permissions) and for
 * root, which `access(2)` answers by mode bits it then ignores.
 * @example
 * const health = new DataDirHealth(db, dataDir);
 * health.check(); // { ok: true }
 */
export class DataDirHealth {
  readonly #db: Db;
  readonly #dataDir: string;
  readonly #now: () => number;
  readonly #cacheMs: number;
  #last: { readonly atMs: number; readonly result: HealthResult } | undefined;

  constructor(db: Db, dataDir: string, options: DataDirHealthOptions = {}) {
    const cacheMs = options.cacheMs ?? HEALTH_CACHE_MS_DEFAULT;
    if (!Number.isSafeInteger(cacheMs) || cacheMs < 0) throw new TypeError('cacheMs must be a non-negative integer');
    this.#db = db;
    this.#dataDir = dataDir;
    this.#now = options.now ?? Date.now;
    this.#cacheMs = cacheMs;
  }

  /**
   * The health, checked afresh when the last answer is older than the cache period. Never throws.
   * Messages name the failing operation and the system error code, not the path.
   */
  check(): HealthResult {
    const now = this.#now();
    if (this.#last !== undefined && now >= this.#last.atMs && now < this.#last.atMs + this.#cacheMs) return this.#last.result;
    const result = this.#probe();
    this.#last = { atMs: now, result };
    return result;
  }

  #probe(): HealthResult {
    const probe = join(this.#dataDir, HEALTH_PROBE_FILE);
    try {
      writeFileSync(probe, 'ok\n');
      unlinkSync(probe);
    } catch (err) {
      return unhealthy('data_dir_not_writable', `a file cannot be written in the data directory (${codeOf(err)})`);
    }
    if (!this.#db.open || this.#db.readonly) return unhealthy('database_not_writable', 'the database is closed or open read-only');
    const dbFile = join(this.#dataDir, DATABASE_FILE);
    for (const file of [dbFile, `${dbFile}-wal`]) {
      if (file !== dbFile && !existsSync(file)) continue;
      try {
        accessSync(file, constants.W_OK);
      } catch (err) {
        return unhealthy('database_not_writable', `the database cannot be opened for writing (${codeOf(err)})`);
      }
    }
    try {
      this.#db.prepare('SELECT count(*) FROM sqlite_master').get();
    } catch (err) {
      return unhealthy('database_unreadable', `the database cannot be read (${codeOf(err)})`);
    }
    return { ok: true };
  }
}

function unhealthy(reason: HealthProblem, message: string): HealthResult {
  return { ok: false, reason, message };
}

function codeOf(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'unknown error';
}
