/**
 * Operators (migration 5, `operators`): the people who approve requests for DNS names at
 * `/operator/queue`, as Dogtag's agents do. Created only on the command line
 * (`certwizard-ca add-operator`); passwords stored with scrypt like account passwords.
 */
import type { Db } from '../store/database.js';
import { CredentialsError, OperatorExistsError } from './errors.js';
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

interface Row {
  id: number;
  email: string;
  password_hash: string;
  created_at_ms: number;
}

const EMAIL_SHAPE = /^[^\s@]{1,64}@[^\s@]{1,189}$/;

/**
 * Repository of operators.
 * @example
 * const op = await operators.create('ops@ca.example', password);
 * await operators.authenticate('ops@ca.example', password);
 */
export class OperatorStore {
  readonly #now: () => number;
  readonly #scryptN: number;
  readonly #dummyHash: string;
  readonly #insert;
  readonly #byEmail;

  constructor(db: Db, options: OperatorStoreOptions = {}) {
    this.#now = options.now ?? Date.now;
    this.#scryptN = options.scryptN ?? SCRYPT_N_DEFAULT;
    this.#dummyHash = `scrypt$${this.#scryptN}$8$1$${'A'.repeat(22)}$${'A'.repeat(43)}`;
    this.#insert = db.prepare('INSERT INTO operators (email, password_hash, created_at_ms) VALUES (?, ?, ?)');
    this.#byEmail = db.prepare('SELECT * FROM operators WHERE email = ?');
  }

  /** Whether an operator has this address (in any case). */
  exists(email: string): boolean {
    return typeof email === 'string' && this.#byEmail.get(email) !== undefined;
  }

  /**
   * Creates an operator.
   * @throws {TypeError} for a malformed address or an empty password.
   * @throws {OperatorExistsError} `ERR_OPERATOR_EXISTS` when the address is taken (in any case).
   */
  async create(email: string, password: string): Promise<Operator> {
    if (typeof email !== 'string' || !EMAIL_SHAPE.test(email)) throw new TypeError('the operator address is malformed');
    if (typeof password !== 'string' || password.length === 0) throw new TypeError('the operator password must not be empty');
    if (this.#byEmail.get(email) !== undefined) throw new OperatorExistsError(`an operator ${email} already exists`);
    const hash = await hashSecret(password, { N: this.#scryptN });
    try {
      this.#insert.run(email, hash, this.#now());
    } catch (err) {
      if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') throw new OperatorExistsError(`an operator ${email} already exists`);
      throw err;
    }
    return fromRow(this.#byEmail.get(email) as Row);
  }

  /**
   * Checks an operator's address and password (an unknown address costs one scrypt run too).
   * @throws {CredentialsError} `ERR_ACCOUNT_CREDENTIALS` for either being wrong.
   */
  async authenticate(email: string, password: string): Promise<Operator> {
    const row = typeof email === 'string' ? (this.#byEmail.get(email) as Row | undefined) : undefined;
    const ok = await verifySecret(typeof password === 'string' ? password : '', row?.password_hash ?? this.#dummyHash);
    if (!row || !ok) throw new CredentialsError('the email address or the password is wrong');
    return fromRow(row);
  }
}

function fromRow(r: Row): Operator {
  return { id: r.id, email: r.email, createdAtMs: r.created_at_ms };
}
