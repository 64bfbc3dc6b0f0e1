/**
 * The nonce book: the nonces the mail server asked the CA to put in its pings, each bound to one
 * address and one CA origin, each good for one confirmation before it expires. Kept on disk, so
 * that a restart of the mail server does not lose the pings it is waiting for.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { join } from 'node:path';
import { isValidPingNonce } from '@certwizard/protocol';
import { checkInteger } from './check-integer.js';
import { domainOfAddress, normalizeAddress } from './codec/address.js';
import { parseCaOrigin } from './codec/ca-origin.js';
import { decodeNonceFile, encodeNonceFile, type NonceRecord } from './codec/nonce-file.js';
import { secretDigest, secretLogId } from './codec/nonce.js';
import {
  MailHookAbortedError,
  MailHookArgumentError,
  MailHookClosedError,
  NonceBookCorruptError,
  NonceBookFullError,
  NonceBookLockedError,
  NonceBookStorageError,
} from './errors.js';
import { ensurePrivateDirectory, readPrivateFile, removeStaleTemporaries, takeProcessLock, writePrivateFileAtomically } from './transport/private-files.js';

/** Default cap on the nonces a book holds (pending and recently used, until they expire). */
export const DEFAULT_MAX_PENDING_NONCES = 1000;
/** Longest `ttlMs` {@link NonceBook.expect} accepts: 30 days. */
export const MAX_NONCE_TTL_MS = 30 * 24 * 60 * 60 * 1000;

/** Largest nonce book file read, in bytes: far beyond 100,000 entries of the longest address. */
const MAX_FILE_BYTES = 64 * 1024 * 1024;
/** Bytes of randomness in a nonce: 256 bits, written as 43 base64url characters. */
const NONCE_BYTES = 32;

/** Options of {@link openNonceBook}. */
export interface NonceBookOptions {
  /**
   * The CA origin this book's nonces are for, e.g. `https://ca.example`: https, or http on a
   * loopback host (127.0.0.0/8, ::1, localhost) for tests; no path, query or credentials. Each
   * origin has its own file in the folder; a nonce issued for one origin is unknown to another.
   */
  readonly caOrigin: string;
  /** Cap on the nonces held (issued and not yet expired, used ones included), 1 to 100000. Default 1000. */
  readonly maxPending?: number;
  /** The clock, in milliseconds since the epoch. Default `Date.now`. Tests inject one. */
  readonly now?: () => number;
  /** Checked before the folder is touched; aborting rejects with `ERR_MAIL_HOOK_ABORTED`. */
  readonly signal?: AbortSignal;
}

/** Options of {@link NonceBook.expect}. */
export interface ExpectOptions {
  /** How long the nonce is accepted, in milliseconds, 1 to 2592000000 (30 days). */
  readonly ttlMs: number;
  /** Checked before anything changes; aborting rejects with `ERR_MAIL_HOOK_ABORTED`. */
  readonly signal?: AbortSignal;
}

/** Options of {@link NonceBook.reserve}. */
export interface ReserveOptions {
  /** The addresses the ping was delivered to; the nonce's address must be one of them (compared lower-cased). */
  readonly addresses: readonly string[];
}

/** Why {@link NonceBook.reserve} did not hand out a reservation. */
export type NonceRefusal =
  /** Not base64url of 22 to 128 characters. */
  | 'malformed'
  /** This book never issued it (or it expired and was purged). */
  | 'unknown'
  /** It was already confirmed once. */
  | 'used'
  /** Its time is up. */
  | 'expired'
  /** Another copy of the same ping holds it right now. */
  | 'busy'
  /** It was issued for an address that is not among the ping's recipients. */
  | 'wrong-address';

/** Outcome of {@link NonceBook.reserve}. */
export type ReserveResult = { readonly ok: true; readonly reservation: NonceReservation } | { readonly ok: false; readonly reason: NonceRefusal };

/**
 * A nonce held for one confirmation attempt. While held, no other copy of the ping can take it.
 * Settle it exactly once: {@link NonceReservation.consume} after the CA confirmed, otherwise
 * {@link NonceReservation.release}.
 */
export interface NonceReservation {
  /** The address the nonce was issued for (lower case). */
  readonly address: string;
  /** A short, non-secret name of the nonce for logs (the first 12 hex digits of its SHA-256). */
  readonly nonceLogId: string;
  /**
   * Marks the nonce used, for good, and writes the book. A replay is refused from then on, also
   * after a restart. Settles the reservation even when the write fails.
   * @throws {NonceBookStorageError} `ERR_MAIL_HOOK_NONCE_BOOK_STORAGE` when the write fails (the
   *   nonce stays used in this process).
   * @throws {MailHookArgumentError} when the reservation was already settled.
   */
  consume(): Promise<void>;
  /** Gives the nonce back, still usable (the CA could not be reached, or refused); idempotent. */
  release(): void;
}

/** An open nonce book; see {@link openNonceBook}. */
export interface NonceBook extends AsyncDisposable {
  /** The CA origin the book is for, normalized (`https://ca.example`). */
  readonly caOrigin: string;
  /** The file the book is kept in. */
  readonly file: string;
  /** How many nonces the book holds now (issued, not expired; used ones included). */
  readonly size: number;
  /**
   * The domains of the addresses the book holds a nonce for now (issued, not expired; used ones
   * included), lower case, each once: the standalone listener's default `domains`.
   * @example
   * await book.expect('postmaster@Mail.Example', { ttlMs: 60_000 });
   * book.domains(); // ['mail.example']
   */
  domains(): string[];
  /**
   * Issues a fresh nonce for `address` and writes it to disk before returning it. Give the nonce
   * to the CA with the request for a ping; never log it.
   *
   * The address is compared lower-cased as a whole (see the package docs). The nonce is 256
   * random bits as 43 base64url characters; the book keeps only its SHA-256.
   *
   * @param address - the address to be verified, `local@domain`, at most 254 characters.
   * @throws {MailHookArgumentError} `ERR_MAIL_HOOK_INVALID_ARGUMENT` for a malformed address or `ttlMs`.
   * @throws {NonceBookFullError} `ERR_MAIL_HOOK_NONCE_BOOK_FULL` when `maxPending` nonces are held.
   * @throws {NonceBookStorageError} `ERR_MAIL_HOOK_NONCE_BOOK_STORAGE` when the write fails (nothing is issued).
   * @throws {MailHookAbortedError} `ERR_MAIL_HOOK_ABORTED` when `signal` is already aborted.
   * @throws {MailHookClosedError} `ERR_MAIL_HOOK_CLOSED` after `close()`.
   * @example
   * const nonce = await book.expect('postmaster@mail.example', { ttlMs: 24 * 60 * 60_000 });
   */
  expect(address: string, options: ExpectOptions): Promise<string>;
  /**
   * Takes hold of `nonce` for one confirmation attempt, when it is known, unused, unexpired, not
   * held by another attempt, and issued for one of `options.addresses`. Digests are compared in
   * constant time against every entry, so the time taken says nothing about which digests exist.
   * @throws {MailHookClosedError} `ERR_MAIL_HOOK_CLOSED` after `close()`.
   */
  reserve(nonce: string, options: ReserveOptions): ReserveResult;
  /** Waits for writes in flight and closes the book; idempotent. Held reservations can still be settled but write nothing. */
  close(): Promise<void>;
  /** Same as {@link NonceBook.close}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Opens (or creates) the nonce book for one CA origin in `directory`.
 *
 * The folder is created with mode 0700 (an existing one is narrowed to 0700); the file, named
 * after a digest of the origin, has mode 0600 and is replaced atomically on every change (temp
 * file, fsync, rename, fsync of the folder). One process at a time has a book open: the book
 * keeps its state in memory and writes it whole, so a second process is refused (a lock file
 * next to the book, holding the process id; a lock left by a process that no longer runs is
 * taken over).
 *
 * @param directory - where the book lives, e.g. the mail server's state folder plus `/certwizard-nonces`.
 * @throws {MailHookArgumentError} `ERR_MAIL_HOOK_INVALID_ARGUMENT` for a bad origin or option.
 * @throws {NonceBookCorruptError} `ERR_MAIL_HOOK_NONCE_BOOK_CORRUPT` when the file exists but is not
 *   a nonce book for this origin (it is left untouched).
 * @throws {NonceBookStorageError} `ERR_MAIL_HOOK_NONCE_BOOK_STORAGE` when the folder or file cannot be used.
 * @throws {NonceBookLockedError} `ERR_MAIL_HOOK_NONCE_BOOK_LOCKED` when another running process has it open.
 * @throws {MailHookAbortedError} `ERR_MAIL_HOOK_ABORTED` when `signal` is already aborted.
 * @example
 * await using book = await openNonceBook('/var/lib/mailserver/certwizard', { caOrigin: 'https://ca.example' });
 */
export async function openNonceBook(directory: string, options: NonceBookOptions): Promise<NonceBook> {
  if (typeof directory !== 'string' || directory === '') throw new MailHookArgumentError('directory must be a non-empty string');
  if (typeof options !== 'object' || options === null) throw new MailHookArgumentError('options must be an object');
  const caOrigin = parseCaOrigin(options.caOrigin);
  if (caOrigin === undefined)
    throw new MailHookArgumentError('caOrigin must be an https origin (or http on a loopback host) without path, query or credentials');
  const maxPending = checkInteger('maxPending', options.maxPending ?? DEFAULT_MAX_PENDING_NONCES, 1, 100_000);
  const now = options.now ?? Date.now;
  if (typeof now !== 'function') throw new MailHookArgumentError('now must be a function');
  checkSignal(options.signal, 'opening the nonce book');

  const name = `nonces-${createHash('sha256').update(caOrigin).digest('hex').slice(0, 16)}.json`;
  const file = join(directory, name);
  let records: NonceRecord[];
  let unlock: (() => Promise<void>) | undefined;
  try {
    await ensurePrivateDirectory(directory);
    unlock = await takeProcessLock(directory, `${name}.lock`);
    await removeStaleTemporaries(directory, name);
    const bytes = await readPrivateFile(file, MAX_FILE_BYTES);
    if (bytes === 'too-large') throw new NonceBookCorruptError(`${file} is larger than ${MAX_FILE_BYTES} bytes`);
    const decoded = bytes === undefined ? [] : decodeNonceFile(bytes.toString('utf8'), caOrigin);
    if (decoded === undefined) throw new NonceBookCorruptError(`${file} is not a nonce book for ${caOrigin}`);
    records = decoded;
  } catch (error) {
    await unlock?.();
    if (error instanceof NonceBookCorruptError) throw error;
    if ((error as { code?: unknown }).code === 'ELOCKED') {
      throw new NonceBookLockedError(`the nonce book in ${directory} is open in another process; give the installer that process's book`, { cause: error });
    }
    throw new NonceBookStorageError(`cannot use the nonce book folder ${directory}`, { cause: error });
  }
  return new FileNonceBook({ directory, name, caOrigin, maxPending, now, records, unlock });
}

function checkSignal(signal: AbortSignal | undefined, what: string): void {
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw new MailHookArgumentError('signal must be an AbortSignal');
  if (signal?.aborted) throw new MailHookAbortedError(`${what} was aborted`, { cause: signal.reason });
}

/** Runs writes one at a time; callers that arrive while one is queued share it (it writes the latest state). */
class CoalescingWriter {
  #tail: Promise<void> = Promise.resolve();
  #queued: Promise<void> | undefined;

  constructor(private readonly write: () => Promise<void>) {}

  request(): Promise<void> {
    if (this.#queued !== undefined) return this.#queued;
    const next = this.#tail.then(() => {
      // From here on, changes need a write of their own: this one snapshots the state now.
      this.#queued = undefined;
      return this.write();
    });
    this.#queued = next;
    this.#tail = next.catch(() => {});
    return next;
  }

  /** Resolves when every requested write has finished. */
  settled(): Promise<void> {
    return this.#tail;
  }
}

class FileNonceBook implements NonceBook {
  readonly caOrigin: string;
  readonly file: string;
  readonly #directory: string;
  readonly #name: string;
  readonly #maxPending: number;
  readonly #now: () => number;
  readonly #records: NonceRecord[];
  readonly #reserved = new Set<NonceRecord>();
  readonly #writer: CoalescingWriter;
  #closed = false;

  readonly #unlock: () => Promise<void>;

  constructor(init: {
    directory: string;
    name: string;
    caOrigin: string;
    maxPending: number;
    now: () => number;
    records: NonceRecord[];
    unlock: () => Promise<void>;
  }) {
    this.#unlock = init.unlock;
    this.caOrigin = init.caOrigin;
    this.#directory = init.directory;
    this.#name = init.name;
    this.file = join(init.directory, init.name);
    this.#maxPending = init.maxPending;
    this.#now = init.now;
    this.#records = init.records;
    this.#writer = new CoalescingWriter(() => this.#write());
    this.#purge();
  }

  get size(): number {
    this.#purge();
    return this.#records.length;
  }

  domains(): string[] {
    this.#purge();
    const now = this.#now();
    const domains = new Set<string>();
    for (const record of this.#records) {
      // A held entry outlives its expiry until its attempt settles; it serves no domain meanwhile.
      const domain = domainOfAddress(record.address);
      if (domain !== undefined && record.expiresAt > now) domains.add(domain);
    }
    return [...domains];
  }

  async expect(address: string, options: ExpectOptions): Promise<string> {
    if (this.#closed) throw new MailHookClosedError('the nonce book is closed');
    const normalized = normalizeAddress(address);
    if (normalized === undefined) throw new MailHookArgumentError('address must be a plain local@domain address of at most 254 characters');
    if (typeof options !== 'object' || options === null) throw new MailHookArgumentError('options must be an object with ttlMs');
    const ttlMs = checkInteger('ttlMs', options.ttlMs, 1, MAX_NONCE_TTL_MS);
    checkSignal(options.signal, 'expect');
    this.#purge();
    if (this.#records.length >= this.#maxPending) {
      throw new NonceBookFullError(`the nonce book holds ${this.#records.length} unexpired nonces, its cap`);
    }
    const nonce = randomBytes(NONCE_BYTES).toString('base64url');
    const record: NonceRecord = { digest: secretDigest(nonce), address: normalized, expiresAt: this.#now() + ttlMs, used: false };
    this.#records.push(record);
    try {
      await this.#persist();
    } catch (error) {
      // Never hand out a nonce that a restart would forget.
      const at = this.#records.indexOf(record);
      if (at !== -1) this.#records.splice(at, 1);
      throw error;
    }
    return nonce;
  }

  reserve(nonce: string, options: ReserveOptions): ReserveResult {
    if (this.#closed) throw new MailHookClosedError('the nonce book is closed');
    if (!isValidPingNonce(nonce)) return { ok: false, reason: 'malformed' };
    if (typeof options !== 'object' || options === null || !Array.isArray(options.addresses)) {
      throw new MailHookArgumentError('options.addresses must be an array of addresses');
    }
    const digest = secretDigest(nonce);
    // Compare against every entry, without stopping at the match.
    let found: NonceRecord | undefined;
    for (const record of this.#records) {
      if (timingSafeEqual(record.digest, digest)) found = record;
    }
    if (found === undefined) return { ok: false, reason: 'unknown' };
    if (found.used) return { ok: false, reason: 'used' };
    if (found.expiresAt <= this.#now()) return { ok: false, reason: 'expired' };
    if (this.#reserved.has(found)) return { ok: false, reason: 'busy' };
    const addresses = new Set(options.addresses.map((a) => normalizeAddress(a)));
    if (!addresses.has(found.address)) return { ok: false, reason: 'wrong-address' };
    return { ok: true, reservation: this.#reservation(found, secretLogId(nonce)) };
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#writer.settled();
    await this.#unlock();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #reservation(record: NonceRecord, nonceLogId: string): NonceReservation {
    this.#reserved.add(record);
    let settled = false;
    return Object.freeze({
      address: record.address,
      nonceLogId,
      consume: async () => {
        if (settled) throw new MailHookArgumentError('the reservation was already settled');
        settled = true;
        record.used = true;
        this.#reserved.delete(record);
        if (!this.#closed) await this.#persist();
      },
      release: () => {
        if (settled) return;
        settled = true;
        this.#reserved.delete(record);
      },
    });
  }

  /** Drops expired entries from memory (not held ones: their attempt decides). */
  #purge(): void {
    const now = this.#now();
    for (let i = this.#records.length - 1; i >= 0; i--) {
      const record = this.#records[i];
      if (record !== undefined && record.expiresAt <= now && !this.#reserved.has(record)) this.#records.splice(i, 1);
    }
  }

  async #persist(): Promise<void> {
    try {
      await this.#writer.request();
    } catch (error) {
      throw new NonceBookStorageError(`cannot write the nonce book ${this.file}`, { cause: error });
    }
  }

  #write(): Promise<void> {
    this.#purge();
    return writePrivateFileAtomically(this.#directory, this.#name, encodeNonceFile(this.caOrigin, this.#records));
  }
}
