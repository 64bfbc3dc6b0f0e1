/**
 * Operators (migration 5, `operators`): the people who approve requests for DNS names at
 * `/operator/queue`, as Dogtag's agents do. The repository stores the password hash it is given;
 * hashing and verification are `OperatorService`'s (operator-service.ts).
 */
import type { Selectable } from 'kysely';
import type { OperatorsTable } from '../store/schema.js';
import type { SqlDatabase } from '../store/sqlite-dialect.js';
import { OperatorExistsError } from './errors.js';

/** An operator. */
export interface Operator {
  readonly id: number;
  readonly email: string;
  readonly createdAtMs: number;
}

/** Options of {@link OperatorStore}. */
export interface OperatorStoreOptions {
  /** Clock, in ms since the epoch; `Date.now` by default. */
  readonly now?: () => number;
}

/**
 * Storage of operators. It holds no policy (address shape, hashing: `OperatorService`).
 * Contract: an address (in any case) belongs to one operator, and a unique constraint, not a
 * read before the write, decides between two concurrent creations.
 */
export interface OperatorRepository {
  /** Whether an operator has this address (in any case). */
  exists(email: string): Promise<boolean>;
  /**
   * Stores an operator with the `hashSecret` string of their password.
   * @throws {OperatorExistsError} `ERR_OPERATOR_EXISTS` when the address is taken (in any case).
   */
  insert(email: string, passwordHash: string): Promise<Operator>;
  /** The operator and their stored password hash, or `undefined` for an unknown address. */
  credentialsOf(email: string): Promise<{ operator: Operator; passwordHash: string } | undefined>;
}

/**
 * The SQLite implementation of {@link OperatorRepository}.
 * @example
 * const operators = new OperatorService(new OperatorStore(sql));
 */
export class OperatorStore implements OperatorRepository {
  readonly #db: SqlDatabase;
  readonly #now: () => number;

  constructor(db: SqlDatabase, options: OperatorStoreOptions = {}) {
    this.#db = db;
    this.#now = options.now ?? Date.now;
  }

  /**
   * Whether an operator has this address (in any case).
   * @example
   * await operators.exists('ops@ca.example');
   */
  async exists(email: string): Promise<boolean> {
    return typeof email === 'string' && (await this.#byEmail(email)) !== undefined;
  }

  /**
   * Stores an operator.
   * @throws {OperatorExistsError} `ERR_OPERATOR_EXISTS` when the address is taken (in any case).
   * @example
   * await operators.insert('ops@ca.example', await hashSecret(password));
   */
  async insert(email: string, passwordHash: string): Promise<Operator> {
    const inserted = await this.#db
      .insertInto('operators')
      .values({ email, password_hash: passwordHash, created_at_ms: this.#now() })
      .onConflict((oc) => oc.column('email').doNothing())
      .executeTakeFirst();
    // The unique index is the authority: a concurrent creation may have won since any check.
    if (inserted.numInsertedOrUpdatedRows !== 1n) throw new OperatorExistsError(`an operator ${email} already exists`);
    return fromRow((await this.#byEmail(email)) as OperatorRow);
  }

  /**
   * The operator and their stored password hash.
   * @example
   * (await operators.credentialsOf('ops@ca.example'))?.operator.id;
   */
  async credentialsOf(email: string): Promise<{ operator: Operator; passwordHash: string } | undefined> {
    const row = typeof email === 'string' ? await this.#byEmail(email) : undefined;
    return row ? { operator: fromRow(row), passwordHash: row.password_hash } : undefined;
  }

  #byEmail(email: string): Promise<OperatorRow | undefined> {
    return this.#db.selectFrom('operators').selectAll().where('email', '=', email).executeTakeFirst();
  }
}

type OperatorRow = Selectable<OperatorsTable>;

function fromRow(r: OperatorRow): Operator {
  return { id: r.id, email: r.email, createdAtMs: r.created_at_ms };
}
