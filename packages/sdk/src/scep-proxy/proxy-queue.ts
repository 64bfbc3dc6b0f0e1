/**
 * The SCEP proxy's queue: which device transaction (RFC 8894 §3.2.1.1 transactionID) became which
 * request at the CA. Persisted as one JSON file written atomically, so that a restarted proxy
 * still answers a device's CertPoll (§3.3.3) for a request it forwarded before. Bounded: a full
 * queue refuses new transactions (the device is told FAILURE) rather than grow without end, and
 * entries older than the maximum age are dropped when the file is loaded or written.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ScepProxyError } from './errors.js';
import { writeAtomically } from './ra-identity.js';

/** File name of the queue in the state directory. */
export const QUEUE_FILE = 'queue.json';

/** One forwarded transaction. */
export interface QueueEntry {
  readonly transactionId: string;
  /** The CA's request id (`GET /api/requests/:id`). */
  readonly requestId: string;
  readonly createdAtMs: number;
  /** SHA-256 (hex) of the device key that signed the PKCSReq: only that key may poll. */
  readonly signerKeySha256: string;
}

/** Limits of the queue. */
export interface QueueLimits {
  /** Most transactions kept at once. */
  readonly maxEntries: number;
  /** Transactions older than this are forgotten (a device polling later is told FAILURE badRequest). */
  readonly maxAgeMs: number;
}

/** The persisted queue; one per proxy process (the state directory is not shared between proxies). */
export class ProxyQueue {
  readonly #path: string;
  readonly #limits: QueueLimits;
  readonly #entries = new Map<string, QueueEntry>();

  /**
   * Loads the queue of `stateDir` (an absent file is an empty queue; an unreadable one is an error,
   * not silently emptied: devices are waiting on it).
   *
   * @throws {ScepProxyError} `ERR_SDK_SCEP_PROXY` for a file that is not a queue.
   */
  constructor(stateDir: string, limits: QueueLimits, now: number) {
    this.#path = join(stateDir, QUEUE_FILE);
    this.#limits = limits;
    let text: string | undefined;
    try {
      text = readFileSync(this.#path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    if (text !== undefined) {
      const value: unknown = JSON.parse(text);
      if (!Array.isArray(value)) throw new ScepProxyError(`${this.#path} is not a SCEP proxy queue`);
      for (const item of value) {
        const entry = parseEntry(item);
        if (entry === undefined) throw new ScepProxyError(`${this.#path} holds an entry that is not a queued transaction`);
        this.#entries.set(entry.transactionId, entry);
      }
    }
    this.#prune(now);
  }

  /** The entry of a transaction, if queued. */
  get(transactionId: string): QueueEntry | undefined {
    return this.#entries.get(transactionId);
  }

  /** Whether a new transaction can be queued now. */
  hasRoom(now: number): boolean {
    this.#prune(now);
    return this.#entries.size < this.#limits.maxEntries;
  }

  /** Queues a transaction and writes the file before returning (the device is answered after). */
  add(entry: QueueEntry): void {
    this.#entries.set(entry.transactionId, entry);
    this.#write();
  }

  /** Forgets a transaction (decided and answered, or refused by the CA). */
  remove(transactionId: string): void {
    if (this.#entries.delete(transactionId)) this.#write();
  }

  /** How many transactions are queued. */
  get size(): number {
    return this.#entries.size;
  }

  #prune(now: number): void {
    let changed = false;
    for (const [id, entry] of this.#entries) {
      if (now - entry.createdAtMs > this.#limits.maxAgeMs) {
        this.#entries.delete(id);
        changed = true;
      }
    }
    if (changed) this.#write();
  }

  #write(): void {
    writeAtomically(this.#path, `${JSON.stringify([...this.#entries.values()], null, 1)}\n`, 0o600);
  }
}

function parseEntry(item: unknown): QueueEntry | undefined {
  if (item === null || typeof item !== 'object') return undefined;
  const { transactionId, requestId, createdAtMs, signerKeySha256 } = item as Record<string, unknown>;
  if (typeof transactionId !== 'string' || typeof requestId !== 'string' || typeof createdAtMs !== 'number' || typeof signerKeySha256 !== 'string')
    return undefined;
  return { transactionId, requestId, createdAtMs, signerKeySha256 };
}
