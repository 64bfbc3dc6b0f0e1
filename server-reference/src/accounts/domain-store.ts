/**
 * The domains of an account and their verification challenges (migration 11, `account_domains`
 * and `domain_challenges`). The repository stores what it is given (the normalised domain, the
 * digests, the times); the rules (what a domain may be, lifetimes, limits, when a verification
 * lapses) are `DomainService`'s (domain-service.ts).
 */
import type { SqlDatabase } from '../store/sqlite-dialect.js';
import { firstLimitReached, type PingLimits, type PingsOverLimit } from './ping-limits.js';

/** How a domain was verified: an email ping to an administrative address, a DNS TXT record, an HTTP file. */
export type DomainVerificationMethod = 'email' | 'dns' | 'http';

/** Every {@link DomainVerificationMethod}, in the order the pages offer them. */
export const DOMAIN_VERIFICATION_METHODS: readonly DomainVerificationMethod[] = ['email', 'dns', 'http'];

/** The last verification of a domain. */
export interface DomainVerification {
  readonly atMs: number;
  readonly method: DomainVerificationMethod;
  /** The administrative address that answered, for `email`. */
  readonly address?: string;
}

/** A domain of an account, as stored. */
export interface AccountDomainRecord {
  readonly id: number;
  readonly accountId: number;
  /** ASCII form, lower case, no trailing dot. */
  readonly domain: string;
  readonly addedAtMs: number;
  /** Absent until the first verification; kept when it lapses. */
  readonly verification?: DomainVerification;
}

/** A challenge as stored: an email ping (digests only) or a dns/http challenge (its public values). */
export interface DomainChallengeRecord {
  readonly id: number;
  readonly domainId: number;
  readonly accountId: number;
  /** The domain it verifies (ASCII form). */
  readonly domain: string;
  readonly method: DomainVerificationMethod;
  /** `email`: the administrative address pinged. */
  readonly address?: string;
  /** `email`: SHA-256 (hex) of the requester's nonce, when there was one. */
  readonly nonceHash?: string;
  /** `dns`/`http`: the token (the HTTP file's name). */
  readonly token?: string;
  /** `dns`/`http`: the value the record or file must hold. */
  readonly expected?: string;
  readonly createdAtMs: number;
  readonly expiresAtMs: number;
  readonly usedAtMs?: number;
}

/** A challenge as {@link DomainRepository.insertPingWithinLimits} / {@link DomainRepository.insertChallenge} store it. */
export type NewDomainChallenge =
  | {
      readonly method: 'email';
      readonly domainId: number;
      readonly accountId: number;
      /** SHA-256 (hex) of the token mailed in the link. */
      readonly tokenHash: string;
      readonly address: string;
      readonly nonceHash?: string;
      readonly createdAtMs: number;
      readonly expiresAtMs: number;
    }
  | {
      readonly method: 'dns' | 'http';
      readonly domainId: number;
      readonly accountId: number;
      readonly token: string;
      readonly expected: string;
      readonly createdAtMs: number;
      readonly expiresAtMs: number;
    };

/** When another account's claim on a domain no longer stands in the way of a new one. */
export interface FreeClaims {
  /** An unverified claim added at or before this instant (ms) is stale. */
  readonly unverifiedAddedAtOrBeforeMs: number;
  /** A verification at or before this instant (ms) has lapsed. */
  readonly verifiedAtOrBeforeMs: number;
}

/** The limits of domain pings within one window: those of address pings. */
export type DomainPingLimits = PingLimits;

/**
 * Storage of account domains and their challenges. It holds no policy. Contract: a domain is in
 * at most one account (a unique key; a stale claim of another account is deleted in the
 * transaction that adds the domain anew); a challenge is used once, by a guarded update in the
 * transaction that records the verification, and only while its domain is still the account's;
 * the ping limits are counted and the ping inserted in one transaction.
 */
export interface DomainRepository {
  /**
   * Adds `domain` to the account, unless another account holds it by a claim that `free` does
   * not release (then nothing changes).
   * @returns the domain's row (`created` false when the account had it already), or `taken`.
   */
  add(accountId: number, domain: string, nowMs: number, free: FreeClaims): Promise<{ record: AccountDomainRecord; created: boolean } | { taken: true }>;
  /** The account's domains, in the order they were added. */
  listOf(accountId: number): Promise<AccountDomainRecord[]>;
  /** One domain of the account, whatever its state. */
  get(accountId: number, domain: string): Promise<AccountDomainRecord | undefined>;
  /** The domain's row, whichever account holds it (at most one does). */
  findByDomain(domain: string): Promise<AccountDomainRecord | undefined>;
  /** Removes the domain (and its challenges) from the account. @returns whether it was there. */
  remove(accountId: number, domain: string): Promise<boolean>;
  /** Stores an email ping unless the account's or the address's counted pings reach their limit. */
  insertPingWithinLimits(ping: Extract<NewDomainChallenge, { method: 'email' }>, limits: DomainPingLimits): Promise<{ id: number } | PingsOverLimit>;
  /** Stores a dns or http challenge. */
  insertChallenge(challenge: Extract<NewDomainChallenge, { method: 'dns' | 'http' }>): Promise<{ id: number }>;
  /** The newest unused, unexpired challenge of a domain by a method. */
  liveChallenge(domainId: number, method: 'dns' | 'http', nowMs: number): Promise<DomainChallengeRecord | undefined>;
  /** An email ping by its token's digest, whatever its state. */
  findPing(tokenHash: string): Promise<DomainChallengeRecord | undefined>;
  /**
   * Uses the challenge at `nowMs` and records the verification on its domain, if the challenge
   * is unused and unexpired and its domain still the account's. @returns whether this call used it.
   */
  use(id: number, nowMs: number): Promise<boolean>;
  /** Deletes an unused challenge (its mail could not be sent). */
  removeChallenge(id: number): Promise<void>;
}

type DomainRow = {
  id: number;
  account_id: number;
  domain: string;
  added_at_ms: number;
  verified_at_ms: number | null;
  verified_by: DomainVerificationMethod | null;
  verified_address: string | null;
};

function domainRecord(row: DomainRow): AccountDomainRecord {
  return {
    id: row.id,
    accountId: row.account_id,
    domain: row.domain,
    addedAtMs: row.added_at_ms,
    ...(row.verified_at_ms !== null && row.verified_by !== null
      ? {
          verification: {
            atMs: row.verified_at_ms,
            method: row.verified_by,
            ...(row.verified_address !== null ? { address: row.verified_address } : {}),
          },
        }
      : {}),
  };
}

/**
 * The SQLite implementation of {@link DomainRepository}.
 * @example
 * const domains = new DomainService(new DomainStore(sql), { verifiers });
 */
export class DomainStore implements DomainRepository {
  readonly #db: SqlDatabase;

  constructor(db: SqlDatabase) {
    this.#db = db;
  }

  /**
   * @example
   * await store.add(7, 'example.org', Date.now(), free); // { record, created: true }
   */
  add(accountId: number, domain: string, nowMs: number, free: FreeClaims): Promise<{ record: AccountDomainRecord; created: boolean } | { taken: true }> {
    // One transaction: the check of another account's claim and the insert cannot interleave with another add.
    return this.#db.transaction().execute(async (trx) => {
      const existing = await trx.selectFrom('account_domains').selectAll().where('domain', '=', domain).executeTakeFirst();
      if (existing !== undefined) {
        if (existing.account_id === accountId) return { record: domainRecord(existing), created: false };
        const stale =
          existing.verified_at_ms === null ? existing.added_at_ms <= free.unverifiedAddedAtOrBeforeMs : existing.verified_at_ms <= free.verifiedAtOrBeforeMs;
        if (!stale) return { taken: true as const };
        await trx.deleteFrom('account_domains').where('id', '=', existing.id).execute();
      }
      const row = await trx
        .insertInto('account_domains')
        .values({ account_id: accountId, domain, added_at_ms: nowMs })
        .returningAll()
        .executeTakeFirstOrThrow();
      return { record: domainRecord(row), created: true };
    });
  }

  /**
   * @example
   * (await store.listOf(7)).map((d) => d.domain);
   */
  async listOf(accountId: number): Promise<AccountDomainRecord[]> {
    const rows = await this.#db.selectFrom('account_domains').selectAll().where('account_id', '=', accountId).orderBy('id').execute();
    return rows.map(domainRecord);
  }

  /**
   * @example
   * (await store.get(7, 'example.org'))?.verification;
   */
  async get(accountId: number, domain: string): Promise<AccountDomainRecord | undefined> {
    const row = await this.#db.selectFrom('account_domains').selectAll().where('account_id', '=', accountId).where('domain', '=', domain).executeTakeFirst();
    return row === undefined ? undefined : domainRecord(row);
  }

  /**
   * @example
   * (await store.findByDomain('example.org'))?.accountId;
   */
  async findByDomain(domain: string): Promise<AccountDomainRecord | undefined> {
    const row = await this.#db.selectFrom('account_domains').selectAll().where('domain', '=', domain).executeTakeFirst();
    return row === undefined ? undefined : domainRecord(row);
  }

  /**
   * @example
   * await store.remove(7, 'example.org'); // true
   */
  async remove(accountId: number, domain: string): Promise<boolean> {
    return this.#db.transaction().execute(async (trx) => {
      const row = await trx.selectFrom('account_domains').select('id').where('account_id', '=', accountId).where('domain', '=', domain).executeTakeFirst();
      if (row === undefined) return false;
      // Explicitly, not by ON DELETE CASCADE: foreign keys may be off on a connection.
      await trx.deleteFrom('domain_challenges').where('domain_id', '=', row.id).execute();
      await trx.deleteFrom('account_domains').where('id', '=', row.id).execute();
      return true;
    });
  }

  /**
   * @example
   * await store.insertPingWithinLimits(ping, { sinceMs: now - HOUR, perAccount: 10, perAddress: 5 }); // { id: 1 }
   */
  insertPingWithinLimits(ping: Extract<NewDomainChallenge, { method: 'email' }>, limits: DomainPingLimits): Promise<{ id: number } | PingsOverLimit> {
    // Count and insert in one transaction, so that concurrent requests cannot both take the last ping.
    return this.#db.transaction().execute(async (trx) => {
      const over = await firstLimitReached(limits, (scope) =>
        trx
          .selectFrom('domain_challenges')
          .select('created_at_ms')
          .where('method', '=', 'email')
          .where(scope === 'account' ? 'account_id' : 'address', '=', scope === 'account' ? ping.accountId : ping.address),
      );
      if (over !== undefined) return over;
      const row = await trx
        .insertInto('domain_challenges')
        .values({
          domain_id: ping.domainId,
          account_id: ping.accountId,
          method: 'email',
          token_hash: ping.tokenHash,
          nonce_hash: ping.nonceHash ?? null,
          address: ping.address,
          created_at_ms: ping.createdAtMs,
          expires_at_ms: ping.expiresAtMs,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      return { id: row.id };
    });
  }

  /**
   * @example
   * await store.insertChallenge({ method: 'dns', domainId, accountId, token, expected, createdAtMs, expiresAtMs });
   */
  async insertChallenge(challenge: Extract<NewDomainChallenge, { method: 'dns' | 'http' }>): Promise<{ id: number }> {
    const row = await this.#db
      .insertInto('domain_challenges')
      .values({
        domain_id: challenge.domainId,
        account_id: challenge.accountId,
        method: challenge.method,
        token: challenge.token,
        expected: challenge.expected,
        created_at_ms: challenge.createdAtMs,
        expires_at_ms: challenge.expiresAtMs,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return { id: row.id };
  }

  /**
   * @example
   * (await store.liveChallenge(domain.id, 'dns', Date.now()))?.expected;
   */
  async liveChallenge(domainId: number, method: 'dns' | 'http', nowMs: number): Promise<DomainChallengeRecord | undefined> {
    const row = await this.#challenges()
      .where('c.domain_id', '=', domainId)
      .where('c.method', '=', method)
      .where('c.used_at_ms', 'is', null)
      .where('c.expires_at_ms', '>', nowMs)
      .orderBy('c.id', 'desc')
      .executeTakeFirst();
    return row === undefined ? undefined : challengeRecord(row);
  }

  /**
   * @example
   * (await store.findPing(hashToken(token)))?.domain;
   */
  async findPing(tokenHash: string): Promise<DomainChallengeRecord | undefined> {
    const row = await this.#challenges().where('c.token_hash', '=', tokenHash).executeTakeFirst();
    return row === undefined ? undefined : challengeRecord(row);
  }

  /**
   * @example
   * if (!(await store.use(challenge.id, Date.now()))) recheck();
   */
  use(id: number, nowMs: number): Promise<boolean> {
    return this.#db.transaction().execute(async (trx) => {
      const used = await trx
        .updateTable('domain_challenges')
        .set({ used_at_ms: nowMs })
        .where('id', '=', id)
        .where('used_at_ms', 'is', null)
        .where('expires_at_ms', '>', nowMs)
        .returning(['domain_id', 'account_id', 'method', 'address'])
        .executeTakeFirst();
      if (used === undefined) return false;
      const verified = await trx
        .updateTable('account_domains')
        .set({ verified_at_ms: nowMs, verified_by: used.method, verified_address: used.method === 'email' ? used.address : null })
        .where('id', '=', used.domain_id)
        .where('account_id', '=', used.account_id)
        .executeTakeFirst();
      if (verified.numUpdatedRows === 0n) {
        // The domain left the account meanwhile: nothing to verify; keep the challenge unused.
        await trx.updateTable('domain_challenges').set({ used_at_ms: null }).where('id', '=', id).execute();
        return false;
      }
      return true;
    });
  }

  /**
   * @example
   * await store.removeChallenge(ping.id);
   */
  async removeChallenge(id: number): Promise<void> {
    await this.#db.deleteFrom('domain_challenges').where('id', '=', id).where('used_at_ms', 'is', null).execute();
  }

  #challenges() {
    return this.#db
      .selectFrom('domain_challenges as c')
      .innerJoin('account_domains as d', 'd.id', 'c.domain_id')
      .select([
        'c.id',
        'c.domain_id',
        'c.account_id',
        'd.domain',
        'c.method',
        'c.address',
        'c.nonce_hash',
        'c.token',
        'c.expected',
        'c.created_at_ms',
        'c.expires_at_ms',
        'c.used_at_ms',
      ]);
  }
}

function challengeRecord(row: {
  id: number;
  domain_id: number;
  account_id: number;
  domain: string;
  method: DomainVerificationMethod;
  address: string | null;
  nonce_hash: string | null;
  token: string | null;
  expected: string | null;
  created_at_ms: number;
  expires_at_ms: number;
  used_at_ms: number | null;
}): DomainChallengeRecord {
  return {
    id: row.id,
    domainId: row.domain_id,
    accountId: row.account_id,
    domain: row.domain,
    method: row.method,
    ...(row.address !== null ? { address: row.address } : {}),
    ...(row.nonce_hash !== null ? { nonceHash: row.nonce_hash } : {}),
    ...(row.token !== null ? { token: row.token } : {}),
    ...(row.expected !== null ? { expected: row.expected } : {}),
    createdAtMs: row.created_at_ms,
    expiresAtMs: row.expires_at_ms,
    ...(row.used_at_ms !== null ? { usedAtMs: row.used_at_ms } : {}),
  };
}
