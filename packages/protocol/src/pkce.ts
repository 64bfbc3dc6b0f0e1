/**
 * Proof Key for Code Exchange (RFC 7636), method S256 only, binding the registration page's
 * one-time `code` to the installer that opened it. Documented in docs/protocol.md.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** The only `code_challenge_method` accepted: `plain` (RFC 7636 §4.2) protects nothing here. */
export const PKCE_METHOD = 'S256';

/** A code verifier: 43 to 128 unreserved characters (RFC 7636 §4.1, RFC 3986 §2.3). */
export const PKCE_VERIFIER_PATTERN = /^[A-Za-z0-9\-._~]{43,128}$/;

/**
 * An S256 code challenge: BASE64URL(SHA-256) without padding, 43 characters (RFC 7636 §4.2).
 * The last character carries 4 bits of the hash and 2 zero bits, so only 16 characters can end
 * a canonical encoding; any other last character is a different string for the same bytes.
 */
export const PKCE_CHALLENGE_PATTERN = /^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/;

/** A verifier, its challenge and the method, as made by {@link createPkcePair}. */
export interface PkcePair {
  /** Kept secret by the installer; sent only to the token endpoint. */
  readonly verifier: string;
  /** Sent in the registration URL as `code_challenge`. */
  readonly challenge: string;
  /** Sent as `code_challenge_method`. */
  readonly method: typeof PKCE_METHOD;
}

/** Source of random bytes: `(size) => bytes`; `node:crypto` `randomBytes` by default. */
export type RandomSource = (size: number) => Uint8Array;

/**
 * Creates a verifier from 32 random bytes, base64url without padding (43 characters), as RFC 7636
 * §4.1 recommends, and its S256 challenge (§4.2).
 * @param random - source of random bytes; inject a fixed one only in tests.
 * @throws {TypeError} when `random` does not return 32 bytes.
 * @example
 * const { verifier, challenge, method } = createPkcePair();
 */
export function createPkcePair(random: RandomSource = randomBytes): PkcePair {
  const verifier = randomBase64Url(random, 32);
  return { verifier, challenge: s256Challenge(verifier), method: PKCE_METHOD };
}

/**
 * Computes `BASE64URL(SHA256(ASCII(code_verifier)))` (RFC 7636 §4.2, method S256).
 * @param verifier - a code verifier.
 * @throws {TypeError} when `verifier` is not 43 to 128 unreserved characters (§4.1).
 * @example
 * s256Challenge('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk'); // 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM'
 */
export function s256Challenge(verifier: string): string {
  if (!isValidVerifier(verifier)) throw new TypeError('a PKCE code verifier is 43 to 128 characters of [A-Za-z0-9-._~]');
  return createHash('sha256').update(verifier, 'ascii').digest('base64url');
}

/**
 * Whether a value is a syntactically valid code verifier (RFC 7636 §4.1).
 * @example
 * isValidVerifier('short'); // false
 */
export function isValidVerifier(verifier: unknown): verifier is string {
  return typeof verifier === 'string' && PKCE_VERIFIER_PATTERN.test(verifier);
}

/**
 * Whether a value is a canonical S256 code challenge (RFC 7636 §4.2, §4.3).
 * @example
 * isValidChallenge('E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM'); // true
 */
export function isValidChallenge(challenge: unknown): challenge is string {
  return typeof challenge === 'string' && PKCE_CHALLENGE_PATTERN.test(challenge);
}

/**
 * Checks a verifier against the stored challenge, as the token endpoint does (RFC 7636 §4.6).
 * Malformed input is simply not a match; the comparison of the two digests takes the same time
 * wherever they differ, so the answer time tells an attacker nothing about the challenge.
 * @param verifier - `code_verifier` as received.
 * @param challenge - the `code_challenge` stored with the code.
 * @returns `true` only for a well-formed verifier whose S256 challenge equals `challenge`.
 * @example
 * verifyPkce(pair.verifier, pair.challenge); // true
 */
export function verifyPkce(verifier: unknown, challenge: unknown): boolean {
  if (!isValidVerifier(verifier) || !isValidChallenge(challenge)) return false;
  // Both are 43 ASCII characters here, so timingSafeEqual's equal-length requirement holds.
  return timingSafeEqual(Buffer.from(s256Challenge(verifier), 'ascii'), Buffer.from(challenge, 'ascii'));
}

/**
 * `size` random bytes as base64url without padding (RFC 4648 §5); shared by tickets and codes.
 * @param random - source of random bytes.
 * @param size - how many bytes to draw.
 * @throws {TypeError} when `random` does not return `size` bytes.
 * @example
 * randomBase64Url(randomBytes, 32); // 43 characters
 */
export function randomBase64Url(random: RandomSource, size: number): string {
  const bytes = random(size);
  if (!(bytes instanceof Uint8Array) || bytes.length !== size) throw new TypeError(`the random source must return ${size} bytes`);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}
