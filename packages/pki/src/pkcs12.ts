/**
 * PKCS#12 export (RFC 7292): a private key, its certificate and the issuing chain in one
 * passphrase-protected PFX, the file Windows, macOS, Java and OpenSSL import as a bundle.
 * The layout follows what OpenSSL 3 writes by default (PBES2 with PBKDF2-HMAC-SHA256 and
 * AES-256-CBC for both the key and the certificates, an HMAC-SHA-256 integrity MAC), because
 * that is the combination current importers are known to accept.
 */
import { createCipheriv, createHash, createHmac, KeyObject, pbkdf2Sync, randomBytes, X509Certificate } from 'node:crypto';
import { ContentInfo, EncryptedContent, EncryptedContentInfo, id_data, id_encryptedData } from '@peculiar/asn1-cms';
import {
  AuthenticatedSafe,
  CertBag,
  id_certBag,
  id_pkcs8ShroudedKeyBag,
  id_x509Certificate,
  MacData,
  PFX,
  PKCS8ShroudedKeyBag,
  PKCS12Attribute,
  SafeBag,
  SafeContents,
} from '@peculiar/asn1-pfx';
import { FriendlyName, id_pkcs9_at_friendlyName, id_pkcs9_at_localKeyId, LocalKeyId } from '@peculiar/asn1-pkcs9';
import { DigestInfo } from '@peculiar/asn1-rsa';
import { AsnConvert, AsnProp, AsnPropTypes, OctetString } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import { validateDer } from './codec/der.js';
import { derivePkcs12Key, encodeBmpPassword } from './codec/pkcs12-kdf.js';
import { DerError, KeyMismatchError, UnsupportedAlgorithmError } from './errors.js';

/** Default iteration count for PBKDF2 and for the MAC's PKCS#12 KDF. */
export const DEFAULT_PKCS12_ITERATIONS = 100_000;

/** RFC 8018 §4.2 asks for at least 1,000 iterations. */
const MIN_ITERATIONS = 1_000;

/**
 * Upper bound on iterations. The MAC key derivation runs in JavaScript (about 3 µs per
 * iteration), so this keeps one call under half a minute.
 */
const MAX_ITERATIONS = 10_000_000;

/** PKCS#9 `pkcs-9-ub-friendlyName` (RFC 2985 appendix A): the longest friendlyName. */
const MAX_FRIENDLY_NAME_LENGTH = 255;

const OID_PBES2 = '1.2.840.113549.1.5.13';
const OID_PBKDF2 = '1.2.840.113549.1.5.12';
const OID_HMAC_WITH_SHA256 = '1.2.840.113549.2.9';
const OID_AES256_CBC = '2.16.840.1.101.3.4.1.42';
const OID_SHA256 = '2.16.840.1.101.3.4.2.1';

/** The DER encoding of NULL, written as the parameters of hash and HMAC algorithm identifiers. */
const DER_NULL = new Uint8Array([0x05, 0x00]);

/** Salt length for PBKDF2 and the MAC, in bytes (NIST SP 800-132 §5.1 asks for at least 16). */
const SALT_BYTES = 16;

/** Options of {@link createPkcs12}. */
export interface CreatePkcs12Options {
  /** The private key (node:crypto KeyObject, RSA or EC). */
  privateKey: KeyObject;
  /** The end-entity certificate, DER. */
  certificate: Uint8Array;
  /** Further certificates (issuers), DER, leaf-first order after the certificate. Default none. */
  chain?: readonly Uint8Array[];
  /** Passphrase protecting both the key bag and the MAC. Required, non-empty. */
  passphrase: string;
  /**
   * friendlyName attribute (a BMPString of 1 to 255 BMP characters) on the key bag and the
   * end-entity certificate bag; importers show it as the entry's name. Default none.
   */
  friendlyName?: string;
  /**
   * Iteration count used three times: PBKDF2 for the key bag, PBKDF2 for the certificate bag,
   * and the PKCS#12 KDF deriving the MAC key. An integer from 1,000 to 10,000,000.
   * Default {@link DEFAULT_PKCS12_ITERATIONS} (100,000): far above OpenSSL's 2,048, yet modest
   * next to the caps importers put on iteration counts to resist crafted files (.NET's
   * Pkcs12LoaderLimits, BouncyCastle's max_it_count); check the target importer before raising it.
   */
  iterations?: number;
}

/**
 * Builds a PKCS#12 PFX (RFC 7292 §4) holding `privateKey`, `certificate` and `chain`.
 *
 * The result is a version 3 PFX in password integrity mode: the authSafe is a `data`
 * ContentInfo whose AuthenticatedSafe holds an `encryptedData` SafeContents with one certBag
 * per certificate (leaf first) and a `data` SafeContents with one pkcs8ShroudedKeyBag. Both
 * are encrypted with PBES2 (PBKDF2-HMAC-SHA256, AES-256-CBC, fresh 16-byte salt and IV each),
 * and the MacData is HMAC-SHA-256 keyed by the RFC 7292 appendix B KDF. The key bag and the
 * leaf certificate bag carry the same localKeyId, the SHA-1 of the leaf certificate, so
 * importers pair them; the chain certificates carry no attributes.
 *
 * @param options - the key, certificates, passphrase and encoding choices.
 * @returns the DER-encoded PFX.
 * @throws {TypeError} when an option has the wrong type, the passphrase is empty or holds an
 *   unpaired surrogate, the friendlyName is empty, too long or outside the BMP, or the
 *   iteration count is out of range.
 * @throws {UnsupportedAlgorithmError} `ERR_PKI_UNSUPPORTED_ALGORITHM` when the key is neither
 *   RSA nor EC.
 * @throws {DerError} `ERR_PKI_DER` when a certificate is not strict DER or not a certificate.
 * @throws {InputTooLargeError} `ERR_PKI_INPUT_TOO_LARGE` when a certificate exceeds 64 KiB.
 * @throws {KeyMismatchError} `ERR_PKI_KEY_MISMATCH` when the private key does not belong to
 *   the certificate's public key.
 * @example
 * const p12 = createPkcs12({
 *   privateKey: createPrivateKey(keyPem),
 *   certificate: leafDer,
 *   chain: [intermediateDer],
 *   passphrase,
 *   friendlyName: 'build signing key',
 * });
 */
export function createPkcs12(options: CreatePkcs12Options): Uint8Array {
  const { privateKey, certificate, passphrase, friendlyName } = checkOptions(options);
  const chain = options.chain ?? [];
  const iterations = options.iterations ?? DEFAULT_PKCS12_ITERATIONS;

  const leaf = parseCertificate(certificate, 'certificate');
  for (const [index, der] of chain.entries()) parseCertificate(der, `chain[${index}]`);
  if (!leaf.checkPrivateKey(privateKey)) {
    throw new KeyMismatchError('the private key does not match the public key of the certificate');
  }

  // The localKeyId only has to be equal on both bags; SHA-1 of the certificate is what
  // OpenSSL writes, and it is an identifier here, not a security property.
  const localKeyId = createHash('sha1').update(certificate).digest();
  const leafAttributes = bagAttributes(localKeyId, friendlyName);

  const certBags = [certificate, ...chain].map(
    (der, index) =>
      new SafeBag({
        bagId: id_certBag,
        bagValue: AsnConvert.serialize(new CertBag({ certId: id_x509Certificate, certValue: AsnConvert.serialize(new OctetString(der)) })),
        bagAttributes: index === 0 ? leafAttributes : undefined,
      }),
  );
  const keyBag = new SafeBag({
    bagId: id_pkcs8ShroudedKeyBag,
    bagValue: AsnConvert.serialize(shroudKey(privateKey, passphrase, iterations)),
    bagAttributes: leafAttributes,
  });

  // OpenSSL's order: certificates first, then the key. Certificates are encrypted too, as
  // OpenSSL 3 does by default, so the file does not reveal whose key it holds.
  const authenticatedSafe = AsnConvert.serialize(
    new AuthenticatedSafe([
      encryptedDataContentInfo(AsnConvert.serialize(new SafeContents(certBags)), passphrase, iterations),
      dataContentInfo(AsnConvert.serialize(new SafeContents([keyBag]))),
    ]),
  );

  const pfx = new PFX({
    version: 3,
    authSafe: dataContentInfo(authenticatedSafe),
    macData: macData(authenticatedSafe, passphrase, iterations),
  });
  return new Uint8Array(AsnConvert.serialize(pfx));
}

interface CheckedOptions {
  privateKey: KeyObject;
  certificate: Uint8Array;
  passphrase: string;
  friendlyName: string | undefined;
}

/** Caller misuse is a TypeError; messages name the option, never its value. */
function checkOptions(options: CreatePkcs12Options): CheckedOptions {
  if (typeof options !== 'object' || options === null) throw new TypeError('options must be an object');
  const { privateKey, certificate, chain, passphrase, friendlyName, iterations } = options;
  if (!(privateKey instanceof KeyObject) || privateKey.type !== 'private') {
    throw new TypeError('privateKey must be a private KeyObject');
  }
  const keyType = privateKey.asymmetricKeyType;
  if (keyType !== 'rsa' && keyType !== 'ec') {
    throw new UnsupportedAlgorithmError(`PKCS#12 export supports RSA and EC keys, not ${keyType ?? 'unknown'}`);
  }
  if (!(certificate instanceof Uint8Array)) throw new TypeError('certificate must be a Uint8Array of DER');
  if (chain !== undefined) {
    if (!Array.isArray(chain)) throw new TypeError('chain must be an array of Uint8Array');
    for (const der of chain) if (!(der instanceof Uint8Array)) throw new TypeError('chain must hold only Uint8Array');
  }
  if (typeof passphrase !== 'string' || passphrase.length === 0) {
    throw new TypeError('passphrase must be a non-empty string');
  }
  // The MAC sees the passphrase as UTF-16 and PBES2 as UTF-8; a lone surrogate has no UTF-8
  // form, so the two would silently disagree.
  if (/\p{Cs}/u.test(passphrase)) throw new TypeError('passphrase contains an unpaired UTF-16 surrogate');
  if (friendlyName !== undefined) {
    if (typeof friendlyName !== 'string' || friendlyName.length === 0) {
      throw new TypeError('friendlyName must be a non-empty string');
    }
    if (friendlyName.length > MAX_FRIENDLY_NAME_LENGTH) {
      throw new TypeError(`friendlyName must be at most ${MAX_FRIENDLY_NAME_LENGTH} characters`);
    }
    // BMPString is UCS-2: a surrogate pair would be two unrelated code points to a reader.
    if (/[\uD800-\uDFFF]/.test(friendlyName)) {
      throw new TypeError('friendlyName must hold only Basic Multilingual Plane characters');
    }
  }
  if (iterations !== undefined && (!Number.isSafeInteger(iterations) || iterations < MIN_ITERATIONS || iterations > MAX_ITERATIONS)) {
    throw new TypeError(`iterations must be an integer from ${MIN_ITERATIONS} to ${MAX_ITERATIONS}`);
  }
  return { privateKey, certificate, passphrase, friendlyName };
}

/** Strict DER first, so BER or trailing bytes fail here rather than in a lenient parser. */
function parseCertificate(der: Uint8Array, what: string): X509Certificate {
  validateDer(der, what);
  try {
    return new X509Certificate(der);
  } catch (err) {
    throw new DerError(`${what}: not an X.509 certificate`, { cause: err });
  }
}

/**
 * RFC 7292 §4.2 bag attributes. DER orders a SET OF by the encodings of its elements
 * (X.690 §11.6), and the schema serializer keeps array order, so they are sorted here.
 */
function bagAttributes(localKeyId: Uint8Array, friendlyName: string | undefined): PKCS12Attribute[] {
  const attributes = [attribute(id_pkcs9_at_localKeyId, AsnConvert.serialize(new LocalKeyId(localKeyId)))];
  if (friendlyName !== undefined) {
    attributes.push(attribute(id_pkcs9_at_friendlyName, AsnConvert.serialize(new FriendlyName(friendlyName))));
  }
  return attributes
    .map((attribute) => ({ attribute, der: Buffer.from(AsnConvert.serialize(attribute)) }))
    .sort((a, b) => Buffer.compare(a.der, b.der))
    .map(({ attribute }) => attribute);
}

/** One single-valued PKCS12Attribute. */
function attribute(attrId: string, value: ArrayBuffer): PKCS12Attribute {
  // Assigned after construction: the PKCS12Attribute constructor of @peculiar/asn1-pfx 2.11
  // drops its params (`Object.assign(params)` without `this`).
  const result = new PKCS12Attribute();
  result.attrId = attrId;
  result.attrValues = [value];
  return result;
}

/**
 * RFC 7292 §4.2.2 pkcs8ShroudedKeyBag: the PKCS#8 key encrypted with PBES2. Node's own
 * encrypted export is not used because it fixes PBKDF2 at 2,048 iterations.
 */
function shroudKey(privateKey: KeyObject, passphrase: string, iterations: number): PKCS8ShroudedKeyBag {
  const plain = privateKey.export({ type: 'pkcs8', format: 'der' });
  try {
    const { algorithm, ciphertext } = pbes2Encrypt(plain, passphrase, iterations);
    return new PKCS8ShroudedKeyBag({ encryptionAlgorithm: algorithm, encryptedData: new OctetString(ciphertext) });
  } finally {
    plain.fill(0);
  }
}

/** RFC 7292 §4.1: a `data` ContentInfo, whose content is an OCTET STRING of the DER. */
function dataContentInfo(der: ArrayBuffer): ContentInfo {
  return new ContentInfo({ contentType: id_data, content: AsnConvert.serialize(new OctetString(der)) });
}

/** RFC 7292 §4.1: an `encryptedData` ContentInfo (RFC 5652 §8) around a SafeContents. */
function encryptedDataContentInfo(safeContents: ArrayBuffer, passphrase: string, iterations: number): ContentInfo {
  const { algorithm, ciphertext } = pbes2Encrypt(new Uint8Array(safeContents), passphrase, iterations);
  const encryptedData = new CmsEncryptedData({
    encryptedContentInfo: new EncryptedContentInfo({
      contentType: id_data,
      contentEncryptionAlgorithm: algorithm,
      encryptedContent: new EncryptedContent({ value: new OctetString(ciphertext) }),
    }),
  });
  return new ContentInfo({ contentType: id_encryptedData, content: AsnConvert.serialize(encryptedData) });
}

/**
 * PBES2 encryption, RFC 8018 §6.2, with PBKDF2-HMAC-SHA256 and AES-256-CBC. The passphrase
 * enters PBKDF2 as UTF-8, which is what OpenSSL does inside PKCS#12 for PBES2.
 */
function pbes2Encrypt(plaintext: Uint8Array, passphrase: string, iterations: number): { algorithm: AlgorithmIdentifier; ciphertext: Uint8Array } {
  const salt = randomBytes(SALT_BYTES);
  const iv = randomBytes(16);
  const key = pbkdf2Sync(passphrase, salt, iterations, 32, 'sha256');
  let ciphertext: Buffer;
  try {
    const cipher = createCipheriv('aes-256-cbc', key, iv);
    ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  } finally {
    key.fill(0);
  }
  const kdf = new AlgorithmIdentifier({
    algorithm: OID_PBKDF2,
    parameters: AsnConvert.serialize(
      new Pbkdf2Params({
        salt: new OctetString(salt),
        iterationCount: iterations,
        prf: new AlgorithmIdentifier({ algorithm: OID_HMAC_WITH_SHA256, parameters: bytes(DER_NULL) }),
      }),
    ),
  });
  const scheme = new AlgorithmIdentifier({
    algorithm: OID_AES256_CBC,
    parameters: AsnConvert.serialize(new OctetString(iv)),
  });
  const algorithm = new AlgorithmIdentifier({
    algorithm: OID_PBES2,
    parameters: AsnConvert.serialize(new Pbes2Params({ keyDerivationFunc: kdf, encryptionScheme: scheme })),
  });
  return { algorithm, ciphertext };
}

/**
 * RFC 7292 §5.1 password integrity: HMAC over the authSafe content octets, keyed by the
 * appendix B.2 KDF (ID 3) with the BMPString passphrase. HMAC-SHA-256 rather than the
 * RFC's SHA-1 example, with the MAC key as long as the hash, as OpenSSL `-macalg sha256` does.
 */
function macData(authenticatedSafe: ArrayBuffer, passphrase: string, iterations: number): MacData {
  const salt = randomBytes(SALT_BYTES);
  const password = encodeBmpPassword(passphrase);
  const key = derivePkcs12Key(password, salt, { purpose: 'mac-key', iterations, length: 32, hash: 'sha256' });
  let mac: Buffer;
  try {
    mac = createHmac('sha256', key).update(new Uint8Array(authenticatedSafe)).digest();
  } finally {
    password.fill(0);
    key.fill(0);
  }
  return new MacData({
    mac: new DigestInfo({
      digestAlgorithm: new AlgorithmIdentifier({ algorithm: OID_SHA256, parameters: bytes(DER_NULL) }),
      digest: new OctetString(mac),
    }),
    macSalt: new OctetString(salt),
    iterations,
  });
}

/** A fresh ArrayBuffer copy, the form the schema classes take for raw DER. */
function bytes(view: Uint8Array): ArrayBuffer {
  return view.slice().buffer;
}

/**
 * RFC 8018 appendix A.2 PBKDF2-params with a specified salt. keyLength is left out because
 * AES-256 fixes it; prf is always written since HMAC-SHA256 is not the DEFAULT.
 */
class Pbkdf2Params {
  @AsnProp({ type: OctetString })
  salt = new OctetString();

  @AsnProp({ type: AsnPropTypes.Integer })
  iterationCount = 0;

  @AsnProp({ type: AlgorithmIdentifier })
  prf = new AlgorithmIdentifier();

  constructor(params: Partial<Pbkdf2Params> = {}) {
    Object.assign(this, params);
  }
}

/** RFC 8018 appendix A.4 PBES2-params. */
class Pbes2Params {
  @AsnProp({ type: AlgorithmIdentifier })
  keyDerivationFunc = new AlgorithmIdentifier();

  @AsnProp({ type: AlgorithmIdentifier })
  encryptionScheme = new AlgorithmIdentifier();

  constructor(params: Partial<Pbes2Params> = {}) {
    Object.assign(this, params);
  }
}

/**
 * RFC 5652 §8 EncryptedData without unprotectedAttrs, hence version 0. Neither
 * `@peculiar/asn1-cms` nor `@peculiar/asn1-pfx` define it.
 */
class CmsEncryptedData {
  @AsnProp({ type: AsnPropTypes.Integer })
  version = 0;

  @AsnProp({ type: EncryptedContentInfo })
  encryptedContentInfo = new EncryptedContentInfo();

  constructor(params: Partial<CmsEncryptedData> = {}) {
    Object.assign(this, params);
  }
}
