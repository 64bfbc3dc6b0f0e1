import { describe, expect, it } from 'vitest';
import { DerError } from '../errors.js';
import { codeOf } from '../test-support/expect-code.js';
import { validateDer } from './der.js';
import { expectElement, ipAddressText, OID_MAX_CONTENT_BYTES, readAscii, readBoolean, readOid, readSmallInteger, readTime } from './der-reader.js';

/** One element from hex, validated as strict DER first, as every reader here expects. */
function element(hex: string) {
  const der = new Uint8Array(Buffer.from(hex, 'hex'));
  return { der, el: validateDer(der) };
}

/** The class, code and message of what `fn` throws: messages are part of what callers see. */
function thrown(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(DerError);
    return { code: (err as DerError).code, message: (err as DerError).message };
  }
  return { code: 'no error', message: '' };
}

describe('expectElement', () => {
  const { el } = element('020105');

  it('returns the element when the identifier matches', () => {
    expect(expectElement(el, 0x02, 'certificate: serialNumber')).toBe(el);
  });

  it.each([
    { name: 'another identifier', input: el, want: 'certificate: serialNumber is missing or has the wrong type' },
    { name: 'an absent element', input: undefined, want: 'certificate: serialNumber is missing or has the wrong type' },
  ])('refuses $name with ERR_PKI_DER naming the field', ({ input, want }) => {
    expect(thrown(() => expectElement(input, 0x30, 'certificate: serialNumber'))).toEqual({ code: 'ERR_PKI_DER', message: want });
  });
});

describe('readBoolean', () => {
  // X.690 §11.1: DER has exactly one encoding of each value; validateDer refuses the rest.
  it.each([
    { name: 'TRUE (0xFF)', input: '0101ff', want: true },
    { name: 'FALSE (0x00)', input: '010100', want: false },
  ])('reads $name', ({ input, want }) => {
    const { der, el } = element(input);
    expect(readBoolean(der, el)).toBe(want);
  });

  it('refuses an element that is not a BOOLEAN with ERR_PKI_DER', () => {
    const { der, el } = element('0201ff');
    expect(codeOf(() => readBoolean(der, el))).toBe('ERR_PKI_DER');
  });
});

describe('readSmallInteger', () => {
  it.each([
    { name: 'zero', input: '020100', want: 0 },
    { name: '127, one octet', input: '02017f', want: 127 },
    { name: '128, which needs a leading zero octet', input: '02020080', want: 128 },
    { name: '2^31 - 1, the largest four-octet value', input: '02047fffffff', want: 2 ** 31 - 1 },
  ])('reads $name', ({ input, want }) => {
    const { der, el } = element(input);
    expect(readSmallInteger(der, el, 'pathLenConstraint')).toBe(want);
  });

  it.each([
    { name: '-1', input: '0201ff', want: 'pathLenConstraint is not a small non-negative integer' },
    { name: '2^31, five octets with the leading zero', input: '02050080000000', want: 'pathLenConstraint is not a small non-negative integer' },
    { name: 'an OCTET STRING', input: '040100', want: 'DER: expected an INTEGER' },
  ])('refuses $name with ERR_PKI_DER', ({ input, want }) => {
    const { der, el } = element(input);
    expect(thrown(() => readSmallInteger(der, el, 'pathLenConstraint'))).toEqual({ code: 'ERR_PKI_DER', message: want });
  });
});

describe('readOid', () => {
  it('reads the dotted text of basicConstraints', () => {
    const { der, el } = element('0603551d13');
    expect(readOid(der, el)).toBe('2.5.29.19');
  });

  // The message names the structure when the caller gives one, and keeps the "DER:" form
  // csr.ts has always reported when it does not.
  it.each([
    { name: 'a truncated arc, unnamed', input: '06025586', what: undefined, want: 'DER: OID is truncated' },
    { name: 'a truncated arc, in a certificate', input: '06025586', what: 'certificate', want: 'certificate: bad OID (OID is truncated)' },
    { name: 'a leading 0x80 octet (X.690 §8.19.2)', input: '0603558001', what: 'certificate', want: 'certificate: bad OID (OID arc has a leading 0x80 octet)' },
    { name: 'empty content', input: '0600', what: 'certificate', want: 'certificate: bad OID (OID is truncated)' },
    { name: 'another type, unnamed', input: '0500', what: undefined, want: 'DER: expected an OBJECT IDENTIFIER' },
  ])('refuses $name with ERR_PKI_DER', ({ input, what, want }) => {
    const { der, el } = element(input);
    expect(thrown(() => readOid(der, el, what))).toEqual({ code: 'ERR_PKI_DER', message: want });
  });

  // Regression: one arc of about 64 KiB took about 0.7 s of CPU (quadratic in its length) before a
  // request's signature was checked. Refused on its length now, before any arithmetic.
  it('refuses an OID longer than OID_MAX_CONTENT_BYTES before reading its arcs', () => {
    const arc = (n: number) => Buffer.concat([Buffer.alloc(n - 1, 0xff), Buffer.from([0x7f])]).toString('hex');
    const longest = `2a${arc(OID_MAX_CONTENT_BYTES - 1)}`;
    const at = element(`0681${OID_MAX_CONTENT_BYTES.toString(16)}${longest}`);
    expect(readOid(at.der, at.el)).toMatch(/^1\.2\.\d+$/);
    const huge = `2a${arc(59_999)}`;
    const over = element(`0682${(60_000).toString(16).padStart(4, '0')}${huge}`);
    expect(thrown(() => readOid(over.der, over.el, 'request'))).toEqual({
      code: 'ERR_PKI_DER',
      message: `request: bad OID (OID longer than ${OID_MAX_CONTENT_BYTES} octets)`,
    });
  });
});

describe('readTime', () => {
  const hexOf = (type: number, text: string) =>
    `${type.toString(16).padStart(2, '0')}${text.length.toString(16).padStart(2, '0')}${Buffer.from(text, 'latin1').toString('hex')}`;

  // RFC 5280 §4.1.2.5.1: UTCTime YY >= 50 is 19YY, YY < 50 is 20YY; §4.1.2.5.2: GeneralizedTime
  // for 2050 on, both with seconds, in UTC, without fractions.
  it.each([
    { name: 'UTCTime 50 as 1950, the first UTCTime year', input: hexOf(0x17, '500101000000Z'), want: '1950-01-01T00:00:00.000Z' },
    { name: 'UTCTime 49 as 2049, the last UTCTime year', input: hexOf(0x17, '491231235959Z'), want: '2049-12-31T23:59:59.000Z' },
    { name: 'UTCTime of 29 February in a leap year', input: hexOf(0x17, '000229000000Z'), want: '2000-02-29T00:00:00.000Z' },
    { name: 'GeneralizedTime from 2050 on', input: hexOf(0x18, '20500101000000Z'), want: '2050-01-01T00:00:00.000Z' },
    { name: 'GeneralizedTime 99991231235959Z, the no-well-defined-expiration value', input: hexOf(0x18, '99991231235959Z'), want: '9999-12-31T23:59:59.000Z' },
    // Regression: Date.UTC read the years 0 to 99 as 1900 to 1999 and refused these as invalid.
    { name: 'GeneralizedTime of year 0050 as 0050, not 1950', input: hexOf(0x18, '00500615120000Z'), want: '0050-06-15T12:00:00.000Z' },
    { name: 'GeneralizedTime of 29 February 0000 (a leap year)', input: hexOf(0x18, '00000229000000Z'), want: '0000-02-29T00:00:00.000Z' },
  ])('reads $name', ({ input, want }) => {
    const { der, el } = element(input);
    expect(readTime(der, el, 'notAfter').toISOString()).toBe(want);
  });

  const form = 'notAfter is not a UTCTime or GeneralizedTime in RFC 5280 form';
  const invalid = 'notAfter is not a valid date';
  it.each([
    { name: 'UTCTime without seconds', input: hexOf(0x17, '9912312359Z'), want: form },
    { name: 'UTCTime with an offset instead of Z', input: hexOf(0x17, '991231235959+0000'), want: form },
    { name: 'GeneralizedTime with fractional seconds', input: hexOf(0x18, '19991231235959.5Z'), want: form },
    { name: 'a four-digit year in a UTCTime', input: hexOf(0x17, '19991231235959Z'), want: form },
    { name: 'a two-digit year in a GeneralizedTime', input: hexOf(0x18, '991231235959Z'), want: form },
    { name: 'an OCTET STRING holding a valid time', input: hexOf(0x04, '991231235959Z'), want: form },
    { name: '29 February outside a leap year', input: hexOf(0x17, '010229000000Z'), want: invalid },
    { name: '31 February of year 0099', input: hexOf(0x18, '00990231000000Z'), want: invalid },
    { name: 'hour 24', input: hexOf(0x17, '991231240000Z'), want: invalid },
    { name: 'second 60 (X.509 has no leap seconds)', input: hexOf(0x18, '20161231235960Z'), want: invalid },
    { name: 'month 13', input: hexOf(0x18, '20241301000000Z'), want: invalid },
  ])('refuses $name with ERR_PKI_DER', ({ input, want }) => {
    const { der, el } = element(input);
    expect(thrown(() => readTime(der, el, 'notAfter'))).toEqual({ code: 'ERR_PKI_DER', message: want });
  });
});

describe('readAscii', () => {
  it('reads a dNSName [2]', () => {
    const { der, el } = element(`820b${Buffer.from('example.org').toString('hex')}`);
    expect(readAscii(der, el, 'dNSName')).toBe('example.org');
  });

  it.each([
    { name: 'UTF-8 (é)', input: '8202c3a9' },
    { name: '0x80, the first octet above ASCII', input: '82026180' },
  ])('refuses $name with ERR_PKI_DER naming the field', ({ input }) => {
    const { der, el } = element(input);
    expect(thrown(() => readAscii(der, el, 'certificate: dNSName'))).toEqual({ code: 'ERR_PKI_DER', message: 'certificate: dNSName is not ASCII' });
  });
});

describe('ipAddressText', () => {
  // RFC 5280 §4.2.1.6: four octets for IPv4, sixteen for IPv6, in network byte order.
  it.each([
    { name: 'IPv4', input: [192, 0, 2, 1], want: '192.0.2.1' },
    { name: 'IPv6, eight groups without compression', input: [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], want: '2001:db8:0:0:0:0:0:1' },
    { name: 'three octets', input: [1, 2, 3], want: undefined },
    { name: 'five octets', input: [1, 2, 3, 4, 5], want: undefined },
    { name: 'no octets', input: [], want: undefined },
  ])('gives $name as $want', ({ input, want }) => {
    expect(ipAddressText(Uint8Array.from(input))).toBe(want);
  });
});
