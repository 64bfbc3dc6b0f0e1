import { createHash } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../store/database.js';
import { snapshotTables, useTempDatabase } from '../store/test-support/snapshot.js';
import { AccountAddressStore } from './account-addresses.js';
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
let accounts: AccountStore;
let addresses: AccountAddressStore;
let pings: AddressPingStore;
beforeEach(() => {
  db = temp.db;
  clock = T0;
  const now = () => clock;
  accounts = new AccountStore(db, { now, scryptN: 2 ** 10 });
  addresses = new AccountAddressStore(db, { now });
  pings = new AddressPingStore(db, { now, addresses, perHour: 3 });
});

const activeAccount = (): Promise<number> => registerAccount(accounts);

describe('AddressPingStore', () => {
  it('stores digests only, finds a ping by its token, and confirms it once into the confirmed addresses', async () => {
    const accountId = await activeAccount();
    const { id, token, expiresAtMs } = pings.create(accountId, 'a.l@example.net', { nonce: NONCE });
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(expiresAtMs).toBe(T0 + 24 * HOUR);
    expect(JSON.stringify(snapshotTables(db))).not.toContain(token);
    expect(JSON.stringify(snapshotTables(db))).not.toContain(NONCE);
    expect(pings.find(token)).toEqual({ id, accountId, email: 'a.l@example.net', nonceHash: sha256(NONCE), createdAtMs: T0, expiresAtMs });
    clock += MINUTE;
    expect(pings.confirm(id)).toBe(true);
    expect(pings.find(token)?.usedAtMs).toBe(T0 + MINUTE);
    expect(addresses.confirmedOf(accounts.get(accountId) as NonNullable<ReturnType<AccountStore['get']>>)).toEqual(['ada@example.org', 'a.l@example.net']);
    const before = snapshotTables(db);
    expect(pings.confirm(id)).toBe(false);
    expect(snapshotTables(db)).toEqual(before);
  });

  it('does not confirm at or after the expiry, changing nothing', async () => {
    const accountId = await activeAccount();
    const { id } = pings.create(accountId, 'a.l@example.net');
    clock += 24 * HOUR;
    const before = snapshotTables(db);
    expect(pings.confirm(id)).toBe(false);
    expect(snapshotTables(db)).toEqual(before);
  });

  it('finds nothing for unknown or malformed tokens', () => {
    expect(pings.find('A'.repeat(43))).toBeUndefined();
    expect(pings.find('short')).toBeUndefined();
  });

  it('allows perHour pings in any hour, telling when the next one may come; a removed ping does not count', async () => {
    const accountId = await activeAccount();
    pings.create(accountId, 'one@example.net');
    clock += 10 * MINUTE;
    pings.create(accountId, 'two@example.net');
    pings.create(accountId, 'three@example.net');
    const before = snapshotTables(db);
    let refusal: (Error & { code?: string; retryAfterMs?: number }) | undefined;
    try {
      pings.create(accountId, 'four@example.net');
    } catch (err) {
      refusal = err as Error & { code?: string; retryAfterMs?: number };
    }
    expect(refusal).toMatchObject({ code: 'ERR_PING_LIMIT', retryAfterMs: 50 * MINUTE });
    expect(snapshotTables(db)).toEqual(before);
    // The first ping leaves the hour: one more fits; a removed one (mail not sent) frees its place.
    clock += 50 * MINUTE;
    const fourth = pings.create(accountId, 'four@example.net');
    expect(() => pings.create(accountId, 'five@example.net')).toThrow(expect.objectContaining({ code: 'ERR_PING_LIMIT' }));
    pings.remove(fourth.id);
    expect(() => pings.create(accountId, 'five@example.net')).not.toThrow();
  });

  it('sends one address at most PINGS_PER_ADDRESS_PER_HOUR pings an hour, whichever accounts ask', async () => {
    const many = new AddressPingStore(db, { now: () => clock, addresses, perHour: 100 });
    const askers = [];
    for (let i = 0; i < 3; i++) askers.push(await registerAccount(accounts, { email: `asker${i}@example.org` }));
    for (let i = 0; i < PINGS_PER_ADDRESS_PER_HOUR; i++) many.create(askers[i % 3] as number, 'victim@example.net');
    const before = snapshotTables(db);
    expect(() => many.create(askers[0] as number, 'VICTIM@example.net')).toThrow(expect.objectContaining({ code: 'ERR_PING_LIMIT' }));
    expect(snapshotTables(db)).toEqual(before);
    // Other addresses are not affected; an hour later the victim may be pinged again.
    expect(() => many.create(askers[0] as number, 'someone.else@example.net')).not.toThrow();
    clock += HOUR;
    expect(() => many.create(askers[1] as number, 'victim@example.net')).not.toThrow();
  });

  it('never removes a used ping', async () => {
    const accountId = await activeAccount();
    const { id, token } = pings.create(accountId, 'a.l@example.net');
    pings.confirm(id);
    pings.remove(id);
    expect(pings.find(token)?.usedAtMs).toBe(T0);
  });

  it('refuses a malformed nonce as misuse', async () => {
    const accountId = await activeAccount();
    expect(() => pings.create(accountId, 'a@example.net', { nonce: 'short' })).toThrow(TypeError);
  });
});

describe("HandoffStore and the registration's nonce", () => {
  it('keeps the nonce digest past the confirmation, and only it', async () => {
    const handoffs = new HandoffStore(db, { now: () => clock });
    await registerAccount(accounts, { confirm: false });
    await registerAccount(accounts, { email: 'c@d.example', confirm: false });
    handoffs.save(1, { continueUrl: 'http://127.0.0.1:5000/done', codeChallenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', pingNonce: NONCE });
    handoffs.save(2, { continueUrl: 'http://127.0.0.1:5000/done' });
    expect(handoffs.pingNonceHashOf(1)).toBe(sha256(NONCE));
    expect(handoffs.pingNonceHashOf(2)).toBeUndefined();
    expect(handoffs.take(1)).toEqual({ continueUrl: 'http://127.0.0.1:5000/done', codeChallenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM' });
    expect(handoffs.take(2)).toEqual({ continueUrl: 'http://127.0.0.1:5000/done' });
    // The one-time values are gone (a challenge yields one code); the digest stays for repeats.
    expect(handoffs.take(1)).toEqual({});
    expect(handoffs.pingNonceHashOf(1)).toBe(sha256(NONCE));
    expect(db.prepare('SELECT account_id FROM registration_handoffs').all()).toEqual([{ account_id: 1 }]);
    expect(JSON.stringify(snapshotTables(db))).not.toContain(NONCE);
  });

  it('stores a hand-off that carries only a nonce, and refuses a malformed one', async () => {
    const handoffs = new HandoffStore(db);
    await registerAccount(accounts, { confirm: false });
    expect(() => handoffs.save(1, { pingNonce: 'short' })).toThrow(TypeError);
    handoffs.save(1, { pingNonce: NONCE });
    expect(handoffs.pingNonceHashOf(1)).toBe(sha256(NONCE));
  });
});
