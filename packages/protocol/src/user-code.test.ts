import { describe, expect, it } from 'vitest';
import { isValidUserCode, newUserCode, USER_CODE_ALPHABET, USER_CODE_PATTERN } from './user-code.js';

describe('newUserCode', () => {
  it('maps each byte below 240 to a letter (byte mod 20) and formats two groups of four', () => {
    const bytes = [0, 1, 2, 3, 19, 20, 239, 100];
    expect(newUserCode((n) => Uint8Array.from(bytes.slice(0, n)))).toBe('BCDF-ZBZB');
  });

  it('draws again for bytes of 240 and more, so that every letter is equally likely', () => {
    const draws: number[][] = [
      [240, 255, 0, 1, 2, 3, 4, 5],
      [6, 7],
    ];
    const sizes: number[] = [];
    const code = newUserCode((n) => {
      sizes.push(n);
      return Uint8Array.from(draws.shift() ?? []);
    });
    expect(sizes).toEqual([8, 2]);
    expect(code).toBe('BCDF-GHJK');
  });

  it('refuses a source that never gives a usable byte, after a bounded number of draws', () => {
    expect(() => newUserCode((n) => new Uint8Array(n).fill(250))).toThrow(TypeError);
  });

  it('refuses a source that returns the wrong number of bytes', () => {
    expect(() => newUserCode(() => new Uint8Array(3))).toThrow(TypeError);
  });

  it('makes valid, different codes from the default source, using the whole alphabet', () => {
    const seen = new Set<string>();
    const codes = Array.from({ length: 200 }, () => newUserCode());
    for (const code of codes) {
      expect(code).toMatch(USER_CODE_PATTERN);
      for (const letter of code.replace('-', '')) seen.add(letter);
    }
    expect(new Set(codes).size).toBeGreaterThan(195);
    expect([...seen].sort().join('')).toBe(USER_CODE_ALPHABET);
  });
});

describe('isValidUserCode', () => {
  it.each([
    { name: 'canonical', input: 'WDJB-MJHT', want: true },
    { name: 'lower case', input: 'wdjb-mjht', want: false },
    { name: 'a vowel', input: 'WDJA-MJHT', want: false },
    { name: 'a digit', input: 'WDJ1-MJHT', want: false },
    { name: 'no dash', input: 'WDJBMJHT', want: false },
    { name: 'a trailing newline', input: 'WDJB-MJHT\n', want: false },
    { name: 'not a string', input: 12, want: false },
  ])('$name: $want', ({ input, want }) => {
    expect(isValidUserCode(input)).toBe(want);
  });
});
