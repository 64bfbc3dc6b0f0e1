import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { AccountService } from '../accounts/account-service.js';
import { AccountStore } from '../accounts/account-store.js';
import { hashToken } from '../accounts/password.js';
import { registerAccount } from '../accounts/test-support/register-account.js';
import { openDatabase } from '../store/database.js';
import { createSqlDatabase } from '../store/sqlite-dialect.js';
import { snapshotTables, useTempDatabase } from '../store/test-support/snapshot.js';
import { ScepPinInputError, ScepPinNamesNotOwnedError } from './errors.js';
import { ScepHandleService } from './scep-handle-service.js';
import { SCEP_PIN_TTL_MS_DEFAULT, ScepPinService } from './scep-pin-service.js';
import { ScepHandleStore, ScepPinStore } from './scep-pin-store.js';

const T0 = Date.UTC(2030, 0, 1);
const temp = useTempDatabase('certwizard-scep-pins-');
let clock: number;
let pins: ScepPinService;
let accountId: number;
const ownerNames = {
  namesOutside: async (_id: number, names: readonly string[]) => names.filter((n) => n !== 'example.org' && !n.endsWith('.example.org')),
  addressesOf: async () => ['ada@example.org'],
};
beforeEach(async () => {
  clock = T0;
  const now = () => clock;
  pins = new ScepPinService(new ScepPinStore(temp.sql), { now, ownerNames });
  accountId = await registerAccount(new AccountService(new AccountStore(temp.sql), { now, scryptN: 2 ** 10 }));
});

describe('ScepPinService', () => {
  it('makes a 144-bit base64url PIN living 1 hour, stores only its SHA-256 and lower-case names', async () => {
    const { pin, expiresAt } = await pins.create({ dnsNames: ['Device1.Example.ORG'], subject: 'cn=device1 , o=Example', createdBy: 'cli' });
    expect(pin).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect(expiresAt.getTime()).toBe(T0 + SCEP_PIN_TTL_MS_DEFAULT);
    const rows = snapshotTables(temp.db).scep_pins as Record<string, unknown>[];
    expect(rows).toEqual([
      {
        id: 1,
        digest: hashToken(pin),
        account_id: null,
        dns_names_json: '["device1.example.org"]',
        subject: 'CN=device1, O=Example',
        created_by: 'cli',
        created_at_ms: T0,
        expires_at_ms: T0 + SCEP_PIN_TTL_MS_DEFAULT,
        used_at_ms: null,
        used_by: null,
      },
    ]);
    expect(JSON.stringify(rows)).not.toContain(pin);
  });

  it('refuses a PIN without names, with a bad name, subject or TTL, storing nothing', async () => {
    const before = snapshotTables(temp.db);
    for (const input of [
      { createdBy: 'cli' },
      { dnsNames: ['bad name'], createdBy: 'cli' },
      { subject: 'XX=1', createdBy: 'cli' },
      { dnsNames: ['a.example.org'], ttlMs: 31 * 24 * 3600_000, createdBy: 'cli' },
      { dnsNames: ['a.example.org'], ttlMs: 1000, createdBy: 'cli' },
    ]) {
      await expect(pins.create(input)).rejects.toBeInstanceOf(ScepPinInputError);
    }
    await expect(pins.create({ createdBy: 'cli' })).rejects.toMatchObject({ code: 'ERR_SCEP_PIN_INVALID' });
    expect(snapshotTables(temp.db)).toEqual(before);
  });

  it('checks without consuming: wrong, names (DNS and subject), expired; then consumes exactly once', async () => {
    const { pin } = await pins.create({ dnsNames: ['a.example.org', 'b.example.org'], subject: 'CN=a.example.org', createdBy: 'cli' });
    const ok = { dnsNames: ['A.example.org'], subject: 'CN=a.example.org' };
    expect(await pins.check('x'.repeat(24), ok)).toEqual({ ok: false, reason: 'wrong' });
    expect(await pins.check('short', ok)).toEqual({ ok: false, reason: 'wrong' });
    expect(await pins.check(pin, { dnsNames: ['a.example.org', 'c.example.org'], subject: 'CN=a.example.org' })).toEqual({ ok: false, reason: 'names' });
    expect(await pins.check(pin, { dnsNames: ['a.example.org'], subject: 'CN=b.example.org' })).toEqual({ ok: false, reason: 'names' });
    const before = snapshotTables(temp.db);
    expect(await pins.check(pin, ok)).toMatchObject({ ok: true, accountId: undefined, pin: { dnsNames: ['a.example.org', 'b.example.org'] } });
    expect(snapshotTables(temp.db)).toEqual(before);
    expect(await pins.consume(pin, 'request-1')).toBe(true);
    expect(await pins.consume(pin, 'request-2')).toBe(false);
    expect(await pins.check(pin, ok)).toEqual({ ok: false, reason: 'used' });
    expect((await pins.list(null))[0]).toMatchObject({ usedBy: 'request-1', usedAtMs: T0 });

    const { pin: late } = await pins.create({ dnsNames: ['a.example.org'], createdBy: 'cli' });
    clock = T0 + SCEP_PIN_TTL_MS_DEFAULT;
    expect(await pins.check(late, ok)).toEqual({ ok: false, reason: 'expired' });
    expect(await pins.consume(late, 'request-3')).toBe(false);
    expect(await pins.list('all')).toEqual([]);
  });

  it('owner PINs: only the owner verified names and confirmed addresses', async () => {
    const { pin } = await pins.create({
      dnsNames: ['mail.example.org'],
      subject: 'CN=mail.example.org, E=ada@example.org',
      accountId,
      createdBy: `account:${accountId}`,
    });
    expect(await pins.check(pin, { dnsNames: ['mail.example.org'] })).toEqual({ ok: false, reason: 'names' });
    expect(await pins.check(pin, { dnsNames: ['mail.example.org'], subject: 'CN=mail.example.org, emailAddress=ada@example.org' })).toMatchObject({
      ok: true,
      accountId,
    });
    const before = snapshotTables(temp.db);
    await expect(pins.create({ dnsNames: ['mail.other.test'], accountId, createdBy: 'x' })).rejects.toBeInstanceOf(ScepPinNamesNotOwnedError);
    await expect(pins.create({ subject: 'CN=eve@example.org', accountId, createdBy: 'x' })).rejects.toMatchObject({
      code: 'ERR_SCEP_PIN_NAMES_NOT_OWNED',
      names: ['eve@example.org'],
    });
    expect(snapshotTables(temp.db)).toEqual(before);
    expect((await pins.list(accountId)).map((p) => p.accountId)).toEqual([accountId]);
    expect(await pins.list(null)).toEqual([]);
  });

  it('two database handles on one file (two CA processes): the PIN is spent by exactly one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'certwizard-scep-pin-race-'));
    const a = openDatabase(dir);
    const b = openDatabase(dir);
    try {
      const pinsA = new ScepPinService(new ScepPinStore(createSqlDatabase(a)));
      const pinsB = new ScepPinService(new ScepPinStore(createSqlDatabase(b)));
      for (let round = 0; round < 5; round += 1) {
        const { pin } = await pinsA.create({ dnsNames: ['a.example.org'], createdBy: 'cli' });
        expect((await pinsB.check(pin, { dnsNames: ['a.example.org'] })).ok).toBe(true);
        const won = await Promise.all([pinsA.consume(pin, 'a'), pinsB.consume(pin, 'b'), pinsA.consume(pin, 'c'), pinsB.consume(pin, 'd')]);
        expect(won.filter(Boolean)).toHaveLength(1);
      }
    } finally {
      a.close();
      b.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('ScepHandleService', () => {
  it('makes one handle per account on first call, race-safe, and finds the account by it', async () => {
    const handles = new ScepHandleService(new ScepHandleStore(temp.sql));
    const other = new ScepHandleService(new ScepHandleStore(temp.sql));
    expect(await handles.existingHandleOf(accountId)).toBeUndefined();
    const [h1, h2] = await Promise.all([handles.handleOf(accountId), other.handleOf(accountId)]);
    expect(h1).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect(h2).toBe(h1);
    expect(await handles.handleOf(accountId)).toBe(h1);
    expect(await handles.accountOfHandle(h1)).toBe(accountId);
    expect(await handles.accountOfHandle('x'.repeat(24))).toBeUndefined();
    expect(await handles.accountOfHandle('../etc')).toBeUndefined();
    expect(snapshotTables(temp.db).scep_handles).toHaveLength(1);
  });
});
