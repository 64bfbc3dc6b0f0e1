/**
 * Every email-ping nonce the CA has accepted, by SHA-256 (`ping_nonces`, migration 8). A nonce
 * authorises a mail server to confirm an address by itself; whoever presents it to the CA can
 * have that address confirmed. So a nonce is accepted once, from one requester, and refused
 * everywhere after: a nonce that leaked (a URL in a browser history, a proxy log, a page) is
 * worthless to anyone who did not use it first.
 */
import type { Db } from '../store/database.js';
import { hashToken } from './password.js';

/** Repository over `ping_nonces`. */
export class PingNonceRegistry {
  readonly #claim;
  readonly #release;
  readonly #now: () => number;

  constructor(db: Db, options: { now?: () => number } = {}) {
    this.#now = options.now ?? Date.now;
    this.#claim = db.prepare('INSERT OR IGNORE INTO ping_nonces (digest, created_at_ms) VALUES (?, ?)');
    this.#release = db.prepare('DELETE FROM ping_nonces WHERE digest = ?');
  }

  /**
   * Records `nonce` as used. Runs inside the caller's transaction when there is one, so that
   * the nonce is claimed together with what it is bound to, or not at all.
   * @returns `true` when it was new, `false` when the CA had accepted it before.
   * @example
   * if (!nonces.claim(nonce)) return refuse('nonce_in_use');
   */
  claim(nonce: string): boolean {
    return this.#claim.run(hashToken(nonce), this.#now()).changes === 1;
  }

  /**
   * Forgets a nonce this request claimed but never used: the ping carrying it could not be
   * sent, so nobody can have seen it in a mail, and the request keeps nothing.
   */
  release(nonce: string): void {
    this.#release.run(hashToken(nonce));
  }
}
