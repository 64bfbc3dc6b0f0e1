/**
 * The user code: a short code the CA makes with each ticket, that the installer shows and the
 * CA's registration and confirmation pages show too, so that the person can tell whether the
 * flow they are asked to confirm is the one their own installer started (RFC 8628 §5.4, "remote
 * phishing"; the shape is RFC 8628 §6.1's: 8 letters of a 20-letter alphabet without vowels, in
 * two groups of four). Documented in docs/protocol.md, "The user code".
 */
import { randomBytes } from 'node:crypto';
import type { RandomSource } from './pkce.js';

/**
 * The letters of a user code: consonants only (RFC 8628 §6.1), so that no word can be spelled
 * and no letter looks like a digit.
 */
export const USER_CODE_ALPHABET = 'BCDFGHJKLMNPQRSTVWXZ';

/** A user code as the CA hands it out and the pages show it: `XXXX-XXXX`, letters of {@link USER_CODE_ALPHABET}. */
export const USER_CODE_PATTERN = /^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/;

/** Letters in a user code (about 34.6 bits: 20^8). */
export const USER_CODE_LETTERS = 8;

/**
 * Whether `value` is a user code in its canonical form (`BCDF-GHJK`).
 * @example
 * isValidUserCode('WDJB-MJHT'); // true
 * isValidUserCode('wdjb-mjht'); // false: compare what the person sees, not a normalised form
 */
export function isValidUserCode(value: unknown): value is string {
  return typeof value === 'string' && USER_CODE_PATTERN.test(value);
}

/**
 * Makes a user code, uniformly over the 20^8 possible ones: each letter is drawn from a random
 * byte below 240 (12 × 20), and a byte of 240 or more is drawn again, so no letter is likelier
 * than another.
 * @param random - source of random bytes; inject a fixed one only in tests.
 * @throws {TypeError} when `random` does not return the number of bytes asked for, or keeps
 *   returning only bytes of 240 and more (a broken source: after 64 draws).
 * @example
 * newUserCode(); // e.g. 'WDJB-MJHT'
 */
export function newUserCode(random: RandomSource = randomBytes): string {
  const letters: string[] = [];
  for (let draws = 0; letters.length < USER_CODE_LETTERS; draws += 1) {
    if (draws >= 64) throw new TypeError('the random source returned no usable byte in 64 draws');
    const want = USER_CODE_LETTERS - letters.length;
    const bytes = random(want);
    if (!(bytes instanceof Uint8Array) || bytes.length !== want) throw new TypeError(`random(${want}) must return ${want} bytes`);
    for (const byte of bytes) {
      if (byte < 240) letters.push(USER_CODE_ALPHABET[byte % 20] as string);
    }
  }
  return `${letters.slice(0, 4).join('')}-${letters.slice(4).join('')}`;
}
