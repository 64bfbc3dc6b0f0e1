/**
 * The rules of the registration hand-off, above the repository: the nonce and user code are
 * checked, only the nonce's SHA-256 is kept (the email ping compares a machine's nonce against
 * it), and an empty hand-off is not stored at all. The repository ({@link HandoffRepository})
 * stores the row and takes it once.
 */
import { isValidPingNonce, isValidUserCode } from '@certwizard/protocol';
import type { Handoff, HandoffOrigin, HandoffRecord, HandoffRepository } from './handoff-store.js';
import { hashToken } from './password.js';

/** What the registration page hands over for a new pending account. */
export type HandoffInput = Handoff & HandoffOrigin & { readonly pingNonce?: string };

/**
 * Registration hand-offs over a {@link HandoffRepository}; taken (read and cleared) on confirmation.
 * @example
 * const handoffs = new HandoffService(new HandoffStore(sql));
 * await handoffs.save(accountId, { continueUrl, codeChallenge });
 * const handoff = await handoffs.take(accountId);
 */
export class HandoffService {
  readonly #repository: HandoffRepository;
  readonly #now: () => number;

  /** @param options.now - clock, in ms since the epoch; `Date.now` by default. */
  constructor(repository: HandoffRepository, options: { now?: () => number } = {}) {
    this.#repository = repository;
    this.#now = options.now ?? Date.now;
  }

  /**
   * Stores the hand-off of a new pending account, with who started it; nothing is stored when
   * it is empty. Of `pingNonce` only the SHA-256 is stored.
   * @throws {TypeError} for a malformed `pingNonce` or `userCode` (the caller checks them first).
   * @example
   * await handoffs.save(accountId, { continueUrl, codeChallenge, pingNonce, userCode });
   */
  async save(accountId: number, handoff: HandoffInput): Promise<void> {
    // Named one by one: callers pass their own wider objects (the register page's has the ticket).
    const { continueUrl, errorUrl, codeChallenge, pingNonce, userCode, startedAtMs, startedFrom } = handoff;
    if ([continueUrl, errorUrl, codeChallenge, pingNonce, userCode, startedAtMs, startedFrom].every((v) => v === undefined)) return;
    if (pingNonce !== undefined && !isValidPingNonce(pingNonce)) throw new TypeError('pingNonce must be 22 to 128 base64url characters');
    if (userCode !== undefined && !isValidUserCode(userCode)) throw new TypeError('userCode must be a user code');
    const pingNonceHash = pingNonce !== undefined ? hashToken(pingNonce) : undefined;
    const record: HandoffRecord = { continueUrl, errorUrl, codeChallenge, pingNonceHash, userCode, startedAtMs, startedFrom, createdAtMs: this.#now() };
    await this.#repository.save(accountId, record);
  }

  /**
   * Who started the account's registration, for the confirmation pages; `{}` when nothing is known.
   * @example
   * (await handoffs.originOf(accountId)).userCode; // 'WDJB-MJHT'
   */
  originOf(accountId: number): Promise<HandoffOrigin> {
    return this.#repository.originOf(accountId);
  }

  /**
   * The account's hand-off, left in place.
   * @example
   * (await handoffs.get(accountId))?.errorUrl;
   */
  get(accountId: number): Promise<Handoff | undefined> {
    return this.#repository.get(accountId);
  }

  /**
   * The account's hand-off, removed in one transaction (a row holding a nonce digest keeps only
   * that), so a challenge yields one code, once.
   * @example
   * const handoff = await handoffs.take(accountId);
   */
  take(accountId: number): Promise<Handoff | undefined> {
    return this.#repository.take(accountId);
  }

  /**
   * SHA-256 (hex) of the account's registration `PingNonce`, before and after confirmation.
   * @example
   * await handoffs.pingNonceHashOf(accountId);
   */
  pingNonceHashOf(accountId: number): Promise<string | undefined> {
    return this.#repository.pingNonceHashOf(accountId);
  }
}
