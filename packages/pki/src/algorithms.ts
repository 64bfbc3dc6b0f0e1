/**
 * Signature algorithms: which ones are accepted, which are refused as broken, and how each
 * maps onto node:crypto. Signing and verifying always go through node:crypto (OpenSSL), never
 * a JavaScript big-number implementation.
 */
import type { KeyObject } from 'node:crypto';
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import { UnsupportedAlgorithmError, WeakSignatureAlgorithmError } from './errors.js';

/** Hash functions used in signatures. */
export type HashName = 'sha256' | 'sha384' | 'sha512';

/** A signature algorithm this package signs and verifies with. */
export interface SignatureAlgorithm {
  /** Dotted OID of the algorithm identifier. */
  readonly oid: string;
  /** Conventional name, e.g. `sha256WithRSAEncryption`. */
  readonly name: string;
  /** The digest, as node:crypto names it. */
  readonly hash: HashName;
  /** The key type it works with. */
  readonly keyType: 'rsa' | 'ec';
}

const ACCEPTED: readonly SignatureAlgorithm[] = [
  // RFC 4055 §5 (RSA PKCS#1 v1.5 with SHA-2).
  { oid: '1.2.840.113549.1.1.11', name: 'sha256WithRSAEncryption', hash: 'sha256', keyType: 'rsa' },
  { oid: '1.2.840.113549.1.1.12', name: 'sha384WithRSAEncryption', hash: 'sha384', keyType: 'rsa' },
  { oid: '1.2.840.113549.1.1.13', name: 'sha512WithRSAEncryption', hash: 'sha512', keyType: 'rsa' },
  // RFC 5758 §3.2 (ECDSA with SHA-2).
  { oid: '1.2.840.10045.4.3.2', name: 'ecdsa-with-SHA256', hash: 'sha256', keyType: 'ec' },
  { oid: '1.2.840.10045.4.3.3', name: 'ecdsa-with-SHA384', hash: 'sha384', keyType: 'ec' },
  { oid: '1.2.840.10045.4.3.4', name: 'ecdsa-with-SHA512', hash: 'sha512', keyType: 'ec' },
];

/** Algorithms refused because their hash is broken (collisions are practical). */
const WEAK: ReadonlyMap<string, string> = new Map([
  ['1.2.840.113549.1.1.2', 'md2WithRSAEncryption'],
  ['1.2.840.113549.1.1.4', 'md5WithRSAEncryption'],
  ['1.2.840.113549.1.1.5', 'sha1WithRSAEncryption'],
  ['1.3.14.3.2.29', 'sha1WithRSASignature'],
  ['1.2.840.10045.4.1', 'ecdsa-with-SHA1'],
  ['1.2.840.10040.4.3', 'dsa-with-SHA1'],
]);

/** DER of ASN.1 NULL, the parameters RFC 4055 §5 requires for PKCS#1 v1.5 algorithms. */
const DER_NULL = new Uint8Array([0x05, 0x00]);

/**
 * Looks up an algorithm identifier taken from a signed structure.
 *
 * @throws {WeakSignatureAlgorithmError} `ERR_PKI_WEAK_SIGNATURE_ALGORITHM` for MD2, MD5 and SHA-1.
 * @throws {UnsupportedAlgorithmError} `ERR_PKI_UNSUPPORTED_ALGORITHM` for anything else unknown,
 *   or parameters that RFC 4055 §5 / RFC 5758 §3.2 do not allow.
 */
export function signatureAlgorithmFromIdentifier(id: AlgorithmIdentifier): SignatureAlgorithm {
  // The schema maps an encoded NULL to null and absent parameters to undefined.
  const params = id.parameters === undefined ? undefined : id.parameters === null ? DER_NULL : new Uint8Array(id.parameters);
  return signatureAlgorithmFromOid(id.algorithm, params);
}

/**
 * Looks up a signature algorithm by OID and the DER of its parameters (undefined when absent).
 * @throws as {@link signatureAlgorithmFromIdentifier}.
 */
export function signatureAlgorithmFromOid(oid: string, parameters: Uint8Array | undefined): SignatureAlgorithm {
  const weak = WEAK.get(oid);
  if (weak) throw new WeakSignatureAlgorithmError(`signature algorithm ${weak} is refused: its hash is broken`);
  const found = ACCEPTED.find((a) => a.oid === oid);
  if (!found) throw new UnsupportedAlgorithmError(`signature algorithm ${oid} is not supported`);
  const absent = parameters === undefined;
  const isNull = parameters !== undefined && parameters.length === 2 && parameters[0] === 0x05 && parameters[1] === 0x00;
  // RSA: parameters MUST be NULL (RFC 4055 §5), though RFC 8017 readers tolerate absence.
  // ECDSA: parameters MUST be absent (RFC 5758 §3.2).
  const ok = found.keyType === 'rsa' ? absent || isNull : absent;
  if (!ok) throw new UnsupportedAlgorithmError(`signature algorithm ${found.name} has unexpected parameters`);
  return found;
}

/**
 * Chooses the signature algorithm a key signs with: SHA-256 for RSA and P-256, SHA-384 for
 * P-384, SHA-512 for P-521, unless `hash` says otherwise.
 * @throws {UnsupportedAlgorithmError} `ERR_PKI_UNSUPPORTED_ALGORITHM` for other key types.
 */
export function signatureAlgorithmForKey(key: KeyObject, hash?: HashName): SignatureAlgorithm {
  const type = key.asymmetricKeyType;
  let chosen: HashName = hash ?? 'sha256';
  if (type === 'ec' && !hash) {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (curve === 'secp384r1') chosen = 'sha384';
    else if (curve === 'secp521r1') chosen = 'sha512';
  }
  if (type !== 'rsa' && type !== 'ec') {
    throw new UnsupportedAlgorithmError(`keys of type ${String(type)} cannot sign here`);
  }
  const found = ACCEPTED.find((a) => a.keyType === type && a.hash === chosen);
  if (!found) throw new UnsupportedAlgorithmError(`no signature algorithm for ${type} with ${chosen}`);
  return found;
}

/** Builds the AlgorithmIdentifier for `alg` in its canonical DER form. */
export function algorithmIdentifier(alg: SignatureAlgorithm): AlgorithmIdentifier {
  return new AlgorithmIdentifier({
    algorithm: alg.oid,
    parameters: alg.keyType === 'rsa' ? DER_NULL.slice().buffer : undefined,
  });
}
