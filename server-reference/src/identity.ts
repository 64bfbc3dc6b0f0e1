/**
 * The CA identity as files in one directory: `ca.cert.pem`, `ca.csr.pem`,
 * `ca.private_key.pem` (PKCS#8, encrypted with the passphrase) and `ca.public_key.pem`.
 * `create-identity` writes them; any directory holding at least a CA certificate and its key,
 * made by anyone (openssl included), is adopted as it is. Beside them sit the SCEP RA's
 * `ra.cert.pem` and `ra.private_key.pem`, made by {@link loadIdentity} on the first start that
 * finds them absent.
 */
import { createPublicKey, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type Certificate,
  createCsr,
  createSelfSignedCa,
  type DistinguishedName,
  exportPrivateKeyPem,
  exportPublicKeyPem,
  generateKeyPair,
  generateKeyPairAsync,
  generateSerialNumber,
  importPrivateKeyPem,
  issueServiceCertificate,
  type KeyType,
  keysMatch,
  parseCertificate,
  PkiError,
} from '@certwizard/pki';
import { IdentityExistsError, IdentityInvalidError } from './errors.js';
import type { CaIdentity, RaIdentity } from './ca/authority.js';

/** File names inside an identity directory. */
export const IDENTITY_FILES = {
  certificate: 'ca.cert.pem',
  csr: 'ca.csr.pem',
  privateKey: 'ca.private_key.pem',
  publicKey: 'ca.public_key.pem',
} as const;

/** File names of the SCEP RA identity, in the same directory as the CA's. */
export const RA_FILES = {
  certificate: 'ra.cert.pem',
  privateKey: 'ra.private_key.pem',
} as const;

/** Longest validity of a made RA certificate: 2 years (or the CA's end, when sooner). */
const RA_VALIDITY_MS_MAX = 2 * 365 * 24 * 60 * 60_000;

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
  const ra = loadOrCreateRa(dir, { certificate, privateKey }, passphrase);
  return { certificate, privateKey, ra };
}

/**
 * The SCEP RA (RFC 8894 §2.1: the CertRep signer and the key requests are encrypted to), made
 * when neither file is there: RSA-2048 (SCEP's key transport needs RSA, whatever the CA's key),
 * issued by the CA, subject `<CA CN> SCEP RA`, keyUsage digitalSignature + keyEncipherment, not a
 * CA, valid until the CA's end or 2 years, whichever is sooner; the key encrypted like the CA's.
 * An existing pair is never written over; half a pair or a pair that does not match is an error.
 */
function loadOrCreateRa(dir: string, ca: { certificate: Certificate; privateKey: CaIdentity['privateKey'] }, passphrase: string | undefined): RaIdentity {
  const certPath = join(dir, RA_FILES.certificate);
  const keyPath = join(dir, RA_FILES.privateKey);
  const present = [certPath, keyPath].filter((p) => existsSync(p));
  if (present.length === 0) createRa(dir, ca, passphrase);
  else if (present.length === 1) {
    throw new IdentityInvalidError(
      `${present[0]} is there without its pair (${RA_FILES.certificate} and ${RA_FILES.privateKey} go together); restore the other or move this one away`,
    );
  }
  let certificate: Certificate;
  try {
    certificate = parseCertificate(readFileSync(certPath, 'utf8'));
  } catch (err) {
    throw new IdentityInvalidError(`${certPath}: ${(err as Error).message}`, { cause: err });
  }
  let privateKey: RaIdentity['privateKey'];
  try {
    privateKey = importPrivateKeyPem(readFileSync(keyPath, 'utf8'), passphrase ? { passphrase } : {});
  } catch (err) {
    if (err instanceof PkiError && err.code === 'ERR_PKI_KEY_DECRYPTION') throw err;
    throw new IdentityInvalidError(`${keyPath}: ${(err as Error).message}`, { cause: err });
  }
  if (!keysMatch(privateKey, certificate.publicKey)) throw new IdentityInvalidError(`${keyPath} is not the key of ${certPath}`);
  if (privateKey.asymmetricKeyType !== 'rsa') throw new IdentityInvalidError(`${keyPath}: the SCEP RA key must be RSA (RFC 8894 key transport)`);
  if (certificate.isCa) throw new IdentityInvalidError(`${certPath}: the SCEP RA certificate must not be a CA certificate`);
  return { certificate, certificateDer: certificate.der, certificatePem: certificate.pem, privateKey };
}

function createRa(dir: string, ca: { certificate: Certificate; privateKey: CaIdentity['privateKey'] }, passphrase: string | undefined): void {
  const { privateKey } = generateKeyPair('rsa2048');
  const cn = ca.certificate.subject.find((a) => a.type === 'CN')?.value ?? 'certwizard CA';
  const now = new Date();
  const notAfter = new Date(Math.min(ca.certificate.notAfter.getTime(), now.getTime() + RA_VALIDITY_MS_MAX));
  const cert = issueServiceCertificate({
    issuer: ca,
    subject: [{ type: 'CN', value: `${cn} SCEP RA` }],
    publicKey: createPublicKey(privateKey),
    serialNumber: generateSerialNumber(),
    notBefore: now,
    notAfter,
    keyUsage: ['digitalSignature', 'keyEncipherment'],
  });
  const keyPath = join(dir, RA_FILES.privateKey);
  // Exclusive creation: of two CA processes starting at once, one writes, the other fails here.
  try {
    writeFileSync(keyPath, exportPrivateKeyPem(privateKey, passphrase ? { passphrase } : {}), { flag: 'wx', mode: 0o600 });
  } catch (err) {
    // Another CA process made it first: theirs is loaded.
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return;
    throw err;
  }
  try {
    writeFileSync(join(dir, RA_FILES.certificate), cert.pem, { flag: 'wx', mode: 0o644 });
  } catch (err) {
    rmSync(keyPath, { force: true });
    throw err;
  }
}
