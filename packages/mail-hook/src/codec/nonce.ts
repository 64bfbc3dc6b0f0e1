/**
 * Nonces and tokens as the hook keeps and logs them. What they look like on the wire (base64url,
 * 22 to 128 characters) is the contract's: `isValidPingNonce` and `isValidPingToken` of
 * `@certwizard/protocol`. The book issues 43 characters (256 bits).
 */
import { createHash } from 'node:crypto';

/** SHA-256 of the UTF-8 text: what the nonce book stores and compares instead of the nonce. */
export function secretDigest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/**
 * A short name for a secret in logs: the first 12 hex digits (48 bits) of its SHA-256. Enough to
 * follow one ping through a log, useless for finding the secret.
 */
export function secretLogId(text: string): string {
  return secretDigest(text).toString('hex').slice(0, 12);
}
