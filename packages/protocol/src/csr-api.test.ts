import { describe, expect, it } from 'vitest';
import { CSR_API_CLIENT_PATTERN, CSR_API_ERRORS, csrApiPath, decodeCsrApiResponse, encodeCsrApiError } from './csr-api.js';

const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

describe('csrApiPath', () => {
  it.each(['a', 'abc123', 'A'.repeat(128)])('accepts %s', (client) => {
    expect(csrApiPath(client)).toBe(`/api/csr/${client}`);
  });
  it.each(['', 'a-b', 'a/b', '../x', 'a b', 'é', 'A'.repeat(129)])('refuses %j with a TypeError', (client) => {
    expect(() => csrApiPath(client)).toThrow(TypeError);
    expect(CSR_API_CLIENT_PATTERN.test(client)).toBe(false);
  });
});

describe('decodeCsrApiResponse', () => {
  it('returns the PEM chain of a 200 answer', () => {
    expect(decodeCsrApiResponse(200, JSON.stringify({ signed_x509_pem: PEM }))).toBe(PEM);
  });

  it.each([
    {
      name: 'a documented refusal',
      status: 403,
      body: JSON.stringify(encodeCsrApiError('refused', 'no')),
      want: { code: 'ERR_PROTOCOL_CA_REJECTED', caCode: 'refused', status: 403 },
    },
    {
      name: 'a bad request',
      status: 400,
      body: JSON.stringify(encodeCsrApiError('csr_bad_signature', 'x')),
      want: { code: 'ERR_PROTOCOL_CA_REJECTED', caCode: 'csr_bad_signature', status: 400 },
    },
    { name: 'a body that is not JSON', status: 502, body: '<html>bad gateway</html>', want: { code: 'ERR_PROTOCOL_MALFORMED_RESPONSE', status: 502 } },
    { name: '200 without the certificate', status: 200, body: '{}', want: { code: 'ERR_PROTOCOL_MALFORMED_RESPONSE', status: 200 } },
    {
      name: '200 with something that is not a certificate',
      status: 200,
      body: '{"signed_x509_pem":"hello"}',
      want: { code: 'ERR_PROTOCOL_MALFORMED_RESPONSE', status: 200 },
    },
    { name: 'an error without the error object', status: 500, body: '{"message":"x"}', want: { code: 'ERR_PROTOCOL_MALFORMED_RESPONSE', status: 500 } },
  ])('throws for $name', ({ status, body, want }) => {
    expect(() => decodeCsrApiResponse(status, body)).toThrow(expect.objectContaining(want));
  });
});

describe('CSR_API_ERRORS', () => {
  it('maps every code to an HTTP error status', () => {
    for (const [code, status] of Object.entries(CSR_API_ERRORS)) {
      expect(status, code).toBeGreaterThanOrEqual(400);
      expect(status, code).toBeLessThan(600);
    }
  });
});
