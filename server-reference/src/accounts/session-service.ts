/**
 * The session rules above the repository: the session id (the cookie) is a bearer secret, 32
 * random bytes stored as SHA-256 only; each session carries its own CSRF token, put in a hidden
 * field of every form and checked on every POST; a session lives a fixed time from login (no
 * sliding renewal: the account area is visited briefly, and a fixed end bounds a stolen cookie).
 * The repository ({@link SessionRepository}) stores and finds rows by the digest and time given.
 */
import { isBearerSecret, newBearerSecret } from './bearer-secret.js';
import { hashToken } from './password.js';
import { positiveInteger } from './positive-integer.js';
import type { Session, SessionRepository } from './session-store.js';

/** How long a session lives by default, in ms (8 hours). */
export const SESSION_LIFETIME_MS_DEFAULT = 8 * 60 * 60_000;

/** Options of {@link SessionService}. */
export interface SessionServiceOptions {
  /** Clock, in ms since the epoch; `Date.now` by default. */
  readonly now?: () => number;
  /** Session lifetime, in ms; default {@link SESSION_LIFETIME_MS_DEFAULT}. */
  readonly lifetimeMs?: number;
}

/**
 * Login sessions (of accounts, or of operators over `operator_sessions`) over a
 * {@link SessionRepository}.
 * @example
 * const sessions = new SessionService(new SessionStore(sql));
 * const { sessionId, csrfToken } = await sessions.create(account.id);
 * (await sessions.get(sessionId))?.accountId;
 */
export class SessionService {
  readonly #repository: SessionRepository;
  readonly #now: () => number;
  readonly #lifetimeMs: number;

  /** @throws {TypeError} for a lifetime that is not a positive integer. */
  constructor(repository: SessionRepository, options: SessionServiceOptions = {}) {
    this.#repository = repository;
    this.#now = options.now ?? Date.now;
    this.#lifetimeMs = positiveInteger(options.lifetimeMs ?? SESSION_LIFETIME_MS_DEFAULT, 'lifetimeMs');
  }

  /**
   * Opens a session for an account (or operator) that has just logged in.
   * @returns the session id for the cookie (never readable again: only its SHA-256 is stored),
   *   the CSRF token and the expiry.
   * @example
   * const { sessionId, csrfToken, expiresAtMs } = await sessions.create(account.id);
   */
  async create(accountId: number): Promise<{ sessionId: string; csrfToken: string; expiresAtMs: number }> {
    const { secret: sessionId, digest: idHash } = newBearerSecret();
    const csrfToken = newBearerSecret().secret;
    const now = this.#now();
    const expiresAtMs = now + this.#lifetimeMs;
    await this.#repository.insert({ idHash, accountId, csrfToken, createdAtMs: now, expiresAtMs });
    return { sessionId, csrfToken, expiresAtMs };
  }

  /**
   * The live session with this id (the cookie's value).
   * @returns `undefined` for an absent, unknown, malformed or expired id.
   * @example
   * const session = await sessions.get(cookieValue(req, SESSION_COOKIE));
   */
  async get(sessionId: string | undefined): Promise<Session | undefined> {
    if (!isBearerSecret(sessionId)) return undefined;
    return this.#repository.find(hashToken(sessionId), this.#now());
  }

  /**
   * Ends a session (logout). Unknown or malformed ids are ignored.
   * @example
   * await sessions.delete(session.id);
   */
  async delete(sessionId: string): Promise<void> {
    if (isBearerSecret(sessionId)) await this.#repository.delete(hashToken(sessionId));
  }

  /**
   * Deletes expired sessions; run periodically.
   * @returns how many were deleted.
   * @example
   * await sessions.purgeExpired(); // 3
   */
  purgeExpired(): Promise<number> {
    return this.#repository.purgeExpired(this.#now());
  }
}
