/**
 * SubjectPublicKeyInfo (RFC 5280 §4.1.2.7) to node:crypto KeyObject.
 *
 * Why not just `createPublicKey({format: 'der'})`: OpenSSL 3's generic decoder costs about
 * 0.25 ms per key, which dominates issuing a certificate. Going through JWK reaches the
 * key-construction code directly (about 0.01 ms for RSA, 0.13 ms for P-256, where the curve
 * check is the real work). Key shapes other than RSA and uncompressed P-256/P-384 take the
 * generic path, which also produces OpenSSL's verdict on malformed keys.
 */
import { createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { UnsupportedAlgorithmError } from '../errors.js';
import { readChildren, readElement, type DerElement } from './der.js';

const OID_RSA = Buffer.from('2a864886f70d010101', 'hex');
const OID_EC = Buffer.from('2a8648ce3d0201', 'hex');
const CURVES: ReadonlyArray<{ oid: Buffer; crv: string; size: number }> = [
  { oid: Buffer.from('2a8648ce3d030107', 'hex'), crv: 'P-256', size: 32 },
  { oid: Buffer.from('2b81040022', 'hex'), crv: 'P-384', size: 48 },
];

function content(bytes: Uint8Array, el: DerElement): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset + el.contentStart, el.end - el.contentStart);
}

function toJwk(spki: Uint8Array): JsonWebKey | undefined {
  const outer = readElement(spki, 0);
  const [alg, bits] = readChildren(spki, outer);
  if (!alg || !bits || bits.identifier !== 0x03) return undefined;
  const [oid, params] = readChildren(spki, alg);
  if (!oid || oid.identifier !== 0x06) return undefined;
  const key = content(spki, bits);
  // A key is whole octets: unused bits would give one key two encodings (and two hashes).
  if (key[0] !== 0) throw new UnsupportedAlgorithmError('the public key BIT STRING has unused bits');
  const keyBytes = key.subarray(1);
  const algOid = content(spki, oid);
  if (algOid.equals(OID_RSA)) {
    const rsa = readElement(keyBytes, 0);
    const [n, e] = readChildren(keyBytes, rsa);
    if (!n || !e || n.identifier !== 0x02 || e.identifier !== 0x02) return undefined;
    const strip = (b: Buffer) => (b[0] === 0 && b.length > 1 ? b.subarray(1) : b);
    return { kty: 'RSA', n: strip(content(keyBytes, n)).toString('base64url'), e: strip(content(keyBytes, e)).toString('base64url') };
  }
  if (algOid.equals(OID_EC) && params?.identifier === 0x06) {
    const curve = CURVES.find((c) => c.oid.equals(content(spki, params)));
    if (!curve || keyBytes.length !== 1 + 2 * curve.size || keyBytes[0] !== 0x04) return undefined;
    return {
      kty: 'EC',
      crv: curve.crv,
      x: keyBytes.subarray(1, 1 + curve.size).toString('base64url'),
      y: keyBytes.subarray(1 + curve.size).toString('base64url'),
    };
  }
  return undefined;
}

/**
 * Imports a DER SubjectPublicKeyInfo that has already passed strict DER validation.
 * @throws {UnsupportedAlgorithmError} `ERR_PKI_UNSUPPORTED_ALGORITHM` when OpenSSL cannot read it.
 */
export function importSpki(spki: Uint8Array): KeyObject {
  try {
    const jwk = toJwk(spki);
    if (jwk) return createPublicKey({ key: jwk, format: 'jwk' });
    return createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
  } catch (err) {
    throw new UnsupportedAlgorithmError('the public key cannot be read', { cause: err });
  }
}
