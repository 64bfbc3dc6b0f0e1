/**
 * The PKCS#12 password-based key derivation of RFC 7292 appendix B. PKCS#12 keeps it only
 * for the integrity MAC of a PFX (and for legacy PBE schemes): the passphrase goes through
 * this function, not through PBKDF2, before it keys the HMAC over the authenticated safe.
 * node:crypto has no binding for it, so it is written here against `createHash`.
 */
import { createHash } from 'node:crypto';

/** Hash functions the derivation runs with, and their input block size `v` in bytes. */
const BLOCK_BYTES = { sha1: 64, sha256: 64, sha384: 128, sha512: 128 } as const;

/** Hash function of the derivation; PKCS#12 MACs use the same hash as the HMAC. */
export type Pkcs12KdfHash = keyof typeof BLOCK_BYTES;

/** What the derived bytes are for (RFC 7292 appendix B.3): the diversifier `ID`. */
export type Pkcs12KdfPurpose = 'encryption-key' | 'iv' | 'mac-key';

const PURPOSE_ID: Record<Pkcs12KdfPurpose, number> = { 'encryption-key': 1, iv: 2, 'mac-key': 3 };

/** Options of {@link derivePkcs12Key}. */
export interface Pkcs12KdfOptions {
  /** What the bytes are for; selects the diversifier ID 1, 2 or 3. */
  purpose: Pkcs12KdfPurpose;
  /** Iteration count `r`, at least 1. */
  iterations: number;
  /** Number of bytes to derive, at least 1. */
  length: number;
  /** Hash function. Default `'sha256'`. */
  hash?: Pkcs12KdfHash;
}

/**
 * Encodes a passphrase the way RFC 7292 appendix B.1 feeds it to the derivation: a BMPString
 * (UTF-16 big-endian code units) followed by two zero bytes. Characters beyond the BMP become
 * surrogate pairs, which is what OpenSSL's `OPENSSL_utf82uni` produces from UTF-8 input, so
 * such passphrases still interoperate.
 *
 * @param passphrase - the passphrase; may be empty (the result is then just the terminator).
 * @throws {TypeError} when `passphrase` is not a string or holds a lone surrogate, which no
 *   other implementation could reproduce from UTF-8 input.
 * @example
 * encodeBmpPassword('smeg') // 00 73 00 6d 00 65 00 67 00 00
 */
export function encodeBmpPassword(passphrase: string): Uint8Array {
  if (typeof passphrase !== 'string') throw new TypeError('passphrase must be a string');
  if (/\p{Cs}/u.test(passphrase)) throw new TypeError('passphrase contains an unpaired UTF-16 surrogate');
  const out = new Uint8Array(passphrase.length * 2 + 2);
  for (let i = 0; i < passphrase.length; i++) {
    const unit = passphrase.charCodeAt(i);
    out[2 * i] = unit >>> 8;
    out[2 * i + 1] = unit & 0xff;
  }
  return out;
}

/**
 * Derives key material with the PKCS#12 KDF, RFC 7292 appendix B.2.
 *
 * @param password - the password bytes as the format defines them; for PKCS#12 that is
 *   {@link encodeBmpPassword}'s output, terminator included.
 * @param salt - the salt bytes (for a MAC key: `macData.macSalt`).
 * @throws {TypeError} for non-byte inputs, a non-positive or non-integer iteration count or
 *   length, or an unknown purpose or hash.
 * @example
 * const macKey = derivePkcs12Key(encodeBmpPassword(pass), macSalt, {
 *   purpose: 'mac-key', iterations: 100_000, length: 32, hash: 'sha256',
 * });
 */
export function derivePkcs12Key(password: Uint8Array, salt: Uint8Array, options: Pkcs12KdfOptions): Uint8Array {
  if (!(password instanceof Uint8Array)) throw new TypeError('password must be a Uint8Array');
  if (!(salt instanceof Uint8Array)) throw new TypeError('salt must be a Uint8Array');
  const { purpose, iterations, length } = options;
  const hash = options.hash ?? 'sha256';
  if (!Object.hasOwn(PURPOSE_ID, purpose)) throw new TypeError('purpose must be encryption-key, iv or mac-key');
  if (!Object.hasOwn(BLOCK_BYTES, hash)) throw new TypeError('hash must be sha1, sha256, sha384 or sha512');
  if (!Number.isSafeInteger(iterations) || iterations < 1) throw new TypeError('iterations must be a positive integer');
  if (!Number.isSafeInteger(length) || length < 1) throw new TypeError('length must be a positive integer');

  const v = BLOCK_BYTES[hash];
  const d = new Uint8Array(v).fill(PURPOSE_ID[purpose]);
  // I = S || P, each stretched by repetition to a whole number of v-byte blocks (steps 2-5).
  const i = concat(repeatToBlocks(salt, v), repeatToBlocks(password, v));
  const out = new Uint8Array(length);
  let filled = 0;
  for (;;) {
    // Step 6: A_i = H^r(D || I).
    let a = createHash(hash).update(d).update(i).digest();
    for (let r = 1; r < iterations; r++) a = createHash(hash).update(a).digest();
    const take = Math.min(a.length, length - filled);
    out.set(a.subarray(0, take), filled);
    filled += take;
    if (filled === length) break;
    // Step 6C: every v-byte block I_j of I becomes (I_j + B + 1) mod 2^(8v), B = A_i repeated.
    const b = repeatTo(a, v);
    for (let offset = 0; offset < i.length; offset += v) addBlockPlusOne(i, offset, b);
  }
  return out;
}

/** `source` repeated to v * ceil(len / v) bytes; empty input stays empty (RFC 7292 B.2 steps 2-3). */
function repeatToBlocks(source: Uint8Array, v: number): Uint8Array {
  return source.length === 0 ? new Uint8Array(0) : repeatTo(source, v * Math.ceil(source.length / v));
}

function repeatTo(source: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let k = 0; k < length; k++) out[k] = source[k % source.length] as number;
  return out;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/** Big-endian addition of `b` plus one into `target[offset .. offset + b.length)`, carry dropped. */
function addBlockPlusOne(target: Uint8Array, offset: number, b: Uint8Array): void {
  let carry = 1;
  for (let k = b.length - 1; k >= 0; k--) {
    const sum = (target[offset + k] as number) + (b[k] as number) + carry;
    target[offset + k] = sum & 0xff;
    carry = sum >>> 8;
  }
}
