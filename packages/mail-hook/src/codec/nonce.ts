/**
 * Nonces and tokens as they travel in a ping: base64url text. The book issues 43 characters
 * (256 bits); the hook accepts 22 to 128 characters (at least 128 bits) from the CA.
 */
import { createHash } from 'node:crypto';

/** A nonce or token as the wire contract allows it: base64url, 22 to 128 characters. */
export const WIRE_SECRET_PATTERN = /^[A-Za-z0-9_-]{22,128}$/;

/** Whether `text` is a well-formed nonce or token. */
export function isWellFormedSecret(text: unknown): text is string {
  return typeof text === 'string' && WIRE_SECRET_PATTERN.test(text);
}

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
