/**
 * DomainService over the SQLite DomainStore: normalisation and refusals, one account per domain
 * (stale and lapsed claims freed), the email ping to administrative addresses only, dns/http
 * challenges checked by an injected check, lapse, coverage of names, removal. Stored state is
 * asserted, and refusals change nothing.
 */
import { createHash } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import type { ChallengeCheck, ChallengeToCheck } from '../ca/challenge-check.js';
import { snapshotTables, useTempDatabase } from '../store/test-support/snapshot.js';
import { AccountService } from './account-service.js';
import { AccountStore } from './account-store.js';
import { DOMAIN_CLAIM_LIFETIME_MS_DEFAULT, DomainService } from './domain-service.js';
import { DomainStore } from './domain-store.js';
import { registerAccount } from './test-support/register-account.js';

const T0 = Date.UTC(2030, 0, 1);
const DAY = 24 * 60 * 60_000;
const NONCE = 'n0nce-Of_The-Mail-Server-43-characters-long';
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

const temp = useTempDatabase('certwizard-domains-');
let clock: number;
let ada: number;
let bob: number;
let seen: ChallengeToCheck[];
let answer: { ok: true } | { ok: false; problem: string };
let domains: DomainService;

const fakeCheck: ChallengeCheck = {
  check: async (challenge) => {
    seen.push(challenge);
    return answer;
  },
};

beforeEach(async () => {
  clock = T0;
  seen = [];
  answer = { ok: true };
  const accounts = new AccountService(new AccountStore(temp.sql), { now: () => clock, scryptN: 2 ** 10 });
  ada = await registerAccount(accounts);
  bob = await registerAccount(accounts, { email: 'bob@example.net' });
  domains = new DomainService(new DomainStore(temp.sql), { now: () => clock, lapseAfterMs: 396 * DAY, checks: { dns: fakeCheck, http: fakeCheck } });
});

describe('DomainService.add', () => {
  it('stores the ASCII form, unverified; adding it again in any form changes nothing', async () => {
    expect(await domains.add(ada, ' Bücher.Example. ')).toEqual({
      domain: 'xn--bcher-kva.example',
      unicode: 'bücher.example',
      addedAtMs: T0,
      state: 'unverified',
    });
    const before = snapshotTables(temp.db);
    clock += 1000;
    expect((await domains.add(ada, 'xn--bcher-kva.example')).addedAtMs).toBe(T0);
    expect(snapshotTables(temp.db)).toEqual(before);
  });

  it.each([
    ['co.uk', 'public_suffix'],
    ['github.io', 'public_suffix'],
    ['test', 'single_label'],
    ['mail.localhost', 'localhost'],
    ['127.0.0.1', 'ip_address'],
    ['*.example.org', 'wildcard'],
  ])('refuses %s (%s), storing nothing', async (input, reason) => {
    await expect(domains.add(ada, input)).rejects.toMatchObject({ code: 'ERR_DOMAIN_INVALID', reason });
    expect(snapshotTables(temp.db).account_domains).toEqual([]);
  });

  it('keeps a domain in one account: another account is refused while the claim is young or verified', async () => {
    await domains.add(ada, 'examplemail.test');
    await expect(domains.add(bob, 'EXAMPLEMAIL.test.')).rejects.toMatchObject({ code: 'ERR_DOMAIN_TAKEN' });
    const { value } = (await domains.challenge(ada, 'examplemail.test', 'dns')) as { value: string };
    expect(value).toMatch(/^[A-Za-z0-9_-]{43}$/);
    await domains.check(ada, 'examplemail.test', 'dns');
    clock += DOMAIN_CLAIM_LIFETIME_MS_DEFAULT + DAY;
    await expect(domains.add(bob, 'examplemail.test')).rejects.toMatchObject({ code: 'ERR_DOMAIN_TAKEN' });
  });

  it('frees an unverified claim after the claim lifetime, and a lapsed verification', async () => {
    await domains.add(ada, 'stale.example');
    clock += DOMAIN_CLAIM_LIFETIME_MS_DEFAULT;
    expect((await domains.add(bob, 'stale.example')).state).toBe('unverified');
    expect(await domains.list(ada)).toEqual([]);
    await domains.challenge(bob, 'stale.example', 'http');
    await domains.check(bob, 'stale.example', 'http');
    clock += 396 * DAY;
    expect((await domains.list(bob))[0]?.state).toBe('lapsed');
    expect((await domains.add(ada, 'stale.example')).state).toBe('unverified');
  });
});

describe('DomainService email ping', () => {
  it('pings an administrative address of the domain, keeping only digests, and its confirmation verifies the domain', async () => {
    await domains.add(ada, 'examplemail.test');
    const ping = await domains.createPing(ada, 'examplemail.test', 'PostMaster@ExampleMail.test', { nonce: NONCE });
    expect(ping.address).toBe('postmaster@examplemail.test');
    const stored = snapshotTables(temp.db).domain_challenges as { token_hash: string; nonce_hash: string }[];
    expect(stored[0]).toMatchObject({ method: 'email', token_hash: sha256(ping.token), nonce_hash: sha256(NONCE), address: 'postmaster@examplemail.test' });
    expect(JSON.stringify(snapshotTables(temp.db))).not.toContain(ping.token);
    expect(await domains.findPing(ping.token)).toMatchObject({ domain: 'examplemail.test', accountId: ada, nonceHash: sha256(NONCE) });
    clock += 60_000;
    expect(await domains.confirmPing(ping.id)).toBe(true);
    expect(await domains.confirmPing(ping.id)).toBe(false);
    expect(await domains.list(ada)).toEqual([
      {
        domain: 'examplemail.test',
        unicode: 'examplemail.test',
        addedAtMs: T0,
        state: 'verified',
        verification: { atMs: T0 + 60_000, method: 'email', address: 'postmaster@examplemail.test' },
        lapsesAtMs: T0 + 60_000 + 396 * DAY,
      },
    ]);
  });

  it.each([
    ['a person at the domain', 'ada@examplemail.test'],
    ['postmaster of a subdomain', 'postmaster@mail.examplemail.test'],
    ['postmaster of another domain', 'postmaster@example.net'],
    ['postmaster of a look-alike', 'postmaster@badexamplemail.test'],
  ])('refuses a ping to %s, storing nothing', async (_name, address) => {
    await domains.add(ada, 'examplemail.test');
    const before = snapshotTables(temp.db);
    await expect(domains.createPing(ada, 'examplemail.test', address)).rejects.toMatchObject({ code: 'ERR_DOMAIN_ADDRESS' });
    expect(snapshotTables(temp.db)).toEqual(before);
  });

  it('refuses a ping for a domain of another account', async () => {
    await domains.add(ada, 'examplemail.test');
    await expect(domains.createPing(bob, 'examplemail.test', 'postmaster@examplemail.test')).rejects.toMatchObject({ code: 'ERR_DOMAIN_UNKNOWN' });
  });

  it('holds the hourly limit of pings to one address', async () => {
    await domains.add(ada, 'examplemail.test');
    for (let i = 0; i < 5; i++) await domains.createPing(ada, 'examplemail.test', 'root@examplemail.test');
    await expect(domains.createPing(ada, 'examplemail.test', 'root@examplemail.test')).rejects.toMatchObject({ code: 'ERR_PING_LIMIT' });
    await domains.createPing(ada, 'examplemail.test', 'admin@examplemail.test');
  });

  it('does not verify a domain removed after the ping was sent', async () => {
    await domains.add(ada, 'examplemail.test');
    const ping = await domains.createPing(ada, 'examplemail.test', 'postmaster@examplemail.test');
    await domains.remove(ada, 'examplemail.test');
    expect(await domains.findPing(ping.token)).toBeUndefined();
    expect(await domains.confirmPing(ping.id)).toBe(false);
  });
});

describe('DomainService dns/http challenges', () => {
  it('answers the same challenge until it is used, checks it with the domain and values, and verifies', async () => {
    await domains.add(ada, 'example.org');
    const first = await domains.challenge(ada, 'example.org', 'http');
    expect(await domains.challenge(ada, 'example.org', 'http')).toEqual(first);
    expect(first).toMatchObject({
      method: 'http',
      url: expect.stringMatching(/^http:\/\/example\.org\/\.well-known\/certwizard-challenge\/[A-Za-z0-9_-]{43}$/),
    });
    const verified = await domains.check(ada, 'example.org', 'http');
    expect(verified).toMatchObject({ state: 'verified', verification: { atMs: T0, method: 'http' } });
    const { url, content } = first as { url: string; content: string };
    expect(seen).toEqual([{ domain: 'example.org', token: url.slice(url.lastIndexOf('/') + 1), expected: content }]);
    expect(await domains.challenge(ada, 'example.org', 'http')).not.toEqual(first);
  });

  it('a failed check changes nothing and leaves the challenge live', async () => {
    await domains.add(ada, 'example.org');
    await domains.challenge(ada, 'example.org', 'dns');
    const before = snapshotTables(temp.db);
    answer = { ok: false, problem: 'no TXT record' };
    await expect(domains.check(ada, 'example.org', 'dns')).rejects.toMatchObject({ code: 'ERR_DOMAIN_CHALLENGE_FAILED', message: 'no TXT record' });
    expect(snapshotTables(temp.db)).toEqual(before);
  });

  it('lists the live challenges without making one, and none once used or expired', async () => {
    await domains.add(ada, 'example.org');
    const before = snapshotTables(temp.db);
    expect(await domains.liveChallengesOf(ada, 'example.org')).toEqual([]);
    expect(snapshotTables(temp.db)).toEqual(before);
    const dns = await domains.challenge(ada, 'example.org', 'dns');
    const http = await domains.challenge(ada, 'example.org', 'http');
    expect(await domains.liveChallengesOf(ada, 'EXAMPLE.org.')).toEqual([dns, http]);
    await domains.check(ada, 'example.org', 'dns');
    expect(await domains.liveChallengesOf(ada, 'example.org')).toEqual([http]);
    clock += 8 * DAY;
    expect(await domains.liveChallengesOf(ada, 'example.org')).toEqual([]);
    await expect(domains.liveChallengesOf(bob, 'example.org')).rejects.toMatchObject({ code: 'ERR_DOMAIN_UNKNOWN' });
  });

  it('refuses a check without a live challenge', async () => {
    await domains.add(ada, 'example.org');
    await expect(domains.check(ada, 'example.org', 'dns')).rejects.toMatchObject({ code: 'ERR_DOMAIN_NO_CHALLENGE' });
    await domains.challenge(ada, 'example.org', 'dns');
    clock += 8 * DAY;
    await expect(domains.check(ada, 'example.org', 'dns')).rejects.toMatchObject({ code: 'ERR_DOMAIN_NO_CHALLENGE' });
    expect(seen).toEqual([]);
  });
});

describe('DomainService coverage and lapse', () => {
  it('covers the domain and names below it until the verification lapses', async () => {
    await domains.add(ada, 'examplemail.test');
    await domains.add(ada, 'pending.example');
    await domains.challenge(ada, 'examplemail.test', 'dns');
    await domains.check(ada, 'examplemail.test', 'dns');
    const names = ['mail.examplemail.test', 'examplemail.test', 'badexamplemail.test', 'www.pending.example'];
    expect(await domains.namesOutside(ada, names)).toEqual(['badexamplemail.test', 'www.pending.example']);
    expect(await domains.verifiedDomainsOf(ada)).toEqual(['examplemail.test']);
    expect(await domains.namesOutside(bob, ['mail.examplemail.test'])).toEqual(['mail.examplemail.test']);
    clock += 396 * DAY - 1;
    expect(await domains.verifiedDomainsOf(ada)).toEqual(['examplemail.test']);
    clock += 1;
    expect(await domains.verifiedDomainsOf(ada)).toEqual([]);
    expect(await domains.namesOutside(ada, ['mail.examplemail.test'])).toEqual(['mail.examplemail.test']);
  });

  it('names the account holding a domain, in either form, and none for a domain nobody holds', async () => {
    await domains.add(bob, 'bücher.example');
    expect(await domains.holderOf('XN--BCHER-KVA.example.')).toBe(bob);
    expect(await domains.holderOf('example.org')).toBeUndefined();
    await expect(domains.holderOf('co.uk')).rejects.toMatchObject({ code: 'ERR_DOMAIN_INVALID', reason: 'public_suffix' });
  });

  it('removes a domain with its challenges; removing an unknown one is refused', async () => {
    await domains.add(ada, 'example.org');
    await domains.challenge(ada, 'example.org', 'dns');
    await domains.remove(ada, 'Example.org.');
    expect(snapshotTables(temp.db).account_domains).toEqual([]);
    expect(snapshotTables(temp.db).domain_challenges).toEqual([]);
    await expect(domains.remove(ada, 'example.org')).rejects.toMatchObject({ code: 'ERR_DOMAIN_UNKNOWN' });
  });
});
