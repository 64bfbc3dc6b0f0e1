/**
 * Properties of the private key reader (importPrivateKeyPem) over any text, with and without a
 * passphrase: a key, or ERR_PKI_PEM / ERR_PKI_KEY_DECRYPTION / ERR_PKI_INPUT_TOO_LARGE, never
 * another exception, never a hang. The round trip: an imported key exports to PKCS#8 that
 * imports to the same key; exportPrivateKeyPem with any passphrase imports back with it.
 */
import fc from 'fast-check';
import type { KeyObject } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { exportPrivateKeyPem, generateKeyPair, importPrivateKeyPem } from './keys.js';
import { isPkiError } from './test-support/der-fuzz.js';
import { checkProperty, mutatedText, outcome } from './test-support/property.js';

const PASSPHRASE = 'correct horse';

const der = (key: KeyObject) => key.export({ type: 'pkcs8', format: 'der' });

describe('importPrivateKeyPem', () => {
  it('damaged key PEM, plain or encrypted: a key that exports and imports back the same, or a coded error', () => {
    const key = generateKeyPair('p256').privateKey;
    const valid = [
      exportPrivateKeyPem(key),
      exportPrivateKeyPem(key, { passphrase: PASSPHRASE }),
      key.export({ type: 'sec1', format: 'pem' }) as string,
      `-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n${key.export({ type: 'sec1', format: 'pem' }) as string}`,
    ];
    const text = fc.oneof(fc.string({ maxLength: 40 }), mutatedText(valid, ['-', '\n', 'A', '/', '=', ':', ' ', 'ENCRYPTED ', 'RSA ']));
    checkProperty(
      fc.property(text, fc.constantFrom(undefined, PASSPHRASE, 'wrong'), (pem, passphrase) => {
        const result = outcome(() => importPrivateKeyPem(pem, passphrase === undefined ? {} : { passphrase }), isPkiError);
        if (result.ok) expect(der(importPrivateKeyPem(exportPrivateKeyPem(result.value)))).toEqual(der(result.value));
      }),
      { numRuns: 150 },
    );
  });

  it('any passphrase: the encrypted export imports back with it, and not without it', () => {
    const key = generateKeyPair('p256').privateKey;
    checkProperty(
      fc.property(fc.oneof(fc.string({ minLength: 1, maxLength: 12 }), fc.string({ unit: 'binary', minLength: 1, maxLength: 6 })), (passphrase) => {
        const pem = exportPrivateKeyPem(key, { passphrase });
        expect(der(importPrivateKeyPem(pem, { passphrase }))).toEqual(der(key));
        expect(outcome(() => importPrivateKeyPem(pem), isPkiError)).toMatchObject({ ok: false, error: { code: 'ERR_PKI_KEY_DECRYPTION' } });
      }),
      { numRuns: 25 },
    );
  });
});
