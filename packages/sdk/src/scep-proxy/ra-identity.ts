/**
 * The SCEP proxy's own RA identity (RFC 8894 §2.1: a device encrypts its request to the RA
 * certificate it got from GetCACert and checks the CertRep's signature with it). The proxy keeps a
 * small local CA of its own: a self-signed CA certificate and, issued by it, the RA certificate
 * (RSA-2048, keyEncipherment + digitalSignature, not a CA), so that a device's GetCACert answer
 * tells the RA (the certificate with keyEncipherment) from a CA, as SCEP clients expect. Made on
 * first start in the state directory (0700, keys 0600) and reused afterwards: a device that pinned
 * it keeps trusting a restarted proxy.
 */
import { createPublicKey, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  createSelfSignedCa,
  exportPrivateKeyPem,
  generateKeyPairAsync,
  generateSerialNumber,
  importPrivateKeyPem,
  issueServiceCertificate,
  parseCertificate,
  type Certificate,
} from '@certwizard/pki';
import type { KeyObject } from 'node:crypto';
import { ScepProxyError } from './errors.js';

/** File names of the identity in the state directory. */
export const RA_FILES = {
  localCaCert: 'local-ca.cert.pem',
  localCaKey: 'local-ca.private_key.pem',
  raCert: 'ra.cert.pem',
  raKey: 'ra.private_key.pem',
} as const;

/** Ten years: the RA outlives the devices' certificates; a new one means re-pinning on every device. */
const VALIDITY_MS = 10 * 365 * 86_400_000;

/** The proxy's RA: its certificate and key, and the local CA that issued it. */
export interface ProxyRaIdentity {
  readonly raCertificate: Certificate;
  readonly raPrivateKey: KeyObject;
  readonly localCaCertificate: Certificate;
}

/**
 * Loads the RA identity from `stateDir`, or makes it there when none exists yet. The directory is
 * created 0700 and the keys are written 0600 (atomically: a temporary file renamed into place, so
 * that a crash never leaves half a key); a certificate without its key, or a key that does not
 * match, is an error rather than silently replaced (devices pinned the old one).
 *
 * @throws {ScepProxyError} `ERR_SDK_SCEP_PROXY` when only part of the identity exists or the files do not parse.
 * @example
 * const ra = await loadOrCreateRaIdentity('/var/lib/certwizard-scep-proxy', { signal });
 */
export async function loadOrCreateRaIdentity(stateDir: string, options: { readonly signal?: AbortSignal; readonly now?: Date } = {}): Promise<ProxyRaIdentity> {
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  chmodSync(stateDir, 0o700);
  const read = (name: string): string | undefined => {
    try {
      return readFileSync(join(stateDir, name), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  };
  const texts = Object.values(RA_FILES).map(read);
  if (texts.every((t) => t !== undefined)) {
    const [caCert, , raCert, raKey] = texts as string[];
    return {
      localCaCertificate: parseCertificate(caCert as string),
      raCertificate: parseCertificate(raCert as string),
      raPrivateKey: importPrivateKeyPem(raKey as string),
    };
  }
  if (texts.some((t) => t !== undefined))
    throw new ScepProxyError(
      `the SCEP proxy's RA identity in ${stateDir} is incomplete (${Object.values(RA_FILES).join(', ')}); restore it or remove all four files`,
    );

  const now = options.now ?? new Date();
  const notAfter = new Date(now.getTime() + VALIDITY_MS);
  const caKeys = await generateKeyPairAsync('rsa2048', options.signal === undefined ? {} : { signal: options.signal });
  const raKeys = await generateKeyPairAsync('rsa2048', options.signal === undefined ? {} : { signal: options.signal });
  const label = randomBytes(4).toString('hex');
  const caEncoded = createSelfSignedCa({
    subject: [{ type: 'CN', value: `certwizard SCEP proxy local CA ${label}` }],
    privateKey: caKeys.privateKey,
    notBefore: now,
    notAfter,
    serialNumber: generateSerialNumber(),
    pathLength: 0,
  });
  const localCaCertificate = parseCertificate(caEncoded.pem);
  // No extendedKeyUsage: clients verify the CertRep's signer for S/MIME signing (OpenSSL's
  // PKCS7_verify), which an EKU without emailProtection would fail, as the CA's own RA has none.
  const ra = issueServiceCertificate({
    issuer: { certificate: localCaCertificate, privateKey: caKeys.privateKey },
    subject: [{ type: 'CN', value: `certwizard SCEP proxy RA ${label}` }],
    publicKey: createPublicKey(raKeys.privateKey),
    serialNumber: generateSerialNumber(),
    notBefore: now,
    notAfter,
    // RFC 8894 §2.1: the RA decrypts (keyEncipherment) and signs (digitalSignature) CertReps.
    keyUsage: ['digitalSignature', 'keyEncipherment'],
  });
  // Keys first, certificates last: the certificates' presence says the identity is whole.
  writeAtomically(join(stateDir, RA_FILES.localCaKey), exportPrivateKeyPem(caKeys.privateKey), 0o600);
  writeAtomically(join(stateDir, RA_FILES.raKey), exportPrivateKeyPem(raKeys.privateKey), 0o600);
  writeAtomically(join(stateDir, RA_FILES.localCaCert), caEncoded.pem, 0o644);
  writeAtomically(join(stateDir, RA_FILES.raCert), ra.pem, 0o644);
  return { localCaCertificate, raCertificate: parseCertificate(ra.pem), raPrivateKey: raKeys.privateKey };
}

/**
 * Writes `text` to `path` through a temporary file in the same directory renamed into place, so a
 * reader (or a crash) sees the old content or the new, never part of it.
 */
export function writeAtomically(path: string, text: string, mode: number): void {
  const temporary = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  writeFileSync(temporary, text, { mode, flag: 'wx' });
  renameSync(temporary, path);
}
