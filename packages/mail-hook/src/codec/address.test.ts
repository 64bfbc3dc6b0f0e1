import { describe, expect, it } from 'vitest';
import { domainOfAddress, normalizeAddress, normalizeDomain } from './address.js';

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

describe('normalizeDomain', () => {
  it.each([
    { input: 'mail.example', want: 'mail.example' },
    { input: 'Mail.Example.ORG', want: 'mail.example.org' },
    { input: 'localhost', want: 'localhost' },
    { input: 'bücher.example', want: 'bücher.example' },
    { input: 'mail.example.', want: undefined },
    { input: '.mail.example', want: undefined },
    { input: 'mail..example', want: undefined },
    { input: '[192.0.2.1]', want: undefined },
    { input: 'a@mail.example', want: undefined },
    { input: 'mail example', want: undefined },
    { input: 'mail.example\r\n', want: undefined },
    { input: `${'a'.repeat(250)}.com`, want: undefined },
    { input: '', want: undefined },
  ])('$input -> $want', ({ input, want }) => {
    expect(normalizeDomain(input)).toBe(want);
  });
});

describe('domainOfAddress', () => {
  it.each([
    { input: 'a@Mail.Example', want: 'mail.example' },
    { input: '"a@b"@mail.example', want: 'mail.example' },
    { input: '@relay.example:user@final.example', want: 'final.example' },
    { input: 'postmaster@[192.0.2.1]', want: '[192.0.2.1]' },
    { input: 'Postmaster', want: undefined },
  ])('$input -> $want', ({ input, want }) => {
    expect(domainOfAddress(input)).toBe(want);
  });
});
