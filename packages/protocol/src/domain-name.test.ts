/**
 * Domain names of an account: the normalisation (trim, case, trailing dot, IDN to A-labels) and
 * every refusal with its stable reason; names within a domain at label boundaries; the
 * administrative addresses of exactly the domain.
 */
import { describe, expect, it } from 'vitest';
import {
  administrativeAddresses,
  InvalidDomainNameError,
  isAdministrativeAddress,
  isNameWithinDomain,
  isValidDomainName,
  normalizeDomainName,
  ProtocolError,
  registrableDomainOf,
} from './index.js';

function refusalOf(input: string): string | undefined {
  try {
    normalizeDomainName(input);
    return undefined;
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidDomainNameError);
    expect(err).toBeInstanceOf(ProtocolError);
    expect((err as InvalidDomainNameError).code).toBe('ERR_PROTOCOL_INVALID_DOMAIN_NAME');
    return (err as InvalidDomainNameError).reason;
  }
}

describe('normalizeDomainName', () => {
  it.each([
    { name: 'a plain domain', input: 'example.org', want: { ascii: 'example.org', unicode: 'example.org' } },
    { name: 'upper case, spaces and the root dot', input: '  Example.ORG. ', want: { ascii: 'example.org', unicode: 'example.org' } },
    { name: 'an unknown TLD (.test) as a domain', input: 'examplemail.test', want: { ascii: 'examplemail.test', unicode: 'examplemail.test' } },
    { name: 'a subdomain', input: 'mail.examplemail.test', want: { ascii: 'mail.examplemail.test', unicode: 'mail.examplemail.test' } },
    { name: 'an IDN in U-label form', input: 'Bücher.example', want: { ascii: 'xn--bcher-kva.example', unicode: 'bücher.example' } },
    { name: 'the same IDN in A-label form', input: 'XN--BCHER-KVA.example.', want: { ascii: 'xn--bcher-kva.example', unicode: 'bücher.example' } },
    { name: 'a domain below a multi-label suffix', input: 'example.co.uk', want: { ascii: 'example.co.uk', unicode: 'example.co.uk' } },
    { name: 'a domain below a private suffix', input: 'ada.github.io', want: { ascii: 'ada.github.io', unicode: 'ada.github.io' } },
    { name: 'digits first in a label', input: '1password.example', want: { ascii: '1password.example', unicode: '1password.example' } },
  ])('accepts $name', ({ input, want }) => {
    expect(normalizeDomainName(input)).toEqual(want);
    expect(isValidDomainName(input)).toBe(true);
  });

  it.each([
    { name: 'an empty name', input: '', want: 'empty' },
    { name: 'only spaces and the root dot', input: '  . ', want: 'empty' },
    { name: 'a name over 253 characters', input: `${'a'.repeat(60)}.`.repeat(5) + 'example', want: 'too_long' },
    { name: 'a 64-character label', input: `${'a'.repeat(64)}.example`, want: 'label_too_long' },
    { name: 'a space inside', input: 'exa mple.org', want: 'bad_character' },
    { name: 'an underscore', input: '_acme.example.org', want: 'bad_character' },
    { name: 'a percent escape (URL parsers decode it)', input: 'ex%41mple.org', want: 'bad_character' },
    { name: 'a slash', input: 'example.org/x', want: 'bad_character' },
    { name: 'an empty label', input: 'example..org', want: 'bad_character' },
    { name: 'a leading hyphen', input: '-example.org', want: 'bad_character' },
    { name: 'two trailing dots', input: 'example.org..', want: 'bad_character' },
    { name: 'a bad A-label', input: 'xn--a.example', want: 'invalid_idn' },
    { name: 'a single label', input: 'intranet', want: 'single_label' },
    { name: 'a TLD of its own', input: 'test', want: 'single_label' },
    { name: 'localhost', input: 'localhost', want: 'single_label' },
    { name: 'a name below localhost', input: 'mail.localhost', want: 'localhost' },
    { name: 'an IPv4 literal', input: '192.0.2.1', want: 'ip_address' },
    { name: 'an IPv4 literal URL parsers read (1.2.3)', input: '1.2.3', want: 'ip_address' },
    { name: 'a hex IPv4 literal', input: '0x7f.1', want: 'ip_address' },
    { name: 'an IPv6 literal', input: '[2001:db8::1]', want: 'ip_address' },
    { name: 'a wildcard', input: '*.example.org', want: 'wildcard' },
    { name: 'an ICANN suffix (com)', input: 'com', want: 'single_label' },
    { name: 'a multi-label ICANN suffix (co.uk)', input: 'co.uk', want: 'public_suffix' },
    { name: 'co.uk with the root dot and capitals', input: 'CO.UK.', want: 'public_suffix' },
    { name: 'a private suffix (github.io)', input: 'github.io', want: 'public_suffix' },
  ])('refuses $name as $want', ({ input, want }) => {
    expect(refusalOf(input)).toBe(want);
    expect(isValidDomainName(input)).toBe(false);
  });

  it('misuse (not a string) is a TypeError', () => {
    expect(() => normalizeDomainName(42 as unknown as string)).toThrow(TypeError);
  });
});

describe('registrableDomainOf', () => {
  it.each([
    { input: 'mail.examplemail.test', want: 'examplemail.test' },
    { input: 'www.example.co.uk.', want: 'example.co.uk' },
    { input: 'MAIL.Bücher.example', want: 'xn--bcher-kva.example' },
    { input: 'co.uk', want: undefined },
    { input: '127.0.0.1', want: undefined },
  ])('$input -> $want', ({ input, want }) => {
    expect(registrableDomainOf(input)).toBe(want);
  });
});

describe('isNameWithinDomain', () => {
  it.each([
    { name: 'the domain itself', host: 'example.org', domain: 'example.org', want: true },
    { name: 'a subdomain', host: 'mail.example.org', domain: 'example.org', want: true },
    { name: 'a deep subdomain', host: 'a.b.c.example.org', domain: 'example.org', want: true },
    { name: 'case and trailing dots ignored', host: 'MAIL.Example.ORG.', domain: 'example.org.', want: true },
    { name: 'U-label name, A-label domain', host: 'mail.bücher.example', domain: 'xn--bcher-kva.example', want: true },
    { name: 'A-label name, U-label domain', host: 'mail.xn--bcher-kva.example', domain: 'Bücher.example', want: true },
    { name: 'not at a label boundary', host: 'badexample.org', domain: 'example.org', want: false },
    { name: 'the domain as a prefix', host: 'example.org.evil.test', domain: 'example.org', want: false },
    { name: 'a parent of the domain', host: 'org.example', domain: 'mail.org.example', want: false },
    { name: 'another domain', host: 'example.net', domain: 'example.org', want: false },
    { name: 'a wildcard name', host: '*.example.org', domain: 'example.org', want: false },
    { name: 'garbage', host: 'exa mple.org', domain: 'mple.org', want: false },
  ])('$name: $want', ({ host, domain, want }) => {
    expect(isNameWithinDomain(host, domain)).toBe(want);
  });
});

describe('administrative addresses', () => {
  it('lists the five, postmaster first', () => {
    expect(administrativeAddresses('example.org')).toEqual([
      'postmaster@example.org',
      'hostmaster@example.org',
      'webmaster@example.org',
      'admin@example.org',
      'root@example.org',
    ]);
  });

  it.each([
    { name: 'postmaster at the domain', address: 'postmaster@example.org', domain: 'example.org', want: true },
    { name: 'any case, trailing dot on the domain', address: 'HostMaster@EXAMPLE.org', domain: 'example.org.', want: true },
    { name: 'root at an IDN in the other form', address: 'root@bücher.example', domain: 'xn--bcher-kva.example', want: true },
    { name: 'each of the five', address: 'webmaster@example.org', domain: 'example.org', want: true },
    { name: 'admin', address: 'admin@example.org', domain: 'example.org', want: true },
    { name: 'a person at the domain', address: 'ada@example.org', domain: 'example.org', want: false },
    { name: 'administrator (not on our list)', address: 'administrator@example.org', domain: 'example.org', want: false },
    { name: 'postmaster at a subdomain', address: 'postmaster@mail.example.org', domain: 'example.org', want: false },
    { name: 'postmaster at another domain', address: 'postmaster@example.net', domain: 'example.org', want: false },
    { name: 'postmaster at a look-alike', address: 'postmaster@badexample.org', domain: 'example.org', want: false },
    { name: 'no local part', address: '@example.org', domain: 'example.org', want: false },
    { name: 'a quoted local part with an @', address: '"postmaster@example.org"@evil.test', domain: 'example.org', want: false },
  ])('$name: $want', ({ address, domain, want }) => {
    expect(isAdministrativeAddress(address, domain)).toBe(want);
  });
});
