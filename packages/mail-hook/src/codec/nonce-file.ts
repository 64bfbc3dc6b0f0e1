/**
 * The nonce book's file: JSON, one file per CA origin. It holds SHA-256 digests of the nonces,
 * never the nonces, so a copy of the file does not let anyone answer a ping.
 *
 * ```json
 * {"format":"certwizard-mail-hook-nonces","version":1,"caOrigin":"https://ca.example",
 *  "entries":[{"digest":"<base64url SHA-256>","address":"a@b.example","expiresAt":1767225600000,"used":false}]}
 * ```
 */
import { normalizeAddress } from './address.js';

/** The `format` field of every nonce book file. */
export const NONCE_FILE_FORMAT = 'certwizard-mail-hook-nonces';
/** The `version` this code reads and writes. */
export const NONCE_FILE_VERSION = 1;

/** One nonce the book issued. */
export interface NonceRecord {
  /** SHA-256 of the nonce's text. */
  readonly digest: Buffer;
  /** The address it was issued for, normalized. */
  readonly address: string;
  /** When it stops being accepted, in milliseconds since the epoch. */
  readonly expiresAt: number;
  /** Set once the CA confirmed a ping with it; kept until expiry so a replay is recognised. */
  used: boolean;
}

/** The file's text for `records`. */
export function encodeNonceFile(caOrigin: string, records: Iterable<NonceRecord>): string {
  const entries = [...records].map((r) => ({ digest: r.digest.toString('base64url'), address: r.address, expiresAt: r.expiresAt, used: r.used }));
  return `${JSON.stringify({ format: NONCE_FILE_FORMAT, version: NONCE_FILE_VERSION, caOrigin, entries })}\n`;
}

/**
 * The records of a file written by {@link encodeNonceFile} for `caOrigin`, or `undefined` when
 * the text is anything else (not JSON, another format, version or origin, a malformed or
 * repeated entry).
 */
export function decodeNonceFile(text: string, caOrigin: string): NonceRecord[] | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isObject(value) || value.format !== NONCE_FILE_FORMAT || value.version !== NONCE_FILE_VERSION || value.caOrigin !== caOrigin) return undefined;
  if (!Array.isArray(value.entries)) return undefined;
  const records: NonceRecord[] = [];
  const seen = new Set<string>();
  for (const entry of value.entries as unknown[]) {
    if (!isObject(entry)) return undefined;
    const { digest, address, expiresAt, used } = entry;
    if (typeof digest !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(digest) || seen.has(digest)) return undefined;
    if (typeof address !== 'string' || normalizeAddress(address) !== address) return undefined;
    if (typeof expiresAt !== 'number' || !Number.isSafeInteger(expiresAt) || expiresAt < 0) return undefined;
    if (typeof used !== 'boolean') return undefined;
    seen.add(digest);
    records.push({ digest: Buffer.from(digest, 'base64url'), address, expiresAt, used });
  }
  return records;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
