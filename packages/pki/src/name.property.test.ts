/**
 * Properties of distinguished names (RFC 5280 §4.1.2.4): any attribute is either refused with
 * ERR_PKI_INVALID_NAME / ERR_PKI_CN_TOO_LONG, or encoded so that both readers (der-reader.ts's
 * readName and name.ts's decodeName) give back exactly the attribute, never another exception.
 */
import fc from 'fast-check';
import { Name } from '@peculiar/asn1-x509';
import { describe, expect, it } from 'vitest';
import { parseAsn1, toDer } from './codec/asn1.js';
import { validateDer } from './codec/der.js';
import { readName } from './codec/der-reader.js';
import { checkNameAttribute, decodeName, encodeName, NAME_ATTRIBUTE_TYPES, nameAttributeOf } from './name.js';
import { isPkiError } from './test-support/der-fuzz.js';
import { trickyNameDer } from './test-support/name-fuzz.js';
import { checkProperty, outcome } from './test-support/property.js';

/** Types a caller may pass: the known ones, OIDs, and names that live on Object.prototype. */
const attributeType = fc.oneof(
  { arbitrary: fc.constantFrom(...NAME_ATTRIBUTE_TYPES), weight: 4 },
  fc.constantFrom('__proto__', 'constructor', 'toString', 'hasOwnProperty', '2.5.4.3', 'cn', ''),
  fc.string({ maxLength: 6 }),
);

/** Values: printable, any code point, and the UTF-16 units that are not characters on their own. */
const attributeValue = fc.oneof(
  fc.string({ maxLength: 70 }),
  fc.string({ unit: 'binary', maxLength: 6 }),
  fc.string({ unit: fc.constantFrom('a', 'Z', '1', ' ', '.', '@', 'é', '\u0000', '\ud800', '\udc00', '\ufeff'), maxLength: 6 }),
);

describe('encodeName / readName / decodeName', () => {
  it('any attribute: refused with a coded error, or encoded so that both readers give it back', () => {
    checkProperty(
      fc.property(attributeType, attributeValue, (type, value) => {
        const attr = { type, value };
        const encoded = outcome(() => toDer(encodeName([attr])), isPkiError);
        expect(outcome(() => checkNameAttribute(attr), isPkiError).ok).toBe(encoded.ok);
        if (!encoded.ok) return;
        const der = encoded.value;
        expect(readName(der, validateDer(der), 'name').map((a) => nameAttributeOf(a.oid, a.value))).toEqual([attr]);
        expect(decodeName(parseAsn1(der, Name, 'name'))).toEqual([attr]);
      }),
      { numRuns: 500 },
    );
  });

  it('any Name of strings that begin with # or \\ and values that are not strings: decodeName and readName give one form (regression: both read a string that spells #hex as that element)', () => {
    checkProperty(
      fc.property(trickyNameDer, (der) => {
        const raw = outcome(() => readName(der, validateDer(der), 'name'), isPkiError);
        if (!raw.ok) return;
        expect(decodeName(parseAsn1(der, Name, 'name'))).toEqual(raw.value.map((a) => nameAttributeOf(a.oid, a.value)));
      }),
    );
  });
});
