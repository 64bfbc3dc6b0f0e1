import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { validateDer } from './codec/der.js';
import { readName } from './codec/der-reader.js';
import { nameAttributeOf, type NameAttribute } from './name.js';
import { encodeNameDer } from './name-der.js';
import { isPkiError } from './test-support/der-fuzz.js';
import { codeOf } from './test-support/expect-code.js';
import { spelledElement } from './test-support/name-fuzz.js';
import { checkProperty, outcome } from './test-support/property.js';

/** The attributes readName and nameAttributeOf give for DER, as parseCsr reads a subject. */
function readBack(der: Uint8Array): NameAttribute[] {
  return readName(der, validateDer(der), 'name').map((a) => nameAttributeOf(a.oid, a.value));
}

const hexOf = (der: Uint8Array) => Buffer.from(der).toString('hex');

describe('encodeNameDer', () => {
  // NameAttribute.value under a dotted OID (RFC 4514 §2.4): `#hex` is DER, `\#` and `\\` escape.
  it.each([
    { name: 'plain text as a UTF8String', input: 'abc', want: '0c03616263' },
    { name: '\\# as a UTF8String that begins with #', input: '\\#0c03616263', want: `0c0b${hexOf(new Uint8Array(Buffer.from('#0c03616263')))}` },
    { name: '\\\\ as a UTF8String that begins with a backslash', input: '\\\\x', want: '0c025c78' },
    { name: '# and the hex of an INTEGER as that INTEGER', input: '#020105', want: '020105' },
    { name: '# and the hex of a SEQUENCE as that SEQUENCE', input: '#3003020101', want: '3003020101' },
  ])('writes under a dotted OID $name', ({ input, want }) => {
    const der = encodeNameDer([{ type: '1.2.3.4', value: input }]);
    expect(hexOf(der)).toBe(`${lengths(want)}06032a0304${want}`);
  });

  it.each([
    { name: 'a backslash before anything but # or \\', input: '\\x' },
    { name: '# and text that is not hex', input: '#zz' },
    { name: '# and an odd number of hex digits', input: '#020' },
    { name: '# and the hex of two elements', input: '#05000500' },
    { name: '# and the hex of a string (its text is the one form of a string)', input: '#0c03616263' },
    { name: '# and the hex of a malformed string', input: '#0c01ff' },
    { name: 'an empty value', input: '' },
    { name: 'a control character', input: 'a\nb' },
    { name: 'a control character after an escape', input: '\\#\u0000' },
    { name: 'a lone surrogate', input: 'a\ud800' },
  ])('refuses under a dotted OID $name with ERR_PKI_INVALID_NAME', ({ input }) => {
    expect(codeOf(() => encodeNameDer([{ type: '1.2.3.4', value: input }]))).toBe('ERR_PKI_INVALID_NAME');
  });

  it('any value under a dotted OID: refused with ERR_PKI_INVALID_NAME, or written so that it reads back as itself', () => {
    const head = fc.constantFrom('', '#', '\\', '\\#', '\\\\', '#0c', '#02', '#30');
    const value = fc.oneof(
      spelledElement,
      spelledElement.map((v) => `\\${v}`),
      fc.tuple(head, fc.string({ maxLength: 8 })).map(([h, t]) => h + t),
      fc.tuple(head, fc.string({ unit: fc.constantFrom('0', '1', '2', '3', 'c', 'a', '#', '\\'), maxLength: 10 })).map(([h, t]) => h + t),
    );
    checkProperty(
      fc.property(fc.constantFrom('1.2.3.4', '2.5.4.3', '2.5.4.6'), value, (type, v) => {
        const attr = { type, value: v };
        const written = outcome(() => encodeNameDer([attr]), isPkiError);
        if (!written.ok) {
          expect((written.error as { code?: string }).code).toBe('ERR_PKI_INVALID_NAME');
          return;
        }
        // A known type given by OID reads back by its short name when it is a string.
        expect(readBack(written.value)).toEqual([nameAttributeOf(type, v)]);
      }),
      { numRuns: 1000 },
    );
  });
});

/** The SEQUENCE, SET and SEQUENCE headers around `06 03 2a0304` and a value of `valueHex`. */
function lengths(valueHex: string): string {
  const atv = 5 + valueHex.length / 2;
  const h = (n: number) => n.toString(16).padStart(2, '0');
  return `30${h(atv + 4)}31${h(atv + 2)}30${h(atv)}`;
}
