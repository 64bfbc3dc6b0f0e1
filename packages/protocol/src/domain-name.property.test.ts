/**
 * Properties of the domain-name rules: normalisation is idempotent and ignores case and the
 * root's dot; any text gives a domain or InvalidDomainNameError, never another exception; a name
 * is within a domain exactly when it is the domain or ends with a dot and the domain.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkProperty } from '../../pki/src/test-support/property.js';
import { InvalidDomainNameError, isNameWithinDomain, normalizeDomainName } from './domain-name.js';

const label = fc.stringMatching(/^[a-z0-9](?:[a-z0-9-]{0,14}[a-z0-9])?$/).filter((l) => !/^\d+$/.test(l) && !l.startsWith('xn--'));
/** Two or more labels under `example`, a TLD no suffix rule makes private: always a domain. */
const domain = fc.array(label, { minLength: 1, maxLength: 3 }).map((labels) => `${labels.join('.')}.example`);

function upperSome(text: string, mask: readonly boolean[]): string {
  return [...text].map((c, i) => (mask[i % Math.max(1, mask.length)] ? c.toUpperCase() : c)).join('');
}

describe('domain-name properties', () => {
  it('normalising twice gives what normalising once gave, whatever the case and the root dot', () => {
    checkProperty(
      fc.property(domain, fc.array(fc.boolean(), { minLength: 1, maxLength: 8 }), fc.boolean(), (d, mask, dot) => {
        const once = normalizeDomainName(`${upperSome(d, mask)}${dot ? '.' : ''}`);
        expect(once.ascii).toBe(d);
        expect(normalizeDomainName(once.ascii)).toEqual(once);
        expect(normalizeDomainName(once.unicode)).toEqual(once);
      }),
    );
  });

  it('any text is a domain or an InvalidDomainNameError, nothing else', () => {
    checkProperty(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: 'grapheme' }), domain), (text) => {
        try {
          const { ascii } = normalizeDomainName(text);
          expect(ascii).toMatch(/^[a-z0-9.-]+$/);
        } catch (err) {
          expect(err).toBeInstanceOf(InvalidDomainNameError);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('a name is within a domain exactly at label boundaries', () => {
    checkProperty(
      fc.property(domain, fc.array(label, { maxLength: 3 }), label, (d, sub, glued) => {
        const below = [...sub, d].join('.');
        expect(isNameWithinDomain(below, d)).toBe(true);
        expect(isNameWithinDomain(`${below}.`, d.toUpperCase())).toBe(true);
        // Glued to the first label without a dot: another name, never within.
        expect(isNameWithinDomain(`${glued}${d}`, d)).toBe(false);
        // The domain cannot be within one of its own subdomains.
        expect(isNameWithinDomain(d, `${glued}.${d}`)).toBe(false);
      }),
    );
  });
});
