/**
 * Argument checks shared by the credential stores: caller misuse is a `TypeError`, raised
 * before anything touches the keychain or the disk.
 *
 * @packageDocumentation
 */

/** Longest accepted key or keychain service name, in characters. */
export const MAX_CREDENTIAL_KEY_LENGTH = 256;

// Printable ASCII only: keychains differ in how they store other characters (Windows targets,
// Secret Service attributes), and a control character in a key would be a log-injection vector.
const PRINTABLE_ASCII = /^[\x20-\x7e]+$/;

/**
 * Checks a credential key (or keychain service name).
 *
 * @param value - the key to check
 * @param what - how the error names the argument, e.g. `key`
 * @throws TypeError unless `value` is 1 to 256 printable ASCII characters
 */
export function assertCredentialKey(value: unknown, what = 'key'): asserts value is string {
  if (typeof value !== 'string' || value.length > MAX_CREDENTIAL_KEY_LENGTH || !PRINTABLE_ASCII.test(value)) {
    // The value itself is left out of the message: a caller may have passed a secret by mistake.
    throw new TypeError(`${what} must be 1 to ${MAX_CREDENTIAL_KEY_LENGTH} printable ASCII characters`);
  }
}

/**
 * Checks a secret before it is stored.
 *
 * @throws TypeError unless `secret` is a non-empty string
 */
export function assertSecret(secret: unknown): asserts secret is string {
  if (typeof secret !== 'string' || secret.length === 0) throw new TypeError('secret must be a non-empty string');
}
