/**
 * Properties of subject alternative names (RFC 5280 §4.2.1.6): any text is either a name, whose
 * normal form is its own normal form, or refused with ERR_PKI_INVALID_NAME; normalised names
 * encode to GeneralNames that both readers give back unchanged. Never another exception.
 */
import fc from 'fast-check';
import { GeneralNames } from '@peculiar/asn1-x509';
import { describe, expect, it } from 'vitest';
import { parseAsn1, toDer } from './codec/asn1.js';
import { readGeneralNames } from './codec/der-reader.js';
import { decodeSubjectAltNames, encodeSubjectAltNames, normalizeDnsName, normalizeEmailAddress, normalizeIpAddress, normalizeSubjectAltNames } from './san.js';
import { isPkiError } from './test-support/der-fuzz.js';
import { checkProperty, mutatedText, outcome } from './test-support/property.js';

const NAME_UNITS = ['.', '-', '*', '@', ':', '%', 'a', 'Z', '0', 'x', 'n', '\u212a', 'é', ' ', '[', ']', '::', '1'];

/** Host names, addresses and IPs, well-formed, in other spellings, and damaged. */
const nameText = fc.oneof(
  fc.domain(),
  fc.emailAddress(),
  fc.ipV4(),
  fc.ipV4Extended(),
  fc.ipV6(),
  fc.string({ maxLength: 20 }),
  fc.string({ unit: fc.constantFrom(...NAME_UNITS), maxLength: 12 }),
  mutatedText(['*.mail.example.org', 'ada@Example.ORG', '2001:db8::1', '192.0.2.1', '::ffff:192.0.2.1', 'fe80::1%eth0'], NAME_UNITS),
);

describe('normalizeDnsName / normalizeEmailAddress / normalizeIpAddress', () => {
  it.each([
    { name: 'normalizeDnsName', normalize: (text: string) => normalizeDnsName(text) },
    { name: 'normalizeEmailAddress', normalize: normalizeEmailAddress },
    { name: 'normalizeIpAddress', normalize: normalizeIpAddress },
  ])('$name: any text is refused with a coded error or normalised to a fixed point', ({ normalize }) => {
    checkProperty(
      fc.property(nameText, (text) => {
        const result = outcome(() => normalize(text), isPkiError);
        if (result.ok) expect(normalize(result.value)).toBe(result.value);
      }),
      { numRuns: 400 },
    );
  });
});

describe('encodeSubjectAltNames / readGeneralNames / decodeSubjectAltNames', () => {
  it('normalised names encode to GeneralNames that both readers give back unchanged', () => {
    const input = fc.record({
      dns: fc.array(nameText, { maxLength: 3 }),
      email: fc.array(nameText, { maxLength: 3 }),
      ip: fc.array(nameText, { maxLength: 3 }),
    });
    checkProperty(
      fc.property(input, (raw) => {
        const names = outcome(() => normalizeSubjectAltNames(raw), isPkiError);
        if (!names.ok) return;
        const der = toDer(encodeSubjectAltNames(names.value));
        expect(normalizeSubjectAltNames(readGeneralNames(der, 'subjectAltName'))).toEqual(names.value);
        expect(decodeSubjectAltNames(parseAsn1(der, GeneralNames, 'subjectAltName'))).toEqual(names.value);
      }),
      { numRuns: 400 },
    );
  });
});
