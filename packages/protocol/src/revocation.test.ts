/**
 * The revocation codecs of both wires: the shared serial and reason rules (RFC 5280 §4.1.2.2,
 * §5.3.1), the ssl_api JSON request and answer, and the CAcert-style crevoke form and lines.
 */
import { describe, expect, it } from 'vitest';
import { CACERT_API_ERRORS, decodeCrevokeAnswer, decodeCrevokeRequest, encodeCacertApiError, encodeCrevokeAnswer, encodeCrevokeRequest } from './cacert-api.js';
import {
  CSR_API_ERRORS,
  csrApiRevokePath,
  decodeCsrApiRevokeAnswer,
  decodeCsrApiRevokeRequest,
  encodeCsrApiError,
  encodeCsrApiRevokeAnswer,
  encodeCsrApiRevokeRequest,
} from './csr-api.js';
import { CA_ONLY_REVOCATION_REASONS, decodeRevocationFields, REVOCATION_REASONS } from './revocation.js';
import { codeOf } from './test-support/code-of.js';

const MALFORMED = 'ERR_PROTOCOL_MALFORMED_RESPONSE';
const REJECTED = 'ERR_PROTOCOL_CA_REJECTED';

describe('decodeRevocationFields', () => {
  it.each([
    { name: 'a lower-case serial and a reason', serial: '0a1b', reason: 'keyCompromise', want: { serialHex: '0a1b', reason: 'keyCompromise' } },
    {
      name: 'an upper-case serial (as openssl prints it), lowered',
      serial: '7F3A00',
      reason: 'superseded',
      want: { serialHex: '7f3a00', reason: 'superseded' },
    },
    { name: 'no reason: unspecified', serial: 'ab', reason: undefined, want: { serialHex: 'ab', reason: 'unspecified' } },
    { name: 'the longest serial, 20 octets', serial: 'ab'.repeat(20), reason: 'unspecified', want: { serialHex: 'ab'.repeat(20), reason: 'unspecified' } },
  ])('accepts $name', ({ serial, reason, want }) => {
    expect(decodeRevocationFields(serial, reason)).toEqual({ ok: true, fields: want });
  });

  it.each(REVOCATION_REASONS)('accepts the holder reason %s', (reason) => {
    expect(decodeRevocationFields('01', reason)).toMatchObject({ ok: true, fields: { reason } });
  });

  it.each([
    { name: 'an odd number of digits', serial: 'abc' },
    { name: 'colons', serial: '0a:1b' },
    { name: 'a 0x prefix', serial: '0x0a1b' },
    { name: '21 octets', serial: 'ab'.repeat(21) },
    { name: 'nothing', serial: '' },
    { name: 'a number', serial: 10 },
    { name: 'no serial at all', serial: undefined },
  ])('refuses $name as invalid_serial', ({ serial }) => {
    expect(decodeRevocationFields(serial, 'keyCompromise')).toMatchObject({ ok: false, code: 'invalid_serial' });
  });

  it.each([
    ...CA_ONLY_REVOCATION_REASONS.map((reason) => ({ reason, caOnly: true })),
    { reason: 'KeyCompromise', caOnly: false },
    { reason: '1', caOnly: false },
  ])('refuses $reason as invalid_reason', ({ reason, caOnly }) => {
    const result = decodeRevocationFields('0a1b', reason);
    expect(result).toMatchObject({ ok: false, code: 'invalid_reason' });
    expect((result as { message: string }).message.includes('only the CA gives')).toBe(caOnly);
  });

  it.each([null, 1, '', ['keyCompromise']])('refuses the reason %j as invalid_reason', (reason) => {
    expect(decodeRevocationFields('0a1b', reason)).toMatchObject({ ok: false, code: 'invalid_reason' });
  });
});

describe('ssl_api revocation', () => {
  it('names the path of a client and refuses a bad client as misuse', () => {
    expect(csrApiRevokePath('vendor1')).toBe('/api/csr/vendor1/revoke');
    expect(() => csrApiRevokePath('a/b')).toThrow(TypeError);
  });

  it('encodes a request that decodes to its fields, and refuses a bad one as misuse', () => {
    const body = encodeCsrApiRevokeRequest({ serialHex: '0A1B', reason: 'cessationOfOperation' });
    expect(JSON.parse(body)).toEqual({ serial: '0a1b', reason: 'cessationOfOperation' });
    expect(decodeCsrApiRevokeRequest(body)).toEqual({ ok: true, fields: { serialHex: '0a1b', reason: 'cessationOfOperation' } });
    expect(() => encodeCsrApiRevokeRequest({ serialHex: '0a1b', reason: 'certificateHold' as never })).toThrow(TypeError);
    expect(() => encodeCsrApiRevokeRequest({ serialHex: 'xyz', reason: 'unspecified' })).toThrow(TypeError);
  });

  it.each([
    { name: 'not JSON', body: 'serial=0a1b', code: 'invalid_request' },
    { name: 'an array', body: '["0a1b"]', code: 'invalid_request' },
    { name: 'null', body: 'null', code: 'invalid_request' },
    { name: 'no serial', body: '{"reason":"superseded"}', code: 'invalid_request' },
    { name: 'another member', body: '{"serial":"0a1b","certificate":"x"}', code: 'invalid_request' },
    { name: 'a bad serial', body: '{"serial":"0a1"}', code: 'invalid_serial' },
    { name: 'a hold', body: '{"serial":"0a1b","reason":"certificateHold"}', code: 'invalid_reason' },
    { name: 'removeFromCRL', body: '{"serial":"0a1b","reason":"removeFromCRL"}', code: 'invalid_reason' },
    { name: 'a reason code number', body: '{"serial":"0a1b","reason":1}', code: 'invalid_reason' },
  ])('refuses a request with $name as $code', ({ body, code }) => {
    const result = decodeCsrApiRevokeRequest(body);
    expect(result).toMatchObject({ ok: false, code });
    expect(CSR_API_ERRORS[code as keyof typeof CSR_API_ERRORS]).toBe(400);
  });

  it.each(['revoked', 'already_revoked'] as const)('round-trips the %s answer', (status) => {
    const body = JSON.stringify(encodeCsrApiRevokeAnswer({ status, serialHex: '0a1b' }));
    expect(decodeCsrApiRevokeAnswer(200, body)).toEqual({ status, serialHex: '0a1b' });
  });

  it.each([
    { name: 'unknown_certificate', status: 404, body: JSON.stringify(encodeCsrApiError('unknown_certificate', 'no such certificate')), want: REJECTED },
    { name: 'invalid_reason', status: 400, body: JSON.stringify(encodeCsrApiError('invalid_reason', 'no')), want: REJECTED },
    { name: 'an undocumented code', status: 400, body: '{"error":{"code":"nope","message":"x"}}', want: MALFORMED },
    { name: 'a proxy page', status: 200, body: '<html></html>', want: MALFORMED },
    { name: '200 with another status', status: 200, body: '{"status":"pending","serial":"0a1b"}', want: MALFORMED },
    { name: '200 with an upper-case serial', status: 200, body: '{"status":"revoked","serial":"0A1B"}', want: MALFORMED },
    { name: '200 with a member more', status: 200, body: '{"status":"revoked","serial":"0a1b","at":1}', want: MALFORMED },
    { name: '200 with null', status: 200, body: 'null', want: MALFORMED },
  ])('decodes $name as $want', ({ status, body, want }) => {
    expect(codeOf(() => decodeCsrApiRevokeAnswer(status, body))).toBe(want);
  });

  it('keeps the CA code and status of a refusal', () => {
    expect(() => decodeCsrApiRevokeAnswer(404, JSON.stringify(encodeCsrApiError('unknown_certificate', 'no such certificate')))).toThrow(
      expect.objectContaining({ caCode: 'unknown_certificate', status: 404 }),
    );
  });
});

describe('crevoke', () => {
  it('encodes a request that decodes to its fields', () => {
    const form = encodeCrevokeRequest({ serialHex: '7F00', reason: 'affiliationChanged' });
    expect(form.toString()).toBe('serial=7f00&reason=affiliationChanged');
    expect(decodeCrevokeRequest(form)).toEqual({ ok: true, fields: { serialHex: '7f00', reason: 'affiliationChanged' } });
  });

  it.each([
    { name: 'no reason', form: 'serial=0a1b', want: { ok: true, fields: { serialHex: '0a1b', reason: 'unspecified' } } },
    { name: 'an empty reason', form: 'serial=0a1b&reason=', want: { ok: true, fields: { serialHex: '0a1b', reason: 'unspecified' } } },
    { name: 'the credentials beside', form: 'username=a&password=b&serial=0a1b&reason=superseded', want: { ok: true } },
    { name: 'no serial', form: 'reason=superseded', want: { ok: false, code: 'invalid_request' } },
    { name: 'two serials', form: 'serial=0a1b&serial=0a1c', want: { ok: false, code: 'invalid_request' } },
    { name: 'two reasons', form: 'serial=0a1b&reason=superseded&reason=keyCompromise', want: { ok: false, code: 'invalid_request' } },
    { name: 'a bad serial', form: 'serial=0a1b0', want: { ok: false, code: 'invalid_serial' } },
    { name: 'a hold', form: 'serial=0a1b&reason=certificateHold', want: { ok: false, code: 'invalid_reason' } },
  ])('reads a form with $name', ({ form, want }) => {
    expect(decodeCrevokeRequest(new URLSearchParams(form))).toMatchObject(want);
  });

  it.each([
    { status: 'revoked', line: '200,Revoked 0a1b\n' },
    { status: 'already_revoked', line: '200,Already revoked 0a1b\n' },
  ] as const)('writes and reads $line', ({ status, line }) => {
    expect(encodeCrevokeAnswer({ status, serialHex: '0a1b' })).toEqual({ status: 200, body: line });
    expect(decodeCrevokeAnswer(200, line)).toEqual({ status, serialHex: '0a1b' });
  });

  it.each(['invalid_serial', 'invalid_reason', 'unknown_certificate', 'authentication_failed'] as const)('reads the failure line of %s', (code) => {
    const { status, body } = encodeCacertApiError(code, 'no');
    expect(status).toBe(CACERT_API_ERRORS[code]);
    expect(() => decodeCrevokeAnswer(status, body)).toThrow(expect.objectContaining({ code: REJECTED, caCode: code, status }));
  });

  it.each([
    { name: 'a success with another HTTP status', status: 201, body: '200,Revoked 0a1b\n' },
    { name: 'an upper-case serial', status: 200, body: '200,Revoked 0A1B\n' },
    { name: 'a second line', status: 200, body: '200,Revoked 0a1b\nmore\n' },
    { name: 'another success word', status: 200, body: '200,Unrevoked 0a1b\n' },
    { name: 'nothing', status: 200, body: '' },
    { name: 'a failure line whose status differs', status: 400, body: '404,unknown_certificate no\n' },
  ])('refuses $name as malformed', ({ status, body }) => {
    expect(codeOf(() => decodeCrevokeAnswer(status, body))).toBe(MALFORMED);
  });

  it('refuses to encode another status or a serial in upper case', () => {
    expect(() => encodeCrevokeAnswer({ status: 'pending' as never, serialHex: '0a1b' })).toThrow(TypeError);
    expect(() => encodeCrevokeAnswer({ status: 'revoked', serialHex: '0A1B' })).toThrow(TypeError);
  });
});
