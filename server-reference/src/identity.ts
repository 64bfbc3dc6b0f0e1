/**
 * The CA identity as files in one directory: `ca.cert.pem`, `ca.csr.pem`,
 * `ca.private_key.pem` (PKCS#8, encrypted with the passphrase) and `ca.public_key.pem`.
 * `create-identity` writes them; any directory holding at least a CA certificate and its key,
 * made by anyone (openssl included), is adopted as it is.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type Certificate,
  createCsr,
  createSelfSignedCa,
  type DistinguishedName,
  exportPrivateKeyPem,
  exportPublicKeyPem,
  generateKeyPairAsync,
  importPrivateKeyPem,
  type KeyType,
  keysMatch,
  parseCertificate,
  PkiError,
} from '@certwizard/pki';
import { IdentityExistsError, IdentityInvalidError } from './errors.js';
import type { CaIdentity } from './ca/authority.js';

/** File names inside an identity directory. */
export const IDENTITY_FILES = {
  certificate: 'ca.cert.pem',
  csr: 'ca.csr.pem',
  privateKey: 'ca.private_key.pem',
  publicKey: 'ca.public_key.pem',
} as const;

/** Options of {@link createIdentity}. */
export interface CreateIdentityOptions {
  /** Subject of the CA certificate, most significant attribute first. Must include CN. */
  readonly subject: DistinguishedName;
  /** Validity of the CA certificate, in years. */
  readonly validityYears: number;
  readonly keyType: KeyType;
  /** Encrypts the private key file. */
  readonly passphrase: string;
  /** Clock, for tests. */
  readonly now?: Date;
  readonly signal?: AbortSignal;
}

/**
 * Creates a new self-signed CA identity in `dir`. Files are created exclusively (never
 * overwritten); the key file is 0600 and the directory 0700.
 * @throws {IdentityExistsError} `ERR_CA_IDENTITY_EXISTS` when any identity file is already there.
 * @throws {TypeError} for a subject without CN or a validity outside 1 to 50 years.
 */
export async function createIdentity(dir: string, options: CreateIdentityOptions): Promise<Certificate> {
  const present = Object.values(IDENTITY_FILES).filter((f) => existsSync(join(dir, f)));
  if (present.length > 0) {
    throw new IdentityExistsError(`${dir} already holds an identity (${present.join(', ')}); it is never overwritten`);
  }
  if (!options.subject.some((a) => a.type === 'CN')) throw new TypeError('the CA subject needs a CN');
  if (!Number.isInteger(options.validityYears) || options.validityYears < 1 || options.validityYears > 50) {
    throw new TypeError('validity must be a whole number of years from 1 to 50');
  }
  const { privateKey, publicKey } = await generateKeyPairAsync(options.keyType, { signal: options.signal });
  const now = options.now ?? new Date();
  const notAfter = new Date(now);
  notAfter.setUTCFullYear(notAfter.getUTCFullYear() + options.validityYears);
  const serial = randomBytes(16);
  serial[0] = (serial[0] as number) & 0x7f || 1;
  const cert = createSelfSignedCa({
    subject: options.subject,
    privateKey,
    notBefore: now,
    notAfter,
    serialNumber: serial,
  });
  const csr = createCsr({ privateKey, subject: options.subject });

  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const written: string[] = [];
  const write = (name: string, data: string, mode: number) => {
    const path = join(dir, name);
    writeFileSync(path, data, { flag: 'wx', mode });
    written.push(path);
  };
  try {
    write(IDENTITY_FILES.privateKey, exportPrivateKeyPem(privateKey, { passphrase: options.passphrase }), 0o600);
    write(IDENTITY_FILES.publicKey, exportPublicKeyPem(publicKey), 0o644);
    write(IDENTITY_FILES.csr, csr.pem, 0o644);
    write(IDENTITY_FILES.certificate, cert.pem, 0o644);
  } catch (err) {
    // Leave no half identity behind: a later run must be able to start again.
    for (const path of written) rmSync(path, { force: true });
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new IdentityExistsError(`${dir} already holds an identity; it is never overwritten`, { cause: err });
    }
    throw err;
  }
  return parseCertificate(cert.pem);
}

/** Whether the identity's key file is encrypted, i.e. a passphrase is needed to load it. */
export function identityNeedsPassphrase(dir: string): boolean {
  const path = join(dir, IDENTITY_FILES.privateKey);
  if (!existsSync(path)) throw new IdentityInvalidError(`${path} is missing`);
  return readFileSync(path, 'utf8').includes('-----BEGIN ENCRYPTED PRIVATE KEY-----');
}

/**
 * Loads an identity: the certificate must be a CA certificate and the key must be its key.
 * @param passphrase - needed when the key file is encrypted.
 * @throws {IdentityInvalidError} `ERR_CA_IDENTITY_INVALID` for missing, unreadable or mismatched files.
 * @throws {KeyDecryptionError} `ERR_PKI_KEY_DECRYPTION` for a wrong or missing passphrase.
 */
export function loadIdentity(dir: string, passphrase?: string): CaIdentity {
  const certPath = join(dir, IDENTITY_FILES.certificate);
  const keyPath = join(dir, IDENTITY_FILES.privateKey);
  for (const path of [certPath, keyPath]) {
    if (!existsSync(path)) throw new IdentityInvalidError(`${path} is missing`);
  }
  let certificate: Certificate;
  try {
    certificate = parseCertificate(readFileSync(certPath, 'utf8'));
  } catch (err) {
    throw new IdentityInvalidError(`${certPath}: ${(err as Error).message}`, { cause: err });
  }
  if (!certificate.isCa) throw new IdentityInvalidError(`${certPath} is not a CA certificate (basicConstraints cA)`);
  let privateKey: CaIdentity['privateKey'];
  try {
    privateKey = importPrivateKeyPem(readFileSync(keyPath, 'utf8'), passphrase ? { passphrase } : {});
  } catch (err) {
    if (err instanceof PkiError && err.code === 'ERR_PKI_KEY_DECRYPTION') throw err;
    throw new IdentityInvalidError(`${keyPath}: ${(err as Error).message}`, { cause: err });
  }
  if (!keysMatch(privateKey, certificate.publicKey)) {
    throw new IdentityInvalidError(`${keyPath} is not the key of ${certPath}`);
  }
  return { certificate, privateKey };
}
