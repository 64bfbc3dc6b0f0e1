import { describe, expect, it } from 'vitest';
import { createPkcePair, isValidChallenge, isValidVerifier, s256Challenge, verifyPkce } from './pkce.js';

// RFC 7636 Appendix B.
const RFC_VERIFIER = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
const RFC_CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';
const RFC_VERIFIER_OCTETS = [
  116, 24, 223, 180, 151, 153, 224, 37, 79, 250, 96, 125, 216, 173, 187, 186, 22, 212, 37, 77, 105, 214, 191, 240, 91, 88, 5, 88, 83, 132, 141, 121,
];

describe('s256Challenge', () => {
  it.each([
    { name: 'the RFC 7636 Appendix B vector', input: RFC_VERIFIER, want: RFC_CHALLENGE },
    {
      name: 'a 128-character verifier with every unreserved kind',
      input: `${'a'.repeat(60)}${'Z'.repeat(60)}09-._~Aa`,
      want: s256Challenge(`${'a'.repeat(60)}${'Z'.repeat(60)}09-._~Aa`),
    },
  ])('computes $name', ({ input, want }) => {
    expect(s256Challenge(input)).toBe(want);
    expect(isValidChallenge(s256Challenge(input))).toBe(true);
  });

  it.each([
    { name: '42 characters', input: RFC_VERIFIER.slice(1) },
    { name: '129 characters', input: 'a'.repeat(129) },
    { name: 'a + (not unreserved)', input: `${RFC_VERIFIER.slice(1)}+` },
    { name: 'a space', input: `${RFC_VERIFIER.slice(1)} ` },
    { name: 'non-ASCII', input: `${RFC_VERIFIER.slice(1)}é` },
  ])('throws TypeError for a verifier of $name', ({ input }) => {
    expect(() => s256Challenge(input)).toThrow(TypeError);
  });
});

describe('createPkcePair', () => {
  it('encodes the RFC 7636 Appendix B octets into the RFC verifier and challenge', () => {
    expect(createPkcePair(() => Uint8Array.from(RFC_VERIFIER_OCTETS))).toEqual({ verifier: RFC_VERIFIER, challenge: RFC_CHALLENGE, method: 'S256' });
  });

  it('draws a fresh 43-character verifier from node:crypto by default', () => {
    const a = createPkcePair();
    expect(a.verifier).toHaveLength(43);
    expect(verifyPkce(a.verifier, a.challenge)).toBe(true);
    expect(createPkcePair().verifier).not.toBe(a.verifier);
  });

  it('refuses a random source that returns the wrong number of bytes', () => {
    expect(() => createPkcePair(() => new Uint8Array(31))).toThrow(TypeError);
  });
});

describe('isValidVerifier and isValidChallenge', () => {
  it.each([
    { name: 'verifier: the RFC vector', input: () => isValidVerifier(RFC_VERIFIER), want: true },
    { name: 'verifier: 43 characters', input: () => isValidVerifier('~'.repeat(43)), want: true },
    { name: 'verifier: 128 characters', input: () => isValidVerifier('.'.repeat(128)), want: true },
    { name: 'verifier: 42 characters', input: () => isValidVerifier('a'.repeat(42)), want: false },
    { name: 'verifier: 129 characters', input: () => isValidVerifier('a'.repeat(129)), want: false },
    { name: 'verifier: a trailing newline', input: () => isValidVerifier(`${RFC_VERIFIER}\n`), want: false },
    { name: 'verifier: not a string', input: () => isValidVerifier(42), want: false },
    { name: 'challenge: the RFC vector', input: () => isValidChallenge(RFC_CHALLENGE), want: true },
    { name: 'challenge: 42 characters', input: () => isValidChallenge(RFC_CHALLENGE.slice(1)), want: false },
    { name: 'challenge: 44 characters', input: () => isValidChallenge(`${RFC_CHALLENGE}A`), want: false },
    { name: 'challenge: with = padding', input: () => isValidChallenge(`${RFC_CHALLENGE}=`), want: false },
    { name: 'challenge: standard base64 + and /', input: () => isValidChallenge(RFC_CHALLENGE.replace('-', '+')), want: false },
    {
      name: 'challenge: a non-canonical last character (same bytes, other string)',
      input: () => isValidChallenge(`${RFC_CHALLENGE.slice(0, 42)}N`),
      want: false,
    },
    { name: 'challenge: a verifier is not a challenge', input: () => isValidChallenge('~'.repeat(43)), want: false },
  ])('$name: $want', ({ input, want }) => {
    expect(input()).toBe(want);
  });
});

describe('verifyPkce', () => {
  it.each([
    { name: 'the RFC vector matches', input: [RFC_VERIFIER, RFC_CHALLENGE], want: true },
    { name: 'another verifier does not match', input: [`${RFC_VERIFIER.slice(0, -1)}l`, RFC_CHALLENGE], want: false },
    { name: 'the challenge sent as the verifier (plain method) does not match', input: [RFC_CHALLENGE, RFC_CHALLENGE], want: false },
    { name: 'a malformed verifier is no match, not a throw', input: ['short', RFC_CHALLENGE], want: false },
    { name: 'a malformed challenge is no match, not a throw', input: [RFC_VERIFIER, 'short'], want: false },
    { name: 'non-strings are no match', input: [undefined, null], want: false },
  ])('$name', ({ input, want }) => {
    expect(verifyPkce(input[0], input[1])).toBe(want);
  });
});
