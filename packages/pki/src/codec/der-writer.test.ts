import { describe, expect, it } from 'vitest';
import { validateDer } from './der.js';
import {
  bitString,
  bool,
  contextPrimitive,
  enumerated,
  explicit,
  ia5,
  implicit,
  int,
  namedBits,
  nullDer,
  octets,
  oid,
  oidToString,
  printable,
  seq,
  set,
  utcOrGeneralizedTime,
  utf8,
} from './der-writer.js';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

describe('der-writer', () => {
  // Expected encodings follow X.690 §8 and the examples of its annex; lengths cross the
  // short/long-form boundary on purpose.
  const cases: { name: string; input: () => Uint8Array; want: string }[] = [
    { name: 'INTEGER zero is one zero octet', input: () => int(0n), want: '020100' },
    { name: 'INTEGER 127 needs no padding', input: () => int(127), want: '02017f' },
    { name: 'INTEGER 128 gets a leading zero to stay positive', input: () => int(128n), want: '02020080' },
    { name: 'INTEGER -1 is one 0xff octet', input: () => int(-1n), want: '0201ff' },
    { name: 'INTEGER -129 is minimal two-complement', input: () => int(-129n), want: '0202ff7f' },
    { name: 'INTEGER from bytes drops leading zeros', input: () => int(new Uint8Array([0, 0, 5])), want: '020105' },
    { name: 'INTEGER from bytes with top bit set is made positive', input: () => int(new Uint8Array([0x80, 1])), want: '0203008001' },
    { name: 'ENUMERATED uses tag 10', input: () => enumerated(1), want: '0a0101' },
    { name: 'OID basicConstraints', input: () => oid('2.5.29.19'), want: '0603551d13' },
    { name: 'OID with multi-octet arcs (sha256WithRSAEncryption)', input: () => oid('1.2.840.113549.1.1.11'), want: '06092a864886f70d01010b' },
    { name: 'OID 2.999 packs a first subidentifier above 127', input: () => oid('2.999.3'), want: '0603883703' },
    { name: 'UTF8String', input: () => utf8('ä'), want: '0c02c3a4' },
    { name: 'PrintableString', input: () => printable('US'), want: '13025553' },
    { name: 'IA5String', input: () => ia5('a.b'), want: '1603612e62' },
    { name: 'OCTET STRING', input: () => octets(new Uint8Array([1, 2])), want: '04020102' },
    { name: 'BIT STRING of whole octets has zero unused bits', input: () => bitString(new Uint8Array([0xff])), want: '030200ff' },
    { name: 'named bits drop trailing zero bits (digitalSignature)', input: () => namedBits([0]), want: '03020780' },
    { name: 'named bits keyCertSign+cRLSign+digitalSignature', input: () => namedBits([0, 5, 6]), want: '03020186' },
    { name: 'named bit 8 (decipherOnly) spills into a second octet', input: () => namedBits([8]), want: '0303070080' },
    { name: 'BOOLEAN TRUE is 0xff in DER', input: () => bool(true), want: '0101ff' },
    { name: 'NULL', input: () => nullDer, want: '0500' },
    { name: 'empty SEQUENCE', input: () => seq(), want: '3000' },
    { name: 'SEQUENCE keeps order', input: () => seq(int(2), int(1)), want: '3006020102020101' },
    { name: 'SET OF sorts its elements (X.690 §11.6)', input: () => set(int(2), int(1)), want: '3106020101020102' },
    { name: 'EXPLICIT [0] wraps the element', input: () => explicit(0, int(2)), want: 'a003020102' },
    { name: 'IMPLICIT [2] replaces a primitive tag', input: () => implicit(2, ia5('a')), want: '820161' },
    { name: 'IMPLICIT [0] keeps the constructed bit', input: () => implicit(0, seq()), want: 'a000' },
    { name: 'context-specific primitive [7] from content', input: () => contextPrimitive(7, new Uint8Array([127, 0, 0, 1])), want: '87047f000001' },
    { name: 'length 127 is the last short form', input: () => octets(new Uint8Array(127)), want: `047f${'00'.repeat(127)}` },
    { name: 'length 128 takes the long form 81 80', input: () => octets(new Uint8Array(128)), want: `048180${'00'.repeat(128)}` },
    { name: 'length 256 takes two length octets', input: () => octets(new Uint8Array(256)), want: `04820100${'00'.repeat(256)}` },
  ];
  it.each(cases)('$name', ({ input, want }) => {
    const der = input();
    expect(hex(der)).toBe(want);
    validateDer(der); // every encoding is strict DER by our own reader
  });

  const times: { name: string; input: string; want: string }[] = [
    { name: 'UTCTime for 2049 (last UTCTime year)', input: '2049-12-31T23:59:59.999Z', want: '170d3439313233313233353935395a' },
    { name: 'GeneralizedTime from 2050 (RFC 5280 §4.1.2.5)', input: '2050-01-01T00:00:00Z', want: '180f32303530303130313030303030305a' },
    { name: 'UTCTime for 1950 (first UTCTime year)', input: '1950-01-01T00:00:00Z', want: '170d3530303130313030303030305a' },
    { name: 'GeneralizedTime before 1950', input: '1949-12-31T23:59:59Z', want: '180f31393439313233313233353935395a' },
    { name: 'GeneralizedTime for 9999-12-31', input: '9999-12-31T23:59:59Z', want: '180f39393939313233313233353935395a' },
  ];
  it.each(times)('$name', ({ input, want }) => {
    expect(hex(utcOrGeneralizedTime(new Date(input)))).toBe(want);
  });

  it('refuses dates it cannot encode', () => {
    expect(() => utcOrGeneralizedTime(new Date(Number.NaN))).toThrow(TypeError);
    expect(() => utcOrGeneralizedTime(new Date('+010000-01-01T00:00:00Z'))).toThrow(TypeError);
  });

  it.each([
    { name: 'empty', input: '' },
    { name: 'one arc', input: '1' },
    { name: 'first arc above 2', input: '3.1' },
    { name: 'second arc 40 under arc 1', input: '1.40' },
    { name: 'leading zero', input: '1.02' },
    { name: 'trailing dot', input: '1.2.' },
  ])('oid refuses a malformed OID: $name', ({ input }) => {
    expect(() => oid(input)).toThrow(TypeError);
  });

  it.each(['2.5.29.19', '1.2.840.113549.1.1.11', '2.999.3', '0.9.2342.19200300.100.1.25', '2.25.329800735698586629295641978511506172918'])(
    'oidToString reverses oid for %s',
    (dotted) => {
      expect(oidToString(oid(dotted).subarray(2))).toBe(dotted);
    },
  );

  it('oidToString refuses non-minimal and truncated arcs', () => {
    expect(() => oidToString(new Uint8Array([0x2a, 0x80, 0x01]))).toThrow(TypeError);
    expect(() => oidToString(new Uint8Array([0x2a, 0x86]))).toThrow(TypeError);
  });

  it('printable and ia5 refuse characters outside their alphabets', () => {
    expect(() => printable('a@b')).toThrow(TypeError);
    expect(() => ia5('ä')).toThrow(TypeError);
  });

  it('cached OIDs are the same encoding on every call', () => {
    expect(oid('2.5.4.3')).toBe(oid('2.5.4.3'));
  });
});
