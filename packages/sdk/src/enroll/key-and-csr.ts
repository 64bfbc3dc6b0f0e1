/**
 * The key and the certificate request an enrollment sends: made here, on the machine that will
 * use the key, so that the private key never travels (the CA never generates keys).
 */
import type { KeyObject } from 'node:crypto';
import { createCsr, exportPrivateKeyPem, generateKeyPairAsync, type DistinguishedName, type KeyType } from '@certwizard/pki';

/** Options of {@link createKeyAndCsr}. */
export interface CreateKeyAndCsrOptions {
  /** Key algorithm and size. Default: `'p256'` (accepted by every CA endpoint, fast to make). */
  readonly keyType?: KeyType;
  /** Subject attributes, most significant first. Default: empty (the names go in subjectAltName). */
  readonly subject?: DistinguishedName;
  /** Names to request, from the vendor's configuration; they go in the subjectAltName extension request. */
  readonly names: { readonly dns?: readonly string[]; readonly email?: readonly string[] };
  /** Aborts the wait for the key generation. */
  readonly signal?: AbortSignal;
}

/** A new key and its request. */
export interface KeyAndCsr {
  /** The private key; keep it in memory or store it encrypted. */
  readonly privateKey: KeyObject;
  /** The private key as unencrypted PKCS #8 PEM: a secret, never log it. */
  readonly privateKeyPem: string;
  /** The PKCS #10 request (RFC 2986), PEM. */
  readonly csrPem: string;
}

/**
 * Generates a key pair (off the event loop) and a PKCS #10 request signed with it (RFC 2986 §4).
 *
 * @throws {TypeError} for an unknown `keyType` or `names` that is not an object.
 * @throws {InvalidNameError} `ERR_PKI_INVALID_NAME`, {@link CommonNameTooLongError} `ERR_PKI_CN_TOO_LONG`,
 *   {@link TooManyNamesError} `ERR_PKI_TOO_MANY_SANS` (from `@certwizard/pki`) for bad names.
 * @throws the signal's reason when `signal` aborts.
 * @example
 * const { privateKey, csrPem } = await createKeyAndCsr({ names: { dns: ['mail.example.org'] } });
 */
export async function createKeyAndCsr(options: CreateKeyAndCsrOptions): Promise<KeyAndCsr> {
  if (options === null || typeof options !== 'object') throw new TypeError('options must be an object');
  const { names } = options;
  if (names === null || typeof names !== 'object') throw new TypeError('names must be an object');
  const { privateKey } = await generateKeyPairAsync(options.keyType ?? 'p256', options.signal ? { signal: options.signal } : {});
  const csr = createCsr({
    privateKey,
    ...(options.subject ? { subject: options.subject } : {}),
    subjectAltNames: { dns: [...(names.dns ?? [])], email: [...(names.email ?? [])] },
  });
  return { privateKey, privateKeyPem: exportPrivateKeyPem(privateKey), csrPem: csr.pem };
}
