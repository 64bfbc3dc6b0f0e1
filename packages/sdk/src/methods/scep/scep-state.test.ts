import { describe, expect, it } from 'vitest';
import { parseScepState, SCEP_STATE_VERSION, sha256Hex } from './scep-state.js';

const ca = Buffer.from('ca certificate der');
const ra = Buffer.from('ra certificate der');
const ORIGIN = 'https://ca.example';
const valid = {
  url: `${ORIGIN}/scep/u/personal-handle-0123456789`,
  caCertificateDerBase64: ca.toString('base64'),
  raCertificateDerBase64: ra.toString('base64'),
  caFingerprintSha256: sha256Hex(ca),
  raFingerprintSha256: sha256Hex(ra),
  capabilities: ['POSTPKIOperation', 'SHA-256', 'AES', 'Renewal'],
};

describe('parseScepState', () => {
  it('reads back a valid slot', () => {
    expect(parseScepState(JSON.parse(JSON.stringify(valid)), SCEP_STATE_VERSION, ORIGIN)).toEqual(valid);
  });

  it("reads a version 1 slot (no url) as the CA's /scep", () => {
    const { url: _url, ...v1 } = valid;
    expect(parseScepState(v1, 1, ORIGIN)).toEqual({ ...valid, url: `${ORIGIN}/scep` });
    expect(() => parseScepState(valid, 1, ORIGIN)).toThrow(expect.objectContaining({ code: 'ERR_SDK_STATE_FILE' }));
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
    ['no url', (({ url: _url, ...rest }) => rest)(valid)],
    ['a url that is not a string', { ...valid, url: 42 }],
    ['a url that is not a URL', { ...valid, url: '/scep/u/handle' }],
    ["a url on another host than the CA's", { ...valid, url: 'https://elsewhere.example/scep' }],
    ["a url on another port than the CA's", { ...valid, url: 'https://ca.example:8443/scep' }],
    ['a url of another scheme', { ...valid, url: 'ftp://ca.example/scep' }],
    ['a url with credentials', { ...valid, url: 'https://user:secret@ca.example/scep' }],
    ['a url with a query', { ...valid, url: `${ORIGIN}/scep?operation=GetCACert` }],
    ['a url too long', { ...valid, url: `${ORIGIN}/${'a'.repeat(2100)}` }],
  ])('refuses %s with ERR_SDK_STATE_FILE', (_what, state) => {
    expect(() => parseScepState(state, SCEP_STATE_VERSION, ORIGIN)).toThrow(expect.objectContaining({ code: 'ERR_SDK_STATE_FILE' }));
  });

  it('refuses an unknown version', () => {
    expect(() => parseScepState(valid, 3, ORIGIN)).toThrow(/version 3 is unknown/);
    expect(() => parseScepState(valid, 0, ORIGIN)).toThrow(expect.objectContaining({ code: 'ERR_SDK_STATE_FILE' }));
  });
});
