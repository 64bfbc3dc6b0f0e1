import { beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../store/database.js';
import { AccountService } from './account-service.js';
import { AccountStore } from './account-store.js';
import { InstallationTokenService } from './installation-token-service.js';
import { InstallationTokenStore } from './installation-tokens.js';
import { hashToken } from './password.js';
import { snapshotTables, useTempDatabase } from '../store/test-support/snapshot.js';
import { refusal } from './test-support/refusal.js';
import { registerAccount } from './test-support/register-account.js';

// RFC 7636 Appendix B: the example verifier and its S256 challenge.
const VERIFIER = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
const CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';
const OTHER_VERIFIER = 'x'.repeat(43);
const T0 = Date.UTC(2025, 5, 1);
const MINUTE = 60_000;

let db: Db;
const temp = useTempDatabase('certwizard-tokens-');
let clock: number;
let tokens: InstallationTokenService;
let accounts: AccountService;
beforeEach(async () => {
  db = temp.db;
  clock = T0;
  tokens = new InstallationTokenService(new InstallationTokenStore(temp.sql), { now: () => clock });
  accounts = new AccountService(new AccountStore(temp.sql), { now: () => clock, scryptN: 2 ** 10 });
});

const snapshot = () => snapshotTables(db);

const activeAccount = (email?: string): Promise<number> => registerAccount(accounts, email !== undefined ? { email } : {});

describe('authorization codes (RFC 7636 §4.4-§4.6)', () => {
  it('issues a code stored only as its hash and redeems it once for an installation token', async () => {
    const accountId = await activeAccount();
    const code = await tokens.issueAuthorizationCode(accountId, CHALLENGE);
    expect(code).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(db.prepare('SELECT code_hash, code_challenge, expires_at_ms, used_at_ms FROM authorization_codes').all()).toEqual([
      { code_hash: hashToken(code), code_challenge: CHALLENGE, expires_at_ms: T0 + 10 * MINUTE, used_at_ms: null },
    ]);
    clock += MINUTE;
    const result = await tokens.redeemAuthorizationCode(code, VERIFIER, { label: 'mail server on host1' });
    expect(result).toMatchObject({ accountId, tokenId: 1 });
    expect(result.installationToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(JSON.stringify(snapshot())).not.toContain(result.installationToken);
    expect(JSON.stringify(snapshot())).not.toContain(code);
    expect(db.prepare('SELECT used_at_ms FROM authorization_codes').get()).toEqual({ used_at_ms: T0 + MINUTE });
    expect(await tokens.listTokens(accountId)).toEqual([{ id: 1, label: 'mail server on host1', createdAtMs: T0 + MINUTE }]);
  });

  it('makes every token itself: the redemption takes no token from the caller (hardening: no client-chosen tokens)', async () => {
    const accountId = await activeAccount();
    const redeem = tokens.redeemAuthorizationCode as (
      code: string,
      verifier: string,
      options: Record<string, unknown>,
    ) => Promise<{ installationToken: string }>;
    const own = 'T'.repeat(43);
    const first = await redeem.call(tokens, await tokens.issueAuthorizationCode(accountId, CHALLENGE), VERIFIER, { installationToken: own });
    expect(first.installationToken).not.toBe(own);
    expect(first.installationToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect((await refusal(() => tokens.authenticateToken(own))).code).toBe('ERR_TOKEN_INVALID');
    expect(JSON.stringify(snapshot())).not.toContain(first.installationToken);
  });

  it('refuses a wrong verifier without burning the code', async () => {
    const accountId = await activeAccount();
    const code = await tokens.issueAuthorizationCode(accountId, CHALLENGE);
    const before = snapshot();
    const err = await refusal(() => tokens.redeemAuthorizationCode(code, OTHER_VERIFIER));
    expect(err.code).toBe('ERR_GRANT_INVALID');
    expect(err.message).not.toContain(code);
    expect(err.message).not.toContain(OTHER_VERIFIER);
    expect(snapshot()).toEqual(before);
    expect((await tokens.redeemAuthorizationCode(code, VERIFIER)).accountId).toBe(accountId);
  });

  it.each([
    { name: 'an unknown code', code: 'A'.repeat(43), verifier: VERIFIER },
    { name: 'a malformed code', code: 'short', verifier: VERIFIER },
    { name: 'a verifier of 42 characters (RFC 7636 §4.1)', code: undefined, verifier: VERIFIER.slice(1) },
    { name: 'a verifier with a reserved character', code: undefined, verifier: `${VERIFIER.slice(1)}+` },
    { name: 'a verifier of 129 characters', code: undefined, verifier: 'a'.repeat(129) },
  ])('refuses $name with ERR_GRANT_INVALID, changing nothing', async ({ code, verifier }) => {
    const accountId = await activeAccount();
    const real = await tokens.issueAuthorizationCode(accountId, CHALLENGE);
    const before = snapshot();
    expect((await refusal(() => tokens.redeemAuthorizationCode(code ?? real, verifier))).code).toBe('ERR_GRANT_INVALID');
    expect(snapshot()).toEqual(before);
  });

  it('refuses an expired code at its expiry instant, changing nothing', async () => {
    const accountId = await activeAccount();
    const code = await tokens.issueAuthorizationCode(accountId, CHALLENGE);
    clock = T0 + 10 * MINUTE;
    const before = snapshot();
    expect((await refusal(() => tokens.redeemAuthorizationCode(code, VERIFIER))).code).toBe('ERR_GRANT_INVALID');
    expect(snapshot()).toEqual(before);
  });

  it("answers a repeat with the verifier inside the code's lifetime with a fresh token and revokes the first (an installer killed before it kept the answer)", async () => {
    const accountId = await activeAccount();
    const code = await tokens.issueAuthorizationCode(accountId, CHALLENGE);
    const first = await tokens.redeemAuthorizationCode(code, VERIFIER);
    clock += 1000;
    const second = await tokens.redeemAuthorizationCode(code, VERIFIER);
    expect(second.installationToken).not.toBe(first.installationToken);
    expect((await refusal(() => tokens.authenticateToken(first.installationToken))).code).toBe('ERR_TOKEN_INVALID');
    expect((await tokens.authenticateToken(second.installationToken)).accountId).toBe(accountId);
    // One live token per code, whatever the number of repeats.
    expect((await tokens.listTokens(accountId)).filter((t) => t.revokedAtMs === undefined)).toHaveLength(1);
    expect((await tokens.listTokens(accountId))[0]).toMatchObject({ id: 1, revokedAtMs: T0 + 1000 });
  });

  it("refuses a repeat past the code's lifetime and revokes the token of the first (RFC 6749 §4.1.2)", async () => {
    const accountId = await activeAccount();
    const code = await tokens.issueAuthorizationCode(accountId, CHALLENGE);
    const { installationToken } = await tokens.redeemAuthorizationCode(code, VERIFIER);
    clock += 10 * 60_000;
    expect((await refusal(() => tokens.redeemAuthorizationCode(code, VERIFIER))).code).toBe('ERR_GRANT_INVALID');
    expect(await tokens.listTokens(accountId)).toEqual([{ id: 1, label: 'installation', createdAtMs: T0, revokedAtMs: T0 + 10 * 60_000 }]);
    expect((await refusal(() => tokens.authenticateToken(installationToken))).code).toBe('ERR_TOKEN_INVALID');
    expect(snapshot().installation_tokens).toHaveLength(1);
  });

  it("does not let a replay without the verifier revoke the real installer's token", async () => {
    const accountId = await activeAccount();
    const code = await tokens.issueAuthorizationCode(accountId, CHALLENGE);
    const { installationToken } = await tokens.redeemAuthorizationCode(code, VERIFIER);
    const before = snapshot();
    expect((await refusal(() => tokens.redeemAuthorizationCode(code, OTHER_VERIFIER))).code).toBe('ERR_GRANT_INVALID');
    expect(snapshot()).toEqual(before);
    expect((await tokens.authenticateToken(installationToken)).accountId).toBe(accountId);
  });

  it('refuses misuse: a malformed challenge, a pending account, a bad label', async () => {
    const accountId = await activeAccount();
    const pending = await accounts.register({
      firstName: 'B',
      lastName: 'C',
      email: 'b@example.org',
      dateOfBirth: '1980-01-01',
      password: 'another passphrase',
      questions: [
        { question: 'Pet?', answer: 'a' },
        { question: 'Town?', answer: 'b' },
      ],
    });
    const before = snapshot();
    await expect(tokens.issueAuthorizationCode(accountId, 'plain-challenge')).rejects.toThrow(TypeError);
    await expect(tokens.issueAuthorizationCode(pending.accountId, CHALLENGE)).rejects.toThrow(TypeError);
    const code = await tokens.issueAuthorizationCode(accountId, CHALLENGE);
    const withCode = snapshot();
    expect(before.authorization_codes).toHaveLength(0);
    await expect(tokens.redeemAuthorizationCode(code, VERIFIER, { label: 'bad\nlabel' })).rejects.toThrow(TypeError);
    await expect(tokens.redeemAuthorizationCode(code, VERIFIER, { label: 'x'.repeat(101) })).rejects.toThrow(TypeError);
    expect(snapshot()).toEqual(withCode);
  });
});

describe('installation tokens', () => {
  it('authenticates a token and records its last use', async () => {
    const accountId = await activeAccount();
    const { installationToken, tokenId } = await tokens.redeemAuthorizationCode(await tokens.issueAuthorizationCode(accountId, CHALLENGE), VERIFIER);
    clock += 5000;
    expect(await tokens.authenticateToken(installationToken)).toEqual({ accountId, tokenId });
    expect((await tokens.listTokens(accountId))[0]).toMatchObject({ lastUsedAtMs: T0 + 5000 });
  });

  it.each([
    { name: 'unknown', token: 'B'.repeat(43) },
    { name: 'malformed', token: 'Bearer xyz' },
    { name: 'not a string', token: null },
  ])('refuses an $name token with ERR_TOKEN_INVALID, changing nothing', async ({ token }) => {
    const accountId = await activeAccount();
    await tokens.redeemAuthorizationCode(await tokens.issueAuthorizationCode(accountId, CHALLENGE), VERIFIER);
    const before = snapshot();
    expect((await refusal(() => tokens.authenticateToken(token as string))).code).toBe('ERR_TOKEN_INVALID');
    expect(snapshot()).toEqual(before);
  });

  it('revokes only the owner\'s token; again is a no-op; another account\'s is "not found"', async () => {
    const ada = await activeAccount();
    const bob = await activeAccount('bob@example.org');
    const mine = await tokens.redeemAuthorizationCode(await tokens.issueAuthorizationCode(ada, CHALLENGE), VERIFIER);
    const his = await tokens.redeemAuthorizationCode(await tokens.issueAuthorizationCode(bob, CHALLENGE), VERIFIER);
    let before = snapshot();
    expect((await refusal(() => tokens.revokeToken(ada, his.tokenId))).code).toBe('ERR_TOKEN_NOT_FOUND');
    expect((await refusal(() => tokens.revokeToken(ada, 999))).code).toBe('ERR_TOKEN_NOT_FOUND');
    expect(snapshot()).toEqual(before);
    clock += 7;
    expect(await tokens.revokeToken(ada, mine.tokenId)).toBe(true);
    before = snapshot();
    expect(await tokens.revokeToken(ada, mine.tokenId)).toBe(false);
    expect(snapshot()).toEqual(before);
    expect(await tokens.listTokens(ada)).toEqual([{ id: mine.tokenId, label: 'installation', createdAtMs: T0, revokedAtMs: T0 + 7 }]);
    expect((await refusal(() => tokens.authenticateToken(mine.installationToken))).code).toBe('ERR_TOKEN_INVALID');
    expect((await tokens.authenticateToken(his.installationToken)).accountId).toBe(bob);
  });
});

describe('InstallationTokenService options', () => {
  it('issues codes living codeLifetimeMs, and refuses a lifetime that is not a positive integer', async () => {
    const accountId = await activeAccount();
    const short = new InstallationTokenService(new InstallationTokenStore(temp.sql), { now: () => clock, codeLifetimeMs: MINUTE });
    await short.issueAuthorizationCode(accountId, CHALLENGE);
    expect(db.prepare('SELECT expires_at_ms FROM authorization_codes').get()).toEqual({ expires_at_ms: T0 + MINUTE });
    for (const codeLifetimeMs of [0, -1, 1.5])
      expect(() => new InstallationTokenService(new InstallationTokenStore(temp.sql), { codeLifetimeMs })).toThrow(TypeError);
  });
});

describe('InstallationTokenStore (the repository alone)', () => {
  const code = { codeHash: 'c'.repeat(64), codeChallenge: CHALLENGE, createdAtMs: T0, expiresAtMs: T0 + MINUTE };
  const redemption = { codeHash: 'c'.repeat(64), verifierChallenge: CHALLENGE, tokenHash: 't'.repeat(64), label: 'given label', nowMs: T0 + 1 };

  it('stores the digests and times it is given and compares the challenge it is given, not a verifier', async () => {
    const store = new InstallationTokenStore(temp.sql);
    const accountId = await activeAccount();
    await store.insertAuthorizationCode({ ...code, accountId });
    const before = snapshot();
    expect(await store.redeemAuthorizationCode({ ...redemption, verifierChallenge: 'A'.repeat(43) })).toBe('invalid');
    expect(await store.redeemAuthorizationCode({ ...redemption, nowMs: T0 + MINUTE })).toBe('invalid');
    expect(snapshot()).toEqual(before);
    expect(await store.redeemAuthorizationCode(redemption)).toEqual({ accountId, tokenId: 1 });
    expect(db.prepare('SELECT token_hash, label, created_at_ms FROM installation_tokens').all()).toEqual([
      { token_hash: 't'.repeat(64), label: 'given label', created_at_ms: T0 + 1 },
    ]);
    // A repeat past the code's lifetime only revokes.
    expect(await store.redeemAuthorizationCode({ ...redemption, tokenHash: 'u'.repeat(64), nowMs: T0 + MINUTE })).toBe('replayed');
    expect(await store.listTokens(accountId)).toEqual([{ id: 1, label: 'given label', createdAtMs: T0 + 1, revokedAtMs: T0 + MINUTE }]);
  });

  it('records the use of a token at the time given', async () => {
    const store = new InstallationTokenStore(temp.sql);
    const accountId = await activeAccount();
    await store.insertAuthorizationCode({ ...code, accountId });
    await store.redeemAuthorizationCode(redemption);
    expect(await store.authenticateToken('t'.repeat(64), 1234)).toEqual({ accountId, tokenId: 1 });
    expect(await store.listTokens(accountId)).toEqual([{ id: 1, label: 'given label', createdAtMs: T0 + 1, lastUsedAtMs: 1234 }]);
    expect(await store.revokeToken(accountId, 1, 5678)).toBe(true);
    expect((await store.listTokens(accountId))[0]?.revokedAtMs).toBe(5678);
  });
});
