/**
 * Properties of the PEM codec (RFC 7468) over any text: blocks, or ERR_PKI_PEM /
 * ERR_PKI_INPUT_TOO_LARGE, never another exception, never a hang; blocks written back with
 * encodePem read the same, and encodePem's own output reads back exactly.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isPkiError } from '../test-support/der-fuzz.js';
import { checkProperty, mutatedText, outcome } from '../test-support/property.js';
import { pkiVectors } from '../test-support/vectors.js';
import { decodePem, decodePemAll, decodePemBlocks, encodePem } from './pem.js';

/** What PEM text is made of, and what breaks it. */
const PEM_UNITS = ['-', '-----', 'BEGIN ', 'END ', 'CERTIFICATE', '\n', '\r\n', ' ', '\t', '=', '==', ':', 'A', '+', '/', 'é', '\u0000'];

const label = fc.stringMatching(/^[A-Z0-9]{1,6}( [A-Z0-9]{1,6}){0,2}$/);

function validPem(): string[] {
  const v = pkiVectors();
  return [v.caPem, v.csrPem, v.crlPem, `subject=Example Root\n${v.caPem}\nexplanatory text\n${v.leafPem}`];
}

describe('decodePemBlocks', () => {
  it('any text: blocks that encodePem writes back to text reading the same, or a typed error', () => {
    const text = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 80 }),
      fc.string({ unit: fc.constantFrom(...PEM_UNITS), maxLength: 30 }),
      mutatedText(validPem(), PEM_UNITS),
    );
    checkProperty(
      fc.property(text, (input) => {
        const result = outcome(() => decodePemBlocks(input), isPkiError);
        if (!result.ok) return;
        const again = result.value.map((b) => encodePem(b.label, b.der)).join('');
        expect(decodePemBlocks(again)).toEqual(result.value);
        // decodePem and decodePemAll agree with the blocks found.
        const [first] = result.value;
        const one = outcome(() => decodePem(input, first?.label ?? 'CERTIFICATE'), isPkiError);
        expect(one.ok).toBe(result.value.length === 1);
        const all = outcome(() => decodePemAll(input, first?.label ?? 'CERTIFICATE'), isPkiError);
        expect(all.ok).toBe(result.value.length > 0 && result.value.every((b) => b.label === first?.label));
      }),
      { numRuns: 400 },
    );
  });

  it('encodePem output, one block or several, reads back as the same labels and bytes, and writes back identically', () => {
    const blocks = fc.array(fc.record({ label, der: fc.uint8Array({ minLength: 1, maxLength: 200 }) }), { minLength: 1, maxLength: 3 });
    checkProperty(
      fc.property(blocks, (want) => {
        const text = want.map((b) => encodePem(b.label, b.der)).join('');
        const got = decodePemBlocks(text);
        expect(got).toEqual(want);
        expect(got.map((b) => encodePem(b.label, b.der)).join('')).toBe(text);
      }),
    );
  });
});
