import { createHash } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../store/database.js';
import { snapshotTables, useTempDatabase } from '../store/test-support/snapshot.js';
import { AccountAddressStore } from './account-addresses.js';
import { AccountService } from './account-service.js';
import { AccountStore } from './account-store.js';
import { AddressPingService, PINGS_PER_ADDRESS_PER_HOUR } from './address-ping-service.js';
import { AddressPingStore, type NewAddressPing } from './address-pings.js';
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
let pings: AddressPingService;
beforeEach(async () => {
  db = temp.db;
  clock = T0;
  const now = () => clock;
  accounts = new AccountService(new AccountStore(temp.sql), { now, scryptN: 2 ** 10 });
  addresses = new AccountAddressStore(temp.sql, { now });
  pings = new AddressPingService(new AddressPingStore(temp.sql), { now, perHour: 3 });
});

const activeAccount = (): Promise<number> => registerAccount(accounts);

describe('AddressPingService', () => {
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
    const many = new AddressPingService(new AddressPingStore(temp.sql), { now: () => clock, perHour: 100 });
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

describe('AddressPingService options', () => {
  it('honours lifetimeMs and refuses a lifetime or limit that is not a positive integer', async () => {
    const accountId = await activeAccount();
    const short = new AddressPingService(new AddressPingStore(temp.sql), { now: () => clock, lifetimeMs: MINUTE });
    expect((await short.create(accountId, 'a.l@example.net')).expiresAtMs).toBe(T0 + MINUTE);
    for (const options of [{ lifetimeMs: 0 }, { perHour: -1 }, { perHour: 1.5 }]) {
      expect(() => new AddressPingService(new AddressPingStore(temp.sql), options)).toThrow(TypeError);
    }
  });
});

describe('AddressPingStore (the repository alone)', () => {
  const ping = (over: Partial<NewAddressPing> = {}): NewAddressPing => ({
    tokenHash: 'a'.repeat(64),
    accountId: 1,
    email: 'a.l@example.net',
    createdAtMs: T0,
    expiresAtMs: T0 + MINUTE,
    ...over,
  });

  it('counts the pings created after the instant given against the limits given, storing nothing over one', async () => {
    const store = new AddressPingStore(temp.sql);
    await activeAccount();
    const limits = { sinceMs: T0 - 1, perAccount: 2, perAddress: 1 };
    expect(await store.insertWithinLimits(ping(), limits)).toEqual({ id: 1 });
    expect(await store.insertWithinLimits(ping({ tokenHash: 'b'.repeat(64) }), limits)).toEqual({ over: 'address', createdAtMs: [T0] });
    expect(await store.insertWithinLimits(ping({ tokenHash: 'b'.repeat(64), email: 'b@example.net', createdAtMs: T0 + 1 }), limits)).toEqual({ id: 2 });
    const before = snapshotTables(db);
    expect(await store.insertWithinLimits(ping({ tokenHash: 'c'.repeat(64), email: 'c@example.net' }), limits)).toEqual({
      over: 'account',
      createdAtMs: [T0, T0 + 1],
    });
    expect(snapshotTables(db)).toEqual(before);
    expect(await store.insertWithinLimits(ping({ tokenHash: 'c'.repeat(64), email: 'c@example.net' }), { ...limits, sinceMs: T0 })).toEqual({ id: 3 });
  });

  it('finds a ping by the digest given and uses it once, at the time given, before its expiry', async () => {
    const store = new AddressPingStore(temp.sql);
    await activeAccount();
    await store.insertWithinLimits(ping({ nonceHash: 'n'.repeat(64) }), { sinceMs: 0, perAccount: 9, perAddress: 9 });
    expect(await store.find('a'.repeat(64))).toEqual({
      id: 1,
      accountId: 1,
      email: 'a.l@example.net',
      nonceHash: 'n'.repeat(64),
      createdAtMs: T0,
      expiresAtMs: T0 + MINUTE,
    });
    expect(await store.confirm(1, T0 + MINUTE)).toBe(false);
    expect(await store.confirm(1, T0 + MINUTE - 1)).toBe(true);
    expect(await store.confirm(1, T0 + MINUTE - 1)).toBe(false);
    expect((await store.find('a'.repeat(64)))?.usedAtMs).toBe(T0 + MINUTE - 1);
  });
});
