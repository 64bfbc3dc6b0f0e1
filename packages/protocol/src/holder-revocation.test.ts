/**
 * The codecs of revocation without an account: the signed proof-of-possession request (its
 * payload, what is signed, the strict shape), the revocation-secret request, the answer with the
 * first revocation's time and reason, and the revocation secret in the ssl_api answer.
 */
import { generateKeyPairSync, sign, verify } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeCsrApiAnswer } from './csr-api.js';
import {
  decodeHolderRevocationAnswer,
  decodeRevokeByKeyRequest,
  decodeRevokeWithSecretRequest,
  encodeHolderRevocationAnswer,
  encodeHolderRevocationError,
  encodeRevokeByKeyPayload,
  encodeRevokeByKeyRequest,
  encodeRevokeWithSecretRequest,
  REVOKE_BY_KEY_SIGNING_PREFIX,
  revokeByKeySigningInput,
} from './holder-revocation.js';
import { REVOCATION_REASONS } from './revocation.js';
import { codeOf } from './test-support/code-of.js';

const SECRET = 'A'.repeat(43);
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('revoke-by-key request', () => {
  it('round-trips serial, reason, CA URL (without its trailing slash) and time, and signs prefix + payload', () => {
    const timeMs = Date.UTC(2025, 0, 2, 3, 4, 5, 678);
    const payload = encodeRevokeByKeyPayload({ serialHex: '0A1B', reason: 'keyCompromise', caUrl: 'https://ca.example/', timeMs });
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const signature = sign('sha256', revokeByKeySigningInput(payload), privateKey);
    const decoded = decodeRevokeByKeyRequest(encodeRevokeByKeyRequest(payload, signature));
    if (!decoded.ok) throw new Error(decoded.message);
    expect(decoded.request.fields).toEqual({ serialHex: '0a1b', reason: 'keyCompromise', caUrl: 'https://ca.example', timeMs });
    expect(Buffer.from(decoded.request.signedBytes).toString()).toBe(REVOKE_BY_KEY_SIGNING_PREFIX + payload);
    expect(verify('sha256', decoded.request.signedBytes, publicKey, decoded.request.signature)).toBe(true);
  });

  it('round-trips any serial, holder reason and time (property)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 20 }),
        fc.constantFrom(...REVOCATION_REASONS),
        fc.integer({ min: 0, max: 4102444800000 }),
        (serial, reason, timeMs) => {
          const serialHex = Buffer.from(serial).toString('hex');
          const payload = encodeRevokeByKeyPayload({ serialHex, reason, caUrl: 'http://127.0.0.1:1', timeMs });
          const decoded = decodeRevokeByKeyRequest(encodeRevokeByKeyRequest(payload, new Uint8Array([1, 2])));
          expect(decoded.ok && decoded.request.fields).toEqual({ serialHex, reason, caUrl: 'http://127.0.0.1:1', timeMs });
        },
      ),
    );
  });

  it.each([
    { name: 'not JSON', body: 'serial=0a1b', code: 'invalid_request' },
    { name: 'a member more', body: JSON.stringify({ payload: 'e30', signature: 'AA', alg: 'RS256' }), code: 'invalid_request' },
    { name: 'a padded signature', body: JSON.stringify({ payload: 'e30', signature: 'AA==' }), code: 'invalid_request' },
    {
      name: 'a payload without time',
      body: JSON.stringify({ payload: b64({ serial: '0a', reason: 'superseded', ca: 'x' }), signature: 'AA' }),
      code: 'invalid_request',
    },
    {
      name: 'a local time',
      body: JSON.stringify({ payload: b64({ serial: '0a', reason: 'superseded', ca: 'x', time: '2025-01-01T00:00:00+01:00' }), signature: 'AA' }),
      code: 'invalid_request',
    },
    {
      name: 'a CA-only reason',
      body: JSON.stringify({ payload: b64({ serial: '0a', reason: 'certificateHold', ca: 'x', time: '2025-01-01T00:00:00Z' }), signature: 'AA' }),
      code: 'invalid_reason',
    },
    {
      name: 'a serial with colons',
      body: JSON.stringify({ payload: b64({ serial: '0a:1b', reason: 'superseded', ca: 'x', time: '2025-01-01T00:00:00Z' }), signature: 'AA' }),
      code: 'invalid_serial',
    },
  ])('refuses $name as $code', ({ body, code }) => {
    expect(decodeRevokeByKeyRequest(body)).toMatchObject({ ok: false, code });
  });
});

describe('revoke-with-secret request', () => {
  it('round-trips, reason defaulting to unspecified', () => {
    expect(decodeRevokeWithSecretRequest(encodeRevokeWithSecretRequest({ serialHex: '0a1b', reason: 'superseded' }, SECRET))).toEqual({
      ok: true,
      fields: { serialHex: '0a1b', reason: 'superseded' },
      secret: SECRET,
    });
    expect(decodeRevokeWithSecretRequest(JSON.stringify({ serial: '0A1B', secret: SECRET }))).toMatchObject({ ok: true, fields: { reason: 'unspecified' } });
  });

  it('refuses a missing secret, a member more and a malformed secret on encoding', () => {
    expect(decodeRevokeWithSecretRequest(JSON.stringify({ serial: '0a1b' }))).toMatchObject({ ok: false, code: 'invalid_request' });
    expect(decodeRevokeWithSecretRequest(JSON.stringify({ serial: '0a1b', secret: SECRET, url: 'x' }))).toMatchObject({ ok: false, code: 'invalid_request' });
    expect(() => encodeRevokeWithSecretRequest({ serialHex: '0a1b', reason: 'superseded' }, 'short')).toThrow(TypeError);
  });
});

describe('the answer', () => {
  it('round-trips the first revocation with its time and reason', () => {
    const answer = { status: 'already_revoked', serialHex: '0a1b', revokedAt: new Date(Date.UTC(2025, 0, 1)), reason: 'superseded' } as const;
    expect(decodeHolderRevocationAnswer(200, JSON.stringify(encodeHolderRevocationAnswer(answer)))).toEqual(answer);
  });

  it('throws the CA code of a documented error, and a malformed-response error for anything else', () => {
    const err = (() => {
      try {
        decodeHolderRevocationAnswer(403, JSON.stringify(encodeHolderRevocationError('stale_request', 'too old')));
      } catch (e) {
        return e as { caCode?: string; code?: string };
      }
    })();
    expect(err).toMatchObject({ code: 'ERR_PROTOCOL_CA_REJECTED', caCode: 'stale_request' });
    expect(codeOf(() => decodeHolderRevocationAnswer(200, JSON.stringify({ status: 'revoked', serial: '0a1b' })))).toBe('ERR_PROTOCOL_MALFORMED_RESPONSE');
    expect(codeOf(() => decodeHolderRevocationAnswer(403, JSON.stringify({ error: { code: 'nope', message: 'x' } })))).toBe('ERR_PROTOCOL_MALFORMED_RESPONSE');
  });
});

describe('decodeCsrApiAnswer', () => {
  const chain = '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n';
  it('reads the revocation secret beside the chain, and none when absent (an old CA)', () => {
    expect(decodeCsrApiAnswer(200, JSON.stringify({ signed_x509_pem: chain, revocation_secret: SECRET }))).toEqual({
      chainPem: chain,
      revocationSecret: SECRET,
    });
    expect(decodeCsrApiAnswer(200, JSON.stringify({ signed_x509_pem: chain }))).toEqual({ chainPem: chain });
  });
  it('refuses a malformed secret', () => {
    expect(codeOf(() => decodeCsrApiAnswer(200, JSON.stringify({ signed_x509_pem: chain, revocation_secret: 7 })))).toBe('ERR_PROTOCOL_MALFORMED_RESPONSE');
  });
});
