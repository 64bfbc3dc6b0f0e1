import { spawnSync } from 'node:child_process';
import { AttributeTypeAndValue, AttributeValue, Name, RelativeDistinguishedName } from '@peculiar/asn1-x509';
import { describe, expect, it } from 'vitest';
import { parseDer, toDer } from './codec/asn1.js';
import { checkNameAttribute, type DistinguishedName, decodeName, encodeName, formatName, NAME_ATTRIBUTE_TYPES, nameAttribute } from './name.js';
import { codeOf } from './test-support/expect-code.js';

/** Encodes to DER and parses the DER back: a real round trip, not a look at the same objects. */
const roundTrip = (dn: DistinguishedName): Name => parseDer(toDer(encodeName(dn)), Name, 'name');

/** Which string CHOICE carries each attribute value, in order. */
function stringTypes(name: Name): string[] {
  return name.flatMap((rdn) =>
    rdn.map((atv) => {
      const v = atv.value;
      if (v.printableString !== undefined) return 'PrintableString';
      if (v.ia5String !== undefined) return 'IA5String';
      if (v.utf8String !== undefined) return 'UTF8String';
      return 'other';
    }),
  );
}

const FULL: DistinguishedName = [
  { type: 'C', value: 'DE' },
  { type: 'ST', value: 'Baden-Württemberg' },
  { type: 'L', value: 'Stuttgart' },
  { type: 'O', value: 'Example, Inc.' },
  { type: 'OU', value: 'Ops' },
  { type: 'CN', value: 'host.example.test' },
  { type: 'serialNumber', value: 'A-123' },
  { type: 'DC', value: 'example' },
  { type: 'emailAddress', value: 'ops@example.test' },
];

describe('encodeName and decodeName', () => {
  it('round-trips every attribute through DER, in order, one attribute per RDN', () => {
    const name = roundTrip(FULL);
    expect(name).toHaveLength(FULL.length);
    for (const rdn of name) expect(rdn).toHaveLength(1);
    expect(decodeName(name)).toEqual(FULL);
  });

  it('uses the string types of RFC 5280 and PKCS #9', () => {
    expect(stringTypes(roundTrip(FULL))).toEqual([
      'PrintableString', // C
      'UTF8String', // ST
      'UTF8String', // L
      'UTF8String', // O
      'UTF8String', // OU
      'UTF8String', // CN
      'PrintableString', // serialNumber
      'IA5String', // DC
      'IA5String', // emailAddress
    ]);
  });

  it('writes the same string types as openssl asn1parse reads them', () => {
    const der = toDer(encodeName([FULL[0], FULL[5], FULL[8]] as DistinguishedName));
    const parsed = spawnSync('openssl', ['asn1parse', '-inform', 'DER'], { input: der });
    expect(parsed.status).toBe(0);
    const types = [...parsed.stdout.toString().matchAll(/prim: (\w+STRING)\s*:(.*)$/gm)].map((m) => [m[1], m[2]]);
    expect(types).toEqual([
      ['PRINTABLESTRING', 'DE'],
      ['UTF8STRING', 'host.example.test'],
      ['IA5STRING', 'ops@example.test'],
    ]);
  });

  it('keeps non-ASCII UTF-8 values, including characters outside the BMP', () => {
    const dn = [{ type: 'CN', value: 'Zoë Müller 日本 😀' }];
    expect(decodeName(roundTrip(dn))).toEqual(dn);
  });

  it('encodes an empty name as an empty SEQUENCE', () => {
    expect(toDer(encodeName([]))).toEqual(Uint8Array.from([0x30, 0x00]));
  });

  it('keeps an unknown attribute type as its dotted OID', () => {
    const name = new Name([
      new RelativeDistinguishedName([new AttributeTypeAndValue({ type: '2.5.4.97', value: new AttributeValue({ utf8String: 'VATDE-123' }) })]),
    ]);
    expect(decodeName(parseDer(toDer(name), Name, 'name'))).toEqual([{ type: '2.5.4.97', value: 'VATDE-123' }]);
  });

  // One form per value (NameAttribute.value): a string never reads like a non-string value.
  const atvHex = (oidHex: string, valueHex: string) => {
    const atv = `06${(oidHex.length / 2).toString(16).padStart(2, '0')}${oidHex}${valueHex}`;
    const seqOf = `30${(atv.length / 2).toString(16).padStart(2, '0')}${atv}`;
    const setOf = `31${(seqOf.length / 2).toString(16).padStart(2, '0')}${seqOf}`;
    return Uint8Array.from(Buffer.from(`30${(setOf.length / 2).toString(16).padStart(2, '0')}${setOf}`, 'hex'));
  };
  const utf8Hex = (text: string) => `0c${Buffer.byteLength(text).toString(16).padStart(2, '0')}${Buffer.from(text).toString('hex')}`;
  it.each([
    {
      name: 'a CN that is not a string (INTEGER 5) under its OID, as # and hex (RFC 4514 §2.4)',
      input: atvHex('550403', '020105'),
      want: { type: '2.5.4.3', value: '#020105' },
    },
    { name: 'a CN string that begins with # verbatim', input: atvHex('550403', utf8Hex('#020105')), want: { type: 'CN', value: '#020105' } },
    { name: 'an unknown type that is not a string as # and hex', input: atvHex('2a030405', '0403616263'), want: { type: '1.2.3.4.5', value: '#0403616263' } },
    {
      name: 'an unknown type whose string spells # and hex, with the # escaped (regression: it read as the element it spells)',
      input: atvHex('2a030405', utf8Hex('#0c03616263')),
      want: { type: '1.2.3.4.5', value: '\\#0c03616263' },
    },
    {
      name: 'an unknown type whose string begins with a backslash, escaped',
      input: atvHex('2a030405', utf8Hex('\\x')),
      want: { type: '1.2.3.4.5', value: '\\\\x' },
    },
    { name: 'a VisibleString (left as DER by @peculiar/asn1-x509) as its text', input: atvHex('55040a', '1a024f31'), want: { type: 'O', value: 'O1' } },
  ])('reads $name', ({ input, want }) => {
    expect(decodeName(parseDer(input, Name, 'name'))).toEqual([want]);
  });

  it('flattens a multi-valued RDN in order', () => {
    const atv = (type: string, value: string) => new AttributeTypeAndValue({ type, value: new AttributeValue({ utf8String: value }) });
    const name = new Name([new RelativeDistinguishedName([atv('2.5.4.3', 'a'), atv('2.5.4.11', 'b')])]);
    expect(decodeName(parseDer(toDer(name), Name, 'name'))).toEqual([
      { type: 'CN', value: 'a' },
      { type: 'OU', value: 'b' },
    ]);
  });
});

describe('nameAttribute', () => {
  it.each([
    { name: 'the first of two OU values', input: 'OU', want: 'first' },
    { name: 'undefined for an absent type', input: 'CN', want: undefined },
  ])('returns $name', ({ input, want }) => {
    const dn = [
      { type: 'OU', value: 'first' },
      { type: 'OU', value: 'second' },
    ];
    expect(nameAttribute(dn, input)).toBe(want);
  });
});

describe('formatName', () => {
  it.each([
    { name: 'plain values joined by comma and space', input: [FULL[0], FULL[5]], want: 'C=DE, CN=host.example.test' },
    { name: 'a comma', input: [{ type: 'O', value: 'Example, Inc.' }], want: 'O=Example\\, Inc.' },
    { name: 'a plus sign', input: [{ type: 'CN', value: 'a+b' }], want: 'CN=a\\+b' },
    { name: 'a double quote', input: [{ type: 'CN', value: 'say "hi"' }], want: 'CN=say \\"hi\\"' },
    { name: 'a backslash', input: [{ type: 'CN', value: 'a\\b' }], want: 'CN=a\\\\b' },
    {
      name: 'angle brackets, semicolon and equals',
      input: [{ type: 'CN', value: '<a>;b=c' }],
      want: 'CN=\\<a\\>\\;b\\=c',
    },
    { name: 'a leading # of a string', input: [{ type: 'CN', value: '#1' }], want: 'CN=\\#1' },
    { name: 'a value that is not a string, under a dotted OID, as # and hex', input: [{ type: '2.5.4.3', value: '#020105' }], want: '2.5.4.3=#020105' },
    { name: 'an escaped leading # under a dotted OID once', input: [{ type: '1.2.3.4', value: '\\#1, b' }], want: '1.2.3.4=\\#1\\, b' },
    { name: 'an escaped leading backslash under a dotted OID once', input: [{ type: '1.2.3.4', value: '\\\\' }], want: '1.2.3.4=\\\\' },
    { name: 'a plain string under a dotted OID', input: [{ type: '1.2.3.4', value: ' a;' }], want: '1.2.3.4=\\ a\\;' },
    { name: 'the empty name as the empty string', input: [], want: '' },
  ])('escapes $name', ({ input, want }) => {
    expect(formatName(input as DistinguishedName)).toBe(want);
  });
});

describe('name refusals', () => {
  const astral = '😀'; // one code point, two UTF-16 code units
  const cases: { name: string; input: { type: string; value: string }; want: string }[] = [
    { name: 'CN of 64 characters', input: { type: 'CN', value: 'a'.repeat(64) }, want: 'no error' },
    { name: 'CN of 65 characters', input: { type: 'CN', value: 'a'.repeat(65) }, want: 'ERR_PKI_CN_TOO_LONG' },
    {
      name: 'CN of 64 code points that are 128 UTF-16 code units',
      input: { type: 'CN', value: astral.repeat(64) },
      want: 'no error',
    },
    { name: 'CN of 65 code points', input: { type: 'CN', value: astral.repeat(65) }, want: 'ERR_PKI_CN_TOO_LONG' },
    { name: 'C of three letters (usa)', input: { type: 'C', value: 'usa' }, want: 'ERR_PKI_INVALID_NAME' },
    { name: 'C in lower case (us)', input: { type: 'C', value: 'us' }, want: 'ERR_PKI_INVALID_NAME' },
    { name: 'C with a digit', input: { type: 'C', value: 'U1' }, want: 'ERR_PKI_INVALID_NAME' },
    { name: 'C of one letter', input: { type: 'C', value: 'U' }, want: 'ERR_PKI_INVALID_NAME' },
    { name: 'C as two capitals', input: { type: 'C', value: 'US' }, want: 'no error' },
    { name: 'an empty CN', input: { type: 'CN', value: '' }, want: 'ERR_PKI_INVALID_NAME' },
    { name: 'a newline in O', input: { type: 'O', value: 'Evil\nCN=admin' }, want: 'ERR_PKI_INVALID_NAME' },
    { name: 'a NUL in CN', input: { type: 'CN', value: 'good.test\u0000.evil.test' }, want: 'ERR_PKI_INVALID_NAME' },
    { name: 'DEL in CN', input: { type: 'CN', value: 'a\u007fb' }, want: 'ERR_PKI_INVALID_NAME' },
    { name: 'an unknown short name', input: { type: 'XX', value: 'x' }, want: 'ERR_PKI_INVALID_NAME' },
    { name: 'a short name in the wrong case', input: { type: 'cn', value: 'x' }, want: 'ERR_PKI_INVALID_NAME' },
    { name: 'type __proto__ (regression: it passed the check, then encoded no OID)', input: { type: '__proto__', value: 'x' }, want: 'ERR_PKI_INVALID_NAME' },
    {
      name: 'type constructor (regression: Object.prototype member taken as a type)',
      input: { type: 'constructor', value: 'x' },
      want: 'ERR_PKI_INVALID_NAME',
    },
    { name: 'a lone surrogate in CN (regression: encodeName threw URIError)', input: { type: 'CN', value: 'a\udc00b' }, want: 'ERR_PKI_INVALID_NAME' },
    {
      name: 'a non-ASCII emailAddress',
      input: { type: 'emailAddress', value: 'zoë@example.test' },
      want: 'ERR_PKI_INVALID_NAME',
    },
    { name: 'a non-ASCII DC', input: { type: 'DC', value: 'bücher' }, want: 'ERR_PKI_INVALID_NAME' },
    {
      name: 'a serialNumber outside PrintableString',
      input: { type: 'serialNumber', value: 'A_1' },
      want: 'ERR_PKI_INVALID_NAME',
    },
    {
      name: 'O of 65 characters (not the CN code)',
      input: { type: 'O', value: 'o'.repeat(65) },
      want: 'ERR_PKI_INVALID_NAME',
    },
    { name: 'ST of 128 characters', input: { type: 'ST', value: 's'.repeat(128) }, want: 'no error' },
    { name: 'ST of 129 characters', input: { type: 'ST', value: 's'.repeat(129) }, want: 'ERR_PKI_INVALID_NAME' },
    {
      name: 'emailAddress of 256 characters',
      input: { type: 'emailAddress', value: `${'a'.repeat(243)}@example.test` },
      want: 'ERR_PKI_INVALID_NAME',
    },
  ];

  it.each(cases)('checkNameAttribute: $name -> $want', ({ input, want }) => {
    expect(codeOf(() => checkNameAttribute(input))).toBe(want);
  });

  it.each(cases)('encodeName: $name -> $want', ({ input, want }) => {
    expect(codeOf(() => encodeName([{ type: 'CN', value: 'ok.example.test' }, input]))).toBe(want);
  });

  it('refuses a value that is not a string with ERR_PKI_INVALID_NAME', () => {
    const input = { type: 'CN', value: 42 as unknown as string };
    expect(codeOf(() => checkNameAttribute(input))).toBe('ERR_PKI_INVALID_NAME');
  });

  it('lists the short names it accepts', () => {
    expect([...NAME_ATTRIBUTE_TYPES].sort()).toEqual(
      ['C', 'CN', 'DC', 'GN', 'L', 'O', 'OU', 'SN', 'ST', 'emailAddress', 'serialNumber', 'street', 'title'].sort(),
    );
  });
});
