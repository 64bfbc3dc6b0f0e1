/**
 * One-time authorization codes (PKCE, RFC 7636, S256 only) and the installation tokens they are
 * exchanged for at `POST /api/wizard/token`, over the `authorization_codes` and
 * `installation_tokens` tables. An installation token is a bearer token scoped to one account;
 * the account page lists them as connected installations and can revoke each.
 */
import { randomBytes } from 'node:crypto';
import { isValidChallenge, isValidVerifier, verifyPkce } from '@certwizard/protocol';
import type { Selectable } from 'kysely';
import type { InstallationTokensTable } from '../store/schema.js';
import type { SqlDatabase } from '../store/sqlite-dialect.js';
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

const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;
const LABEL_FORBIDDEN = /[\p{Cc}\p{Cs}]/u;
const GRANT_INVALID = 'the code is unknown, used or expired, or the verifier does not match';

/**
 * Storage of authorization codes and installation tokens. Contract: redeeming a code and
 * authenticating a token are each one transaction, so a code is used once and a revoked token
 * stays revoked, across processes. A PostgreSQL implementation keeps the same statements.
 */
export interface InstallationTokenRepository {
  /** Issues a one-time authorization code for an active account, bound to a PKCE challenge. */
  issueAuthorizationCode(accountId: number, codeChallenge: string, options?: { ticket?: string }): Promise<string>;
  /** Exchanges a code and its PKCE verifier for a new installation token. */
  redeemAuthorizationCode(
    code: string,
    verifier: string,
    options?: { label?: string },
  ): Promise<{ accountId: number; tokenId: number; installationToken: string }>;
  /** Checks a bearer installation token and records its use. */
  authenticateToken(token: string): Promise<{ accountId: number; tokenId: number }>;
  /** The account's installation tokens, oldest first, revoked ones included. */
  listTokens(accountId: number): Promise<InstallationTokenInfo[]>;
  /** Revokes one of the account's tokens; `false` when it already was. */
  revokeToken(accountId: number, tokenId: number): Promise<boolean>;
}

/** The SQLite implementation of {@link InstallationTokenRepository}. */
export class InstallationTokenStore implements InstallationTokenRepository {
  readonly #db: SqlDatabase;
  readonly #now: () => number;
  readonly #codeLifetimeMs: number;

  constructor(db: SqlDatabase, options: InstallationTokenStoreOptions = {}) {
    this.#db = db;
    this.#now = options.now ?? Date.now;
    const lifetime = options.codeLifetimeMs ?? AUTHORIZATION_CODE_LIFETIME_MS_DEFAULT;
    if (!Number.isSafeInteger(lifetime) || lifetime <= 0) throw new TypeError('codeLifetimeMs must be a positive integer');
    this.#codeLifetimeMs = lifetime;
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
  issueAuthorizationCode(accountId: number, codeChallenge: string, options: { ticket?: string } = {}): Promise<string> {
    return insertAuthorizationCode(this.#db, accountId, codeChallenge, { now: this.#now(), lifetimeMs: this.#codeLifetimeMs, ...options });
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
    if (typeof code !== 'string' || !TOKEN_SHAPE.test(code) || !isValidVerifier(verifier)) throw new GrantInvalidError(GRANT_INVALID);
    // Only the SHA-256 is stored: the token is readable once, in this answer.
    const installationToken = randomBytes(32).toString('base64url');
    const result = await this.#redeem(hashToken(code), verifier, label, hashToken(installationToken));
    if (typeof result === 'string') throw new GrantInvalidError(GRANT_INVALID);
    return { ...result, installationToken };
  }

  #redeem(codeHash: string, verifier: string, label: string, tokenHash: string): Promise<{ accountId: number; tokenId: number } | 'replayed' | 'invalid'> {
    return this.#db.transaction().execute(async (trx) => {
      const now = this.#now();
      const code = await trx.selectFrom('authorization_codes').selectAll().where('code_hash', '=', codeHash).executeTakeFirst();
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
        await trx
          .updateTable('installation_tokens')
          .set({ revoked_at_ms: now })
          .where('authorization_code_id', '=', code.id)
          .where('revoked_at_ms', 'is', null)
          .execute();
        if (now >= code.expires_at_ms || !(await isActive(trx, code.account_id))) return 'replayed' as const;
      } else {
        if (now >= code.expires_at_ms || !(await isActive(trx, code.account_id))) return 'invalid' as const;
        await trx.updateTable('authorization_codes').set({ used_at_ms: now }).where('id', '=', code.id).execute();
        if (code.ticket !== null) await trx.updateTable('tickets').set({ code: null }).where('ticket', '=', code.ticket).execute();
      }
      const token = await trx
        .insertInto('installation_tokens')
        .values({ token_hash: tokenHash, account_id: code.account_id, authorization_code_id: code.id, label, created_at_ms: now })
        .returning('id')
        .executeTakeFirstOrThrow();
      return { accountId: code.account_id, tokenId: token.id };
    });
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
    if (typeof token !== 'string' || !TOKEN_SHAPE.test(token)) throw new TokenInvalidError('the installation token is unknown or revoked');
    const tokenHash = hashToken(token);
    return this.#db.transaction().execute(async (trx) => {
      const row = await trx.selectFrom('installation_tokens').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
      if (row === undefined || row.revoked_at_ms !== null || !(await isActive(trx, row.account_id))) {
        throw new TokenInvalidError('the installation token is unknown or revoked');
      }
      await trx.updateTable('installation_tokens').set({ last_used_at_ms: this.#now() }).where('id', '=', row.id).execute();
      return { accountId: row.account_id, tokenId: row.id };
    });
  }

  /**
   * The account's installation tokens, oldest first, revoked ones included (shown as such).
   * @example
   * (await tokens.listTokens(account.id)).filter((t) => t.revokedAtMs === undefined);
   */
  async listTokens(accountId: number): Promise<InstallationTokenInfo[]> {
    const rows = await this.#db.selectFrom('installation_tokens').selectAll().where('account_id', '=', accountId).orderBy('id').execute();
    return rows.map(info);
  }

  /**
   * Revokes one of the account's tokens. Revoking a revoked token again is not an error.
   * @returns `true` when revoked now, `false` when it already was.
   * @throws {TokenNotFoundError} `ERR_TOKEN_NOT_FOUND` when the account has no token with this id
   *   (another account's token counts as none, so its existence does not leak); nothing is changed.
   * @example
   * await tokens.revokeToken(account.id, tokenId); // true
   */
  async revokeToken(accountId: number, tokenId: number): Promise<boolean> {
    const revoked = await this.#db
      .updateTable('installation_tokens')
      .set({ revoked_at_ms: this.#now() })
      .where('id', '=', tokenId)
      .where('account_id', '=', accountId)
      .where('revoked_at_ms', 'is', null)
      .executeTakeFirst();
    if (revoked.numUpdatedRows === 1n) return true;
    const exists = await this.#db
      .selectFrom('installation_tokens')
      .select('id')
      .where('id', '=', tokenId)
      .where('account_id', '=', accountId)
      .executeTakeFirst();
    if (exists === undefined) throw new TokenNotFoundError('no such installation token');
    return false;
  }
}

/**
 * Inserts a one-time authorization code (see {@link InstallationTokenRepository.issueAuthorizationCode});
 * shared with the ticket store, which completes a ticket and issues its code in one transaction.
 * @throws {TypeError} for a malformed challenge or an account that is not active (caller misuse).
 */
export async function insertAuthorizationCode(
  db: SqlDatabase,
  accountId: number,
  codeChallenge: string,
  options: { now: number; lifetimeMs?: number; ticket?: string },
): Promise<string> {
  if (!isValidChallenge(codeChallenge)) throw new TypeError('codeChallenge must be an S256 challenge (RFC 7636 §4.2)');
  if (!(await isActive(db, accountId))) throw new TypeError('authorization codes are issued only to active accounts');
  const code = randomBytes(32).toString('base64url');
  const { now } = options;
  await db
    .insertInto('authorization_codes')
    .values({
      code_hash: hashToken(code),
      account_id: accountId,
      ticket: options.ticket ?? null,
      code_challenge: codeChallenge,
      created_at_ms: now,
      expires_at_ms: now + (options.lifetimeMs ?? AUTHORIZATION_CODE_LIFETIME_MS_DEFAULT),
    })
    .execute();
  return code;
}

async function isActive(db: SqlDatabase, accountId: number): Promise<boolean> {
  return (await db.selectFrom('accounts').select('id').where('id', '=', accountId).where('status', '=', 'active').executeTakeFirst()) !== undefined;
}

function info(r: Selectable<InstallationTokensTable>): InstallationTokenInfo {
  return {
    id: r.id,
    label: r.label,
    createdAtMs: r.created_at_ms,
    ...(r.last_used_at_ms !== null ? { lastUsedAtMs: r.last_used_at_ms } : {}),
    ...(r.revoked_at_ms !== null ? { revokedAtMs: r.revoked_at_ms } : {}),
  };
}
