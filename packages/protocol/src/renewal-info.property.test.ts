/**
 * Properties of renewal information (RFC 9773): every key identifier and DER serial round-trips
 * through certIdOf / parseCertId; any text is an identifier that encodes back to itself or
 * ERR_PROTOCOL_INVALID_CERT_ID; every window the encoder writes decodes to itself; any status and
 * body decode to a window, a documented refusal, or ERR_PROTOCOL_MALFORMED_RESPONSE, never
 * another exception.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkProperty, outcome } from '../../pki/src/test-support/property.js';
import { certIdOf, decodeRenewalInfoAnswer, encodeRenewalInfo, InvalidCertIdError, parseCertId } from './renewal-info.js';
import { isProtocolError, jsonBody, jsonMember, wireText } from './test-support/wire-fuzz.js';

/** DER content octets of a positive INTEGER of 1 to 20 octets: a leading zero exactly when the high bit is set. */
const derSerial = fc
  .uint8Array({ minLength: 1, maxLength: 19 })
  .filter((bytes) => bytes.some((b) => b !== 0))
  .map((bytes) => {
    const first = bytes.findIndex((b) => b !== 0);
    const trimmed = bytes.slice(first);
    return (trimmed[0] as number) >= 0x80 ? Uint8Array.of(0, ...trimmed) : trimmed;
  });
const keyIdentifier = fc.uint8Array({ minLength: 1, maxLength: 64 });
const RFC_CERT_ID = 'aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE';

/** Window starts the encoder may be given: any ms of the years 0000 to 9998 (the window then ends before 10000). */
const time = fc.integer({ min: Date.parse('0000-01-01T00:00:00Z'), max: Date.parse('9998-01-01T00:00:00Z') });

describe('certificate identifier', () => {
  it('every key identifier and DER serial round-trips', () => {
    checkProperty(
      fc.property(keyIdentifier, derSerial, (aki, serial) => {
        const id = certIdOf({ authorityKeyIdentifier: aki, serialNumber: serial });
        const parsed = parseCertId(id);
        expect(parsed.authorityKeyIdentifier).toEqual(aki);
        expect(parsed.serialNumber).toEqual(serial);
        expect(parsed.serialHex).toBe(Buffer.from(serial).toString('hex'));
      }),
    );
  });

  it('any text: an identifier that encodes back to the same text, or ERR_PROTOCOL_INVALID_CERT_ID', () => {
    checkProperty(
      fc.property(wireText([RFC_CERT_ID, 'AQ.AQ', 'AQ.AIA']), (text) => {
        const result = outcome(
          () => parseCertId(text),
          (e) => e instanceof InvalidCertIdError,
        );
        if (result.ok) expect(certIdOf(result.value)).toBe(text);
      }),
      { numRuns: 400 },
    );
  });
});

describe('renewal information answer', () => {
  it('every window the encoder writes decodes to it, to the second', () => {
    checkProperty(
      fc.property(
        time,
        fc.integer({ min: 1000, max: 400 * 86_400_000 }),
        fc.option(fc.webUrl({ validSchemes: ['https'] }), { nil: undefined }),
        (start, length, url) => {
          const info = {
            suggestedWindow: { start: new Date(start - (start % 1000)), end: new Date(start - (start % 1000) + length - (length % 1000)) },
            explanationUrl: url,
          };
          const decoded = decodeRenewalInfoAnswer(200, JSON.stringify(encodeRenewalInfo(info)));
          expect(decoded.suggestedWindow).toEqual(info.suggestedWindow);
          expect(decoded.explanationUrl).toBe(url);
        },
      ),
    );
  });

  it('any status and body: a window with start before end, or a typed protocol error', () => {
    const stamp = fc.oneof(fc.constantFrom('2025-01-02T04:00:00Z', '2025-02-29T00:00:00Z', '2024-02-29T23:59:59.999+05:30'), fc.string({ maxLength: 25 }));
    const window = jsonBody(['start', 'end'], fc.oneof(stamp, jsonMember([null])));
    const body = jsonBody(
      ['suggestedWindow', 'explanationURL', 'error'],
      fc.oneof(window, jsonMember(['https://ca.example/why', { code: 'unknown_certificate', message: 'no' }])),
    );
    checkProperty(
      fc.property(
        fc.constantFrom(200, 400, 404, 500, 301),
        fc.oneof(
          body.map((json) => JSON.stringify(json) ?? ''),
          wireText(['{}']),
        ),
        (status, text) => {
          const result = outcome(() => decodeRenewalInfoAnswer(status, text), isProtocolError);
          if (result.ok) {
            expect(status).toBe(200);
            expect(result.value.suggestedWindow.start.getTime()).toBeLessThan(result.value.suggestedWindow.end.getTime());
          }
        },
      ),
      { numRuns: 400 },
    );
  });
});
