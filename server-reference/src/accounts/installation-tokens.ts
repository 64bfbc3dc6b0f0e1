/**
 * One-time authorization codes (PKCE, RFC 7636, S256 only) and the installation tokens they are
 * exchanged for at `POST /api/wizard/token`, over the `authorization_codes` and
 * `installation_tokens` tables. An installation token is a bearer token scoped to one account;
 * the account page lists them as connected installations and can revoke each.
 */
import { randomBytes } from 'node:crypto';
import { isValidChallenge, isValidVerifier, verifyPkce } from '@certwizard/protocol';
import { type Db, writeTransaction } from '../store/database.js';
import { BIDI_CONTROLS } from './bidi-controls.js';
import { GrantInvalidError, TokenInvalidError, TokenNotFoundError } from './errors.js';
import { hashToken } from './password.js';

/** How long an authorization code can be redeemed by default, in milliseconds (10 minutes). */
export const AUTHORIZATION_CODE_LIFETIME_MS_DEFAULT = 10 * 60_000;

/** Label of a token when the caller gives none. */
export const INSTALLATION_TOKEN_LABEL_DEFAULT = 'installation';

/** An installation token as the account page shows it: never the token itself. */
export interface InstallationTokenInfo {
  readonly id: number;
  readonly label: string;
  readonly createdAtMs: number;
  readonly lastUsedAtMs?: number;
  readonly revokedAtMs?: number;
}

/** Options of {@link InstallationTokenStore}. */
export interface InstallationTokenStoreOptions {
  /** Clock, in ms since the epoch; `Date.now` by default. */
  readonly now?: () => number;
  /** Lifetime of an authorization code, in ms; default {@link AUTHORIZATION_CODE_LIFETIME_MS_DEFAULT}. */
  readonly codeLifetimeMs?: number;
}

interface CodeRow {
  id: number;
  account_id: number;
  ticket: string | null;
  code_challenge: string;
  expires_at_ms: number;
  used_at_ms: number | null;
}

interface TokenRow {
  id: number;
  account_id: number;
  label: string;
  created_at_ms: number;
  last_used_at_ms: number | null;
  revoked_at_ms: number | null;
}

const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;
const LABEL_FORBIDDEN = /[\p{Cc}\p{Cs}]/u;
const GRANT_INVALID = 'the code is unknown, used or expired, or the verifier does not match';

/** Repository of authorization codes and installation tokens. */
export class InstallationTokenStore {
  readonly #now: () => number;
  readonly #codeLifetimeMs: number;
  readonly #insertCode;
  readonly #activeAccount;
  readonly #tokensOf;
  readonly #tokenOf;
  readonly #revoke;
  readonly #authenticateTx: (tokenHash: string) => { accountId: number; tokenId: number };
  readonly #redeemTx: (codeHash: string, verifier: string, label: string, tokenHash: string) => { accountId: number; tokenId: number } | 'replayed' | 'invalid';

  constructor(db: Db, options: InstallationTokenStoreOptions = {}) {
    this.#now = options.now ?? Date.now;
    const lifetime = options.codeLifetimeMs ?? AUTHORIZATION_CODE_LIFETIME_MS_DEFAULT;
    if (!Number.isSafeInteger(lifetime) || lifetime <= 0) throw new TypeError('codeLifetimeMs must be a positive integer');
    this.#codeLifetimeMs = lifetime;
    this.#insertCode = db.prepare(
      'INSERT INTO authorization_codes (code_hash, account_id, ticket, code_challenge, created_at_ms, expires_at_ms) VALUES (?, ?, ?, ?, ?, ?)',
    );
    this.#activeAccount = db.prepare("SELECT 1 FROM accounts WHERE id = ? AND status = 'active'");
    this.#tokensOf = db.prepare('SELECT * FROM installation_tokens WHERE account_id = ? ORDER BY id');
    this.#tokenOf = db.prepare('SELECT * FROM installation_tokens WHERE id = ? AND account_id = ?');
    this.#revoke = db.prepare('UPDATE installation_tokens SET revoked_at_ms = ? WHERE id = ? AND account_id = ? AND revoked_at_ms IS NULL');
    const codeByHash = db.prepare('SELECT * FROM authorization_codes WHERE code_hash = ?');
    const useCode = db.prepare('UPDATE authorization_codes SET used_at_ms = ? WHERE id = ?');
    const wipeTicketCode = db.prepare('UPDATE tickets SET code = NULL WHERE ticket = ?');
    const insertToken = db.prepare(
      'INSERT INTO installation_tokens (token_hash, account_id, authorization_code_id, label, created_at_ms) VALUES (?, ?, ?, ?, ?)',
    );
    const revokeFromCode = db.prepare('UPDATE installation_tokens SET revoked_at_ms = ? WHERE authorization_code_id = ? AND revoked_at_ms IS NULL');
    const tokenByHash = db.prepare('SELECT * FROM installation_tokens WHERE token_hash = ?');
    const touch = db.prepare('UPDATE installation_tokens SET last_used_at_ms = ? WHERE id = ?');

    this.#redeemTx = writeTransaction(db, (codeHash: string, verifier: string, label: string, tokenHash: string) => {
      const now = this.#now();
      const code = codeByHash.get(codeHash) as CodeRow | undefined;
      if (code === undefined) return 'invalid' as const;
      // RFC 7636 §4.6: the verifier must match before anything else is decided. A replay
      // without the verifier changes nothing: whoever intercepted a used code must not be able
      // to revoke the real installer's token by replaying it.
      if (!verifyPkce(verifier, code.code_challenge)) return 'invalid' as const;
      if (code.used_at_ms !== null) {
        // RFC 6749 §4.1.2 revokes every token issued from a code used twice. With the verifier
        // (which never left the installer), a repeat inside the code's lifetime is the
        // installer itself, killed or cut off before it could keep the answer: it gets a fresh
        // token and the earlier one is revoked, so a code still yields one live token at most.
        // Past the lifetime, the repeat only revokes.
        revokeFromCode.run(now, code.id);
        if (now >= code.expires_at_ms || this.#activeAccount.get(code.account_id) === undefined) return 'replayed' as const;
      } else {
        if (now >= code.expires_at_ms || this.#activeAccount.get(code.account_id) === undefined) return 'invalid' as const;
        useCode.run(now, code.id);
        if (code.ticket !== null) wipeTicketCode.run(code.ticket);
      }
      const info = insertToken.run(tokenHash, code.account_id, code.id, label, now);
      return { accountId: code.account_id, tokenId: Number(info.lastInsertRowid) };
    });

    this.#authenticateTx = writeTransaction(db, (tokenHash: string) => {
      const row = tokenByHash.get(tokenHash) as TokenRow | undefined;
      if (row === undefined || row.revoked_at_ms !== null || this.#activeAccount.get(row.account_id) === undefined) {
        throw new TokenInvalidError('the installation token is unknown or revoked');
      }
      touch.run(this.#now(), row.id);
      return { accountId: row.account_id, tokenId: row.id };
    });
  }

  /**
   * Issues a one-time authorization code for an account, bound to the PKCE challenge the
   * registration URL carried (RFC 7636 §4.4: the server stores the challenge with the code).
   * Runs inside the caller's transaction when there is one (the ticket store completes a ticket
   * and issues its code atomically).
   *
   * @param accountId - an active account.
   * @param codeChallenge - the S256 `code_challenge` (RFC 7636 §4.2), already validated at the edge.
   * @param options.ticket - the ticket the registration was tied to, so redeeming the code wipes
   *   the plain copy kept there for `isitdone`.
   * @returns the code (32 random bytes, base64url); only its SHA-256 is stored.
   * @throws {TypeError} for a malformed challenge or an account that is not active (caller misuse).
   * @example
   * const code = tokens.issueAuthorizationCode(account.id, challenge);
   */
  issueAuthorizationCode(accountId: number, codeChallenge: string, options: { ticket?: string } = {}): string {
    if (!isValidChallenge(codeChallenge)) throw new TypeError('codeChallenge must be an S256 challenge (RFC 7636 §4.2)');
    if (this.#activeAccount.get(accountId) === undefined) throw new TypeError('authorization codes are issued only to active accounts');
    const code = randomBytes(32).toString('base64url');
    const now = this.#now();
    this.#insertCode.run(hashToken(code), accountId, options.ticket ?? null, codeChallenge, now, now + this.#codeLifetimeMs);
    return code;
  }

  /**
   * Exchanges a code and its PKCE verifier for a new installation token (RFC 7636 §4.5, §4.6):
   * checks `BASE64URL(SHA256(code_verifier)) == code_challenge` in constant time, that the code is
   * unused and unexpired and its account still active; marks the code used and creates a token
   * scoped to the account, in one transaction.
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
   * const { accountId, installationToken } = tokens.redeemAuthorizationCode(code, verifier);
   */
  redeemAuthorizationCode(code: string, verifier: string, options: { label?: string } = {}): { accountId: number; tokenId: number; installationToken: string } {
    const label = options.label ?? INSTALLATION_TOKEN_LABEL_DEFAULT;
    if (typeof label !== 'string' || label.length === 0 || [...label].length > 100 || LABEL_FORBIDDEN.test(label) || BIDI_CONTROLS.test(label)) {
      throw new TypeError('label must be 1 to 100 characters without control characters');
    }
    if (typeof code !== 'string' || !TOKEN_SHAPE.test(code) || !isValidVerifier(verifier)) throw new GrantInvalidError(GRANT_INVALID);
    // Only the SHA-256 is stored: the token is readable once, in this answer.
    const installationToken = randomBytes(32).toString('base64url');
    const result = this.#redeemTx(hashToken(code), verifier, label, hashToken(installationToken));
    if (typeof result === 'string') throw new GrantInvalidError(GRANT_INVALID);
    return { ...result, installationToken };
  }

  /**
   * Checks a bearer installation token and records its use.
   * @returns the account it is scoped to and the token's id.
   * @throws {TokenInvalidError} `ERR_TOKEN_INVALID` for an unknown, malformed or revoked token, or
   *   one whose account is not active; nothing is changed.
   * @example
   * const { accountId } = tokens.authenticateToken(bearer);
   */
  authenticateToken(token: string): { accountId: number; tokenId: number } {
    if (typeof token !== 'string' || !TOKEN_SHAPE.test(token)) throw new TokenInvalidError('the installation token is unknown or revoked');
    return this.#authenticateTx(hashToken(token));
  }

  /**
   * The account's installation tokens, oldest first, revoked ones included (shown as such).
   * @example
   * tokens.listTokens(account.id).filter((t) => t.revokedAtMs === undefined);
   */
  listTokens(accountId: number): InstallationTokenInfo[] {
    return (this.#tokensOf.all(accountId) as TokenRow[]).map(info);
  }

  /**
   * Revokes one of the account's tokens. Revoking a revoked token again is not an error.
   * @returns `true` when revoked now, `false` when it already was.
   * @throws {TokenNotFoundError} `ERR_TOKEN_NOT_FOUND` when the account has no token with this id
   *   (another account's token counts as none, so its existence does not leak); nothing is changed.
   * @example
   * tokens.revokeToken(account.id, tokenId); // true
   */
  revokeToken(accountId: number, tokenId: number): boolean {
    if (this.#revoke.run(this.#now(), tokenId, accountId).changes === 1) return true;
    if (this.#tokenOf.get(tokenId, accountId) === undefined) throw new TokenNotFoundError('no such installation token');
    return false;
  }
}

function info(r: TokenRow): InstallationTokenInfo {
  return {
    id: r.id,
    label: r.label,
    createdAtMs: r.created_at_ms,
    ...(r.last_used_at_ms !== null ? { lastUsedAtMs: r.last_used_at_ms } : {}),
    ...(r.revoked_at_ms !== null ? { revokedAtMs: r.revoked_at_ms } : {}),
  };
}
