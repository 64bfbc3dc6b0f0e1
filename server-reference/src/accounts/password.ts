/**
 * Password (and lost-password answer) hashing with scrypt (RFC 7914), in a self-describing
 * format so the cost can be raised later without invalidating stored hashes:
 *
 * ```text
 * scrypt$N$r$p$<salt base64url>$<hash base64url>
 * ```
 */
import { createHash, randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/**
 * Default cost N = 2^15 (with r = 8, p = 1: 32 MiB and some tens of ms per hash). OWASP's
 * password storage cheat sheet asks for 2^17; raising it later only needs a new default, since
 * each stored string records its own N.
 */
export const SCRYPT_N_DEFAULT = 2 ** 15;

const SCRYPT_R = 8;
const SCRYPT_P = 1;
const SALT_BYTES = 16;
const KEY_BYTES = 32;

/**
 * Bounds on parameters read back from a stored string. They keep a corrupted or planted row from
 * making one verification allocate gigabytes or run for minutes.
 */
const MAX_N = 2 ** 20;
const MAX_R = 32;
const MAX_P = 16;

/** Options of {@link hashSecret}. */
export interface HashSecretOptions {
  /** scrypt cost N, a power of two from 2 to 2^20; default {@link SCRYPT_N_DEFAULT}. Tests pass 2^10. */
  readonly N?: number;
  /** Aborts before the work starts and discards the result if aborted meanwhile. */
  readonly signal?: AbortSignal;
}

/**
 * Hashes a secret with scrypt and a fresh 16-byte salt.
 *
 * The secret is normalised to Unicode NFKC first (NIST SP 800-63B §5.1.1.2), so the same password
 * typed on systems that compose characters differently still matches.
 *
 * @param secret - the password or answer; never logged.
 * @returns `scrypt$N$r$p$salt$hash`, salt and hash base64url without padding.
 * @throws {TypeError} when `secret` is not a string or `N` is not a power of two in range.
 * @example
 * const stored = await hashSecret('correct horse battery');
 * await verifySecret('correct horse battery', stored); // true
 */
export async function hashSecret(secret: string, options: HashSecretOptions = {}): Promise<string> {
  if (typeof secret !== 'string') throw new TypeError('the secret must be a string');
  const N = options.N ?? SCRYPT_N_DEFAULT;
  if (!isPowerOfTwo(N) || N < 2 || N > MAX_N) throw new TypeError(`scrypt N must be a power of two from 2 to ${MAX_N}`);
  options.signal?.throwIfAborted();
  const salt = randomBytes(SALT_BYTES);
  const hash = await derive(secret, salt, N, SCRYPT_R, SCRYPT_P, KEY_BYTES);
  options.signal?.throwIfAborted();
  return ['scrypt', N, SCRYPT_R, SCRYPT_P, salt.toString('base64url'), hash.toString('base64url')].join('$');
}

/**
 * Checks a secret against a string made by {@link hashSecret}, with the parameters the string
 * records. The comparison takes the same time wherever the hashes differ.
 *
 * @param secret - the candidate secret.
 * @param stored - the stored hash string.
 * @returns `false` for a wrong secret, and also for a malformed or out-of-range stored string
 *   (never throws for those: a damaged row must fail closed, not crash the login page).
 * @throws {DOMException} `AbortError` when `options.signal` is aborted.
 * @example
 * await verifySecret('guess', stored); // false
 */
export async function verifySecret(secret: string, stored: string, options: { signal?: AbortSignal } = {}): Promise<boolean> {
  options.signal?.throwIfAborted();
  if (typeof secret !== 'string') return false;
  const parsed = parseStored(stored);
  if (parsed === undefined) return false;
  const hash = await derive(secret, parsed.salt, parsed.N, parsed.r, parsed.p, parsed.hash.length);
  options.signal?.throwIfAborted();
  return timingSafeEqual(hash, parsed.hash);
}

/**
 * A well-formed hash string that no secret matches, for a login whose address is unknown: verifying
 * against it runs the full scrypt with cost `N` (the same work as a real account's check) before
 * the comparison fails, so the answer's time does not tell whether the address exists.
 * @param N - scrypt cost, as given to {@link hashSecret}; default {@link SCRYPT_N_DEFAULT}.
 * @example
 * await verifySecret(password, row?.passwordHash ?? dummyHash()); // false without a row
 */
export function dummyHash(N: number = SCRYPT_N_DEFAULT): string {
  // An all-zero key: scrypt would have to output 32 zero bytes for some secret to match.
  return `scrypt$${N}$${SCRYPT_R}$${SCRYPT_P}$${'A'.repeat(22)}$${'A'.repeat(43)}`;
}

interface ParsedHash {
  N: number;
  r: number;
  p: number;
  salt: Buffer;
  hash: Buffer;
}

const BASE64URL = /^[A-Za-z0-9_-]+$/;
const DECIMAL = /^[1-9][0-9]{0,9}$/;

function parseStored(stored: unknown): ParsedHash | undefined {
  if (typeof stored !== 'string') return undefined;
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return undefined;
  const [, n, r, p, salt, hash] = parts as [string, string, string, string, string, string];
  if (!DECIMAL.test(n) || !DECIMAL.test(r) || !DECIMAL.test(p)) return undefined;
  if (!BASE64URL.test(salt) || !BASE64URL.test(hash)) return undefined;
  const parsed = { N: Number(n), r: Number(r), p: Number(p), salt: Buffer.from(salt, 'base64url'), hash: Buffer.from(hash, 'base64url') };
  if (!isPowerOfTwo(parsed.N) || parsed.N < 2 || parsed.N > MAX_N || parsed.r > MAX_R || parsed.p > MAX_P) return undefined;
  // Short salts or keys would weaken the hash; a stored string with them was not made here.
  if (parsed.salt.length < 16 || parsed.hash.length < 16 || parsed.hash.length > 64) return undefined;
  return parsed;
}

function derive(secret: string, salt: Buffer, N: number, r: number, p: number, keyLength: number): Promise<Buffer> {
  // OpenSSL refuses when 128·r·(N + p + 2) bytes exceed maxmem, and Node's default maxmem (32 MiB)
  // is just below what N = 2^15, r = 8 needs; so ask for exactly that much plus 1 MiB of slack.
  const options: ScryptOptions = { N, r, p, maxmem: 128 * r * (N + p + 2) + 2 ** 20 };
  return new Promise((resolve, reject) => {
    scrypt(secret.normalize('NFKC'), salt, keyLength, options, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

function isPowerOfTwo(n: number): boolean {
  return Number.isSafeInteger(n) && n > 0 && (n & (n - 1)) === 0;
}

/**
 * The stored form of a random token the CA hands out (confirmation token, authorization code,
 * installation token): lower-case hex SHA-256. No salt and no scrypt: the tokens carry 256 random
 * bits, so there is nothing to guess, and a lookup by hash needs a deterministic value.
 * @example
 * hashToken(token); // 64 hex characters
 */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}
