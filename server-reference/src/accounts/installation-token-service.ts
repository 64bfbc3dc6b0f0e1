/**
 * The rules of authorization codes (PKCE, RFC 7636, S256 only) and the installation tokens they
 * are exchanged for at `POST /api/wizard/token`, above the repository: codes and tokens are 32
 * random bytes made here (a client never proposes one) and stored as SHA-256 only; a code lives
 * {@link AUTHORIZATION_CODE_LIFETIME_MS_DEFAULT}; the verifier is turned into its S256 challenge
 * here, so the repository ({@link InstallationTokenRepository}) only compares it with the stored
 * one, in the transaction that uses the code. An installation token is a bearer token scoped to
 * one account; the account page lists them as connected installations and can revoke each.
 */
import { isValidChallenge, isValidVerifier, s256Challenge } from '@certwizard/protocol';
import { BIDI_CONTROLS } from './bidi-controls.js';
import { isBearerSecret, newBearerSecret } from './bearer-secret.js';
import { GrantInvalidError, TokenInvalidError } from './errors.js';
import type { InstallationTokenInfo, InstallationTokenRepository } from './installation-tokens.js';
import { hashToken } from './password.js';
import { positiveInteger } from './positive-integer.js';

/** How long an authorization code can be redeemed by default, in milliseconds (10 minutes). */
export const AUTHORIZATION_CODE_LIFETIME_MS_DEFAULT = 10 * 60_000;

/** Label of a token when the caller gives none. */
export const INSTALLATION_TOKEN_LABEL_DEFAULT = 'installation';

/** Options of {@link InstallationTokenService}. */
export interface InstallationTokenServiceOptions {
  /** Clock, in ms since the epoch; `Date.now` by default. */
  readonly now?: () => number;
  /** Lifetime of an authorization code, in ms; default {@link AUTHORIZATION_CODE_LIFETIME_MS_DEFAULT}. */
  readonly codeLifetimeMs?: number;
}

const LABEL_FORBIDDEN = /[\p{Cc}\p{Cs}]/u;
const GRANT_INVALID = 'the code is unknown, used or expired, or the verifier does not match';

/**
 * Authorization codes and installation tokens over an {@link InstallationTokenRepository}.
 * @example
 * const tokens = new InstallationTokenService(new InstallationTokenStore(sql));
 * const code = await tokens.issueAuthorizationCode(account.id, challenge);
 * const { installationToken } = await tokens.redeemAuthorizationCode(code, verifier);
 */
export class InstallationTokenService {
  readonly #repository: InstallationTokenRepository;
  readonly #now: () => number;
  readonly #codeLifetimeMs: number;

  /** @throws {TypeError} for a code lifetime that is not a positive integer. */
  constructor(repository: InstallationTokenRepository, options: InstallationTokenServiceOptions = {}) {
    this.#repository = repository;
    this.#now = options.now ?? Date.now;
    this.#codeLifetimeMs = positiveInteger(options.codeLifetimeMs ?? AUTHORIZATION_CODE_LIFETIME_MS_DEFAULT, 'codeLifetimeMs');
  }

  /**
   * Issues a one-time authorization code for an account, bound to the PKCE challenge the
   * registration URL carried (RFC 7636 §4.4: the server stores the challenge with the code).
   *
   * @param accountId - an active account.
   * @param codeChallenge - the S256 `code_challenge` (RFC 7636 §4.2), already validated at the edge.
   * @param options.ticket - the ticket the registration was tied to, so redeeming the code wipes
   *   the plain copy kept there for `isitdone`.
   * @returns the code (32 random bytes, base64url); only its SHA-256 is stored.
   * @throws {TypeError} for a malformed challenge or an account that is not active (caller misuse).
   * @example
   * const code = await tokens.issueAuthorizationCode(account.id, challenge);
   */
  async issueAuthorizationCode(accountId: number, codeChallenge: string, options: { ticket?: string } = {}): Promise<string> {
    if (!isValidChallenge(codeChallenge)) throw new TypeError('codeChallenge must be an S256 challenge (RFC 7636 §4.2)');
    const { secret: code, digest: codeHash } = newBearerSecret();
    const now = this.#now();
    await this.#repository.insertAuthorizationCode({
      codeHash,
      accountId,
      codeChallenge,
      ticket: options.ticket,
      createdAtMs: now,
      expiresAtMs: now + this.#codeLifetimeMs,
    });
    return code;
  }

  /**
   * Exchanges a code and its PKCE verifier for a new installation token (RFC 7636 §4.5, §4.6):
   * `BASE64URL(SHA256(code_verifier))` must equal the code's challenge (compared in constant
   * time), the code be unused and unexpired and its account still active; the code is marked
   * used and a token scoped to the account created, in one transaction.
   *
   * A wrong verifier does not burn the code: the real installer can still redeem it, and guessing
   * a 256-bit verifier is hopeless. A second redemption with the right verifier revokes the tokens
   * made from the code (RFC 6749 §4.1.2); inside the code's lifetime it then issues a fresh token
   * (the installer lost the first answer: killed, or cut off), past it it fails.
   *
   * The CA makes every token (32 random bytes); a client never proposes one.
   *
   * @param code - the one-time code from the continue link or the `isitdone` answer.
   * @param verifier - `code_verifier`: 43 to 128 unreserved characters (RFC 7636 §4.1).
   * @param options.label - shown on the account page; 1 to 100 characters, default
   *   {@link INSTALLATION_TOKEN_LABEL_DEFAULT}.
   * @returns the account, the token's id, and the token itself (32 random bytes, base64url), which
   *   is never readable again: only its SHA-256 is stored.
   * @throws {GrantInvalidError} `ERR_GRANT_INVALID` for every refusal; nothing else tells which check failed.
   * @throws {TypeError} for a malformed label (caller misuse).
   * @example
   * const { accountId, installationToken } = await tokens.redeemAuthorizationCode(code, verifier);
   */
  async redeemAuthorizationCode(
    code: string,
    verifier: string,
    options: { label?: string } = {},
  ): Promise<{ accountId: number; tokenId: number; installationToken: string }> {
    const label = options.label ?? INSTALLATION_TOKEN_LABEL_DEFAULT;
    if (typeof label !== 'string' || label.length === 0 || [...label].length > 100 || LABEL_FORBIDDEN.test(label) || BIDI_CONTROLS.test(label)) {
      throw new TypeError('label must be 1 to 100 characters without control characters');
    }
    if (!isBearerSecret(code) || !isValidVerifier(verifier)) throw new GrantInvalidError(GRANT_INVALID);
    const { secret: installationToken, digest: tokenHash } = newBearerSecret();
    const result = await this.#repository.redeemAuthorizationCode({
      codeHash: hashToken(code),
      verifierChallenge: s256Challenge(verifier),
      tokenHash,
      label,
      nowMs: this.#now(),
    });
    if (typeof result === 'string') throw new GrantInvalidError(GRANT_INVALID);
    return { ...result, installationToken };
  }

  /**
   * Checks a bearer installation token and records its use.
   * @returns the account it is scoped to and the token's id.
   * @throws {TokenInvalidError} `ERR_TOKEN_INVALID` for an unknown, malformed or revoked token, or
   *   one whose account is not active; nothing is changed.
   * @example
   * const { accountId } = await tokens.authenticateToken(bearer);
   */
  async authenticateToken(token: string): Promise<{ accountId: number; tokenId: number }> {
    if (!isBearerSecret(token)) throw new TokenInvalidError('the installation token is unknown or revoked');
    return this.#repository.authenticateToken(hashToken(token), this.#now());
  }

  /**
   * The account's installation tokens, oldest first, revoked ones included (shown as such).
   * @example
   * (await tokens.listTokens(account.id)).filter((t) => t.revokedAtMs === undefined);
   */
  listTokens(accountId: number): Promise<InstallationTokenInfo[]> {
    return this.#repository.listTokens(accountId);
  }

  /**
   * Revokes one of the account's tokens. Revoking a revoked token again is not an error.
   * @returns `true` when revoked now, `false` when it already was.
   * @throws {TokenNotFoundError} `ERR_TOKEN_NOT_FOUND` when the account has no token with this id
   *   (another account's token counts as none, so its existence does not leak); nothing is changed.
   * @example
   * await tokens.revokeToken(account.id, tokenId); // true
   */
  revokeToken(accountId: number, tokenId: number): Promise<boolean> {
    return this.#repository.revokeToken(accountId, tokenId, this.#now());
  }
}
