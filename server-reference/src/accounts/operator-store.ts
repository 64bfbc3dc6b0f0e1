/**
 * Operators (migration 5, `operators`): the people who approve requests for DNS names at
 * `/operator/queue`, as Dogtag's agents do. Created only on the command line
 * (`certwizard-ca add-operator`); passwords stored with scrypt like account passwords.
 */
import type { SqlDatabase } from '../store/sqlite-dialect.js';
import { CredentialsError, OperatorExistsError } from './errors.js';
import type { Selectable } from 'kysely';
import type { OperatorsTable } from '../store/schema.js';
import { hashSecret, SCRYPT_N_DEFAULT, verifySecret } from './password.js';

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
  /** scrypt cost for new hashes; default {@link SCRYPT_N_DEFAULT}. */
  readonly scryptN?: number;
}

const EMAIL_SHAPE = /^[^\s@]{1,64}@[^\s@]{1,189}$/;

/**
 * Storage of operators. Contract: an address (in any case) belongs to one operator (a unique
 * constraint decides between two concurrent creations).
 */
export interface OperatorRepository {
  /** Whether an operator has this address (in any case). */
  exists(email: string): Promise<boolean>;
  /**
   * Creates an operator.
   * @throws {TypeError} for a malformed address or an empty password.
   * @throws {OperatorExistsError} `ERR_OPERATOR_EXISTS` when the address is taken (in any case).
   */
  create(email: string, password: string): Promise<Operator>;
  /**
   * Checks an operator's address and password.
   * @throws {CredentialsError} `ERR_ACCOUNT_CREDENTIALS` for either being wrong.
   */
  authenticate(email: string, password: string): Promise<Operator>;
}

/**
 * The SQLite implementation of {@link OperatorRepository}.
 * @example
 * const op = await operators.create('ops@ca.example', password);
 * await operators.authenticate('ops@ca.example', password);
 */
export class OperatorStore implements OperatorRepository {
  readonly #db: SqlDatabase;
  readonly #now: () => number;
  readonly #scryptN: number;
  readonly #dummyHash: string;

  constructor(db: SqlDatabase, options: OperatorStoreOptions = {}) {
    this.#db = db;
    this.#now = options.now ?? Date.now;
    this.#scryptN = options.scryptN ?? SCRYPT_N_DEFAULT;
    this.#dummyHash = `scrypt$${this.#scryptN}$8$1$${'A'.repeat(22)}$${'A'.repeat(43)}`;
  }

  async exists(email: string): Promise<boolean> {
    return typeof email === 'string' && (await this.#byEmail(email)) !== undefined;
  }

  /**
   * Creates an operator.
   * @throws {TypeError} for a malformed address or an empty password.
   * @throws {OperatorExistsError} `ERR_OPERATOR_EXISTS` when the address is taken (in any case).
   */
  async create(email: string, password: string): Promise<Operator> {
    if (typeof email !== 'string' || !EMAIL_SHAPE.test(email)) throw new TypeError('the operator address is malformed');
    if (typeof password !== 'string' || password.length === 0) throw new TypeError('the operator password must not be empty');
    if ((await this.#byEmail(email)) !== undefined) throw new OperatorExistsError(`an operator ${email} already exists`);
    const hash = await hashSecret(password, { N: this.#scryptN });
    const inserted = await this.#db
      .insertInto('operators')
      .values({ email, password_hash: hash, created_at_ms: this.#now() })
      .onConflict((oc) => oc.column('email').doNothing())
      .executeTakeFirst();
    // The unique index is the authority: a concurrent creation may have won since the check.
    if (inserted.numInsertedOrUpdatedRows !== 1n) throw new OperatorExistsError(`an operator ${email} already exists`);
    return fromRow((await this.#byEmail(email)) as OperatorRow);
  }

  /**
   * Checks an operator's address and password (an unknown address costs one scrypt run too).
   * @throws {CredentialsError} `ERR_ACCOUNT_CREDENTIALS` for either being wrong.
   */
  async authenticate(email: string, password: string): Promise<Operator> {
    const row = typeof email === 'string' ? await this.#byEmail(email) : undefined;
    const ok = await verifySecret(typeof password === 'string' ? password : '', row?.password_hash ?? this.#dummyHash);
    if (!row || !ok) throw new CredentialsError('the email address or the password is wrong');
    return fromRow(row);
  }

  #byEmail(email: string): Promise<OperatorRow | undefined> {
    return this.#db.selectFrom('operators').selectAll().where('email', '=', email).executeTakeFirst();
  }
}

type OperatorRow = Selectable<OperatorsTable>;

function fromRow(r: OperatorRow): Operator {
  return { id: r.id, email: r.email, createdAtMs: r.created_at_ms };
}
