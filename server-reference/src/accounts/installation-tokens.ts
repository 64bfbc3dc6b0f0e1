/**
 * One-time authorization codes (PKCE, RFC 7636) and the installation tokens they are exchanged
 * for, over the `authorization_codes` and `installation_tokens` tables. The repository stores the
 * digests, challenges and times it is given and enforces single use; making codes and tokens,
 * their lifetime, the S256 transform of the verifier and the label rules are
 * `InstallationTokenService`'s (installation-token-service.ts).
 */
import { timingSafeEqual } from 'node:crypto';
import type { Selectable } from 'kysely';
import type { InstallationTokensTable } from '../store/schema.js';
import type { SqlDatabase } from '../store/sqlite-dialect.js';
import { TokenInvalidError, TokenNotFoundError } from './errors.js';

/** An installation token as the account page shows it: never the token itself. */
export interface InstallationTokenInfo {
  readonly id: number;
  readonly label: string;
  readonly createdAtMs: number;
  readonly lastUsedAtMs?: number;
  readonly revokedAtMs?: number;
}

/** An authorization code as {@link InstallationTokenRepository.insertAuthorizationCode} stores it: its digest, never the code. */
export interface AuthorizationCodeRecord {
  /** `hashToken` of the code. */
  readonly codeHash: string;
  /** An active account. */
  readonly accountId: number;
  /** The S256 `code_challenge` (RFC 7636 §4.2) the code is bound to. */
  readonly codeChallenge: string;
  /** The ticket the registration was tied to, whose plain copy of the code redeeming wipes. */
  readonly ticket?: string;
  readonly createdAtMs: number;
  readonly expiresAtMs: number;
}

/** A redemption as {@link InstallationTokenRepository.redeemAuthorizationCode} carries it out. */
export interface CodeRedemption {
  /** `hashToken` of the code presented. */
  readonly codeHash: string;
  /** `s256Challenge` of the verifier presented: it must equal the code's stored challenge. */
  readonly verifierChallenge: string;
  /** `hashToken` of the new installation token. */
  readonly tokenHash: string;
  /** The new token's label, already checked. */
  readonly label: string;
  readonly nowMs: number;
}

/**
 * What a redemption did: a new token's ids; `invalid` (nothing changed: unknown code, challenge
 * mismatch, unused code expired or its account not active); or `replayed` (a used code presented
 * again with the right verifier past its lifetime, or for an account no longer active: the
 * tokens made from it were revoked, no new one made).
 */
export type CodeRedemptionResult = { readonly accountId: number; readonly tokenId: number } | 'invalid' | 'replayed';

/**
 * Storage of authorization codes and installation tokens. It holds no policy. Contract:
 * redeeming a code and authenticating a token are each one transaction, so a code is used once
 * and a revoked token stays revoked, across processes. A PostgreSQL implementation keeps the
 * same statements.
 */
export interface InstallationTokenRepository {
  /**
   * Stores a code.
   * @throws {TypeError} when the account is not active (caller misuse).
   */
  insertAuthorizationCode(record: AuthorizationCodeRecord): Promise<void>;
  /**
   * In one transaction: finds the code by digest and compares the challenges (in constant
   * time) before anything else is decided. An unused, unexpired code of an active account is
   * marked used, the ticket's plain copy wiped and the token stored. A used one revokes the
   * tokens made from it (RFC 6749 §4.1.2) and, still unexpired with an active account, stores
   * the new token (the installer lost the first answer), so a code yields one live token at most.
   */
  redeemAuthorizationCode(redemption: CodeRedemption): Promise<CodeRedemptionResult>;
  /**
   * Finds an unrevoked token of an active account by digest and records its use at `nowMs`.
   * @throws {TokenInvalidError} `ERR_TOKEN_INVALID` otherwise; nothing is changed.
   */
  authenticateToken(tokenHash: string, nowMs: number): Promise<{ accountId: number; tokenId: number }>;
  /** The account's installation tokens, oldest first, revoked ones included. */
  listTokens(accountId: number): Promise<InstallationTokenInfo[]>;
  /**
   * Revokes one of the account's tokens at `nowMs`.
   * @returns `false` when it already was.
   * @throws {TokenNotFoundError} `ERR_TOKEN_NOT_FOUND` when the account has no token with this id.
   */
  revokeToken(accountId: number, tokenId: number, nowMs: number): Promise<boolean>;
}

/**
 * The SQLite implementation of {@link InstallationTokenRepository}.
 * @example
 * const tokens = new InstallationTokenService(new InstallationTokenStore(sql));
 */
export class InstallationTokenStore implements InstallationTokenRepository {
  readonly #db: SqlDatabase;

  constructor(db: SqlDatabase) {
    this.#db = db;
  }

  /**
   * @example
   * await store.insertAuthorizationCode({ codeHash, accountId, codeChallenge, createdAtMs, expiresAtMs });
   */
  insertAuthorizationCode(record: AuthorizationCodeRecord): Promise<void> {
    return insertAuthorizationCode(this.#db, record);
  }

  /**
   * @example
   * const result = await store.redeemAuthorizationCode({ codeHash, verifierChallenge, tokenHash, label, nowMs });
   */
  redeemAuthorizationCode(redemption: CodeRedemption): Promise<CodeRedemptionResult> {
    const { codeHash, verifierChallenge, tokenHash, label, nowMs } = redemption;
    return this.#db.transaction().execute(async (trx) => {
      const code = await trx.selectFrom('authorization_codes').selectAll().where('code_hash', '=', codeHash).executeTakeFirst();
      if (code === undefined) return 'invalid' as const;
      // RFC 7636 §4.6: the verifier must match before anything else is decided. A replay
      // without the verifier changes nothing: whoever intercepted a used code must not be able
      // to revoke the real installer's token by replaying it.
      if (!sameAscii(verifierChallenge, code.code_challenge)) return 'invalid' as const;
      if (code.used_at_ms !== null) {
        // RFC 6749 §4.1.2 revokes every token issued from a code used twice. With the verifier
        // (which never left the installer), a repeat inside the code's lifetime is the
        // installer itself, killed or cut off before it could keep the answer: it gets a fresh
        // token and the earlier one is revoked, so a code still yields one live token at most.
        // Past the lifetime, the repeat only revokes.
        await trx
          .updateTable('installation_tokens')
          .set({ revoked_at_ms: nowMs })
          .where('authorization_code_id', '=', code.id)
          .where('revoked_at_ms', 'is', null)
          .execute();
        if (nowMs >= code.expires_at_ms || !(await isActive(trx, code.account_id))) return 'replayed' as const;
      } else {
        if (nowMs >= code.expires_at_ms || !(await isActive(trx, code.account_id))) return 'invalid' as const;
        await trx.updateTable('authorization_codes').set({ used_at_ms: nowMs }).where('id', '=', code.id).execute();
        if (code.ticket !== null) await trx.updateTable('tickets').set({ code: null }).where('ticket', '=', code.ticket).execute();
      }
      const token = await trx
        .insertInto('installation_tokens')
        .values({ token_hash: tokenHash, account_id: code.account_id, authorization_code_id: code.id, label, created_at_ms: nowMs })
        .returning('id')
        .executeTakeFirstOrThrow();
      return { accountId: code.account_id, tokenId: token.id };
    });
  }

  /**
   * @example
   * const { accountId } = await store.authenticateToken(hashToken(bearer), Date.now());
   */
  authenticateToken(tokenHash: string, nowMs: number): Promise<{ accountId: number; tokenId: number }> {
    return this.#db.transaction().execute(async (trx) => {
      const row = await trx.selectFrom('installation_tokens').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
      if (row === undefined || row.revoked_at_ms !== null || !(await isActive(trx, row.account_id))) {
        throw new TokenInvalidError('the installation token is unknown or revoked');
      }
      await trx.updateTable('installation_tokens').set({ last_used_at_ms: nowMs }).where('id', '=', row.id).execute();
      return { accountId: row.account_id, tokenId: row.id };
    });
  }

  /**
   * @example
   * (await store.listTokens(account.id)).filter((t) => t.revokedAtMs === undefined);
   */
  async listTokens(accountId: number): Promise<InstallationTokenInfo[]> {
    const rows = await this.#db.selectFrom('installation_tokens').selectAll().where('account_id', '=', accountId).orderBy('id').execute();
    return rows.map(info);
  }

  /**
   * Another account's token counts as none, so its existence does not leak.
   * @example
   * await store.revokeToken(account.id, tokenId, Date.now()); // true
   */
  async revokeToken(accountId: number, tokenId: number, nowMs: number): Promise<boolean> {
    const revoked = await this.#db
      .updateTable('installation_tokens')
      .set({ revoked_at_ms: nowMs })
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
 * Inserts a one-time authorization code (see {@link InstallationTokenRepository.insertAuthorizationCode});
 * shared with the ticket store, which completes a ticket and inserts its code in one transaction.
 * @throws {TypeError} when the account is not active (caller misuse).
 */
export async function insertAuthorizationCode(db: SqlDatabase, record: AuthorizationCodeRecord): Promise<void> {
  if (!(await isActive(db, record.accountId))) throw new TypeError('authorization codes are issued only to active accounts');
  await db
    .insertInto('authorization_codes')
    .values({
      code_hash: record.codeHash,
      account_id: record.accountId,
      ticket: record.ticket ?? null,
      code_challenge: record.codeChallenge,
      created_at_ms: record.createdAtMs,
      expires_at_ms: record.expiresAtMs,
    })
    .execute();
}

async function isActive(db: SqlDatabase, accountId: number): Promise<boolean> {
  return (await db.selectFrom('accounts').select('id').where('id', '=', accountId).where('status', '=', 'active').executeTakeFirst()) !== undefined;
}

/** Constant-time equality of two ASCII strings (as protocol's `verifyPkce` compares challenges). */
function sameAscii(a: string, b: string): boolean {
  const x = Buffer.from(a, 'ascii');
  const y = Buffer.from(b, 'ascii');
  return x.length === y.length && timingSafeEqual(x, y);
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
