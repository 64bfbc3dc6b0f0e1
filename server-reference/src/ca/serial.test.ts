import { describe, expect, it } from 'vitest';
import { normalizeSerial, randomSerialHex } from './serial.js';

describe('randomSerialHex', () => {
  it('is positive, DER-minimal, 16 octets, and different each time', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const hex = randomSerialHex();
      expect(hex).toMatch(/^[0-9a-f]{32}$/);
      const first = Number.parseInt(hex.slice(0, 2), 16);
      expect(first).toBeGreaterThan(0);
      expect(first).toBeLessThan(0x80);
      seen.add(hex);
    }
    expect(seen.size).toBe(2000);
  });
});

describe('normalizeSerial', () => {
  it.each([
    { name: 'bigint', input: 0x1234n, want: '1234' },
    { name: 'small integer', input: 5, want: '05' },
    { name: 'hex text', input: 'ABCDEF', want: '00abcdef' },
    { name: '0x hex text', input: '0x7f', want: '7f' },
    { name: 'top bit set gets a leading zero octet', input: 0x80n, want: '0080' },
    { name: 'bytes', input: new Uint8Array([1, 2, 3]), want: '010203' },
  ])('$name -> $want', ({ input, want }) => {
    expect(normalizeSerial(input)).toBe(want);
  });

  it.each([
    { name: 'zero', input: 0n },
    { name: 'negative', input: -1n },
    { name: 'over 20 octets', input: 2n ** 160n },
    { name: 'not hex', input: 'xyz' },
    { name: 'a float', input: 1.5 },
    { name: 'null', input: null },
  ])('refuses $name with ERR_CA_SERIAL', ({ input }) => {
    expect(() => normalizeSerial(input)).toThrow(expect.objectContaining({ code: 'ERR_CA_SERIAL' }));
  });
});
