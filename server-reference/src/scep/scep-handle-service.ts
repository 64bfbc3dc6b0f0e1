/**
 * Personal SCEP URLs (`/scep/u/<handle>`): a request sent there is held for that account's owner
 * (who approves it on the account page) rather than for an operator. The handle is 144 random
 * bits, base64url, one per account, made once and never reused, so a URL once handed out
 * always names the same owner and cannot be guessed.
 */
import { randomBytes } from 'node:crypto';
import type { ScepHandleRepository } from './scep-pin-store.js';

const HANDLE_SHAPE = /^[A-Za-z0-9_-]{22,64}$/;

/**
 * Handles over a {@link ScepHandleRepository}.
 * @example
 * const handles = new ScepHandleService(new ScepHandleStore(sql));
 * const url = `${publicUrl}/scep/u/${await handles.handleOf(accountId)}`;
 */
export class ScepHandleService {
  readonly #repository: ScepHandleRepository;
  readonly #now: () => number;

  constructor(repository: ScepHandleRepository, options: { readonly now?: () => number } = {}) {
    this.#repository = repository;
    this.#now = options.now ?? Date.now;
  }

  /**
   * The account's handle, made on the first call. Race-safe across CA processes: INSERT OR
   * IGNORE on the account's primary key, then SELECT, so all callers get the one stored handle.
   */
  async handleOf(accountId: number): Promise<string> {
    const existing = await this.#repository.handleOf(accountId);
    if (existing !== undefined) return existing;
    await this.#repository.insertIfAbsent(accountId, randomBytes(18).toString('base64url'), this.#now());
    const handle = await this.#repository.handleOf(accountId);
    if (handle === undefined) throw new Error(`no SCEP handle stored for account ${accountId}`);
    return handle;
  }

  /** The account's handle if one was made; makes none (for GET pages). */
  existingHandleOf(accountId: number): Promise<string | undefined> {
    return this.#repository.handleOf(accountId);
  }

  /** The account a handle names, or undefined (a malformed handle costs no query). */
  async accountOfHandle(handle: string): Promise<number | undefined> {
    return HANDLE_SHAPE.test(handle) ? this.#repository.accountOf(handle) : undefined;
  }
}
