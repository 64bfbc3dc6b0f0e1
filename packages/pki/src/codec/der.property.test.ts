/**
 * Properties of the strict DER reader (der.ts, der-reader.ts) over any bytes: a value, or
 * ERR_PKI_DER / ERR_PKI_INPUT_TOO_LARGE, never another exception, never a hang; and what is read
 * writes back with der-writer.ts to the bytes it was read from.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { anyDerTree, derLikeBytes, derTree, encodeDerTree, isPkiError, mutatedDerTree } from '../test-support/der-fuzz.js';
import { parseCertificate } from '../certificate.js';
import { checkProperty, mutatedBytes, outcome } from '../test-support/property.js';
import { pkiVectors } from '../test-support/vectors.js';
import { validateDer } from './der.js';
import { readGeneralNames, readName, readOid, readString } from './der-reader.js';
import { contextPrimitive, oid, seq, set, tlv } from './der-writer.js';

function validDer(): Uint8Array[] {
  const v = pkiVectors();
  return [v.caDer, v.leafDer, v.csrDer, v.crlDer];
}

/** Byte runs that decoders get wrong: byte-order marks, UTF-8 of surrogates, UTF-32 surrogates, overlong forms. */
const TRICKY_RUNS = [
  [0xef, 0xbb, 0xbf],
  [0xfe, 0xff],
  [0xff, 0xfe],
  [0xed, 0xa0, 0x80],
  [0xc0, 0x80],
  [0x00, 0x00, 0xd8, 0x3d],
  [0x00, 0x00, 0xde, 0x00],
  [0x00, 0x00, 0xd8, 0x3d, 0x00, 0x00, 0xde, 0x00],
  [0x00, 0x11, 0x00, 0x00],
  [0x80, 0x00, 0x00, 0x00],
  [0xd8, 0x3d, 0xde, 0x00],
  [0x00],
  [0x7f],
].map((run) => Uint8Array.from(run));

/** Content octets: random, UTF-8 text, runs of {@link TRICKY_RUNS}, or a mix of the three. */
const contentChunk: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.uint8Array({ maxLength: 8 }),
  fc.string({ unit: 'binary', maxLength: 4 }).map((s) => new Uint8Array(Buffer.from(s, 'utf8'))),
  fc.constantFrom(...TRICKY_RUNS),
);
const contentBytes: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.uint8Array({ maxLength: 12 }),
  fc.array(fc.constantFrom(...TRICKY_RUNS), { maxLength: 3 }).map(joinBytes),
  fc.array(contentChunk, { maxLength: 5 }).map(joinBytes),
);

function joinBytes(parts: readonly Uint8Array[]): Uint8Array {
  return Uint8Array.from(parts.flatMap((p) => [...p]));
}

describe('validateDer', () => {
  it('any bytes: the outer element or a typed error; what passes is written back byte for byte', () => {
    const input = fc.oneof(fc.uint8Array({ maxLength: 64 }), derLikeBytes, mutatedBytes(validDer()), mutatedDerTree(validDer()));
    checkProperty(
      fc.property(input, (bytes) => {
        const result = outcome(() => validateDer(bytes), isPkiError);
        if (!result.ok) return;
        expect(result.value).toMatchObject({ start: 0, end: bytes.length });
        // Strict DER has one encoding per tree: the shortest definite lengths der-writer writes.
        expect(encodeDerTree(derTree(bytes))).toEqual(bytes);
      }),
    );
  });

  it('every tree der-writer writes is accepted and read back as written', () => {
    checkProperty(
      fc.property(anyDerTree, (tree) => {
        expect(derTree(encodeDerTree(tree))).toEqual(tree);
      }),
    );
  });
});

describe('readOid', () => {
  it('any content: dotted text that oid() writes back to the same octets, or ERR_PKI_DER', () => {
    checkProperty(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 24 }), contentBytes), (content) => {
        const der = tlv(0x06, content);
        const result = outcome(() => readOid(der, validateDer(der)), isPkiError);
        if (result.ok) expect(oid(result.value)).toEqual(der);
      }),
    );
  });

  it('every OID oid() writes reads back as the same dotted text', () => {
    const dotted = fc
      .tuple(fc.nat(2), fc.nat(39), fc.array(fc.bigInt({ min: 0n, max: 1n << 128n }), { maxLength: 6 }))
      .map(([a, b, rest]) => [a, b, ...rest].join('.'));
    checkProperty(
      fc.property(dotted, (text) => {
        const der = oid(text);
        expect(readOid(der, validateDer(der))).toBe(text);
      }),
    );
  });
});

/** How each string type's text is written: the inverse readString must honour. */
const WRITERS: Readonly<Record<number, (text: string) => Uint8Array>> = {
  0x0c: (text) => new Uint8Array(Buffer.from(text, 'utf8')),
  0x12: (text) => new Uint8Array(Buffer.from(text, 'latin1')),
  0x13: (text) => new Uint8Array(Buffer.from(text, 'latin1')),
  0x14: (text) => new Uint8Array(Buffer.from(text, 'latin1')),
  0x16: (text) => new Uint8Array(Buffer.from(text, 'latin1')),
  0x1a: (text) => new Uint8Array(Buffer.from(text, 'latin1')),
  0x1e: (text) => new Uint8Array(Buffer.from(text, 'utf16le').swap16()),
  0x1c: (text) => {
    const out = Buffer.alloc(4 * [...text].length);
    [...text].forEach((ch, i) => out.writeUInt32BE(ch.codePointAt(0) as number, 4 * i));
    return new Uint8Array(out);
  },
};

describe('readString', () => {
  it('any content of any string type: text that writes back to the same octets, or ERR_PKI_DER', () => {
    const identifier = fc.constantFrom(0x0c, 0x12, 0x13, 0x14, 0x16, 0x1a, 0x1c, 0x1e, 0x04);
    checkProperty(
      fc.property(identifier, contentBytes, (tag, content) => {
        const der = tlv(tag, content);
        const result = outcome(() => readString(der, validateDer(der)), isPkiError);
        if (!result.ok) return;
        const write = WRITERS[tag];
        if (write === undefined) expect(result.value).toBeUndefined();
        // One text per encoding: a reader that drops a byte-order mark or joins surrogates
        // would show two different values as the same name.
        else expect(write(result.value as string)).toEqual(content);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('readName', () => {
  it('any Name-shaped DER: its attributes, which write back to a Name that reads the same, or ERR_PKI_DER', () => {
    const v = pkiVectors();
    const names = [v.issuer.certificate.subjectDer, parseCertificate(v.leafDer).subjectDer];
    checkProperty(
      fc.property(fc.oneof(mutatedDerTree(names), mutatedBytes(names)), (bytes) => {
        const result = outcome(() => readName(bytes, validateDer(bytes), 'name'), isPkiError);
        if (!result.ok) return;
        // String values are written as UTF8String; others (`#` + hex) as the DER they stand for.
        const rdns = result.value.map(({ oid: type, value }) =>
          set(seq(oid(type), value.startsWith('#') ? new Uint8Array(Buffer.from(value.slice(1), 'hex')) : tlv(0x0c, new Uint8Array(Buffer.from(value, 'utf8'))))),
        );
        const again = seq(...rdns);
        const reread = readName(again, validateDer(again), 'name');
        result.value.forEach((attr, i) => {
          // A `#` value of a non-string element reads back as itself; see the it.fails below.
          if (!attr.value.startsWith('#')) expect(reread[i]).toEqual(attr);
        });
      }),
    );
  });

  // Known: readName gives a string value that begins with `#` and a non-string value the same
  // form (RFC 4514 §2.4 would escape the string's `#`), and certificate.ts writes such an unknown
  // attribute back as the raw DER the hex spells. Reported with this property; it needs a
  // change of representation, not a one-line fix.
  it.fails('a UTF8String that spells `#` + hex reads differently from the element the hex encodes', () => {
    checkProperty(
      fc.property(fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 8 }), (text) => {
        const inner = tlv(0x0c, new Uint8Array(Buffer.from(text, 'utf8')));
        const spelled = `#${Buffer.from(inner).toString('hex')}`;
        const asString = seq(set(seq(oid('1.2.3.4'), tlv(0x0c, new Uint8Array(Buffer.from(spelled, 'utf8'))))));
        const asElement = seq(set(seq(oid('1.2.3.4'), inner)));
        const a = readName(asString, validateDer(asString), 'name');
        const b = readName(asElement, validateDer(asElement), 'name');
        expect(a).not.toEqual(b);
        expect(b[0]?.value.startsWith('#')).toBe(false);
        const reencoded = seq(set(seq(oid('1.2.3.4'), new Uint8Array(Buffer.from(spelled.slice(1), 'hex')))));
        expect(readName(reencoded, validateDer(reencoded), 'name')).toEqual(a);
      }),
      { numRuns: 10 },
    );
  });
});

/** iPAddress octets of the text readGeneralNames writes: dotted quad, or eight uncompressed groups. */
function ipOctets(text: string): Uint8Array {
  if (text.includes('.')) return Uint8Array.from(text.split('.').map(Number));
  return new Uint8Array(Buffer.from(text.split(':').map((g) => g.padStart(4, '0')).join(''), 'hex'));
}

describe('readGeneralNames', () => {
  it('any bytes: DNS, email and IP names that write back to GeneralNames reading the same, or ERR_PKI_DER', () => {
    const leafSan = parseCertificate(pkiVectors().leafDer).extensions.find((e) => e.oid === '2.5.29.17')?.value as Uint8Array;
    const sanDer = seq(contextPrimitive(2, new Uint8Array(Buffer.from('a.example'))), contextPrimitive(6, new Uint8Array(Buffer.from('https://a.example/'))));
    checkProperty(
      fc.property(fc.oneof(derLikeBytes, mutatedDerTree([sanDer, leafSan]), mutatedBytes([sanDer, leafSan])), (bytes) => {
        const result = outcome(() => readGeneralNames(bytes, 'subjectAltName'), isPkiError);
        if (!result.ok) return;
        const { dns, email, ip } = result.value;
        const again = seq(
          ...email.map((e) => contextPrimitive(1, new Uint8Array(Buffer.from(e, 'latin1')))),
          ...dns.map((d) => contextPrimitive(2, new Uint8Array(Buffer.from(d, 'latin1')))),
          ...ip.map((i) => contextPrimitive(7, ipOctets(i))),
        );
        expect(readGeneralNames(again, 'subjectAltName')).toEqual({ dns, email, ip, other: [] });
      }),
    );
  });
});
