/**
 * Renewal information (RFC 9773): the certificate identifier against the RFC's own example
 * certificate (Appendix A, test-support/vectors/rfc9773-example-cert.pem), every refusal of the
 * parser with its stable reason, the answer's strict decoding, and the bounds of Retry-After.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseCertificate } from '../../pki/src/certificate.js';
import {
  CaRejectedError,
  certIdOf,
  certIdOfCertificate,
  decodeRenewalInfoAnswer,
  encodeRenewalInfo,
  encodeRenewalInfoError,
  InvalidCertIdError,
  MalformedResponseError,
  parseCertId,
  ProtocolError,
  renewalInfoPath,
  renewalInfoRetryAfterSeconds,
  RENEWAL_INFO_ERRORS,
  RENEWAL_INFO_ROUTE,
} from './index.js';

const RFC_CERT_ID = 'aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE';
const RFC_AKI = Uint8Array.from(Buffer.from('69885b6b87464041e1b37b847ba0ae2cde01c8d4', 'hex'));
const RFC_SERIAL = Uint8Array.of(0x00, 0x87, 0x65, 0x43, 0x21);

function refusalOf(text: string): string | undefined {
  try {
    parseCertId(text);
    return undefined;
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidCertIdError);
    expect(err).toBeInstanceOf(ProtocolError);
    expect((err as InvalidCertIdError).code).toBe('ERR_PROTOCOL_INVALID_CERT_ID');
    return (err as InvalidCertIdError).reason;
  }
}

describe('certIdOf (RFC 9773 §4.1)', () => {
  it("is the RFC's identifier for the RFC's keyIdentifier and serial", () => {
    expect(certIdOf({ authorityKeyIdentifier: RFC_AKI, serialNumber: RFC_SERIAL })).toBe(RFC_CERT_ID);
  });

  it("is the RFC's identifier for the RFC's example certificate, parsed by @certwizard/pki", () => {
    const pem = readFileSync(new URL('./test-support/vectors/rfc9773-example-cert.pem', import.meta.url), 'utf8');
    expect(certIdOfCertificate(parseCertificate(pem))).toBe(RFC_CERT_ID);
  });

  it('parses back to the parts, with the hex the CA stores', () => {
    expect(parseCertId(RFC_CERT_ID)).toEqual({
      authorityKeyIdentifier: RFC_AKI,
      serialNumber: RFC_SERIAL,
      authorityKeyIdentifierHex: '69885b6b87464041e1b37b847ba0ae2cde01c8d4',
      serialHex: '0087654321',
    });
  });

  it.each([
    { name: 'an empty key identifier', parts: { authorityKeyIdentifier: new Uint8Array(0), serialNumber: RFC_SERIAL } },
    { name: 'a negative serial', parts: { authorityKeyIdentifier: RFC_AKI, serialNumber: Uint8Array.of(0x87) } },
    { name: 'a serial with a superfluous zero', parts: { authorityKeyIdentifier: RFC_AKI, serialNumber: Uint8Array.of(0x00, 0x01) } },
    { name: 'a zero serial', parts: { authorityKeyIdentifier: RFC_AKI, serialNumber: Uint8Array.of(0x00) } },
    { name: 'a serial of 21 octets', parts: { authorityKeyIdentifier: RFC_AKI, serialNumber: new Uint8Array(21).fill(1) } },
    { name: 'hex instead of bytes', parts: { authorityKeyIdentifier: '6988' as unknown as Uint8Array, serialNumber: RFC_SERIAL } },
  ])('refuses $name as a TypeError (a caller mistake)', ({ parts }) => {
    expect(() => certIdOf(parts)).toThrow(TypeError);
  });

  it.each([
    { name: 'no authority key identifier', cert: { serialNumberHex: '01' }, want: 'no_authority_key_identifier' },
    { name: 'a key identifier that is not hex', cert: { authorityKeyIdentifier: 'zz', serialNumberHex: '01' }, want: 'key_identifier' },
    { name: 'a negative serial', cert: { authorityKeyIdentifier: '01', serialNumberHex: '80' }, want: 'serial' },
  ])('certIdOfCertificate refuses a certificate with $name', ({ cert, want }) => {
    expect(() => certIdOfCertificate(cert)).toThrow(expect.objectContaining({ code: 'ERR_PROTOCOL_INVALID_CERT_ID', reason: want }));
  });
});

describe('parseCertId', () => {
  it.each([
    { name: 'the empty text', input: '', want: 'shape' },
    { name: 'one part', input: 'aYhba4dGQEHhs3uEe6CuLN4ByNQ', want: 'shape' },
    { name: 'three parts', input: `${RFC_CERT_ID}.AQ`, want: 'shape' },
    { name: 'an empty serial', input: 'aYhba4dGQEHhs3uEe6CuLN4ByNQ.', want: 'base64url' },
    { name: 'padding', input: 'aYhba4dGQEHhs3uEe6CuLN4ByNQ=.AIdlQyE', want: 'base64url' },
    { name: 'standard base64 characters', input: 'aYhba4dGQEHhs3uEe6CuLN4ByNQ.AI+lQyE', want: 'base64url' },
    { name: 'a non-canonical last character', input: 'aYhba4dGQEHhs3uEe6CuLN4ByNR.AIdlQyE', want: 'base64url' },
    { name: 'a lone last character', input: 'aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyEAA', want: 'base64url' },
    { name: 'a percent escape', input: 'aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdl%51yE', want: 'base64url' },
    { name: 'a negative serial (no leading zero)', input: 'aYhba4dGQEHhs3uEe6CuLN4ByNQ.h2VDIQ', want: 'serial' },
    { name: 'a superfluous leading zero', input: 'aYhba4dGQEHhs3uEe6CuLN4ByNQ.AAE', want: 'serial' },
    { name: 'a serial of 21 octets', input: `aYhba4dGQEHhs3uEe6CuLN4ByNQ.${Buffer.alloc(21, 1).toString('base64url')}`, want: 'serial' },
    { name: 'a key identifier of 65 octets', input: `${Buffer.alloc(65, 1).toString('base64url')}.AQ`, want: 'key_identifier' },
    { name: 'a very long text', input: 'A'.repeat(300), want: 'shape' },
  ])('refuses $name: $want', ({ input, want }) => {
    expect(refusalOf(input)).toBe(want);
  });

  it('builds the path only for an identifier', () => {
    expect(renewalInfoPath(RFC_CERT_ID)).toBe(`/api/renewal-info/${RFC_CERT_ID}`);
    expect(RENEWAL_INFO_ROUTE.replace(':certId', RFC_CERT_ID)).toBe(renewalInfoPath(RFC_CERT_ID));
    expect(() => renewalInfoPath('../ca.pem')).toThrow(InvalidCertIdError);
  });
});

describe('decodeRenewalInfoAnswer (RFC 9773 §4.2)', () => {
  it("decodes the RFC's example answer, with its explanationURL", () => {
    const body = JSON.stringify({
      suggestedWindow: { start: '2025-01-02T04:00:00Z', end: '2025-01-03T04:00:00Z' },
      explanationURL: 'https://acme.example.com/docs/ari',
    });
    expect(decodeRenewalInfoAnswer(200, body)).toEqual({
      suggestedWindow: { start: new Date('2025-01-02T04:00:00Z'), end: new Date('2025-01-03T04:00:00Z') },
      explanationUrl: 'https://acme.example.com/docs/ari',
    });
  });

  it('reads offsets, fractions and lower-case t/z, and ignores members it does not know', () => {
    const body = JSON.stringify({
      suggestedWindow: { start: '2025-01-02t05:30:00.5+01:30', end: '2025-01-03T04:00:00z', extra: 1 },
      retryAfter: 'x',
    });
    expect(decodeRenewalInfoAnswer(200, body).suggestedWindow).toEqual({ start: new Date('2025-01-02T04:00:00.5Z'), end: new Date('2025-01-03T04:00:00Z') });
  });

  const window = (start: unknown, end: unknown) => JSON.stringify({ suggestedWindow: { start, end } });
  it.each([
    { name: 'not JSON', body: '<html>', status: 200 },
    { name: 'no suggestedWindow', body: '{}', status: 200 },
    { name: 'a suggestedWindow that is an array', body: '{"suggestedWindow":[]}', status: 200 },
    { name: 'start equal to end', body: window('2025-01-02T04:00:00Z', '2025-01-02T04:00:00Z'), status: 200 },
    { name: 'start after end', body: window('2025-01-03T04:00:00Z', '2025-01-02T04:00:00Z'), status: 200 },
    { name: 'a day that does not exist', body: window('2025-02-30T04:00:00Z', '2025-03-03T04:00:00Z'), status: 200 },
    { name: 'hour 24', body: window('2025-01-02T24:00:00Z', '2025-01-03T04:00:00Z'), status: 200 },
    { name: 'no offset', body: window('2025-01-02T04:00:00', '2025-01-03T04:00:00Z'), status: 200 },
    { name: 'a date only', body: window('2025-01-02', '2025-01-03T04:00:00Z'), status: 200 },
    { name: 'a number', body: window(1735790400, '2025-01-03T04:00:00Z'), status: 200 },
    { name: 'an offset of 24 hours', body: window('2025-01-02T04:00:00+24:00', '2025-01-03T04:00:00Z'), status: 200 },
    {
      name: 'an explanationURL that is not http(s)',
      body: JSON.stringify({ suggestedWindow: { start: '2025-01-02T04:00:00Z', end: '2025-01-03T04:00:00Z' }, explanationURL: 'javascript:alert(1)' }),
      status: 200,
    },
    { name: 'a 404 without an error body', body: '<h1>Not Found</h1>', status: 404 },
  ])('refuses $name as ERR_PROTOCOL_MALFORMED_RESPONSE', ({ body, status }) => {
    expect(() => decodeRenewalInfoAnswer(status, body)).toThrow(MalformedResponseError);
  });

  it.each(Object.entries(RENEWAL_INFO_ERRORS))('a documented %s error (%i) is the CA refusal with its code', (code, status) => {
    const body = JSON.stringify(encodeRenewalInfoError(code as keyof typeof RENEWAL_INFO_ERRORS, 'no'));
    expect(() => decodeRenewalInfoAnswer(status, body)).toThrow(expect.objectContaining({ code: 'ERR_PROTOCOL_CA_REJECTED', caCode: code, status }));
    expect(() => decodeRenewalInfoAnswer(status, body)).toThrow(CaRejectedError);
  });
});

describe('encodeRenewalInfo', () => {
  it('writes whole seconds in UTC and refuses a window that would be empty on the wire', () => {
    const start = new Date('2026-03-01T00:00:00.900Z');
    expect(encodeRenewalInfo({ suggestedWindow: { start, end: new Date('2026-03-11T00:00:00Z') } })).toEqual({
      suggestedWindow: { start: '2026-03-01T00:00:00Z', end: '2026-03-11T00:00:00Z' },
    });
    expect(() => encodeRenewalInfo({ suggestedWindow: { start, end: new Date('2026-03-01T00:00:00.950Z') } })).toThrow(TypeError);
    expect(() => encodeRenewalInfo({ suggestedWindow: { start: new Date(Number.NaN), end: start } })).toThrow(TypeError);
    expect(() => encodeRenewalInfo({ suggestedWindow: { start, end: new Date('2027-01-01T00:00:00Z') }, explanationUrl: 'ftp://x' })).toThrow(TypeError);
  });
});

describe('renewalInfoRetryAfterSeconds (RFC 9773 §4.3)', () => {
  const now = Date.parse('2026-03-01T00:00:00Z');
  it.each([
    { name: 'delay-seconds', value: '21600', want: 21_600 },
    { name: 'absent: the default 6 hours', value: null, want: 21_600 },
    { name: 'unreadable: the default', value: 'soon', want: 21_600 },
    { name: 'a negative number: the default', value: '-5', want: 21_600 },
    { name: 'under a minute: a minute', value: '0', want: 60 },
    { name: 'over a day: a day', value: '999999', want: 86_400 },
    { name: 'an HTTP-date two hours ahead', value: 'Sun, 01 Mar 2026 02:00:00 GMT', want: 7200 },
    { name: 'an HTTP-date in the past: a minute', value: 'Sat, 28 Feb 2026 00:00:00 GMT', want: 60 },
  ])('$name', ({ value, want }) => {
    expect(renewalInfoRetryAfterSeconds(value, now)).toBe(want);
  });
});
