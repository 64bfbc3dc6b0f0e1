import { constants, createPublicKey, publicEncrypt, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { pkcs1v15DecryptImplicit } from './enveloped-data.js';
import { capturedRa, requester } from './test-support/fixtures.js';

describe('RSAES-PKCS1-v1_5 decryption with implicit rejection (RFC 8017 §7.2.2 note)', () => {
  const ra = capturedRa();
  const publicKey = createPublicKey(ra.privateKey);

  it('returns the transported key when the padding and length are right', () => {
    const key = randomBytes(32);
    const ciphertext = publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_PADDING }, key);
    expect(pkcs1v15DecryptImplicit(ra, ciphertext, 32).equals(key)).toBe(true);
  });

  it('answers a bad padding, a wrong length or a wrong key with a key of the expected size, the same each time, without throwing', () => {
    const key = randomBytes(32);
    const ciphertext = publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_PADDING }, key);
    const tampered = Buffer.from(ciphertext);
    tampered[17] = (tampered[17] ?? 0) ^ 1;
    const cases = [
      () => pkcs1v15DecryptImplicit(ra, tampered, 32),
      () => pkcs1v15DecryptImplicit(ra, ciphertext, 16), // right padding, wrong key length
      () => pkcs1v15DecryptImplicit(requester(), ciphertext, 32), // not our key
      () => pkcs1v15DecryptImplicit(ra, ciphertext.subarray(1), 32), // not the modulus length
    ];
    for (const run of cases) {
      const out = run();
      expect(out.length === 32 || out.length === 16).toBe(true);
      expect(out.subarray(0, 16).equals(key.subarray(0, 16))).toBe(false);
    }
    // Deterministic in (private key, ciphertext): a retry learns nothing new.
    expect(pkcs1v15DecryptImplicit(ra, tampered, 32).equals(pkcs1v15DecryptImplicit(ra, tampered, 32))).toBe(true);
    expect(pkcs1v15DecryptImplicit(ra, ciphertext, 16).length).toBe(16);
  });
});
