/**
 * Kysely over the CA's better-sqlite3 connection: the query builder every SQLite repository
 * uses. A small driver of our own replaces Kysely's `SqliteDriver` for three reasons:
 *
 * - **`BEGIN IMMEDIATE`.** Kysely's driver begins transactions with a plain (deferred) `BEGIN`.
 *   A deferred transaction that reads before it writes holds a read snapshot, and SQLite will
 *   not upgrade it to a write while another connection (another CA process) writes: it fails
 *   with `SQLITE_BUSY` at once, without waiting for `busy_timeout` (waiting could deadlock two
 *   upgraders). `BEGIN IMMEDIATE` takes the write lock first, where the busy timeout applies.
 *   Every transaction the repositories open writes, so every one begins IMMEDIATE.
 * - **One connection, one user at a time.** The connection is lent to one query or one whole
 *   transaction at a time (a FIFO lock, as Kysely's own driver does), so a transaction's
 *   statements never interleave with another request's queries between its awaits.
 * - **Prepared statements are kept.** Kysely hands the driver the same SQL text for the same
 *   query shape; preparing it once per shape instead of once per call keeps the issuance path
 *   as fast as the hand-prepared statements it replaces.
 *
 * A PostgreSQL implementation uses Kysely's `PostgresDialect` (a `pg` pool) instead; nothing
 * above the repositories changes.
 */
import {
  CompiledQuery,
  type DatabaseConnection,
  type DatabaseIntrospector,
  type Dialect,
  type DialectAdapter,
  type Driver,
  Kysely,
  type QueryCompiler,
  type QueryResult,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
} from 'kysely';
import type { Statement } from 'better-sqlite3';
import type { Db } from './database.js';
import type { CaSchema } from './schema.js';

/** The typed query builder over the CA's database, as every repository receives it. */
export type SqlDatabase = Kysely<CaSchema>;

/** Most prepared statements kept per connection; beyond, the cache starts over (the CA has far fewer shapes). */
const STATEMENT_CACHE_MAX = 500;

/**
 * Wraps an open better-sqlite3 connection (see `openDatabase`) in Kysely. Closing stays with the
 * connection's owner: destroying the Kysely instance does not close it.
 * @example
 * const sql = createSqlDatabase(openDatabase(dataDir));
 * await sql.transaction().execute(async (trx) => { ... }); // BEGIN IMMEDIATE ... COMMIT
 */
export function createSqlDatabase(db: Db): SqlDatabase {
  const driver = new ImmediateSqliteDriver(db);
  const dialect: Dialect = {
    createDriver: (): Driver => driver,
    createQueryCompiler: (): QueryCompiler => new SqliteQueryCompiler(),
    createAdapter: (): DialectAdapter => new SqliteAdapter(),
    createIntrospector: (kysely: Kysely<unknown>): DatabaseIntrospector => new SqliteIntrospector(kysely),
  };
  const kysely = new Kysely<CaSchema>({ dialect });
  drivers.set(kysely, driver);
  return kysely;
}

const drivers = new WeakMap<SqlDatabase, ImmediateSqliteDriver>();

/** Runs one compiled query and returns its rows and counts, synchronously. */
export type RunCompiled = <R>(query: CompiledQuery<R>) => QueryResult<R>;

/**
 * A write transaction for the hottest SQLite paths (issuance): `BEGIN IMMEDIATE`, `fn` with
 * queries compiled beforehand (see precompiled-query.ts), `COMMIT` (`ROLLBACK` when `fn` throws),
 * all in one synchronous stretch under the connection's lock. Nothing can come between the
 * statements, and Kysely's per-query machinery (a few promises and objects per statement) is
 * skipped; `fn` must not await. The SQL is still Kysely's, so a PostgreSQL implementation runs
 * the same compiled queries inside `db.transaction()`.
 * @throws {TypeError} for a Kysely instance not made by {@link createSqlDatabase}.
 * @example
 * await compiledTransaction(sql, (run) => run(insertQuery({ serial })).numAffectedRows);
 */
export async function compiledTransaction<T>(db: SqlDatabase, fn: (run: RunCompiled) => T): Promise<T> {
  const driver = drivers.get(db);
  if (driver === undefined) throw new TypeError('compiledTransaction needs a database made by createSqlDatabase');
  return driver.exclusive((connection) => {
    connection.runSync(BEGIN_IMMEDIATE);
    try {
      const result = fn((query) => connection.runSync(query));
      connection.runSync(COMMIT);
      return result;
    } catch (err) {
      connection.runSync(ROLLBACK);
      throw err;
    }
  });
}

/**
 * One compiled query outside any transaction, run under the connection's lock without Kysely's
 * per-query machinery (see {@link compiledTransaction}).
 * @throws {TypeError} for a Kysely instance not made by {@link createSqlDatabase}.
 */
export async function runCompiled<R>(db: SqlDatabase, query: CompiledQuery<R>): Promise<QueryResult<R>> {
  const driver = drivers.get(db);
  if (driver === undefined) throw new TypeError('runCompiled needs a database made by createSqlDatabase');
  return driver.exclusive((connection) => connection.runSync<R>(query));
}

const BEGIN_IMMEDIATE = CompiledQuery.raw('BEGIN IMMEDIATE');
const COMMIT = CompiledQuery.raw('COMMIT');
const ROLLBACK = CompiledQuery.raw('ROLLBACK');

class ImmediateSqliteDriver implements Driver {
  readonly #connection: CachingConnection;
  readonly #lock = new FifoLock();

  constructor(db: Db) {
    this.#connection = new CachingConnection(db);
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    await this.#lock.acquire();
    return this.#connection;
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(BEGIN_IMMEDIATE);
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(COMMIT);
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(ROLLBACK);
  }

  /** Runs `fn` with the connection while holding the lock (no Kysely query can interleave). */
  async exclusive<T>(fn: (connection: CachingConnection) => T): Promise<T> {
    await this.#lock.acquire();
    try {
      return fn(this.#connection);
    } finally {
      this.#lock.release();
    }
  }

  async releaseConnection(): Promise<void> {
    this.#lock.release();
  }

  async destroy(): Promise<void> {}
}

class CachingConnection implements DatabaseConnection {
  readonly #db: Db;
  readonly #statements = new Map<string, Statement>();

  constructor(db: Db) {
    this.#db = db;
  }

  async executeQuery<R>(compiled: CompiledQuery): Promise<QueryResult<R>> {
    return this.runSync<R>(compiled);
  }

  runSync<R>(compiled: CompiledQuery): QueryResult<R> {
    const stmt = this.#prepare(compiled.sql);
    const parameters = compiled.parameters as unknown[];
    if (stmt.reader) return { rows: stmt.all(parameters) as R[] };
    const { changes, lastInsertRowid } = stmt.run(parameters);
    return { numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid), rows: [] };
  }

  // eslint-disable-next-line require-yield -- streaming is not used by the repositories
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new TypeError('streaming queries are not supported by the CA store');
  }

  #prepare(sql: string): Statement {
    let stmt = this.#statements.get(sql);
    if (stmt === undefined) {
      stmt = this.#db.prepare(sql);
      if (this.#statements.size >= STATEMENT_CACHE_MAX) this.#statements.clear();
      this.#statements.set(sql, stmt);
    }
    return stmt;
  }
}

/** A first-come, first-served lock: one holder at a time, waiters served in order. */
class FifoLock {
  #held = false;
  readonly #waiters: (() => void)[] = [];

  acquire(): Promise<void> {
    if (!this.#held) {
      this.#held = true;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  release(): void {
    const next = this.#waiters.shift();
    if (next === undefined) this.#held = false;
    else next();
  }
}
