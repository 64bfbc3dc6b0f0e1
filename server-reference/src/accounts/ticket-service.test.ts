import { ticketState } from '@certwizard/protocol';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../store/database.js';
import { AccountService } from './account-service.js';
import { AccountStore } from './account-store.js';
import { InstallationTokenService } from './installation-token-service.js';
import { InstallationTokenStore } from './installation-tokens.js';
import { hashToken } from './password.js';
import { TicketService } from './ticket-service.js';
import { TicketStore } from './ticket-store.js';
import { snapshotTables, useTempDatabase } from '../store/test-support/snapshot.js';
import { refusal } from './test-support/refusal.js';
import { registerAccount } from './test-support/register-account.js';

const VERIFIER = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk'; // RFC 7636 Appendix B
const CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';
const T0 = Date.UTC(2025, 5, 1);
const MINUTE = 60_000;
const CONTINUE = 'http://127.0.0.1:8123/continue';
const ERROR = 'http://127.0.0.1:8123/error';

let db: Db;
const temp = useTempDatabase('certwizard-tickets-');
let clock: number;
let tickets: TicketService;
let accounts: AccountService;
beforeEach(async () => {
  db = temp.db;
  clock = T0;
  tickets = new TicketService(new TicketStore(temp.sql), { now: () => clock });
  accounts = new AccountService(new AccountStore(temp.sql), { now: () => clock, scryptN: 2 ** 10 });
});

const snapshot = () => snapshotTables(db);

const account = (email = 'ada@example.org', confirm = true): Promise<number> => registerAccount(accounts, { email, confirm });

describe('TicketService.create / read', () => {
  it('creates a 256-bit base64url ticket living 30 minutes by default, pending until finished', async () => {
    const ticket = await tickets.create();
    expect(ticket).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await tickets.read(ticket)).toEqual({ createdAtMs: T0, expiresAtMs: T0 + 30 * MINUTE });
    expect(ticketState(await tickets.read(ticket), clock)).toEqual({ status: 'pending' });
    expect(ticketState(await tickets.read(ticket), T0 + 30 * MINUTE)).toEqual({ status: 'expired' });
    expect(await tickets.create()).not.toBe(ticket);
  });

  it('makes a user code with each ticket and keeps the address that asked (shown on the confirmation page)', async () => {
    const ticket = await tickets.create({ createdFrom: '203.0.113.5' });
    const other = await tickets.create();
    expect(await tickets.get(ticket)).toMatchObject({
      userCode: expect.stringMatching(/^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/),
      createdFrom: '203.0.113.5',
    });
    expect((await tickets.get(other))?.createdFrom).toBeUndefined();
    expect((await tickets.get(other))?.userCode).toMatch(/^[A-Z]{4}-[A-Z]{4}$/);
    const before = snapshot();
    await expect(tickets.create({ createdFrom: 'x'.repeat(65) })).rejects.toThrow(TypeError);
    expect(snapshot()).toEqual(before);
  });

  it('takes a lifetime option and refuses one out of range', async () => {
    expect((await tickets.read(await tickets.create({ lifetimeMs: 5 * MINUTE })))?.expiresAtMs).toBe(T0 + 5 * MINUTE);
    const before = snapshot();
    for (const lifetimeMs of [0, -1, 1.5, 25 * 60 * MINUTE, Number.NaN]) {
      await expect(tickets.create({ lifetimeMs })).rejects.toThrow(TypeError);
    }
    expect(snapshot()).toEqual(before);
  });

  it('answers undefined (isitdone: unknown) for an unknown or malformed ticket', async () => {
    expect(await tickets.read('A'.repeat(43))).toBeUndefined();
    expect(await tickets.read('../etc')).toBeUndefined();
    expect(await tickets.read(undefined as unknown as string)).toBeUndefined();
    expect(ticketState(await tickets.read('A'.repeat(43)), clock)).toEqual({ status: 'unknown' });
  });
});

describe('TicketService.attach', () => {
  it('stores the callback URLs and the challenge; the same values again are a page reload', async () => {
    const ticket = await tickets.create();
    await tickets.attach(ticket, { continueUrl: CONTINUE, errorUrl: ERROR, codeChallenge: CHALLENGE });
    await tickets.attach(ticket, { continueUrl: CONTINUE, errorUrl: ERROR, codeChallenge: CHALLENGE });
    expect(await tickets.get(ticket)).toEqual({
      ticket,
      userCode: expect.stringMatching(/^[A-Z]{4}-[A-Z]{4}$/),
      createdAtMs: T0,
      expiresAtMs: T0 + 30 * MINUTE,
      continueUrl: CONTINUE,
      errorUrl: ERROR,
      codeChallenge: CHALLENGE,
    });
  });

  it.each([
    { name: 'another challenge', attachment: { continueUrl: CONTINUE, codeChallenge: 'A'.repeat(43) } },
    { name: 'another continue URL', attachment: { continueUrl: 'http://127.0.0.1:9999/x', codeChallenge: CHALLENGE } },
    { name: 'the challenge dropped', attachment: { continueUrl: CONTINUE } },
  ])('refuses a second attach with $name (ERR_TICKET_CONFLICT), changing nothing', async ({ attachment }) => {
    const ticket = await tickets.create();
    await tickets.attach(ticket, { continueUrl: CONTINUE, codeChallenge: CHALLENGE });
    const before = snapshot();
    expect((await refusal(() => tickets.attach(ticket, attachment))).code).toBe('ERR_TICKET_CONFLICT');
    expect(snapshot()).toEqual(before);
  });

  it.each([
    { name: 'a plain (non-S256) challenge', attachment: { codeChallenge: 'too-short' }, field: 'codeChallenge' },
    { name: 'a non-canonical last character', attachment: { codeChallenge: `${CHALLENGE.slice(0, 42)}N` }, field: 'codeChallenge' },
    { name: 'an empty continue URL', attachment: { continueUrl: '' }, field: 'continueUrl' },
    { name: 'an error URL over 2048 characters', attachment: { errorUrl: `http://127.0.0.1:1/${'a'.repeat(2048)}` }, field: 'errorUrl' },
  ])('refuses $name (ERR_TICKET_INVALID on $field), changing nothing', async ({ attachment, field }) => {
    const ticket = await tickets.create();
    const before = snapshot();
    const err = await refusal(() => tickets.attach(ticket, attachment));
    expect(err).toMatchObject({ code: 'ERR_TICKET_INVALID', field });
    expect(snapshot()).toEqual(before);
  });

  it('refuses an unknown, expired or finished ticket with its own code, changing nothing', async () => {
    const expired = await tickets.create({ lifetimeMs: MINUTE });
    const finished = await tickets.create();
    await tickets.fail(finished, 'cancelled');
    clock = T0 + MINUTE;
    const before = snapshot();
    expect((await refusal(() => tickets.attach('A'.repeat(43), { continueUrl: CONTINUE }))).code).toBe('ERR_TICKET_UNKNOWN');
    expect((await refusal(() => tickets.attach(expired, { continueUrl: CONTINUE }))).code).toBe('ERR_TICKET_EXPIRED');
    expect((await refusal(() => tickets.attach(finished, { continueUrl: CONTINUE }))).code).toBe('ERR_TICKET_FINISHED');
    expect(snapshot()).toEqual(before);
  });
});

describe('TicketService.complete', () => {
  it('finishes a ticket without PKCE: done with the address, no code', async () => {
    const accountId = await account();
    const ticket = await tickets.create();
    await tickets.bindAccount(ticket, accountId);
    expect(await tickets.openTicketOf(accountId)).toBe(ticket);
    clock += MINUTE;
    expect(await tickets.complete(ticket, { accountId, email: 'ADA@example.org' })).toEqual({});
    expect(ticketState(await tickets.read(ticket), clock)).toEqual({ status: 'done', emailAddress: 'ada@example.org' });
    expect(await tickets.openTicketOf(accountId)).toBeUndefined();
    expect(snapshot().authorization_codes).toEqual([]);
  });

  it('with a challenge, issues a one-time code that isitdone hands out until it is redeemed', async () => {
    const accountId = await account();
    const ticket = await tickets.create();
    await tickets.attach(ticket, { continueUrl: CONTINUE, codeChallenge: CHALLENGE });
    const { code } = await tickets.complete(ticket, { accountId, email: 'ada@example.org' });
    expect(code).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(ticketState(await tickets.read(ticket), clock)).toEqual({ status: 'done', emailAddress: 'ada@example.org', code });
    expect(db.prepare('SELECT code_hash, ticket, account_id FROM authorization_codes').all()).toEqual([
      { code_hash: hashToken(code as string), ticket, account_id: accountId },
    ]);
    const redeemed = await new InstallationTokenService(new InstallationTokenStore(temp.sql), { now: () => clock }).redeemAuthorizationCode(
      code as string,
      VERIFIER,
    );
    expect(redeemed.accountId).toBe(accountId);
    // Redeemed: the plain copy is gone; isitdone still says done, without the code.
    expect(db.prepare('SELECT code FROM tickets').get()).toEqual({ code: null });
    expect(ticketState(await tickets.read(ticket), clock)).toEqual({ status: 'done', emailAddress: 'ada@example.org' });
  });

  it('wipes the plain code once the ticket has expired', async () => {
    const accountId = await account();
    const ticket = await tickets.create();
    await tickets.attach(ticket, { codeChallenge: CHALLENGE });
    await tickets.complete(ticket, { accountId, email: 'ada@example.org' });
    clock = T0 + 30 * MINUTE;
    expect((await tickets.read(ticket))?.code).toBeUndefined();
    expect(db.prepare('SELECT code FROM tickets').get()).toEqual({ code: null });
  });

  it('refuses to complete twice, after expiry, or for another bound account, changing nothing', async () => {
    const ada = await account();
    const bob = await account('bob@example.org');
    const done = await tickets.create();
    await tickets.complete(done, { accountId: ada, email: 'ada@example.org' });
    const expiring = await tickets.create({ lifetimeMs: MINUTE });
    const bound = await tickets.create();
    await tickets.bindAccount(bound, ada);
    clock = T0 + MINUTE;
    const before = snapshot();
    expect((await refusal(() => tickets.complete(done, { accountId: ada, email: 'ada@example.org' }))).code).toBe('ERR_TICKET_FINISHED');
    expect((await refusal(() => tickets.complete(expiring, { accountId: ada, email: 'ada@example.org' }))).code).toBe('ERR_TICKET_EXPIRED');
    expect((await refusal(() => tickets.complete(bound, { accountId: bob, email: 'bob@example.org' }))).code).toBe('ERR_TICKET_CONFLICT');
    expect((await refusal(() => tickets.bindAccount(bound, bob))).code).toBe('ERR_TICKET_CONFLICT');
    expect((await refusal(() => tickets.complete('A'.repeat(43), { accountId: ada, email: 'ada@example.org' }))).code).toBe('ERR_TICKET_UNKNOWN');
    expect(snapshot()).toEqual(before);
  });

  it('refuses misuse (pending account, foreign address) without issuing a code', async () => {
    const pending = await account('pending@example.org', false);
    const ada = await account();
    const ticket = await tickets.create();
    await tickets.attach(ticket, { codeChallenge: CHALLENGE });
    const before = snapshot();
    await expect(tickets.complete(ticket, { accountId: pending, email: 'pending@example.org' })).rejects.toThrow(TypeError);
    await expect(tickets.complete(ticket, { accountId: ada, email: 'bob@example.org' })).rejects.toThrow(TypeError);
    expect(snapshot()).toEqual(before);
  });
});

describe('TicketService.fail', () => {
  it.each(['address_taken', 'ticket_expired', 'cancelled', 'confirmation_failed', 'invalid_request'] as const)(
    'records the reason %s for isitdone',
    async (reason) => {
      const ticket = await tickets.create();
      await tickets.fail(ticket, reason);
      expect(ticketState(await tickets.read(ticket), clock)).toEqual({ status: 'error', reason });
    },
  );

  it('refuses an undocumented reason and a finished ticket, changing nothing', async () => {
    const ticket = await tickets.create();
    const before = snapshot();
    await expect(tickets.fail(ticket, 'because' as 'cancelled')).rejects.toThrow(TypeError);
    expect(snapshot()).toEqual(before);
    await tickets.fail(ticket, 'cancelled');
    const after = snapshot();
    expect((await refusal(() => tickets.fail(ticket, 'address_taken'))).code).toBe('ERR_TICKET_FINISHED');
    expect(snapshot()).toEqual(after);
  });
});

describe('TicketService.purgeExpired', () => {
  it('keeps expired tickets through the grace period (isitdone: expired), then deletes them and their codes', async () => {
    const accountId = await account();
    const old = await tickets.create();
    await tickets.attach(old, { codeChallenge: CHALLENGE });
    await tickets.complete(old, { accountId, email: 'ada@example.org' });
    clock = T0 + 60 * MINUTE;
    const fresh = await tickets.create();
    expect(await tickets.purgeExpired()).toEqual({ tickets: 0, codes: 0 });
    expect(db.prepare('SELECT code FROM tickets WHERE ticket = ?').get(old)).toEqual({ code: null });
    expect(ticketState(await tickets.read(old), clock)).toEqual({ status: 'expired' });
    clock = T0 + 30 * MINUTE + 24 * 60 * MINUTE;
    expect(await tickets.purgeExpired()).toEqual({ tickets: 1, codes: 1 });
    expect(await tickets.read(old)).toBeUndefined();
    expect(await tickets.read(fresh)).toBeDefined();
    await expect(tickets.purgeExpired({ graceMs: -1 })).rejects.toThrow(TypeError);
  });
});

describe('TicketService: the ping nonce and the user code', () => {
  const NONCE = 'n0nce-Of_The-Mail-Server-43-characters-long';

  it('keeps the nonce of the installer with the ticket until it is taken, once; a malformed one is misuse', async () => {
    const ticket = await tickets.create({ pingNonce: NONCE });
    expect(await tickets.pingNonceOf(ticket)).toBe(NONCE);
    expect(await tickets.takePingNonce(ticket)).toBe(NONCE);
    expect(await tickets.takePingNonce(ticket)).toBeUndefined();
    expect(await tickets.pingNonceOf(ticket)).toBeUndefined();
    expect(await tickets.pingNonceOf('../etc')).toBeUndefined();
    const before = snapshot();
    await expect(tickets.create({ pingNonce: 'short' })).rejects.toThrow(TypeError);
    expect(snapshot()).toEqual(before);
  });

  it('does not show a stored user code that is not of the shape the protocol makes', async () => {
    const ticket = await tickets.create();
    db.prepare("UPDATE tickets SET user_code = 'AAAA-AAAA'").run();
    const stored = await tickets.get(ticket);
    expect(stored).toMatchObject({ ticket, createdAtMs: T0 });
    expect(stored).not.toHaveProperty('userCode');
  });

  it('issues codes with the codeLifetimeMs option, and refuses one that is not a positive integer', async () => {
    const short = new TicketService(new TicketStore(temp.sql), { now: () => clock, codeLifetimeMs: MINUTE });
    const accountId = await account();
    const ticket = await short.create();
    await short.attach(ticket, { codeChallenge: CHALLENGE });
    await short.complete(ticket, { accountId, email: 'ada@example.org' });
    expect(db.prepare('SELECT created_at_ms, expires_at_ms FROM authorization_codes').get()).toEqual({ created_at_ms: T0, expires_at_ms: T0 + MINUTE });
    for (const codeLifetimeMs of [0, -1, 0.5]) expect(() => new TicketService(new TicketStore(temp.sql), { codeLifetimeMs })).toThrow(TypeError);
  });
});

describe('TicketStore (the repository alone)', () => {
  const given = { ticket: 'T'.repeat(43), userCode: 'WDJB-MJHT', createdAtMs: T0, expiresAtMs: T0 + MINUTE };
  const code = { code: 'K'.repeat(43), codeHash: 'k'.repeat(64), expiresAtMs: T0 + 2 * MINUTE };

  it('stores the ticket, user code and times it is given, and decides pending and expired at the time given', async () => {
    const store = new TicketStore(temp.sql);
    const accountId = await account();
    await store.insert(given);
    expect(await store.get(given.ticket)).toMatchObject({ ticket: given.ticket, userCode: 'WDJB-MJHT', createdAtMs: T0, expiresAtMs: T0 + MINUTE });
    expect((await refusal(() => store.attach(given.ticket, { continueUrl: CONTINUE }, T0 + MINUTE))).code).toBe('ERR_TICKET_EXPIRED');
    await store.attach(given.ticket, { continueUrl: CONTINUE }, T0 + MINUTE - 1);
    await store.bindAccount(given.ticket, accountId, T0);
    expect(await store.openTicketOf(accountId, T0 + MINUTE - 1)).toBe(given.ticket);
    expect(await store.openTicketOf(accountId, T0 + MINUTE)).toBeUndefined();
  });

  it('stores the code and digest it is given on completion when the ticket carries a challenge, and nothing else', async () => {
    const store = new TicketStore(temp.sql);
    const accountId = await account();
    await store.insert(given);
    await store.insert({ ...given, ticket: 'U'.repeat(43) });
    await store.attach(given.ticket, { codeChallenge: CHALLENGE }, T0);
    expect(await store.complete(given.ticket, { accountId, email: 'ada@example.org' }, { nowMs: T0 + 1, code })).toEqual({ code: code.code });
    expect(await store.complete('U'.repeat(43), { accountId, email: 'ada@example.org' }, { nowMs: T0 + 1, code })).toEqual({});
    expect(db.prepare('SELECT code_hash, ticket, created_at_ms, expires_at_ms FROM authorization_codes').all()).toEqual([
      { code_hash: 'k'.repeat(64), ticket: given.ticket, created_at_ms: T0 + 1, expires_at_ms: T0 + 2 * MINUTE },
    ]);
    expect((await store.read(given.ticket, T0 + MINUTE - 1))?.code).toBe(code.code);
    expect((await store.read(given.ticket, T0 + MINUTE))?.code).toBeUndefined();
    expect(await store.purgeExpired(T0 + 2 * MINUTE, T0 + MINUTE)).toEqual({ tickets: 2, codes: 0 });
  });
});
