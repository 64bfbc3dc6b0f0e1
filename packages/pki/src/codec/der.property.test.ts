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
import { ipAddressText, readAscii, readBoolean, readGeneralNames, readName, readOid, readSmallInteger, readString, readTime } from './der-reader.js';
import { bool, contextPrimitive, int, oid, seq, set, tlv, utcOrGeneralizedTime } from './der-writer.js';
import { checkNameAttribute, NAME_ATTRIBUTE_TYPES, type NameAttribute, nameAttributeOf } from '../name.js';
import { encodeNameDer } from '../name-der.js';
import { nonStringElement, trickyNameDer } from '../test-support/name-fuzz.js';

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

describe('readBoolean', () => {
  it('any one-octet BOOLEAN: the value bool() writes back to the same element, or ERR_PKI_DER', () => {
    checkProperty(
      fc.property(fc.uint8Array({ maxLength: 2 }), (content) => {
        const der = tlv(0x01, content);
        const result = outcome(() => readBoolean(der, validateDer(der)), isPkiError);
        if (result.ok) expect(bool(result.value)).toEqual(der);
      }),
    );
  });
});

describe('readSmallInteger', () => {
  it('any INTEGER content: a number that int() writes back to the same element, or ERR_PKI_DER', () => {
    checkProperty(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 6 }), contentBytes), (content) => {
        const der = tlv(0x02, content);
        const result = outcome(() => readSmallInteger(der, validateDer(der), 'n'), isPkiError);
        if (!result.ok) return;
        expect(result.value).toBeLessThan(2 ** 31);
        expect(int(result.value)).toEqual(der);
      }),
    );
  });

  it('every number from 0 to 2^31 - 1 that int() writes reads back', () => {
    checkProperty(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), (n) => {
        const der = int(n);
        expect(readSmallInteger(der, validateDer(der), 'n')).toBe(n);
      }),
    );
  });
});

/**
 * Time-shaped text: fields just inside and just outside their ranges, two or four year digits,
 * and now and then a fraction, an offset or a missing `Z`.
 */
const timeText: fc.Arbitrary<Uint8Array> = fc
  .record({
    year: fc.oneof(fc.integer({ min: 0, max: 99 }), fc.integer({ min: 0, max: 9999 })),
    fourDigits: fc.boolean(),
    fields: fc.tuple(
      fc.integer({ min: 0, max: 13 }),
      fc.integer({ min: 0, max: 32 }),
      fc.integer({ min: 0, max: 25 }),
      fc.integer({ min: 0, max: 61 }),
      fc.integer({ min: 0, max: 61 }),
    ),
    tail: fc.constantFrom('Z', 'Z', 'Z', 'Z', '.5Z', '+0000', '', 'z'),
  })
  .map(({ year, fourDigits, fields, tail }) => {
    const two = (n: number) => String(n).padStart(2, '0');
    const text = `${fourDigits ? String(year).padStart(4, '0') : two(year % 100)}${fields.map(two).join('')}${tail}`;
    return new Uint8Array(Buffer.from(text, 'latin1'));
  });

describe('readTime', () => {
  it('any content of either time type: a date that utcOrGeneralizedTime writes as this element or as the other type, or ERR_PKI_DER', () => {
    checkProperty(
      fc.property(fc.constantFrom(0x17, 0x18), fc.oneof(timeText, contentBytes), (tag, content) => {
        const der = tlv(tag, content);
        const result = outcome(() => readTime(der, validateDer(der), 'time'), isPkiError);
        if (!result.ok) return;
        expect(result.value.getUTCMilliseconds()).toBe(0);
        // One text per date within each type: where the writer picks the same type (UTCTime for
        // 1950-2049, RFC 5280 §4.1.2.5), it writes these very octets.
        const written = utcOrGeneralizedTime(result.value);
        if (written[0] === tag) expect(written).toEqual(der);
        expect(readTime(written, validateDer(written), 'time')).toEqual(result.value);
      }),
      { numRuns: 1000 },
    );
  });

  /** Whole-second dates from `min` to `max`, written by utcOrGeneralizedTime, read back as themselves. */
  const writtenDatesReadBack = (min: string, max: string, numRuns?: number) =>
    checkProperty(
      fc.property(fc.date({ min: new Date(min), max: new Date(max), noInvalidDate: true }), (d) => {
        const whole = new Date(Math.floor(d.getTime() / 1000) * 1000);
        const der = utcOrGeneralizedTime(whole);
        expect(readTime(der, validateDer(der), 'time')).toEqual(whole);
      }),
      numRuns === undefined ? {} : { numRuns },
    );

  it('every whole-second date from year 100 to 9999 that utcOrGeneralizedTime writes reads back', () => {
    writtenDatesReadBack('0100-01-01T00:00:00Z', '9999-12-31T23:59:59Z');
  });

  // Regression: Date.UTC read the years 0 to 99 as 1900 to 1999, so readTime refused every
  // GeneralizedTime of the years 0000 to 0099 that utcOrGeneralizedTime writes.
  it('every whole-second date of the years 0 to 99 that utcOrGeneralizedTime writes reads back', () => {
    writtenDatesReadBack('0000-01-01T00:00:00Z', '0099-12-31T23:59:59Z');
  });
});

describe('readAscii', () => {
  it('any content: text whose Latin-1 octets are the content, or ERR_PKI_DER', () => {
    checkProperty(
      fc.property(contentBytes, (content) => {
        const der = tlv(0x82, content);
        const result = outcome(() => readAscii(der, validateDer(der), 'dNSName'), isPkiError);
        expect(result.ok).toBe(content.every((b) => b <= 0x7f));
        if (result.ok) expect(new Uint8Array(Buffer.from(result.value, 'latin1'))).toEqual(content);
      }),
    );
  });
});

describe('ipAddressText', () => {
  it('any octets: text that reads back to the same 4 or 16 octets, or undefined for any other length', () => {
    checkProperty(
      fc.property(
        fc.oneof(fc.uint8Array({ maxLength: 20 }), fc.uint8Array({ minLength: 4, maxLength: 4 }), fc.uint8Array({ minLength: 16, maxLength: 16 })),
        (octets) => {
          const text = ipAddressText(octets);
          if (octets.length === 4 || octets.length === 16) expect(ipOctets(text as string)).toEqual(octets);
          else expect(text).toBeUndefined();
        },
      ),
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
  /** Whether parseCsr's checks (known types) or the encoder's (dotted OIDs) refuse the attribute. */
  const refusedByChecks = ({ type, value }: NameAttribute) =>
    NAME_ATTRIBUTE_TYPES.includes(type)
      ? !outcome(() => checkNameAttribute({ type, value }), isPkiError).ok
      : value === '' || (!value.startsWith('#') && /[\u0000-\u001f\u007f]/.test(value));

  it('any Name it accepts: attributes that the certificate encoder writes back to a Name that reads the same, `#` and `\\` strings and non-string values included', () => {
    const v = pkiVectors();
    const names = [v.issuer.certificate.subjectDer, parseCertificate(v.leafDer).subjectDer];
    checkProperty(
      fc.property(fc.oneof(trickyNameDer, mutatedDerTree(names), mutatedBytes(names)), (bytes) => {
        const result = outcome(() => readName(bytes, validateDer(bytes), 'name'), isPkiError);
        if (!result.ok) return;
        // The path of a request's subject into a certificate: parseCsr maps with nameAttributeOf,
        // issueCertificate writes with encodeNameDer.
        const dn = result.value.map((a) => nameAttributeOf(a.oid, a.value));
        const written = outcome(() => encodeNameDer(dn), isPkiError);
        expect(written.ok).toBe(!dn.some(refusedByChecks));
        if (!written.ok) return;
        // The same text for every string and the same DER for every other value: a string is
        // never written as the element it spells, an element never as a string.
        expect(readName(written.value, validateDer(written.value), 'name')).toEqual(result.value);
      }),
      { numRuns: 1000 },
    );
  });

  it('a string that spells `#` and the hex of an element reads differently from that element (regression: the two read the same)', () => {
    checkProperty(
      fc.property(fc.constantFrom('2.5.4.3', '1.2.3.4'), nonStringElement, fc.constantFrom(0x0c, 0x16), (type, element, tag) => {
        const spelled = tlv(tag, new Uint8Array(Buffer.from(`#${Buffer.from(element).toString('hex')}`, 'latin1')));
        const [asString, asElement] = [spelled, element].map((value) => {
          const der = seq(set(seq(oid(type), value)));
          return readName(der, validateDer(der), 'name');
        });
        expect(asString).not.toEqual(asElement);
      }),
    );
  });
});

/** iPAddress octets of the text readGeneralNames writes: dotted quad, or eight uncompressed groups. */
function ipOctets(text: string): Uint8Array {
  if (text.includes('.')) return Uint8Array.from(text.split('.').map(Number));
  return new Uint8Array(
    Buffer.from(
      text
        .split(':')
        .map((g) => g.padStart(4, '0'))
        .join(''),
      'hex',
    ),
  );
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
