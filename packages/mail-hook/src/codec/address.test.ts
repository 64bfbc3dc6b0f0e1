import { describe, expect, it } from 'vitest';
import { normalizeAddress } from './address.js';

describe('normalizeAddress', () => {
  it.each([
    { input: 'a@b.example', want: 'a@b.example' },
    { input: 'Alice.Smith+tag@Mail.Example.ORG', want: 'alice.smith+tag@mail.example.org' },
    { input: 'postmaster@[192.0.2.1]', want: 'postmaster@[192.0.2.1]' },
    { input: 'no-at-sign', want: undefined },
    { input: 'two@@b.example', want: undefined },
    { input: 'a@b@c.example', want: undefined },
    { input: ' a@b.example', want: undefined },
    { input: 'a b@c.example', want: undefined },
    { input: '<a@b.example>', want: undefined },
    { input: '"quoted"@b.example', want: undefined },
    { input: 'a@b..example', want: undefined },
    { input: 'a@.example', want: undefined },
    { input: 'a@', want: undefined },
    { input: '@b.example', want: undefined },
    { input: 'a@b.example\r\nBcc: x@y', want: undefined },
    { input: `${'a'.repeat(245)}@b.example`, want: undefined },
    { input: '', want: undefined },
  ])('$input -> $want', ({ input, want }) => {
    expect(normalizeAddress(input)).toBe(want);
  });
});
