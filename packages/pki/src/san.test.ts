import { GeneralName, GeneralNames } from '@peculiar/asn1-x509';
import { describe, expect, it } from 'vitest';
import { parseDer, toDer } from './codec/asn1.js';
import {
  countNames,
  decodeSubjectAltNames,
  encodeSubjectAltNames,
  isSubsetOf,
  normalizeDnsName,
  normalizeEmailAddress,
  normalizeIpAddress,
  normalizeSubjectAltNames,
  type SubjectAltNames,
} from './san.js';
import { codeOf } from './test-support/expect-code.js';

const label = (n: number, c = 'a') => c.repeat(n);
/** A DNS name of exactly `length` characters: three 63-character labels and a shorter last one. */
const nameOfLength = (length: number) => `${label(63)}.${label(63, 'b')}.${label(63, 'c')}.${label(length - 192, 'd')}`;
const INVALID = 'ERR_PKI_INVALID_NAME';

describe('normalizeDnsName', () => {
  it.each([
    { name: 'lower case kept', input: 'host.example.test', want: 'host.example.test' },
    { name: 'upper case folded', input: 'Host.EXAMPLE.Test', want: 'host.example.test' },
    { name: 'a single label', input: 'localhost', want: 'localhost' },
    { name: 'digits and inner hyphens', input: '123.a-b.example', want: '123.a-b.example' },
    { name: 'an A-label (xn--)', input: 'xn--bcher-kva.example', want: 'xn--bcher-kva.example' },
    { name: 'a wildcard as the whole left-most label', input: '*.Example.test', want: '*.example.test' },
    { name: 'a label of 63 characters', input: `${label(63)}.example`, want: `${label(63)}.example` },
    { name: 'a name of 253 characters', input: nameOfLength(253), want: nameOfLength(253) },
  ])('accepts $name', ({ input, want }) => {
    expect(normalizeDnsName(input)).toBe(want);
  });

  it.each([
    { name: 'the empty string', input: '' },
    { name: 'a label of 64 characters', input: `${label(64)}.example` },
    { name: 'a name of 254 characters', input: nameOfLength(254) },
    { name: 'a leading hyphen', input: '-host.example' },
    { name: 'a trailing hyphen', input: 'host-.example' },
    { name: 'an underscore', input: '_acme.example.test' },
    { name: 'a space', input: 'my host.example' },
    { name: 'an IPv4 address given as a DNS name', input: '192.0.2.1' },
    { name: 'an IPv6 address given as a DNS name', input: '2001:db8::1' },
    { name: 'a trailing dot (absolute form)', input: 'host.example.test.' },
    { name: 'a leading dot', input: '.example.test' },
    { name: 'an empty label', input: 'host..example' },
    { name: 'a U-label (non-ASCII)', input: 'bücher.example' },
    { name: 'a wildcard over a public suffix only (*.test)', input: '*.test' },
    { name: 'a bare wildcard', input: '*' },
    { name: 'a wildcard that is not the left-most label', input: 'host.*.example.test' },
    { name: 'a partial-label wildcard', input: 'h*.example.test' },
    { name: 'two wildcard labels', input: '*.*.example.test' },
  ])('refuses $name with ERR_PKI_INVALID_NAME', ({ input }) => {
    expect(codeOf(() => normalizeDnsName(input))).toBe(INVALID);
  });

  it('refuses a wildcard when the caller forbids it', () => {
    expect(codeOf(() => normalizeDnsName('*.example.test', { allowWildcard: false }))).toBe(INVALID);
    expect(normalizeDnsName('*.example.test', { allowWildcard: true })).toBe('*.example.test');
  });

  it('refuses a non-string with ERR_PKI_INVALID_NAME', () => {
    expect(codeOf(() => normalizeDnsName(42 as unknown as string))).toBe(INVALID);
  });

  // Regression: toLowerCase() ran before the LDH check, and U+212A KELVIN SIGN lower-cases to
  // ASCII "k", so a non-ASCII name was accepted as another, ASCII one.
  it('refuses the Kelvin sign (U+212A), which lower-cases to ASCII k', () => {
    expect(codeOf(() => normalizeDnsName('\u212Aey.example.test'))).toBe(INVALID);
  });
});

describe('normalizeEmailAddress', () => {
  it.each([
    {
      name: 'the domain lower-cased, the local part kept',
      input: 'Alice.Smith@Example.TEST',
      want: 'Alice.Smith@example.test',
    },
    { name: 'a plus tag', input: 'a+b@x.test', want: 'a+b@x.test' },
    {
      name: 'RFC 5322 atext specials',
      input: "o'brien!#$%&*/=?^_`{|}~-@x.test",
      want: "o'brien!#$%&*/=?^_`{|}~-@x.test",
    },
    { name: 'a local part of 64 characters', input: `${label(64)}@x.test`, want: `${label(64)}@x.test` },
  ])('accepts $name', ({ input, want }) => {
    expect(normalizeEmailAddress(input)).toBe(want);
  });

  it.each([
    { name: 'a quoted local part', input: '"a b"@x.test' },
    { name: 'a space', input: 'a b@x.test' },
    { name: 'a double @', input: 'a@@x.test' },
    { name: 'two @ signs apart', input: 'a@b@x.test' },
    { name: 'no local part', input: '@x.test' },
    { name: 'no domain', input: 'a@' },
    { name: 'no @ at all', input: 'alice' },
    { name: 'a leading dot in the local part', input: '.a@x.test' },
    { name: 'a trailing dot in the local part', input: 'a.@x.test' },
    { name: 'two dots in a row', input: 'a..b@x.test' },
    { name: 'a non-ASCII local part (SMTPUTF8)', input: 'zoë@x.test' },
    { name: 'a non-ASCII domain', input: 'a@bücher.test' },
    { name: 'a trailing dot in the domain', input: 'a@x.test.' },
    { name: 'a wildcard domain', input: 'a@*.x.test' },
    { name: 'an IP literal as the domain', input: 'a@192.0.2.1' },
    { name: 'a bracketed address literal', input: 'a@[192.0.2.1]' },
    { name: 'a local part of 65 characters', input: `${label(65)}@x.test` },
    { name: 'an address of 255 characters', input: `a@${nameOfLength(253)}` },
  ])('refuses $name with ERR_PKI_INVALID_NAME', ({ input }) => {
    expect(codeOf(() => normalizeEmailAddress(input))).toBe(INVALID);
  });

  // Regression: the same case folding before the check as for DNS names above.
  it('refuses the Kelvin sign (U+212A) in the domain', () => {
    expect(codeOf(() => normalizeEmailAddress('a@\u212Aey.example.test'))).toBe(INVALID);
  });
});

describe('normalizeIpAddress', () => {
  it.each([
    { name: 'IPv4 as given', input: '192.0.2.1', want: '192.0.2.1' },
    { name: 'IPv6 compressed and lower-cased', input: '2001:DB8:0:0:0:0:0:1', want: '2001:db8::1' },
    {
      name: 'IPv6 with the first longest zero run compressed',
      input: '2001:db8:0:0:1:0:0:1',
      want: '2001:db8::1:0:0:1',
    },
    { name: 'IPv6 leading zeros dropped', input: '2001:0db8::0001', want: '2001:db8::1' },
    { name: 'the IPv6 loopback', input: '::1', want: '::1' },
    { name: 'the unspecified IPv6 address', input: '::', want: '::' },
    { name: 'v4-mapped in dotted form', input: '::ffff:192.0.2.1', want: '::ffff:c000:201' },
    { name: 'v4-mapped in hex form, to the same text', input: '::FFFF:C000:0201', want: '::ffff:c000:201' },
  ])('normalises $name', ({ input, want }) => {
    expect(normalizeIpAddress(input)).toBe(want);
  });

  it.each([
    { name: 'garbage', input: 'not an address' },
    { name: 'the empty string', input: '' },
    { name: 'an IPv4 octet over 255', input: '256.1.1.1' },
    { name: 'an IPv4 octet with a leading zero', input: '01.2.3.4' },
    { name: 'three IPv4 octets', input: '192.0.2' },
    { name: 'surrounding space', input: ' 192.0.2.1' },
    { name: 'a CIDR prefix', input: '192.0.2.0/24' },
    { name: 'two :: in IPv6', input: '2001:db8::1::2' },
    { name: 'a bracketed IPv6 literal', input: '[::1]' },
    { name: 'a DNS name', input: 'host.example.test' },
    { name: 'a non-string', input: 3232235777 as unknown as string },
  ])('refuses $name with ERR_PKI_INVALID_NAME', ({ input }) => {
    expect(codeOf(() => normalizeIpAddress(input))).toBe(INVALID);
  });

  // Regression: node:net isIP accepts an IPv6 zone ID, and `new URL` then threw a TypeError
  // (ERR_INVALID_URL) instead of a coded InvalidNameError.
  it('refuses an IPv6 zone ID (fe80::1%eth0) with ERR_PKI_INVALID_NAME', () => {
    expect(codeOf(() => normalizeIpAddress('fe80::1%eth0'))).toBe(INVALID);
  });
});

describe('normalizeSubjectAltNames', () => {
  it('normalises and dedupes each list, keeping first-seen order', () => {
    expect(
      normalizeSubjectAltNames({
        dns: ['B.example.test', 'a.example.test', 'b.EXAMPLE.test'],
        email: ['x@Example.test', 'x@example.test', 'X@example.test'],
        ip: ['2001:db8::1', '2001:DB8:0:0:0:0:0:1', '192.0.2.1'],
      }),
    ).toEqual({
      dns: ['b.example.test', 'a.example.test'],
      email: ['x@example.test', 'X@example.test'],
      ip: ['2001:db8::1', '192.0.2.1'],
    });
  });

  it('fills in lists left out', () => {
    expect(normalizeSubjectAltNames({})).toEqual({ dns: [], email: [], ip: [] });
  });

  const hosts = (n: number, prefix = 'h') => Array.from({ length: n }, (_, i) => `${prefix}${i}.example.test`);
  it.each([
    { name: '100 DNS names', input: { dns: hosts(100) }, want: 'no error' },
    { name: '101 DNS names', input: { dns: hosts(101) }, want: 'ERR_PKI_TOO_MANY_SANS' },
    {
      name: '101 names across the three lists',
      input: {
        dns: hosts(50),
        email: Array.from({ length: 30 }, (_, i) => `u${i}@example.test`),
        ip: Array.from({ length: 21 }, (_, i) => `192.0.2.${i}`),
      },
      want: 'ERR_PKI_TOO_MANY_SANS',
    },
    {
      name: '101 names that are 100 after deduplication',
      input: { dns: [...hosts(100), 'H0.example.test'] },
      want: 'no error',
    },
    { name: 'one malformed name among good ones', input: { dns: ['ok.test', 'bad_name.test'] }, want: INVALID },
    { name: 'a malformed IP address', input: { ip: ['192.0.2.300'] }, want: INVALID },
  ])('$name: $want', ({ input, want }) => {
    expect(codeOf(() => normalizeSubjectAltNames(input))).toBe(want);
  });
});

describe('countNames and isSubsetOf', () => {
  const approved: SubjectAltNames = {
    dns: ['a.example.test', 'b.example.test'],
    email: ['ops@example.test'],
    ip: ['192.0.2.1'],
  };
  const none: SubjectAltNames = { dns: [], email: [], ip: [] };

  it('counts names across the three lists', () => {
    expect(countNames(approved)).toBe(4);
    expect(countNames(none)).toBe(0);
  });

  it.each([
    { name: 'the empty set', input: none, want: true },
    { name: 'the same set', input: approved, want: true },
    { name: 'a proper subset', input: { ...none, dns: ['b.example.test'], ip: ['192.0.2.1'] }, want: true },
    { name: 'a DNS name not approved', input: { ...none, dns: ['c.example.test'] }, want: false },
    { name: 'an address not approved', input: { ...none, email: ['root@example.test'] }, want: false },
    { name: 'an IP address not approved', input: { ...none, ip: ['192.0.2.2'] }, want: false },
    { name: 'an approved string in another list', input: { ...none, dns: ['192.0.2.1'] }, want: false },
    { name: 'a wildcard over approved names', input: { ...none, dns: ['*.example.test'] }, want: false },
  ])('is $want for $name', ({ input, want }) => {
    expect(isSubsetOf(input, approved)).toBe(want);
  });
});

describe('encodeSubjectAltNames and decodeSubjectAltNames', () => {
  const viaDer = (names: GeneralNames) => decodeSubjectAltNames(parseDer(toDer(names), GeneralNames, 'names'));

  it('round-trips DNS names, addresses and IPv4 and IPv6 addresses through DER', () => {
    const names = normalizeSubjectAltNames({
      dns: ['host.example.test', '*.example.test'],
      email: ['Ops@example.test'],
      ip: ['192.0.2.1', '2001:db8::1', '::ffff:192.0.2.1', '::'],
    });
    expect(viaDer(encodeSubjectAltNames(names))).toEqual(names);
  });

  it('encodes DNS names first, then addresses, then IP addresses', () => {
    const encoded = encodeSubjectAltNames({ dns: ['a.test'], email: ['x@a.test'], ip: ['192.0.2.1'] });
    expect(encoded.map((gn) => Object.keys(gn).find((k) => gn[k as keyof GeneralName] !== undefined))).toEqual(['dNSName', 'rfc822Name', 'iPAddress']);
  });

  it('normalises what it decodes', () => {
    const names = new GeneralNames([new GeneralName({ dNSName: 'HOST.Example.test' })]);
    expect(viaDer(names).dns).toEqual(['host.example.test']);
  });

  it.each([
    {
      name: 'a URI (refused, not dropped)',
      input: [new GeneralName({ uniformResourceIdentifier: 'https://a.test/' })],
      want: INVALID,
    },
    { name: 'a malformed DNS name', input: [new GeneralName({ dNSName: 'bad_name..test' })], want: INVALID },
    {
      name: '101 names',
      input: Array.from({ length: 101 }, (_, i) => new GeneralName({ dNSName: `h${i}.test` })),
      want: 'ERR_PKI_TOO_MANY_SANS',
    },
  ])('refuses $name with $want', ({ input, want }) => {
    expect(codeOf(() => viaDer(new GeneralNames(input)))).toBe(want);
  });
});
