/**
 * The operator rules above the repository: the address's shape, scrypt hashing of the password on
 * creation, and a login that verifies it (timing-safe for unknown addresses). Operators are
 * created only on the command line (`certwizard-ca add-operator`).
 */
import { CredentialsError, OperatorExistsError } from './errors.js';
import type { Operator, OperatorRepository } from './operator-store.js';
import { dummyHash, hashSecret, SCRYPT_N_DEFAULT, verifySecret } from './password.js';

/** Options of {@link OperatorService}. */
export interface OperatorServiceOptions {
  /** scrypt cost for new hashes and the dummy hash; default {@link SCRYPT_N_DEFAULT}. */
  readonly scryptN?: number;
}

const EMAIL_SHAPE = /^[^\s@]{1,64}@[^\s@]{1,189}$/;

/**
 * Creation and login of operators over an {@link OperatorRepository}.
 * @example
 * const operators = new OperatorService(new OperatorStore(sql));
 * const op = await operators.create('ops@ca.example', password);
 * await operators.authenticate('ops@ca.example', password);
 */
export class OperatorService {
  readonly #repository: OperatorRepository;
  readonly #scryptN: number;
  readonly #dummyHash: string;

  constructor(repository: OperatorRepository, options: OperatorServiceOptions = {}) {
    this.#repository = repository;
    this.#scryptN = options.scryptN ?? SCRYPT_N_DEFAULT;
    this.#dummyHash = dummyHash(this.#scryptN);
  }

  /**
   * Whether an operator has this address (in any case).
   * @example
   * if (await operators.exists(email)) refuse();
   */
  exists(email: string): Promise<boolean> {
    return this.#repository.exists(email);
  }

  /**
   * Creates an operator, the password hashed with scrypt.
   * @throws {TypeError} for a malformed address or an empty password.
   * @throws {OperatorExistsError} `ERR_OPERATOR_EXISTS` when the address is taken (in any case).
   * @example
   * await operators.create('ops@ca.example', password);
   */
  async create(email: string, password: string): Promise<Operator> {
    if (typeof email !== 'string' || !EMAIL_SHAPE.test(email)) throw new TypeError('the operator address is malformed');
    if (typeof password !== 'string' || password.length === 0) throw new TypeError('the operator password must not be empty');
    // Fail fast before the scrypt run; the repository's unique index decides.
    if (await this.#repository.exists(email)) throw new OperatorExistsError(`an operator ${email} already exists`);
    return this.#repository.insert(email, await hashSecret(password, { N: this.#scryptN }));
  }

  /**
   * Checks an operator's address and password (an unknown address costs one scrypt run too).
   * @throws {CredentialsError} `ERR_ACCOUNT_CREDENTIALS` for either being wrong.
   * @example
   * const op = await operators.authenticate(email, password);
   */
  async authenticate(email: string, password: string): Promise<Operator> {
    const found = await this.#repository.credentialsOf(email);
    const ok = await verifySecret(typeof password === 'string' ? password : '', found?.passwordHash ?? this.#dummyHash);
    if (!found || !ok) throw new CredentialsError('the email address or the password is wrong');
    return found.operator;
  }
}
