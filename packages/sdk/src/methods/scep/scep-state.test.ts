import { describe, expect, it } from 'vitest';
import { parseScepState, SCEP_STATE_VERSION, sha256Hex } from './scep-state.js';

const ca = Buffer.from('ca certificate der');
const ra = Buffer.from('ra certificate der');
const valid = {
  caCertificateDerBase64: ca.toString('base64'),
  raCertificateDerBase64: ra.toString('base64'),
  caFingerprintSha256: sha256Hex(ca),
  raFingerprintSha256: sha256Hex(ra),
  capabilities: ['POSTPKIOperation', 'SHA-256', 'AES', 'Renewal'],
};

describe('parseScepState', () => {
  it('reads back a valid slot', () => {
    expect(parseScepState(JSON.parse(JSON.stringify(valid)), SCEP_STATE_VERSION)).toEqual(valid);
  });

  it.each([
    ['not an object', null],
    ['an array', []],
    ['an unknown field', { ...valid, pin: 'x' }],
    ['a swapped RA (fingerprint not the certificate)', { ...valid, raCertificateDerBase64: Buffer.from('other').toString('base64') }],
    ['a fingerprint of another case', { ...valid, caFingerprintSha256: valid.caFingerprintSha256.toUpperCase() }],
    ['a certificate that is not base64', { ...valid, caCertificateDerBase64: 'not base64!' }],
    ['capabilities that are not strings', { ...valid, capabilities: [1] }],
    ['a capability with spaces', { ...valid, capabilities: ['a b'] }],
  ])('refuses %s with ERR_SDK_STATE_FILE', (_what, state) => {
    expect(() => parseScepState(state, SCEP_STATE_VERSION)).toThrow(expect.objectContaining({ code: 'ERR_SDK_STATE_FILE' }));
  });

  it('refuses an unknown version', () => {
    expect(() => parseScepState(valid, 2)).toThrow(/version 2 is unknown/);
    expect(() => parseScepState(valid, 0)).toThrow(expect.objectContaining({ code: 'ERR_SDK_STATE_FILE' }));
  });
});
