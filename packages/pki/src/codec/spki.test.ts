import { createECDH, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { codeOf } from '../test-support/expect-code.js';
import { importSpki } from './spki.js';

const spkiOf = (key: KeyObject) => new Uint8Array(key.export({ type: 'spki', format: 'der' }));

const keys = new Map<string, KeyObject>();
const key = (name: string): KeyObject => {
  const found = keys.get(name);
  if (!found) throw new Error(`no key ${name}`);
  return found;
};

beforeAll(() => {
  keys.set('RSA 2048', generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey);
  keys.set('P-256', generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey);
  keys.set('P-384', generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).publicKey);
  keys.set('P-521', generateKeyPairSync('ec', { namedCurve: 'secp521r1' }).publicKey);
  keys.set('Ed25519', generateKeyPairSync('ed25519').publicKey);
});

describe('importSpki', () => {
  it.each([
    { name: 'RSA 2048 (JWK fast path)', input: 'RSA 2048', want: 'rsa' },
    { name: 'P-256 (JWK fast path)', input: 'P-256', want: 'ec' },
    { name: 'P-384 (JWK fast path)', input: 'P-384', want: 'ec' },
    { name: 'P-521 (generic path)', input: 'P-521', want: 'ec' },
    { name: 'Ed25519 (generic path)', input: 'Ed25519', want: 'ed25519' },
  ])('imports $name as the same key', ({ input, want }) => {
    const spki = spkiOf(key(input));
    const imported = importSpki(spki);
    expect(imported.type).toBe('public');
    expect(imported.asymmetricKeyType).toBe(want);
    expect(spkiOf(imported)).toEqual(spki);
    expect(imported.equals(key(input))).toBe(true);
  });

  it('keeps the curve of EC keys', () => {
    expect(importSpki(spkiOf(key('P-384'))).asymmetricKeyDetails?.namedCurve).toBe('secp384r1');
  });

  it('imports a compressed P-256 point through the generic path', () => {
    const ecdh = createECDH('prime256v1');
    ecdh.generateKeys();
    const header = Buffer.from('3039301306072a8648ce3d020106082a8648ce3d030107032200', 'hex');
    const compressed = new Uint8Array(Buffer.concat([header, ecdh.getPublicKey(undefined, 'compressed')]));
    const imported = importSpki(compressed);
    const uncompressed = ecdh.getPublicKey();
    expect(imported.export({ format: 'jwk' })).toEqual({
      kty: 'EC',
      crv: 'P-256',
      x: uncompressed.subarray(1, 33).toString('base64url'),
      y: uncompressed.subarray(33).toString('base64url'),
    });
  });

  /** `spki` with one byte changed. */
  const patched = (spki: Uint8Array, at: number, value: number) => {
    const copy = Uint8Array.from(spki);
    copy[at] = value;
    return copy;
  };

  it.each([
    { name: 'bytes that are not DER', input: () => Uint8Array.from([1, 2, 3]) },
    { name: 'an empty SEQUENCE', input: () => Uint8Array.from([0x30, 0x00]) },
    {
      name: 'an unknown algorithm OID',
      // SEQUENCE { SEQUENCE { OID 1.2.3.4 }, BIT STRING 00 01 }
      input: () => Uint8Array.from([0x30, 0x0b, 0x30, 0x05, 0x06, 0x03, 0x2a, 0x03, 0x04, 0x03, 0x02, 0x00, 0x01]),
    },
    {
      name: 'a P-256 point that is not on the curve (fast path)',
      input: () => {
        const spki = spkiOf(key('P-256'));
        return patched(spki, spki.length - 1, (spki[spki.length - 1] as number) ^ 0x01);
      },
    },
    {
      name: 'a P-521 point that is not on the curve (generic path)',
      input: () => {
        const spki = spkiOf(key('P-521'));
        return patched(spki, spki.length - 1, (spki[spki.length - 1] as number) ^ 0x01);
      },
    },
    { name: 'a truncated RSA key', input: () => spkiOf(key('RSA 2048')).subarray(0, 100) },
  ])('refuses $name with ERR_PKI_UNSUPPORTED_ALGORITHM', ({ input }) => {
    expect(codeOf(() => importSpki(input()))).toBe('ERR_PKI_UNSUPPORTED_ALGORITHM');
  });

  // Regression: a non-zero unused-bits octet sent the key to the generic path, where OpenSSL
  // masks the "unused" bits off and accepts it. With an even last octet nothing is lost, so one
  // key had a second encoding (and parseCsr kept it in publicKeyDer).
  it('refuses a BIT STRING that declares unused bits', () => {
    let spki: Uint8Array;
    do spki = spkiOf(generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey);
    while ((spki[spki.length - 1] as number) % 2 !== 0);
    // Offset 25 is the unused-bits octet of a P-256 SubjectPublicKeyInfo.
    expect(codeOf(() => importSpki(patched(spki, 25, 0x01)))).toBe('ERR_PKI_UNSUPPORTED_ALGORITHM');
  });
});
