/**
 * Test support for the name property tests: Names (RFC 5280 §4.1.2.4) whose values are the ones
 * a `#hex` form could be confused with: strings that begin with `#` or `\`, strings that spell
 * `#` and the hex of an element, and elements that are not strings. Not part of the package's build.
 */
import fc from 'fast-check';
import { oid, seq, set, tlv } from '../codec/der-writer.js';
import { anyDerTree, encodeDerTree } from './der-fuzz.js';

/** Elements that are not strings: INTEGER, BOOLEAN, OID, OCTET STRING, NULL, constructed, [n]. */
export const nonStringElement: fc.Arbitrary<Uint8Array> = fc.oneof(
  anyDerTree.map(encodeDerTree).filter((der) => ![0x0c, 0x13, 0x16].includes(der[0] as number)),
  fc.uint8Array({ maxLength: 6 }).map((content) => tlv(0x04, content)),
  fc.constant(tlv(0x05, new Uint8Array(0))),
);

/** `#` and the hex of an element, string or not, as a requester could type it. */
export const spelledElement: fc.Arbitrary<string> = fc
  .oneof(
    nonStringElement,
    fc.string({ unit: 'grapheme-ascii', maxLength: 4 }).map((t) => tlv(0x0c, new Uint8Array(Buffer.from(t, 'utf8')))),
  )
  .map((der) => `#${Buffer.from(der).toString('hex')}`);

/** ASCII text, mostly beginning with `#` or `\`. */
const trickyText: fc.Arbitrary<string> = fc.oneof(
  spelledElement,
  fc
    .tuple(fc.constantFrom('#', '\\', '\\#', '\\\\', '##', '#zz', ' #', ''), fc.string({ unit: 'grapheme-ascii', maxLength: 6 }))
    .map(([head, tail]) => head + tail),
);

/** The text in each string type whose writer any ASCII text fits. */
const stringElement: fc.Arbitrary<Uint8Array> = fc
  .tuple(fc.constantFrom(0x0c, 0x14, 0x16, 0x1e), trickyText)
  .map(([tag, text]) => tlv(tag, new Uint8Array(tag === 0x1e ? Buffer.from(text, 'utf16le').swap16() : Buffer.from(text, tag === 0x0c ? 'utf8' : 'latin1'))));

/** Types with a short name in name.ts (CN, O, C, emailAddress, DC) and types without one. */
const attributeType = fc.constantFrom(
  '2.5.4.3',
  '2.5.4.10',
  '2.5.4.6',
  '1.2.840.113549.1.9.1',
  '0.9.2342.19200300.100.1.25',
  '2.5.4.97',
  '1.2.840.113549.1.9.2',
  '1.2.3.4',
);

/** A Name of up to four RDNs of one to three attributes, each value a {@link stringElement} or a {@link nonStringElement}. */
export const trickyNameDer: fc.Arbitrary<Uint8Array> = fc
  .array(fc.array(fc.tuple(attributeType, fc.oneof(stringElement, nonStringElement)), { minLength: 1, maxLength: 3 }), { maxLength: 4 })
  .map((rdns) => seq(...rdns.map((atvs) => set(...atvs.map(([type, value]) => seq(oid(type), value))))));
