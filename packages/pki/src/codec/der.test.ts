import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MAX_INPUT_BYTES } from '../limits.js';
import { codeOf } from '../test-support/expect-code.js';
import { rawChild, validateDer } from './der.js';
import { readString } from './der-reader.js';

/** DER length octets in their shortest form (X.690 §10.1). */
function lengthOctets(n: number): number[] {
  if (n < 0x80) return [n];
  const out: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) out.unshift(v % 256);
  return [0x80 | out.length, ...out];
}

/** One TLV with a correct, minimal length. */
function tlv(identifier: number, ...parts: ArrayLike<number>[]): Uint8Array {
  const content = parts.flatMap((p) => Array.from(p));
  return Uint8Array.from([identifier, ...lengthOctets(content.length), ...content]);
}

const seq = (...children: Uint8Array[]) => tlv(0x30, ...children);
const bytes = (...b: number[]) => Uint8Array.from(b);

/** `depth` SEQUENCEs, each the only child of the one around it. */
function nestedSequences(depth: number): Uint8Array {
  let inner = seq();
  for (let i = 1; i < depth; i++) inner = seq(inner);
  return inner;
}

describe('validateDer', () => {
  const accepted: { name: string; input: Uint8Array }[] = [
    { name: 'an empty SEQUENCE', input: seq() },
    { name: 'a primitive INTEGER', input: tlv(0x02, [0x05]) },
    { name: 'BOOLEAN TRUE as 0xFF', input: tlv(0x01, [0xff]) },
    { name: 'BOOLEAN FALSE as 0x00', input: tlv(0x01, [0x00]) },
    { name: 'BOOLEAN inside a SEQUENCE', input: seq(tlv(0x01, [0xff]), tlv(0x02, [0x01])) },
    { name: 'the one-octet long form for 128 content octets', input: tlv(0x04, new Uint8Array(128)) },
    { name: 'the two-octet long form for 256 content octets', input: tlv(0x04, new Uint8Array(256)) },
    { name: 'context-specific constructed [0] holding NULL', input: seq(tlv(0xa0, tlv(0x05))) },
    { name: '40 nested SEQUENCEs (the depth limit)', input: nestedSequences(40) },
    {
      name: 'a real SubjectPublicKeyInfo from OpenSSL',
      input: new Uint8Array(generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey.export({ type: 'spki', format: 'der' })),
    },
    {
      // The largest input accepted: an OCTET STRING that is exactly 64 KiB with its header.
      name: 'exactly 64 KiB',
      input: tlv(0x04, new Uint8Array(MAX_INPUT_BYTES - 4)),
    },
  ];
  it.each(accepted)('accepts $name', ({ input }) => {
    const outer = validateDer(input);
    expect(outer).toMatchObject({ start: 0, end: input.length, identifier: input[0] });
  });

  it('reports where the outer element and its content lie', () => {
    const input = tlv(0x30, tlv(0x04, new Uint8Array(200)));
    expect(validateDer(input)).toEqual({ identifier: 0x30, constructed: true, start: 0, contentStart: 3, end: 206 });
    expect(validateDer(tlv(0x02, [1]))).toMatchObject({ constructed: false, contentStart: 2, end: 3 });
  });

  const refused: { name: string; input: Uint8Array; want: string }[] = [
    { name: 'empty input', input: bytes(), want: 'ERR_PKI_DER' },
    { name: 'an identifier with no length', input: bytes(0x30), want: 'ERR_PKI_DER' },
    {
      name: 'a truncated element (content shorter than its length)',
      input: bytes(0x30, 0x05, 0x02, 0x01),
      want: 'ERR_PKI_DER',
    },
    { name: 'truncated long-form length octets', input: bytes(0x04, 0x82, 0x01), want: 'ERR_PKI_DER' },
    {
      name: 'the indefinite length 0x80 (BER only)',
      input: bytes(0x30, 0x80, 0x05, 0x00, 0x00, 0x00),
      want: 'ERR_PKI_DER',
    },
    {
      name: 'a non-minimal long-form length (0x81 0x05)',
      input: bytes(0x04, 0x81, 0x05, 1, 2, 3, 4, 5),
      want: 'ERR_PKI_DER',
    },
    {
      name: 'length octets with a leading zero (0x82 0x00 0x80)',
      input: Uint8Array.from([0x04, 0x82, 0x00, 0x80, ...new Uint8Array(128)]),
      want: 'ERR_PKI_DER',
    },
    { name: 'more than four length octets', input: bytes(0x04, 0x85, 0, 0, 0, 0, 1, 0), want: 'ERR_PKI_DER' },
    { name: 'one trailing byte after the element', input: bytes(0x05, 0x00, 0x00), want: 'ERR_PKI_DER' },
    { name: 'a second element after the first', input: bytes(0x05, 0x00, 0x05, 0x00), want: 'ERR_PKI_DER' },
    {
      name: 'constructed content not filled by whole TLVs (stray octet)',
      input: bytes(0x30, 0x04, 0x02, 0x01, 0x05, 0xff),
      want: 'ERR_PKI_DER',
    },
    {
      name: 'a child running past the end of its parent',
      input: bytes(0x30, 0x06, 0x30, 0x03, 0x02, 0x02, 0x05, 0x05),
      want: 'ERR_PKI_DER',
    },
    { name: 'BOOLEAN 0x01 (BER only: DER needs 0xFF)', input: tlv(0x01, [0x01]), want: 'ERR_PKI_DER' },
    { name: 'BOOLEAN of two octets', input: tlv(0x01, [0x00, 0x00]), want: 'ERR_PKI_DER' },
    { name: 'BOOLEAN of no octets', input: tlv(0x01), want: 'ERR_PKI_DER' },
    { name: 'BOOLEAN 0x01 nested two levels deep', input: seq(seq(tlv(0x01, [0x01]))), want: 'ERR_PKI_DER' },
    { name: 'the high tag number form', input: bytes(0x1f, 0x20, 0x00), want: 'ERR_PKI_DER' },
    { name: 'the high tag number form inside a SEQUENCE', input: seq(bytes(0xbf, 0x20, 0x00)), want: 'ERR_PKI_DER' },
    { name: 'a depth bomb of 1000 nested SEQUENCEs', input: nestedSequences(1000), want: 'ERR_PKI_DER' },
    {
      name: 'one byte over 64 KiB, before reading anything',
      input: new Uint8Array(MAX_INPUT_BYTES + 1),
      want: 'ERR_PKI_INPUT_TOO_LARGE',
    },
  ];
  it.each(refused)('refuses $name with $want', ({ input, want }) => {
    expect(codeOf(() => validateDer(input))).toBe(want);
  });

  // Regression: `walk` counted the outer element as depth 0 and refused only depth > 40, so
  // 41 nested SEQUENCEs passed and the first refused was the 42nd.
  it('refuses 41 nested SEQUENCEs, one past the limit of 40', () => {
    expect(codeOf(() => validateDer(nestedSequences(41)))).toBe('ERR_PKI_DER');
  });

  it('names the structure in its message', () => {
    expect(() => validateDer(bytes(0x05, 0x00, 0x00), 'certificate request')).toThrow(/^certificate request: /);
  });
});

describe('rawChild', () => {
  const first = tlv(0x02, [0x05]);
  const second = tlv(0x04, [0x61, 0x62, 0x63]);
  const third = tlv(0x30, tlv(0x05), tlv(0x04, new Uint8Array(130)));
  const outer = seq(first, second, third);

  it.each([
    { name: 'the first child', input: 0, want: first },
    { name: 'a middle child', input: 1, want: second },
    { name: 'a constructed child with a long-form length', input: 2, want: third },
  ])('returns exactly the bytes of $name', ({ input, want }) => {
    expect(rawChild(outer, input)).toEqual(want);
  });

  it('returns a view of the received bytes, not a re-encoding', () => {
    const child = rawChild(outer, 1);
    expect(child.buffer).toBe(outer.buffer);
    expect(child.byteOffset).toBe(outer.length - third.length - second.length);
  });

  it('refuses an index past the last child with ERR_PKI_DER', () => {
    expect(codeOf(() => rawChild(outer, 3))).toBe('ERR_PKI_DER');
  });
});

describe('readString', () => {
  const read = (der: Uint8Array) => readString(der, validateDer(der));

  it.each([
    { name: 'a UTF8String keeps a leading byte-order mark (regression: it was dropped)', input: tlv(0x0c, [0xef, 0xbb, 0xbf, 0x41]), want: '\ufeffA' },
    { name: 'a BMPString keeps a leading byte-order mark (regression: it was dropped)', input: tlv(0x1e, [0xfe, 0xff, 0x00, 0x41]), want: '\ufeffA' },
    { name: 'a UniversalString of one astral character', input: tlv(0x1c, [0x00, 0x01, 0xf6, 0x00]), want: '\u{1f600}' },
  ])('reads $name', ({ input, want }) => {
    expect(read(input)).toBe(want);
  });

  it.each([
    { name: 'a UniversalString surrogate pair (regression: it read as the character it pairs into)', input: tlv(0x1c, [0, 0, 0xd8, 0x3d, 0, 0, 0xde, 0x00]) },
    { name: 'a UniversalString lone surrogate', input: tlv(0x1c, [0, 0, 0xd8, 0x00]) },
    { name: 'a UniversalString code point past U+10FFFF', input: tlv(0x1c, [0, 0x11, 0, 0]) },
  ])('refuses $name with ERR_PKI_DER', ({ input }) => {
    expect(codeOf(() => read(input))).toBe('ERR_PKI_DER');
  });
});
