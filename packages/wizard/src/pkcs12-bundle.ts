/**
 * The PKCS #12 file the person may download from the installed step: built on request from the
 * installed key and certificate (the live files), protected by the passphrase the person typed.
 * Nothing is written to disk and the passphrase is not kept.
 */
import { readFile } from 'node:fs/promises';
import { createPkcs12, importPrivateKeyPem, parseCertificate, parseCertificateChain } from '@certwizard/pki';
import type { InstalledCertificate } from '@certwizard/sdk';

/**
 * Builds the PFX of `installed` (leaf, its chain, its key) under `passphrase`.
 * @throws {TypeError} for an empty passphrase.
 * @throws the file system's error when a live file cannot be read, and `@certwizard/pki`'s
 *   errors when they do not parse or the key does not match (`ERR_PKI_KEY_MISMATCH`).
 * @example
 * const der = await buildPkcs12(installed, 'correct horse battery');
 */
export async function buildPkcs12(installed: InstalledCertificate, passphrase: string): Promise<Uint8Array> {
  if (typeof passphrase !== 'string' || passphrase === '') throw new TypeError('passphrase must be a non-empty string');
  const [keyPem, certPem, chainPem] = await Promise.all(
    [installed.paths.privkey, installed.paths.cert, installed.paths.chain].map((path) => readFile(path, 'utf8')),
  );
  const chain = (chainPem as string).includes('-----BEGIN CERTIFICATE-----') ? parseCertificateChain(chainPem as string) : [];
  return createPkcs12({
    privateKey: importPrivateKeyPem(keyPem as string),
    certificate: parseCertificate(certPem as string).der,
    chain: chain.map((c) => c.der),
    passphrase,
    friendlyName: installed.names[0] ?? installed.name,
  });
}
