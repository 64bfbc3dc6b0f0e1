/**
 * One-time SCEP PINs (RFC 8894 §2.3: the CSR's challengePassword authorizes a PKCSReq). A PIN is
 * 144 random bits, base64url (24 characters), shown once; only its SHA-256 is stored. It is bound
 * to DNS names and/or a subject: a request is let through only for names inside that binding,
 * and the check comes BEFORE the PIN is spent, so a request for other names spends nothing.
 * Spending is one guarded UPDATE (see ScepPinRepository.consume), so two CA processes on one
 * database cannot both use a PIN.
 */
import { randomBytes } from 'node:crypto';
import { hashToken } from '../accounts/password.js';
import { ScepPinInputError, ScepPinNamesNotOwnedError } from './errors.js';
import type { ScepPinRecord, ScepPinRepository } from './scep-pin-store.js';
import { canonicalSubject, parseSubjectText } from './subject-text.js';

/** Default lifetime of a PIN: 1 hour. */
export const SCEP_PIN_TTL_MS_DEFAULT = 60 * 60_000;
/** Longest lifetime of a PIN: 30 days. */
export const SCEP_PIN_TTL_MS_MAX = 30 * 24 * 60 * 60_000;
/** Shortest lifetime of a PIN: 1 minute. */
export const SCEP_PIN_TTL_MS_MIN = 60_000;
/** Most DNS names one PIN may be bound to. */
export const SCEP_PIN_MAX_NAMES = 100;

const PIN_SHAPE = /^[A-Za-z0-9_-]{22,64}$/;
const DNS_NAME = /^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** Why a PIN does not let a request through. */
export type ScepPinRefusal = 'wrong' | 'used' | 'expired' | 'names';

/** What {@link ScepPinService.check} answers. */
export type ScepPinCheck =
  { readonly ok: true; readonly pin: ScepPinRecord; readonly accountId: number | undefined } | { readonly ok: false; readonly reason: ScepPinRefusal };

/** The owner's names, for owner PINs: verified domains (DomainService) and confirmed addresses. */
export interface ScepPinOwnerNames {
  /** The DNS names no verified domain of the account covers (DomainService.namesOutside). */
  namesOutside(accountId: number, names: readonly string[]): Promise<string[]>;
  /** The account's confirmed e-mail addresses, lower-case. */
  addressesOf(accountId: number): Promise<readonly string[]>;
}

/** Options of {@link ScepPinService}. */
export interface ScepPinServiceOptions {
  /** Needed for owner PINs (`accountId` given to create). */
  readonly ownerNames?: ScepPinOwnerNames;
  /** Clock in ms since the epoch; `Date.now` by default. */
  readonly now?: () => number;
}

/** What {@link ScepPinService.create} takes. */
export interface CreateScepPinInput {
  /** DNS names the PIN allows (any case; stored lower-case). */
  readonly dnsNames?: readonly string[];
  /** RFC 4514 subject the PIN requires exactly, e.g. `CN=device1, O=Example`. */
  readonly subject?: string;
  /** Lifetime in ms; default {@link SCEP_PIN_TTL_MS_DEFAULT}, at most {@link SCEP_PIN_TTL_MS_MAX}. */
  readonly ttlMs?: number;
  /** The owner making their own PIN; absent for an operator or the CLI. */
  readonly accountId?: number;
  /** Who made it, for the pages and the log: `operator:<name>`, `cli`, `account:<id>`. */
  readonly createdBy: string;
}

/** Lower-cases and checks DNS names, dropping repeats. */
function normalizeDnsNames(names: readonly string[]): string[] {
  if (names.length > SCEP_PIN_MAX_NAMES) throw new ScepPinInputError(`at most ${SCEP_PIN_MAX_NAMES} DNS names per PIN`);
  const out: string[] = [];
  for (const raw of names) {
    const name = raw.trim().toLowerCase().replace(/\.$/, '');
    if (name.length > 253 || !DNS_NAME.test(name)) throw new ScepPinInputError(`not a DNS name: ${JSON.stringify(raw)}`);
    if (!out.includes(name)) out.push(name);
  }
  return out;
}

/**
 * SCEP PINs over a {@link ScepPinRepository}.
 * @example
 * const pins = new ScepPinService(new ScepPinStore(sql), { ownerNames });
 * const { pin } = await pins.create({ dnsNames: ['device1.example.org'], createdBy: 'cli' });
 * const checked = await pins.check(pin, { dnsNames: ['device1.example.org'], subject: 'CN=device1.example.org' });
 * if (checked.ok && (await pins.consume(pin, requestId))) issue();
 */
export class ScepPinService {
  readonly #repository: ScepPinRepository;
  readonly #ownerNames: ScepPinOwnerNames | undefined;
  readonly #now: () => number;

  constructor(repository: ScepPinRepository, options: ScepPinServiceOptions = {}) {
    this.#repository = repository;
    this.#ownerNames = options.ownerNames;
    this.#now = options.now ?? Date.now;
  }

  /**
   * Makes a PIN.
   * @returns the PIN (never readable again) and when it expires.
   * @throws {ScepPinInputError} `ERR_SCEP_PIN_INVALID`: no names and no subject, a bad name, subject or TTL.
   * @throws {ScepPinNamesNotOwnedError} `ERR_SCEP_PIN_NAMES_NOT_OWNED`: an owner PIN naming what the owner has not verified.
   */
  async create(input: CreateScepPinInput): Promise<{ pin: string; expiresAt: Date }> {
    const dnsNames = normalizeDnsNames(input.dnsNames ?? []);
    const subjectText = input.subject?.trim();
    const subject = subjectText ? canonicalSubject(subjectText) : undefined;
    if (dnsNames.length === 0 && subject === undefined) throw new ScepPinInputError('a PIN needs at least one DNS name or a subject');
    const ttlMs = input.ttlMs ?? SCEP_PIN_TTL_MS_DEFAULT;
    if (!Number.isSafeInteger(ttlMs) || ttlMs < SCEP_PIN_TTL_MS_MIN || ttlMs > SCEP_PIN_TTL_MS_MAX) {
      throw new ScepPinInputError('the PIN lifetime must be between 1 minute and 30 days');
    }
    if (input.createdBy.length === 0 || input.createdBy.length > 200) throw new ScepPinInputError('createdBy must be 1 to 200 characters');
    if (input.accountId !== undefined) await this.#checkOwned(input.accountId, dnsNames, subjectText);
    const pin = randomBytes(18).toString('base64url');
    const now = this.#now();
    const expiresAtMs = now + ttlMs;
    await this.#repository.insert({
      digest: hashToken(pin),
      accountId: input.accountId,
      dnsNames,
      subject,
      createdBy: input.createdBy,
      createdAtMs: now,
      expiresAtMs,
    });
    return { pin, expiresAt: new Date(expiresAtMs) };
  }

  /**
   * Whether `pin` lets a request for these names through, WITHOUT using it: every DNS name must
   * be one of the PIN's (case-insensitive), and a PIN with a subject requires that subject.
   * @param names.subject - the request's subject as RFC 4514 text (e.g. pki's formatName).
   */
  async check(pin: string, names: { readonly dnsNames: readonly string[]; readonly subject?: string }, nowMs: number = this.#now()): Promise<ScepPinCheck> {
    // A malformed PIN costs no query.
    const row = PIN_SHAPE.test(pin) ? await this.#repository.findByDigest(hashToken(pin)) : undefined;
    if (row === undefined) return { ok: false, reason: 'wrong' };
    if (row.usedAtMs !== undefined) return { ok: false, reason: 'used' };
    if (row.expiresAtMs <= nowMs) return { ok: false, reason: 'expired' };
    if (!names.dnsNames.every((n) => row.dnsNames.includes(n.toLowerCase().replace(/\.$/, '')))) return { ok: false, reason: 'names' };
    if (row.subject !== undefined && !this.#sameSubject(row.subject, names.subject)) return { ok: false, reason: 'names' };
    return { ok: true, pin: row, accountId: row.accountId };
  }

  /**
   * Uses the PIN up: `true` exactly once, whichever CA process asks (one guarded UPDATE).
   * @param usedBy - what used it (a request id), kept for the pages.
   */
  async consume(pin: string, usedBy: string, nowMs: number = this.#now()): Promise<boolean> {
    if (!PIN_SHAPE.test(pin)) return false;
    return this.#repository.consume(hashToken(pin), usedBy, nowMs);
  }

  /**
   * The unexpired PINs, newest first (at most 500), never the PIN itself.
   * @param owner - an account id (its owner's PINs), `null` (operators' and the CLI's) or `'all'`.
   */
  list(owner: number | null | 'all', nowMs: number = this.#now()): Promise<ScepPinRecord[]> {
    return this.#repository.listUnexpired(nowMs, owner);
  }

  #sameSubject(bound: string, given: string | undefined): boolean {
    if (given === undefined) return false;
    try {
      return canonicalSubject(given) === bound;
    } catch {
      return false;
    }
  }

  /** An owner may bind a PIN to their verified domains and confirmed addresses only. */
  async #checkOwned(accountId: number, dnsNames: readonly string[], subjectText: string | undefined): Promise<void> {
    if (this.#ownerNames === undefined) throw new TypeError('ScepPinService: owner PINs need the ownerNames option');
    const outside = await this.#ownerNames.namesOutside(
      accountId,
      dnsNames.map((n) => n.replace(/^\*\./, '')),
    );
    const notOwned = dnsNames.filter((n) => outside.includes(n.replace(/^\*\./, '')));
    if (subjectText) {
      const addresses = await this.#ownerNames.addressesOf(accountId);
      for (const { type, value } of parseSubjectText(subjectText)) {
        if (type === 'emailAddress' || (type === 'CN' && value.includes('@'))) {
          if (!addresses.includes(value.toLowerCase())) notOwned.push(value);
        } else if (type === 'CN') {
          const name = value.toLowerCase();
          if (!DNS_NAME.test(name) || (await this.#ownerNames.namesOutside(accountId, [name.replace(/^\*\./, '')])).length > 0) notOwned.push(value);
        }
      }
    }
    if (notOwned.length > 0) throw new ScepPinNamesNotOwnedError(notOwned);
  }
}
