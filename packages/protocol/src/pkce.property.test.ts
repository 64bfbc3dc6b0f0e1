/**
 * Properties of PKCE S256 (RFC 7636): verifyPkce answers a boolean for any pair of values, never
 * throws, never hangs, and says true exactly when the verifier is well-formed and its challenge
 * is the one given; every pair createPkcePair makes verifies, with a canonical challenge.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkProperty } from '../../pki/src/test-support/property.js';
import { createPkcePair, isValidChallenge, isValidVerifier, PKCE_VERIFIER_PATTERN, s256Challenge, verifyPkce } from './pkce.js';
import { wireText } from './test-support/wire-fuzz.js';

const PAIR = createPkcePair(() => new Uint8Array(32).fill(7));

describe('verifyPkce', () => {
  it('any two values: true exactly for a well-formed verifier and its own challenge', () => {
    const anyValue = fc.oneof(fc.anything(), wireText([PAIR.verifier, PAIR.challenge]));
    checkProperty(
      fc.property(anyValue, anyValue, (verifier, challenge) => {
        const verdict = verifyPkce(verifier, challenge);
        expect(verdict).toBe(isValidVerifier(verifier) && isValidChallenge(challenge) && s256Challenge(verifier) === challenge);
      }),
      { numRuns: 400 },
    );
  });

  it('every well-formed verifier has a canonical challenge that verifies, and created pairs verify', () => {
    checkProperty(
      fc.property(fc.stringMatching(PKCE_VERIFIER_PATTERN), fc.uint8Array({ minLength: 32, maxLength: 32 }), (verifier, bytes) => {
        const challenge = s256Challenge(verifier);
        expect(isValidChallenge(challenge)).toBe(true);
        expect(verifyPkce(verifier, challenge)).toBe(true);
        const pair = createPkcePair(() => bytes);
        expect(isValidVerifier(pair.verifier) && verifyPkce(pair.verifier, pair.challenge)).toBe(true);
      }),
    );
  });
});
