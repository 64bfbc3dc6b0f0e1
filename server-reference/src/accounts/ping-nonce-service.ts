/**
 * The rule of email-ping nonces, above the repository. A nonce authorises a mail server to
 * confirm an address by itself; whoever presents it to the CA can have that address confirmed.
 * So a nonce is accepted once, from one requester, and refused everywhere after: a nonce that
 * leaked (a URL in a browser history, a proxy log, a page) is worthless to anyone who did not use
 * it first. Only its SHA-256 is kept: the register proves use, and holds nothing worth stealing.
 */
import { hashToken } from './password.js';
import type { PingNonceRepository } from './ping-nonces.js';

/**
 * The once-only register of ping nonces over a {@link PingNonceRepository}.
 * @example
 * const nonces = new PingNonceService(new PingNonceStore(sql));
 * if (!(await nonces.claim(nonce))) return refuse('nonce_in_use');
 */
export class PingNonceService {
  readonly #repository: PingNonceRepository;
  readonly #now: () => number;

  /** @param options.now - clock, in ms since the epoch; `Date.now` by default. */
  constructor(repository: PingNonceRepository, options: { now?: () => number } = {}) {
    this.#repository = repository;
    this.#now = options.now ?? Date.now;
  }

  /**
   * Records `nonce` as used.
   * @returns `true` when it was new, `false` when the CA had accepted it before.
   * @example
   * if (!(await nonces.claim(nonce))) return refuse('nonce_in_use');
   */
  claim(nonce: string): Promise<boolean> {
    return this.#repository.claim(hashToken(nonce), this.#now());
  }

  /**
   * Forgets a nonce this request claimed but never used: the ping carrying it could not be
   * sent, so nobody can have seen it in a mail, and the request keeps nothing.
   * @example
   * await nonces.release(nonce);
   */
  release(nonce: string): Promise<void> {
    return this.#repository.release(hashToken(nonce));
  }
}
