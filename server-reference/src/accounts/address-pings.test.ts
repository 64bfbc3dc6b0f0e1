import { createHash } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../store/database.js';
import { snapshotTables, useTempDatabase } from '../store/test-support/snapshot.js';
import { AccountAddressStore } from './account-addresses.js';
import { AccountService } from './account-service.js';
import { AccountStore } from './account-store.js';
import { AddressPingStore, PINGS_PER_ADDRESS_PER_HOUR } from './address-pings.js';
import { HandoffStore } from './handoff-store.js';
import { registerAccount } from './test-support/register-account.js';

const T0 = Date.UTC(2030, 0, 1);
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const NONCE = 'n0nce-Of_The-Mail-Server-43-characters-long';
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

let db: Db;
const temp = useTempDatabase('certwizard-pings-');
let clock: number;
let accounts: AccountService;
let addresses: AccountAddressStore;
let pings: AddressPingStore;
beforeEach(async () => {
  db = temp.db;
  clock = T0;
  const now = () => clock;
  accounts = new AccountService(new AccountStore(temp.sql, { now }), { now, scryptN: 2 ** 10 });
  addresses = new AccountAddressStore(temp.sql, { now });
  pings = new AddressPingStore(temp.sql, { now, perHour: 3 });
});

const activeAccount = (): Promise<number> => registerAccount(accounts);

describe('AddressPingStore', () => {
  it('stores digests only, finds a ping by its token, and confirms it once into the confirmed addresses', async () => {
    const accountId = await activeAccount();
    const { id, token, expiresAtMs } = await pings.create(accountId, 'a.l@example.net', { nonce: NONCE });
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(expiresAtMs).toBe(T0 + 24 * HOUR);
    expect(JSON.stringify(snapshotTables(db))).not.toContain(token);
    expect(JSON.stringify(snapshotTables(db))).not.toContain(NONCE);
    expect(await pings.find(token)).toEqual({ id, accountId, email: 'a.l@example.net', nonceHash: sha256(NONCE), createdAtMs: T0, expiresAtMs });
    clock += MINUTE;
    expect(await pings.confirm(id)).toBe(true);
    expect((await pings.find(token))?.usedAtMs).toBe(T0 + MINUTE);
    expect(await addresses.confirmedOf((await accounts.get(accountId)) as NonNullable<Awaited<ReturnType<AccountService['get']>>>)).toEqual([
      'ada@example.org',
      'a.l@example.net',
    ]);
    const before = snapshotTables(db);
    expect(await pings.confirm(id)).toBe(false);
    expect(snapshotTables(db)).toEqual(before);
  });

  it('does not confirm at or after the expiry, changing nothing', async () => {
    const accountId = await activeAccount();
    const { id } = await pings.create(accountId, 'a.l@example.net');
    clock += 24 * HOUR;
    const before = snapshotTables(db);
    expect(await pings.confirm(id)).toBe(false);
    expect(snapshotTables(db)).toEqual(before);
  });

  it('finds nothing for unknown or malformed tokens', async () => {
    expect(await pings.find('A'.repeat(43))).toBeUndefined();
    expect(await pings.find('short')).toBeUndefined();
  });

  it('allows perHour pings in any hour, telling when the next one may come; a removed ping does not count', async () => {
    const accountId = await activeAccount();
    await pings.create(accountId, 'one@example.net');
    clock += 10 * MINUTE;
    await pings.create(accountId, 'two@example.net');
    await pings.create(accountId, 'three@example.net');
    const before = snapshotTables(db);
    let refusal: (Error & { code?: string; retryAfterMs?: number }) | undefined;
    try {
      await pings.create(accountId, 'four@example.net');
    } catch (err) {
      refusal = err as Error & { code?: string; retryAfterMs?: number };
    }
    expect(refusal).toMatchObject({ code: 'ERR_PING_LIMIT', retryAfterMs: 50 * MINUTE });
    expect(snapshotTables(db)).toEqual(before);
    // The first ping leaves the hour: one more fits; a removed one (mail not sent) frees its place.
    clock += 50 * MINUTE;
    const fourth = await pings.create(accountId, 'four@example.net');
    await expect(pings.create(accountId, 'five@example.net')).rejects.toThrow(expect.objectContaining({ code: 'ERR_PING_LIMIT' }));
    await pings.remove(fourth.id);
    await expect(pings.create(accountId, 'five@example.net')).resolves.toMatchObject({ token: expect.any(String) });
  });

  it('sends one address at most PINGS_PER_ADDRESS_PER_HOUR pings an hour, whichever accounts ask', async () => {
    const many = new AddressPingStore(temp.sql, { now: () => clock, perHour: 100 });
    const askers = [];
    for (let i = 0; i < 3; i++) askers.push(await registerAccount(accounts, { email: `asker${i}@example.org` }));
    for (let i = 0; i < PINGS_PER_ADDRESS_PER_HOUR; i++) await many.create(askers[i % 3] as number, 'victim@example.net');
    const before = snapshotTables(db);
    await expect(many.create(askers[0] as number, 'VICTIM@example.net')).rejects.toThrow(expect.objectContaining({ code: 'ERR_PING_LIMIT' }));
    expect(snapshotTables(db)).toEqual(before);
    // Other addresses are not affected; an hour later the victim may be pinged again.
    await expect(many.create(askers[0] as number, 'someone.else@example.net')).resolves.toMatchObject({ token: expect.any(String) });
    clock += HOUR;
    await expect(many.create(askers[1] as number, 'victim@example.net')).resolves.toMatchObject({ token: expect.any(String) });
  });

  it('never removes a used ping', async () => {
    const accountId = await activeAccount();
    const { id, token } = await pings.create(accountId, 'a.l@example.net');
    await pings.confirm(id);
    await pings.remove(id);
    expect((await pings.find(token))?.usedAtMs).toBe(T0);
  });

  it('refuses a malformed nonce as misuse', async () => {
    const accountId = await activeAccount();
    await expect(pings.create(accountId, 'a@example.net', { nonce: 'short' })).rejects.toThrow(TypeError);
  });
});

describe("HandoffStore and the registration's nonce", () => {
  it('keeps the nonce digest past the confirmation, and only it', async () => {
    const handoffs = new HandoffStore(temp.sql, { now: () => clock });
    await registerAccount(accounts, { confirm: false });
    await registerAccount(accounts, { email: 'c@d.example', confirm: false });
    await handoffs.save(1, { continueUrl: 'http://127.0.0.1:5000/done', codeChallenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', pingNonce: NONCE });
    await handoffs.save(2, { continueUrl: 'http://127.0.0.1:5000/done' });
    expect(await handoffs.pingNonceHashOf(1)).toBe(sha256(NONCE));
    expect(await handoffs.pingNonceHashOf(2)).toBeUndefined();
    expect(await handoffs.take(1)).toEqual({ continueUrl: 'http://127.0.0.1:5000/done', codeChallenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM' });
    expect(await handoffs.take(2)).toEqual({ continueUrl: 'http://127.0.0.1:5000/done' });
    // The one-time values are gone (a challenge yields one code); the digest stays for repeats.
    expect(await handoffs.take(1)).toEqual({});
    expect(await handoffs.pingNonceHashOf(1)).toBe(sha256(NONCE));
    expect(db.prepare('SELECT account_id FROM registration_handoffs').all()).toEqual([{ account_id: 1 }]);
    expect(JSON.stringify(snapshotTables(db))).not.toContain(NONCE);
  });

  it('stores a hand-off that carries only a nonce, and refuses a malformed one', async () => {
    const handoffs = new HandoffStore(temp.sql);
    await registerAccount(accounts, { confirm: false });
    await expect(handoffs.save(1, { pingNonce: 'short' })).rejects.toThrow(TypeError);
    await handoffs.save(1, { pingNonce: NONCE });
    expect(await handoffs.pingNonceHashOf(1)).toBe(sha256(NONCE));
  });
});
