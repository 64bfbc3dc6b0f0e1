/**
 * Properties of the `PUT /api/csr/:client` answer decoder over any status and body: the chain
 * PEM, or ERR_PROTOCOL_MALFORMED_RESPONSE / ERR_PROTOCOL_CA_REJECTED, never another exception,
 * never a hang. The round trip: a decoded chain, and a refusal's code, encode back to bodies that
 * decode the same; every error body encodeCsrApiError writes decodes to its code and status.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkProperty, outcome } from '../../pki/src/test-support/property.js';
import { CSR_API_ERRORS, type CsrApiErrorCode, decodeCsrApiResponse, encodeCsrApiError } from './csr-api.js';
import { CaRejectedError } from './errors.js';
import { isProtocolError, jsonBody, jsonMember, wireText } from './test-support/wire-fuzz.js';

const CHAIN = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const CODES = Object.keys(CSR_API_ERRORS) as CsrApiErrorCode[];
const status = fc.oneof(fc.constantFrom(200, 400, 403, 413, 500, 503), fc.integer({ min: 100, max: 599 }));

/** Bodies: JSON text near a success or an error body, and damaged text. */
const body = fc.oneof(
  jsonBody(['signed_x509_pem', 'error'], jsonMember([CHAIN, 'text', { code: 'csr_malformed', message: 'no' }, { code: 1 }])).map(
    (json) => JSON.stringify(json) ?? '',
  ),
  wireText([JSON.stringify({ signed_x509_pem: CHAIN }), JSON.stringify(encodeCsrApiError('csr_weak_key', 'RSA key of 1024 bits'))]),
);

describe('decodeCsrApiResponse', () => {
  it('any status and body: a chain or a refusal that encodes back to a body decoding the same, or a coded error', () => {
    checkProperty(
      fc.property(status, body, (httpStatus, text) => {
        const result = outcome(() => decodeCsrApiResponse(httpStatus, text), isProtocolError);
        if (result.ok) {
          expect(httpStatus).toBe(200);
          expect(decodeCsrApiResponse(200, JSON.stringify({ signed_x509_pem: result.value }))).toBe(result.value);
        } else if (result.error instanceof CaRejectedError) {
          const { caCode } = result.error;
          expect(result.error.status).toBe(httpStatus);
          expect(
            outcome(() => decodeCsrApiResponse(httpStatus, JSON.stringify(encodeCsrApiError(caCode as CsrApiErrorCode, 'again'))), isProtocolError),
          ).toMatchObject({
            ok: false,
            error: { caCode, status: httpStatus },
          });
        }
      }),
      { numRuns: 400 },
    );
  });

  it('every documented error body, with any message, decodes to its code and status', () => {
    checkProperty(
      fc.property(fc.constantFrom(...CODES), fc.string({ unit: 'binary', maxLength: 30 }), (code, message) => {
        const httpStatus = CSR_API_ERRORS[code];
        const result = outcome(() => decodeCsrApiResponse(httpStatus, JSON.stringify(encodeCsrApiError(code, message))), isProtocolError);
        expect(result).toMatchObject({ ok: false, error: { code: 'ERR_PROTOCOL_CA_REJECTED', caCode: code, status: httpStatus } });
      }),
    );
  });
});
