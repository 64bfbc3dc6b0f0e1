/**
 * Key generation, PKCS#8 import and export, and the key policy (RSA >= 2048 bits with
 * e = 65537, ECDSA on P-256 or P-384). Everything here runs in node:crypto (OpenSSL).
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPair as generateKeyPairCallback, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { InputTooLargeError, KeyDecryptionError, PemError, WeakKeyError } from './errors.js';
import { MAX_INPUT_BYTES, MAX_RSA_BITS, MIN_RSA_BITS } from './limits.js';
import { decodePemBlocks } from './codec/pem.js';

/** The key types this package generates. */
export type KeyType = 'rsa2048' | 'rsa3072' | 'rsa4096' | 'p256' | 'p384';

/** Every {@link KeyType}, in the order a wizard would offer them. */
export const KEY_TYPES: readonly KeyType[] = ['p256', 'p384', 'rsa2048', 'rsa3072', 'rsa4096'];

/** A private key with its public half. */
export interface KeyPair {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

/** What a public key is, for display and for policy decisions. */
export type KeyDescription =
  | { readonly algorithm: 'rsa'; readonly bits: number; readonly publicExponent: bigint }
  | { readonly algorithm: 'ec'; readonly curve: 'P-256' | 'P-384' | 'P-521' | string };

const CURVE_NAMES: Readonly<Record<string, string>> = {
  prime256v1: 'P-256',
  secp384r1: 'P-384',
  secp521r1: 'P-521',
};

const ACCEPTED_CURVES = new Set(['P-256', 'P-384']);

type GenerationParameters = { kind: 'rsa'; modulusLength: number } | { kind: 'ec'; namedCurve: string };

function generationParameters(type: KeyType): GenerationParameters {
  switch (type) {
    case 'rsa2048':
      return { kind: 'rsa', modulusLength: 2048 };
    case 'rsa3072':
      return { kind: 'rsa', modulusLength: 3072 };
    case 'rsa4096':
      return { kind: 'rsa', modulusLength: 4096 };
    case 'p256':
      return { kind: 'ec', namedCurve: 'prime256v1' };
    case 'p384':
      return { kind: 'ec', namedCurve: 'secp384r1' };
    default:
      throw new TypeError(`unknown key type ${JSON.stringify(type)}; expected one of ${KEY_TYPES.join(', ')}`);
  }
}

/**
 * Generates a key pair synchronously. RSA-4096 can take a second: prefer
 * {@link generateKeyPairAsync} where the event loop matters.
 * @throws {TypeError} for an unknown key type.
 * @example
 * const { privateKey } = generateKeyPair('p256');
 */
export function generateKeyPair(type: KeyType): KeyPair {
  const p = generationParameters(type);
  return p.kind === 'rsa'
    ? generateKeyPairSync('rsa', { modulusLength: p.modulusLength, publicExponent: 65537 })
    : generateKeyPairSync('ec', { namedCurve: p.namedCurve });
}

/**
 * Generates a key pair on libuv's thread pool.
 * @param options.signal - aborts the wait (the generation itself runs to completion in the pool).
 * @throws {TypeError} for an unknown key type.
 * @throws the signal's reason when aborted.
 */
export async function generateKeyPairAsync(type: KeyType, options: { signal?: AbortSignal } = {}): Promise<KeyPair> {
  const p = generationParameters(type);
  options.signal?.throwIfAborted();
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(options.signal?.reason);
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const done = (err: Error | null, publicKey: KeyObject, privateKey: KeyObject) => {
      options.signal?.removeEventListener('abort', onAbort);
      if (err) reject(err);
      else resolve({ privateKey, publicKey });
    };
    if (p.kind === 'rsa') generateKeyPairCallback('rsa', { modulusLength: p.modulusLength, publicExponent: 65537 }, done);
    else generateKeyPairCallback('ec', { namedCurve: p.namedCurve }, done);
  });
}

/**
 * Exports a private key as PKCS#8 PEM (RFC 5958). With a passphrase the key is encrypted with
 * PBES2 (PBKDF2-HMAC-SHA256, AES-256-CBC; RFC 8018 §6.2) under the label
 * `ENCRYPTED PRIVATE KEY`.
 * @throws {TypeError} when `passphrase` is given but empty.
 */
export function exportPrivateKeyPem(key: KeyObject, options: { passphrase?: string } = {}): string {
  if (key.type !== 'private') throw new TypeError('exportPrivateKeyPem needs a private key');
  if (options.passphrase === undefined) {
    return key.export({ type: 'pkcs8', format: 'pem' }) as string;
  }
  if (options.passphrase.length === 0) throw new TypeError('the passphrase must not be empty');
  return key.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: options.passphrase }) as string;
}

/** Exports a public key as SubjectPublicKeyInfo PEM (RFC 5280 §4.1.2.7). */
export function exportPublicKeyPem(key: KeyObject): string {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  return pub.export({ type: 'spki', format: 'pem' }) as string;
}

const PRIVATE_KEY_LABELS = ['PRIVATE KEY', 'ENCRYPTED PRIVATE KEY', 'RSA PRIVATE KEY', 'EC PRIVATE KEY'];

/**
 * Imports a private key from PEM: PKCS#8, encrypted PKCS#8, or the traditional OpenSSL RSA and
 * EC forms (so that identities made with the openssl CLI can be adopted).
 *
 * @throws {InputTooLargeError} `ERR_PKI_INPUT_TOO_LARGE` over 64 KiB.
 * @throws {PemError} `ERR_PKI_PEM` when the text holds no private key block, or more than one.
 * @throws {KeyDecryptionError} `ERR_PKI_KEY_DECRYPTION` when the key is encrypted and the
 *   passphrase is missing or wrong, or the key bytes are not a key.
 */
export function importPrivateKeyPem(pem: string, options: { passphrase?: string } = {}): KeyObject {
  if (pem.length > MAX_INPUT_BYTES) throw new InputTooLargeError('private key input is larger than 64 KiB');
  // `openssl ecparam -genkey` writes an EC PARAMETERS block before the key: allowed, ignored.
  const blocks = decodePemBlocks(pem).filter((b) => b.label !== 'EC PARAMETERS');
  if (blocks.length !== 1 || !PRIVATE_KEY_LABELS.includes(blocks[0]?.label ?? '')) {
    throw new PemError(`expected one PEM block labelled ${PRIVATE_KEY_LABELS.join(', ')}`);
  }
  const encrypted = blocks[0]?.label === 'ENCRYPTED PRIVATE KEY';
  if (encrypted && !options.passphrase) {
    throw new KeyDecryptionError('the private key is encrypted and no passphrase was given');
  }
  try {
    return createPrivateKey({ key: pem, format: 'pem', passphrase: options.passphrase ?? '' });
  } catch (err) {
    // OpenSSL's message can echo nothing secret, but keep ours fixed and pass the cause on.
    throw new KeyDecryptionError(encrypted ? 'the private key could not be decrypted: wrong passphrase?' : 'the private key could not be read', { cause: err });
  }
}

/** Describes a public or private key: RSA size and exponent, or EC curve. */
export function describeKey(key: KeyObject): KeyDescription {
  const details = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'rsa') {
    return { algorithm: 'rsa', bits: details.modulusLength ?? 0, publicExponent: details.publicExponent ?? 0n };
  }
  if (key.asymmetricKeyType === 'ec') {
    const curve = details.namedCurve ?? 'unknown';
    return { algorithm: 'ec', curve: CURVE_NAMES[curve] ?? curve };
  }
  throw new WeakKeyError(`keys of type ${String(key.asymmetricKeyType)} are not supported`);
}

/** Human-readable key summary, e.g. `RSA 2048` or `ECDSA P-256`. */
export function formatKeyDescription(d: KeyDescription): string {
  return d.algorithm === 'rsa' ? `RSA ${d.bits}` : `ECDSA ${d.curve}`;
}

/**
 * Enforces the key policy: RSA with 2048 to 8192 bits and public exponent 65537, or ECDSA on
 * P-256 or P-384.
 * @throws {WeakKeyError} `ERR_PKI_WEAK_KEY` otherwise.
 */
export function checkKeyPolicy(key: KeyObject): KeyDescription {
  const d = describeKey(key);
  if (d.algorithm === 'rsa') {
    if (d.bits < MIN_RSA_BITS) throw new WeakKeyError(`RSA key of ${d.bits} bits is refused: at least ${MIN_RSA_BITS}`);
    if (d.bits > MAX_RSA_BITS) throw new WeakKeyError(`RSA key of ${d.bits} bits is refused: at most ${MAX_RSA_BITS}`);
    if (d.publicExponent !== 65537n) {
      throw new WeakKeyError(`RSA public exponent ${d.publicExponent} is refused: only 65537 is accepted`);
    }
  } else if (!ACCEPTED_CURVES.has(d.curve)) {
    throw new WeakKeyError(`EC curve ${d.curve} is refused: use P-256 or P-384`);
  }
  return d;
}

/** DER SubjectPublicKeyInfo of a public key, or of a private key's public half. */
export function publicKeyDer(key: KeyObject): Uint8Array {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  return new Uint8Array(pub.export({ type: 'spki', format: 'der' }));
}

/**
 * Lower-case hex SHA-1 of the DER SubjectPublicKeyInfo: the `publicKeyHash` that ssl_api-style
 * hooks receive. SHA-1 is used as an identifier here, not for security.
 * @param key - a key, or the DER SubjectPublicKeyInfo itself (saves an export when at hand).
 */
export function publicKeySha1Hex(key: KeyObject | Uint8Array): string {
  return createHash('sha1')
    .update(key instanceof Uint8Array ? key : publicKeyDer(key))
    .digest('hex');
}

/** Whether a private key and a public key belong together. */
export function keysMatch(privateKey: KeyObject, publicKey: KeyObject): boolean {
  return Buffer.from(publicKeyDer(privateKey)).equals(Buffer.from(publicKeyDer(publicKey)));
}
