/**
 * Reads the DKIM private key of `--dkim-key FILE` once, at start. Errors name the file and what
 * is wrong with it, never a byte of its content.
 */
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConfigError } from '../errors.js';

/** Smallest RSA key accepted, in bits: RFC 8301 §3.2 asks signers for 2048 (1024 at the very least). */
export const DKIM_RSA_MIN_BITS = 2048;

/**
 * Reads and checks a PEM private key for DKIM signing: RSA (nodemailer signs rsa-sha256 only)
 * of at least {@link DKIM_RSA_MIN_BITS} bits, PKCS#8 or PKCS#1, unencrypted.
 * @throws {ConfigError} `ERR_CA_CONFIG` when the file cannot be read or holds no such key.
 * @example
 * const privateKey = loadDkimKey('/etc/certwizard/dkim.pem');
 */
export function loadDkimKey(file: string): KeyObject {
  let pem: Buffer;
  try {
    pem = readFileSync(file);
  } catch (err) {
    throw new ConfigError(`--dkim-key ${file} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: 'pem' });
  } catch {
    // The parser's message may quote the input: it is not passed on.
    throw new ConfigError(`--dkim-key ${file} does not hold an unencrypted PEM private key`);
  } finally {
    pem.fill(0);
  }
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (key.asymmetricKeyType !== 'rsa' || bits < DKIM_RSA_MIN_BITS) {
    throw new ConfigError(`--dkim-key ${file} must be an RSA key of at least ${DKIM_RSA_MIN_BITS} bits (DKIM rsa-sha256)`);
  }
  return key;
}
