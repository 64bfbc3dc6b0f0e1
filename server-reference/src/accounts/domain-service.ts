/**
 * The rules of the domains of an account (docs/protocol.md, "Domains of an account"), above the
 * repository ({@link DomainRepository}):
 *
 * - A domain is what `normalizeDomainName` of @certwizard/protocol accepts, stored in ASCII form.
 * - As at CAcert, a domain is in one account at a time. Another account's claim stands in the
 *   way while it is verified and not lapsed, or unverified but younger than the claim lifetime
 *   ({@link DOMAIN_CLAIM_LIFETIME_MS_DEFAULT}); after that anyone may add it (a claim nobody
 *   verifies must not squat a domain, and a lapsed one no longer proves anything).
 * - Verified by one of three methods: an email ping to one of the domain's administrative
 *   addresses (same nonce rules and hourly limits as the address ping), a DNS TXT record, an
 *   HTTP file. The last verification is kept with its time and method (and address).
 * - A verification lapses after `lapseAfterMs` (default 396 days, 13 months); a lapsed domain
 *   covers no name until it is verified again. Verifying again before it lapses restarts the period.
 * - A verified, unlapsed domain covers itself and every name below it (`isNameWithinDomain`).
 */
import { randomBytes } from 'node:crypto';
import {
  dnsChallengeName,
  httpChallengeUrl,
  InvalidDomainNameError,
  isAdministrativeAddress,
  isNameWithinDomain,
  isValidPingNonce,
  normalizeDomainName,
} from '@certwizard/protocol';
import type { ChallengeCheck } from '../ca/challenge-check.js';
import {
  DomainAddressError,
  DomainChallengeFailedError,
  DomainChallengeMissingError,
  DomainInvalidError,
  DomainTakenError,
  DomainUnknownError,
} from './domain-errors.js';
import type { AccountDomainRecord, DomainChallengeRecord, DomainRepository, DomainVerification } from './domain-store.js';
import { hashToken } from './password.js';
import { PING_LIMIT_WINDOW_MS, pingLimitError } from './ping-limits.js';

const DAY_MS = 24 * 60 * 60_000;

/** How long a verification holds by default, in ms: 396 days, 13 months rounded up. */
export const DOMAIN_LAPSE_MS_DEFAULT = 396 * DAY_MS;

/** How long an unverified claim keeps a domain from other accounts by default, in ms (7 days). */
export const DOMAIN_CLAIM_LIFETIME_MS_DEFAULT = 7 * DAY_MS;

/** How long a domain ping's link works by default, in ms (24 hours, as an address ping's). */
export const DOMAIN_PING_LIFETIME_MS_DEFAULT = DAY_MS;

/** How long a dns or http challenge can be checked by default, in ms (7 days, as ACME's pending authorizations). */
export const DOMAIN_CHALLENGE_LIFETIME_MS_DEFAULT = 7 * DAY_MS;

/** Domain pings an account may ask for per hour, as address pings. */
export const DOMAIN_PINGS_PER_HOUR = 10;

/** Domain pings one administrative address may receive per hour, whichever accounts asked. */
export const DOMAIN_PINGS_PER_ADDRESS_PER_HOUR = 5;

/** A domain of an account with its state, as the pages and the API show it. */
export interface AccountDomain {
  /** ASCII form (A-labels). */
  readonly domain: string;
  /** Unicode form, for display. */
  readonly unicode: string;
  readonly addedAtMs: number;
  /** `verified` covers names now; `lapsed` did; `unverified` never did. */
  readonly state: 'unverified' | 'verified' | 'lapsed';
  readonly verification?: DomainVerification;
  /** When the verification lapses (or lapsed). */
  readonly lapsesAtMs?: number;
}

/** A dns or http challenge, as handed out. */
export type IssuedChallenge =
  | { readonly method: 'dns'; readonly domain: string; readonly name: string; readonly value: string; readonly expiresAtMs: number }
  | { readonly method: 'http'; readonly domain: string; readonly url: string; readonly content: string; readonly expiresAtMs: number };

/** Options of {@link DomainService}. */
export interface DomainServiceOptions {
  /** Clock, in ms since the epoch; `Date.now` by default. */
  readonly now?: () => number;
  /** How long a verification holds, in ms; default {@link DOMAIN_LAPSE_MS_DEFAULT}. */
  readonly lapseAfterMs?: number;
  /** How long an unverified claim holds off other accounts, in ms; default {@link DOMAIN_CLAIM_LIFETIME_MS_DEFAULT}. */
  readonly claimLifetimeMs?: number;
  /** Lifetime of a domain ping's link, in ms; default {@link DOMAIN_PING_LIFETIME_MS_DEFAULT}. */
  readonly pingLifetimeMs?: number;
  /** Lifetime of a dns/http challenge, in ms; default {@link DOMAIN_CHALLENGE_LIFETIME_MS_DEFAULT}. */
  readonly challengeLifetimeMs?: number;
  /** The checks of the dns and http methods; a method without one is refused as unchecked. */
  readonly checks?: { readonly dns?: ChallengeCheck; readonly http?: ChallengeCheck };
  /**
   * Told after a domain was removed (ASCII form), e.g. to apply the CA's revocation policy
   * (ca/names-lost.ts). Awaited; what it throws is the caller's (the removal is already stored).
   */
  readonly onRemoved?: (accountId: number, domain: string) => Promise<void>;
}

function positive(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value <= 0) throw new TypeError(`${name} must be a positive integer`);
  return value;
}

/**
 * Domains of accounts over a {@link DomainRepository}.
 * @example
 * const domains = new DomainService(new DomainStore(sql), { checks: { dns: new DnsTxtCheck(), http: new HttpFileCheck() } });
 * await domains.add(accountId, 'examplemail.test');
 * const challenge = await domains.challenge(accountId, 'examplemail.test', 'dns');
 * // ...the owner publishes challenge.value at challenge.name; then:
 * await domains.check(accountId, 'examplemail.test', 'dns');
 */
export class DomainService {
  readonly #repository: DomainRepository;
  readonly #now: () => number;
  readonly #lapseAfterMs: number;
  readonly #claimLifetimeMs: number;
  readonly #pingLifetimeMs: number;
  readonly #challengeLifetimeMs: number;
  readonly #checks: NonNullable<DomainServiceOptions['checks']>;
  readonly #onRemoved: DomainServiceOptions['onRemoved'];

  /** @throws {TypeError} for a non-positive or non-integer lifetime. */
  constructor(repository: DomainRepository, options: DomainServiceOptions = {}) {
    this.#repository = repository;
    this.#now = options.now ?? Date.now;
    this.#lapseAfterMs = positive(options.lapseAfterMs ?? DOMAIN_LAPSE_MS_DEFAULT, 'lapseAfterMs');
    this.#claimLifetimeMs = positive(options.claimLifetimeMs ?? DOMAIN_CLAIM_LIFETIME_MS_DEFAULT, 'claimLifetimeMs');
    this.#pingLifetimeMs = positive(options.pingLifetimeMs ?? DOMAIN_PING_LIFETIME_MS_DEFAULT, 'pingLifetimeMs');
    this.#challengeLifetimeMs = positive(options.challengeLifetimeMs ?? DOMAIN_CHALLENGE_LIFETIME_MS_DEFAULT, 'challengeLifetimeMs');
    this.#checks = options.checks ?? {};
    this.#onRemoved = options.onRemoved;
  }

  /**
   * Normalises a domain as the service stores it.
   * @throws {DomainInvalidError} `ERR_DOMAIN_INVALID` with the protocol's reason.
   * @example
   * domains.normalize('Bücher.example.'); // 'xn--bcher-kva.example'
   */
  normalize(input: string): string {
    try {
      return normalizeDomainName(input).ascii;
    } catch (err) {
      if (err instanceof InvalidDomainNameError) throw new DomainInvalidError(err.reason, err.message, { cause: err });
      throw err;
    }
  }

  /**
   * Adds a domain to the account, unverified; adding one the account has changes nothing.
   * @throws {DomainInvalidError} `ERR_DOMAIN_INVALID`; {@link DomainTakenError} `ERR_DOMAIN_TAKEN`
   *   when another account's claim stands (nothing changes).
   * @example
   * (await domains.add(accountId, 'examplemail.test')).state; // 'unverified'
   */
  async add(accountId: number, input: string): Promise<AccountDomain> {
    const domain = this.normalize(input);
    const now = this.#now();
    const added = await this.#repository.add(accountId, domain, now, {
      unverifiedAddedAtOrBeforeMs: now - this.#claimLifetimeMs,
      verifiedAtOrBeforeMs: now - this.#lapseAfterMs,
    });
    if ('taken' in added) throw new DomainTakenError('another account holds this domain');
    return this.#view(added.record, now);
  }

  /**
   * The account's domains with their state, in the order they were added.
   * @example
   * (await domains.list(accountId)).filter((d) => d.state === 'verified');
   */
  async list(accountId: number): Promise<AccountDomain[]> {
    const now = this.#now();
    return (await this.#repository.listOf(accountId)).map((r) => this.#view(r, now));
  }

  /**
   * The account that holds a domain (in any state), for an operator looking it up.
   * @returns the account's id, or `undefined` when no account holds it.
   * @throws {DomainInvalidError} `ERR_DOMAIN_INVALID`.
   * @example
   * await domains.holderOf('Bücher.example'); // 7
   */
  async holderOf(input: string): Promise<number | undefined> {
    return (await this.#repository.findByDomain(this.normalize(input)))?.accountId;
  }

  /**
   * The account's verified, unlapsed domains (ASCII form): what `/api/cdomains.php` lists.
   * @example
   * await domains.verifiedDomainsOf(accountId); // ['examplemail.test']
   */
  async verifiedDomainsOf(accountId: number): Promise<string[]> {
    return (await this.list(accountId)).filter((d) => d.state === 'verified').map((d) => d.domain);
  }

  /**
   * The names that no verified, unlapsed domain of the account covers, in the given order.
   * @example
   * await domains.namesOutside(accountId, ['mail.examplemail.test', 'www.other.test']); // ['www.other.test']
   */
  async namesOutside(accountId: number, names: readonly string[]): Promise<string[]> {
    const verified = await this.verifiedDomainsOf(accountId);
    return names.filter((name) => !verified.some((domain) => isNameWithinDomain(name, domain)));
  }

  /**
   * Removes a domain from the account (the owner's or an operator's decision), with its challenges.
   * @throws {DomainInvalidError} `ERR_DOMAIN_INVALID`; {@link DomainUnknownError} `ERR_DOMAIN_UNKNOWN` when the account has no such domain.
   * @example
   * await domains.remove(accountId, 'examplemail.test');
   */
  async remove(accountId: number, input: string): Promise<void> {
    const domain = this.normalize(input);
    if (!(await this.#repository.remove(accountId, domain))) throw new DomainUnknownError('the domain is not one of this account');
    await this.#onRemoved?.(accountId, domain);
  }

  /**
   * Makes an email ping to one of the domain's administrative addresses.
   * @returns the ping's id, its token (never readable again: only its SHA-256 is stored), the
   *   address as it will be mailed (local part lower case, the domain's ASCII form) and the expiry.
   * @throws {DomainUnknownError} `ERR_DOMAIN_UNKNOWN`; {@link DomainAddressError} `ERR_DOMAIN_ADDRESS`
   *   for an address that is not administrative at exactly the domain; {@link PingLimitError}
   *   `ERR_PING_LIMIT` over an hourly limit. Nothing is stored then.
   * @throws {TypeError} for a malformed nonce (the caller checks it first).
   * @example
   * const { id, token } = await domains.createPing(accountId, 'examplemail.test', 'postmaster@examplemail.test', { nonce });
   */
  async createPing(
    accountId: number,
    input: string,
    address: string,
    options: { readonly nonce?: string } = {},
  ): Promise<{ id: number; token: string; address: string; expiresAtMs: number }> {
    if (options.nonce !== undefined && !isValidPingNonce(options.nonce)) throw new TypeError('nonce must be 22 to 128 base64url characters');
    const record = await this.#owned(accountId, input);
    if (!isAdministrativeAddress(address, record.domain)) {
      throw new DomainAddressError(`the address must be postmaster, hostmaster, webmaster, admin or root at ${record.domain} itself`);
    }
    const mailed = `${address.slice(0, address.lastIndexOf('@')).toLowerCase()}@${record.domain}`;
    const token = randomBytes(32).toString('base64url');
    const now = this.#now();
    const expiresAtMs = now + this.#pingLifetimeMs;
    const stored = await this.#repository.insertPingWithinLimits(
      {
        method: 'email',
        domainId: record.id,
        accountId,
        tokenHash: hashToken(token),
        address: mailed,
        ...(options.nonce !== undefined ? { nonceHash: hashToken(options.nonce) } : {}),
        createdAtMs: now,
        expiresAtMs,
      },
      { sinceMs: now - PING_LIMIT_WINDOW_MS, perAccount: DOMAIN_PINGS_PER_HOUR, perAddress: DOMAIN_PINGS_PER_ADDRESS_PER_HOUR },
    );
    if ('id' in stored) return { id: stored.id, token, address: mailed, expiresAtMs };
    throw pingLimitError(stored, { perAccount: DOMAIN_PINGS_PER_HOUR, perAddress: DOMAIN_PINGS_PER_ADDRESS_PER_HOUR }, now, 'domain pings');
  }

  /**
   * Finds a domain ping by its token, whatever its state.
   * @returns `undefined` for an unknown or malformed token.
   * @example
   * (await domains.findPing(token))?.domain;
   */
  async findPing(token: string): Promise<DomainChallengeRecord | undefined> {
    return typeof token === 'string' && /^[A-Za-z0-9_-]{43}$/.test(token) ? this.#repository.findPing(hashToken(token)) : undefined;
  }

  /**
   * Uses the ping and records the domain's verification (method `email`, the address), in one transaction.
   * @returns false when it was used or has expired meanwhile, or the domain left the account (nothing changed).
   * @example
   * if (!(await domains.confirmPing(ping.id))) recheck();
   */
  confirmPing(id: number): Promise<boolean> {
    return this.#repository.use(id, this.#now());
  }

  /**
   * Deletes an unused ping (its mail could not be sent), so that it does not count.
   * @example
   * await domains.removePing(ping.id);
   */
  removePing(id: number): Promise<void> {
    return this.#repository.removeChallenge(id);
  }

  /**
   * The live dns or http challenge of the domain, made now when there is none: asking again
   * answers the same values until they are used or expire, so an installer can resume.
   * @throws {DomainUnknownError} `ERR_DOMAIN_UNKNOWN`.
   * @example
   * const c = await domains.challenge(accountId, 'example.org', 'dns'); // { name: '_certwizard-challenge.example.org', value, ... }
   */
  async challenge(accountId: number, input: string, method: 'dns' | 'http'): Promise<IssuedChallenge> {
    const record = await this.#owned(accountId, input);
    const now = this.#now();
    let live = await this.#repository.liveChallenge(record.id, method, now);
    if (live === undefined) {
      const values = { token: randomBytes(32).toString('base64url'), expected: randomBytes(32).toString('base64url') };
      const { id } = await this.#repository.insertChallenge({
        method,
        domainId: record.id,
        accountId,
        ...values,
        createdAtMs: now,
        expiresAtMs: now + this.#challengeLifetimeMs,
      });
      live = { id, domainId: record.id, accountId, domain: record.domain, method, ...values, createdAtMs: now, expiresAtMs: now + this.#challengeLifetimeMs };
    }
    return issued(live);
  }

  /**
   * The domain's live dns and http challenges, without making any (for pages that show them on GET).
   * @throws {DomainInvalidError} `ERR_DOMAIN_INVALID`; {@link DomainUnknownError} `ERR_DOMAIN_UNKNOWN`.
   * @example
   * (await domains.liveChallengesOf(accountId, 'example.org')).map((c) => c.method); // ['dns']
   */
  async liveChallengesOf(accountId: number, input: string): Promise<IssuedChallenge[]> {
    const record = await this.#owned(accountId, input);
    const now = this.#now();
    const live = await Promise.all((['dns', 'http'] as const).map((method) => this.#repository.liveChallenge(record.id, method, now)));
    return live.filter((c) => c !== undefined).map(issued);
  }

  /**
   * Checks the domain's live dns or http challenge now and, when found, records the verification.
   * @returns the domain, verified.
   * @throws {DomainUnknownError} `ERR_DOMAIN_UNKNOWN`; {@link DomainChallengeMissingError}
   *   `ERR_DOMAIN_NO_CHALLENGE` without a live challenge (or a CA without that check);
   *   {@link DomainChallengeFailedError} `ERR_DOMAIN_CHALLENGE_FAILED` with what the CA saw.
   *   Nothing changes then (the challenge stays live for another check).
   * @throws the abort reason when `options.signal` aborts.
   * @example
   * (await domains.check(accountId, 'example.org', 'dns', { signal })).state; // 'verified'
   */
  async check(accountId: number, input: string, method: 'dns' | 'http', options: { readonly signal?: AbortSignal } = {}): Promise<AccountDomain> {
    const record = await this.#owned(accountId, input);
    const checker = this.#checks[method];
    const live = await this.#repository.liveChallenge(record.id, method, this.#now());
    if (checker === undefined || live === undefined) {
      throw new DomainChallengeMissingError(`no live ${method} challenge for ${record.domain}: ask for one first`);
    }
    const result = await checker.check({ domain: record.domain, token: live.token as string, expected: live.expected as string }, options);
    if (!result.ok) throw new DomainChallengeFailedError(result.problem);
    if (!(await this.#repository.use(live.id, this.#now()))) {
      throw new DomainChallengeMissingError(`the ${method} challenge for ${record.domain} was used or expired meanwhile: ask for a new one`);
    }
    return this.#view((await this.#repository.get(accountId, record.domain)) as AccountDomainRecord, this.#now());
  }

  /**
   * The state of a domain at `nowMs`.
   * @example
   * domains.stateOf(record, Date.now()).state;
   */
  stateOf(record: AccountDomainRecord, nowMs: number): AccountDomain {
    return this.#view(record, nowMs);
  }

  async #owned(accountId: number, input: string): Promise<AccountDomainRecord> {
    const record = await this.#repository.get(accountId, this.normalize(input));
    if (record === undefined) throw new DomainUnknownError('the domain is not one of this account');
    return record;
  }

  #view(record: AccountDomainRecord, nowMs: number): AccountDomain {
    const unicode = normalizeDomainName(record.domain).unicode;
    const base = { domain: record.domain, unicode, addedAtMs: record.addedAtMs };
    if (record.verification === undefined) return { ...base, state: 'unverified' };
    const lapsesAtMs = record.verification.atMs + this.#lapseAfterMs;
    return { ...base, state: nowMs < lapsesAtMs ? 'verified' : 'lapsed', verification: record.verification, lapsesAtMs };
  }
}

function issued(c: DomainChallengeRecord): IssuedChallenge {
  const token = c.token as string;
  const expected = c.expected as string;
  return c.method === 'dns'
    ? { method: 'dns', domain: c.domain, name: dnsChallengeName(c.domain), value: expected, expiresAtMs: c.expiresAtMs }
    : { method: 'http', domain: c.domain, url: httpChallengeUrl(c.domain, token), content: expected, expiresAtMs: c.expiresAtMs };
}
