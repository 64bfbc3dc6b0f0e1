/**
 * X.509 v3 certificates (RFC 5280 §4): issuing leaf certificates from a parsed request,
 * self-signed CA certificates, and a parser that returns a typed view keeping the raw bytes that
 * signatures and issuer matching need.
 *
 * Issuance is the CA's hot path, so the TBSCertificate is written with the small DER writer in
 * `codec/der-writer.ts` (a few microseconds) instead of an ASN.1 schema serialiser, constant
 * pieces (algorithm identifiers, basicConstraints, keyUsage, EKU, the issuer's AKI) are cached,
 * and the only expensive step left is the signature itself.
 */
import { createHash, type KeyObject, randomBytes, sign } from 'node:crypto';
import { isIP } from 'node:net';
import { AlgorithmIdentifier, Name } from '@peculiar/asn1-x509';
import { type SignatureAlgorithm, signatureAlgorithmForKey, signatureAlgorithmFromIdentifier } from './algorithms.js';
import { parseAsn1 } from './codec/asn1.js';
import { type DerElement, readChildren, readElement, validateDer } from './codec/der.js';
import {
  bitString,
  bool,
  constructed,
  contextConstructed,
  contextPrimitive,
  explicit,
  ia5,
  int,
  namedBits,
  nullDer,
  octets,
  oid,
  oidToString,
  seq,
  set,
  TAG,
  tlv,
  utcOrGeneralizedTime,
} from './codec/der-writer.js';
import { decodePem, decodePemAll, encodePem } from './codec/pem.js';
import { importSpki } from './codec/spki.js';
import type { CertificateRequest } from './csr.js';
import { requestedNames } from './csr.js';
import { CaRequestedError, DerError, InvalidNameError, KeyMismatchError, PkiError } from './errors.js';
import { sha256Hex } from './fingerprint.js';
import { checkKeyPolicy, keysMatch, publicKeyDer } from './keys.js';
import { checkNameAttribute, type DistinguishedName, decodeName, encodeName, NAME_ATTRIBUTE_TYPES } from './name.js';
import {
  countNames,
  isSubsetOf,
  normalizeDnsName,
  normalizeEmailAddress,
  normalizeIpAddress,
  normalizeSubjectAltNames,
  type SubjectAltNames,
} from './san.js';
import { OID_AUTHORITY_KEY_IDENTIFIER, OID_BASIC_CONSTRAINTS, OID_CRL_DISTRIBUTION_POINTS, OID_EXT_KEY_USAGE, OID_KEY_USAGE, OID_SUBJECT_ALT_NAME, OID_SUBJECT_KEY_IDENTIFIER } from './oids.js';

/** KeyUsage bits (RFC 5280 §4.2.1.3) this package sets and reports. */
export type KeyUsageName =
  | 'digitalSignature'
  | 'nonRepudiation'
  | 'keyEncipherment'
  | 'dataEncipherment'
  | 'keyAgreement'
  | 'keyCertSign'
  | 'cRLSign';

/** Extended key usages (RFC 5280 §4.2.1.12) a profile may ask for. */
export type ExtendedKeyUsageName = 'serverAuth' | 'clientAuth' | 'emailProtection' | 'codeSigning';

/** One extension as it sits in a certificate (RFC 5280 §4.1.2.9). */
export interface RawExtension {
  /** Dotted OID of `extnID`. */
  readonly oid: string;
  readonly critical: boolean;
  /** DER of the `extnValue` OCTET STRING's contents (the extension's own structure). */
  readonly value: Uint8Array;
}

/** What the CA decided to put into a leaf certificate. */
export interface CertificateProfile {
  /** Start of validity; milliseconds are dropped. */
  readonly notBefore: Date;
  /** End of validity (inclusive, RFC 5280 §4.1.2.5); not after the issuer's. Milliseconds are dropped. */
  readonly notAfter: Date;
  /**
   * Names the certificate carries: non-empty, and a subset of `requestedNames(request)`. A CA may
   * drop names the requester asked for, never add one.
   */
  readonly subjectAltNames: Partial<SubjectAltNames>;
  /** KeyUsage bits. Default: RSA keys `digitalSignature, keyEncipherment`; EC keys `digitalSignature`. */
  readonly keyUsage?: readonly KeyUsageName[];
  /**
   * Extended key usages. Default: `serverAuth, clientAuth` when there is any DNS name or IP
   * address, `emailProtection, clientAuth` when there are only email addresses.
   */
  readonly extendedKeyUsage?: readonly ExtendedKeyUsageName[];
  /** CRL distribution point URIs (http, https or ldap). Default: no extension. */
  readonly crlDistributionPoints?: readonly string[];
  /**
   * Extensions added by CA hooks, written after ours. Refused: an OID this function already
   * writes, the same OID twice, and basicConstraints with cA=TRUE.
   */
  readonly extraExtensions?: readonly RawExtension[];
}

/**
 * A CA certificate with its private key. The key check and the authorityKeyIdentifier are
 * cached per certificate object and key object: keep one Issuer (or at least one parsed
 * Certificate and one KeyObject) for the CA's lifetime rather than re-parsing per request.
 */
export interface Issuer {
  readonly certificate: Certificate;
  readonly privateKey: KeyObject;
}

/** Options of {@link issueCertificate}. */
export interface IssueOptions {
  /** The request, as returned by `parseCsr` (signature and key policy already checked). */
  readonly request: CertificateRequest;
  readonly issuer: Issuer;
  /**
   * The INTEGER content octets of the serial number: positive, 1 to 20 octets, minimal (a
   * leading 0x00 only before an octet with its top bit set). See {@link generateSerialNumber}.
   */
  readonly serialNumber: Uint8Array;
  readonly profile: CertificateProfile;
}

/** A DER certificate and its PEM text. */
export interface EncodedCertificate {
  readonly der: Uint8Array;
  readonly pem: string;
}

/** What {@link issueCertificate} signed: the encodings plus the fields a CA records. */
export interface IssuedCertificateInfo extends EncodedCertificate {
  /** The subject as issued (CN and emailAddress kept only when approved). */
  readonly subject: DistinguishedName;
  /** The names the certificate carries, normalised. */
  readonly subjectAltNames: SubjectAltNames;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** Lower-case hex SHA-256 of the DER certificate. */
  readonly fingerprintSha256: string;
}

/** The typed view of a certificate returned by {@link parseCertificate}. */
export interface Certificate extends EncodedCertificate {
  /** 1 or 3 in practice (RFC 5280 §4.1.2.1); extensions only appear in v3. */
  readonly version: 1 | 2 | 3;
  /** Lower-case hex of the serial number's INTEGER content octets, exactly as encoded. */
  readonly serialNumberHex: string;
  readonly subject: DistinguishedName;
  /** DER of the subject Name exactly as received: what issued certificates copy as their issuer. */
  readonly subjectDer: Uint8Array;
  readonly issuer: DistinguishedName;
  /** DER of the issuer Name exactly as received. */
  readonly issuerDer: Uint8Array;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /**
   * The dNSName, rfc822Name and iPAddress entries of subjectAltName (DNS names and email domains
   * lower-cased, IP addresses in canonical text). Other GeneralName forms stay in `extensions`.
   */
  readonly subjectAltNames: SubjectAltNames;
  readonly publicKey: KeyObject;
  /** DER SubjectPublicKeyInfo exactly as received. */
  readonly publicKeyDer: Uint8Array;
  /** basicConstraints cA. */
  readonly isCa: boolean;
  /** basicConstraints pathLenConstraint, when present. */
  readonly pathLength?: number;
  /** Asserted KeyUsage bits; empty when the extension is absent (see `extensions`). */
  readonly keyUsage: readonly KeyUsageName[];
  /** Extended key usages by name where known, else dotted OIDs. */
  readonly extendedKeyUsage: readonly string[];
  /** Lower-case hex subjectKeyIdentifier. */
  readonly subjectKeyIdentifier?: string;
  /** Lower-case hex keyIdentifier of authorityKeyIdentifier. */
  readonly authorityKeyIdentifier?: string;
  /** URIs of the CRL distribution points' full names. */
  readonly crlDistributionPoints: readonly string[];
  /** Every extension, in order, including ones this view does not interpret. */
  readonly extensions: readonly RawExtension[];
  /** Dotted OID of the signature algorithm. */
  readonly signatureAlgorithmOid: string;
  /**
   * The signature algorithm, when it is one this package verifies. Absent for refused (MD5,
   * SHA-1) and unsupported algorithms: such certificates parse, but never verify.
   */
  readonly signatureAlgorithm?: SignatureAlgorithm;
  /** DER of the TBSCertificate exactly as received: what the signature covers. */
  readonly tbsDer: Uint8Array;
  /** The signature value (BIT STRING contents after the unused-bits octet). */
  readonly signature: Uint8Array;
  /** Lower-case hex SHA-256 of `der`. */
  readonly fingerprintSha256: string;
}


/** The extensions {@link issueCertificate} always or optionally writes; hooks may not repeat them. */
const OWN_EXTENSIONS: ReadonlySet<string> = new Set([
  OID_SUBJECT_KEY_IDENTIFIER,
  OID_KEY_USAGE,
  OID_SUBJECT_ALT_NAME,
  OID_BASIC_CONSTRAINTS,
  OID_CRL_DISTRIBUTION_POINTS,
  OID_AUTHORITY_KEY_IDENTIFIER,
  OID_EXT_KEY_USAGE,
]);

/** KeyUsage bit positions, RFC 5280 §4.2.1.3. */
const KEY_USAGE_BITS: Readonly<Record<KeyUsageName, number>> = {
  digitalSignature: 0,
  nonRepudiation: 1,
  keyEncipherment: 2,
  dataEncipherment: 3,
  keyAgreement: 4,
  keyCertSign: 5,
  cRLSign: 6,
};
const KEY_USAGE_NAMES = Object.keys(KEY_USAGE_BITS) as KeyUsageName[];

/** KeyPurposeId OIDs, RFC 5280 §4.2.1.12. */
const EKU_OIDS: Readonly<Record<ExtendedKeyUsageName, string>> = {
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
  codeSigning: '1.3.6.1.5.5.7.3.3',
  emailProtection: '1.3.6.1.5.5.7.3.4',
};
const EKU_NAME_BY_OID: ReadonlyMap<string, string> = new Map(Object.entries(EKU_OIDS).map(([n, o]) => [o, n]));

/** RFC 5280 §4.1.2.2: serial numbers are at most 20 octets. */
const MAX_SERIAL_OCTETS = 20;

/** RFC 5280 §4.1.2.1: v3 is INTEGER 2 in an explicit [0]. */
const VERSION_V3 = explicit(0, int(2));

/** Memoised encodings keyed by their inputs; bounded by the small sets of names they take. */
const algorithmIdentifierCache = new Map<string, Uint8Array>();
const keyUsageCache = new Map<string, Uint8Array>();
const ekuCache = new Map<string, Uint8Array>();
const crlDpCache = new Map<string, Uint8Array>();
const CACHE_LIMIT = 64;

function memo(cache: Map<string, Uint8Array>, key: string, make: () => Uint8Array): Uint8Array {
  const hit = cache.get(key);
  if (hit) return hit;
  const value = make();
  if (cache.size < CACHE_LIMIT) cache.set(key, value);
  return value;
}

/** Extension ::= SEQUENCE { extnID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING } (§4.1). */
function extension(extnId: string, critical: boolean, value: Uint8Array): Uint8Array {
  return critical ? seq(oid(extnId), bool(true), octets(value)) : seq(oid(extnId), octets(value));
}

/** DER AlgorithmIdentifier of `alg`: NULL parameters for RSA (RFC 4055 §5), none for ECDSA (RFC 5758 §3.2). */
function algorithmIdentifierDer(alg: SignatureAlgorithm): Uint8Array {
  return memo(algorithmIdentifierCache, alg.oid, () =>
    alg.keyType === 'rsa' ? seq(oid(alg.oid), nullDer) : seq(oid(alg.oid)),
  );
}

/**
 * A fresh random serial number for {@link IssueOptions.serialNumber}: 16 octets from the CSPRNG
 * with the top bit cleared (positive, minimal), well above the 64 bits of entropy the CA/Browser
 * Forum baseline requirements ask for (RFC 5280 §4.1.2.2 caps serials at 20 octets).
 * @example
 * issueCertificate({ request, issuer, serialNumber: generateSerialNumber(), profile });
 */
export function generateSerialNumber(): Uint8Array {
  const serial = new Uint8Array(randomBytes(16));
  serial[0] = (serial[0] as number) & 0x7f || 0x01;
  return serial;
}

/**
 * RFC 5280 §4.1.2.2: a positive INTEGER of at most 20 content octets, in minimal form.
 * @throws {TypeError} otherwise.
 */
function checkSerialNumber(serial: Uint8Array): void {
  if (!(serial instanceof Uint8Array)) throw new TypeError('serialNumber must be a Uint8Array');
  if (serial.length === 0 || serial.length > MAX_SERIAL_OCTETS) {
    throw new TypeError(`serialNumber must be 1 to ${MAX_SERIAL_OCTETS} octets, got ${serial.length}`);
  }
  const first = serial[0] as number;
  if (first & 0x80) throw new TypeError('serialNumber must be positive (top bit of the first octet clear)');
  if (first === 0 && (serial.length === 1 || ((serial[1] as number) & 0x80) === 0)) {
    throw new TypeError('serialNumber must be positive and in minimal form (no redundant leading zero octet)');
  }
}

/** Whole-second validity with notBefore < notAfter (§4.1.2.5; DER times carry no fractions). */
function checkValidity(notBefore: Date, notAfter: Date): { notBefore: Date; notAfter: Date } {
  if (!(notBefore instanceof Date) || Number.isNaN(notBefore.getTime())) throw new TypeError('notBefore is not a valid Date');
  if (!(notAfter instanceof Date) || Number.isNaN(notAfter.getTime())) throw new TypeError('notAfter is not a valid Date');
  const from = new Date(Math.floor(notBefore.getTime() / 1000) * 1000);
  const until = new Date(Math.floor(notAfter.getTime() / 1000) * 1000);
  if (from.getTime() >= until.getTime()) throw new TypeError('notBefore must be earlier than notAfter');
  return { notBefore: from, notAfter: until };
}

/**
 * Encodes a distinguished name, one attribute per RDN in the given order, with the string types
 * `encodeName` picks (name.ts), through the fast DER writer. Attributes name.ts does not know,
 * which `decodeName` reports by dotted OID, are carried over: `#hex` values as the raw DER they
 * stand for (RFC 4514 §2.4), other values as UTF8String.
 * @throws {InvalidNameError} `ERR_PKI_INVALID_NAME`, {@link CommonNameTooLongError} `ERR_PKI_CN_TOO_LONG`.
 */
function encodeNameDer(dn: DistinguishedName): Uint8Array {
  const rdns: Uint8Array[] = [];
  for (const attr of dn) {
    const known = attributeEncoding(attr.type);
    let value: Uint8Array;
    if (known) {
      checkNameAttribute(attr);
      value =
        known.stringTag === TAG.UTF8_STRING
          ? tlv(TAG.UTF8_STRING, Buffer.from(attr.value, 'utf8'))
          : tlv(known.stringTag, Buffer.from(attr.value, 'latin1')); // checked ASCII above
    } else if (/^[0-2](\.(0|[1-9][0-9]*))+$/.test(attr.type)) {
      value = unknownAttributeValue(attr.type, attr.value);
    } else {
      checkNameAttribute(attr); // throws the precise InvalidNameError for the unknown type
      throw new InvalidNameError(`unknown name attribute type ${JSON.stringify(attr.type)}`);
    }
    rdns.push(set(seq(known?.oid ?? oid(attr.type), value)));
  }
  return constructed(TAG.SEQUENCE, rdns);
}

/** OID and string type of each attribute type name.ts knows, learnt once from `encodeName`. */
const attributeEncodings = new Map<string, { oid: Uint8Array; stringTag: number }>();

function attributeEncoding(type: string): { oid: Uint8Array; stringTag: number } | undefined {
  const hit = attributeEncodings.get(type);
  if (hit || !NAME_ATTRIBUTE_TYPES.includes(type)) return hit;
  // name.ts decides OID and string type by attribute type alone; ask it once with a value that
  // every type's checks accept, so that the two encoders cannot drift apart.
  const atv = encodeName([{ type, value: 'AA' }])[0]?.[0];
  if (!atv) return undefined;
  const stringTag =
    atv.value.printableString !== undefined
      ? TAG.PRINTABLE_STRING
      : atv.value.ia5String !== undefined
        ? TAG.IA5_STRING
        : TAG.UTF8_STRING;
  const encoding = { oid: oid(atv.type), stringTag };
  attributeEncodings.set(type, encoding);
  return encoding;
}

function unknownAttributeValue(type: string, value: string): Uint8Array {
  if (typeof value !== 'string' || value.length === 0) throw new InvalidNameError(`${type} must not be empty`);
  if (value.startsWith('#') && /^#([0-9a-fA-F]{2})+$/.test(value)) {
    const raw = new Uint8Array(Buffer.from(value.slice(1), 'hex'));
    try {
      validateDer(raw, `name attribute ${type}`);
    } catch (err) {
      throw new InvalidNameError(`${type} has a #hex value that is not one DER element`, { cause: err });
    }
    return raw;
  }
  if (/[\u0000-\u001f\u007f]/.test(value)) throw new InvalidNameError(`${type} contains control characters`);
  return tlv(TAG.UTF8_STRING, Buffer.from(value, 'utf8'));
}

/** IP address text (as normalised by san.ts) to its 4 or 16 iPAddress octets (§4.2.1.6). */
function ipOctets(ip: string): Uint8Array {
  const version = isIP(ip);
  if (version === 4) return Uint8Array.from(ip.split('.').map(Number));
  if (version !== 6 || ip.includes('.')) throw new InvalidNameError(`${JSON.stringify(ip)} is not a normalised IP address`);
  const [head = '', tail] = ip.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = tail === undefined ? left : [...left, ...new Array(8 - left.length - right.length).fill('0'), ...right];
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    const n = Number.parseInt(g, 16);
    out[2 * i] = n >> 8;
    out[2 * i + 1] = n & 0xff;
  });
  return out;
}

/** GeneralNames (§4.2.1.6): dNSName [2], rfc822Name [1], iPAddress [7], in that order. */
function generalNamesDer(names: SubjectAltNames): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const n of names.dns) parts.push(implicitIa5(2, n));
  for (const n of names.email) parts.push(implicitIa5(1, n));
  for (const n of names.ip) parts.push(contextPrimitive(7, ipOctets(n)));
  return constructed(TAG.SEQUENCE, parts);
}

function implicitIa5(tagNo: number, text: string): Uint8Array {
  const content = ia5(text);
  content[0] = 0x80 | tagNo; // ia5() returns a fresh array: retagging it in place is safe
  return content;
}

function keyUsageDer(usages: readonly KeyUsageName[]): Uint8Array {
  const sorted = [...new Set(usages)].sort();
  return memo(keyUsageCache, sorted.join(','), () => {
    for (const u of sorted) {
      if (!Object.hasOwn(KEY_USAGE_BITS, u)) throw new TypeError(`unknown key usage ${JSON.stringify(u)}`);
    }
    return extension(OID_KEY_USAGE, true, namedBits(sorted.map((u) => KEY_USAGE_BITS[u])));
  });
}

function extendedKeyUsageDer(usages: readonly ExtendedKeyUsageName[]): Uint8Array {
  return memo(ekuCache, usages.join(','), () => {
    const oids = [...new Set(usages)].map((u) => {
      const o = Object.hasOwn(EKU_OIDS, u) ? EKU_OIDS[u] : undefined;
      if (!o) throw new TypeError(`unknown extended key usage ${JSON.stringify(u)}`);
      return oid(o);
    });
    return extension(OID_EXT_KEY_USAGE, false, constructed(TAG.SEQUENCE, oids));
  });
}

/**
 * cRLDistributionPoints (§4.2.1.13) with one DistributionPoint whose fullName lists every URI
 * (alternative locations of the same CRL).
 */
function crlDistributionPointsDer(uris: readonly string[]): Uint8Array {
  return memo(crlDpCache, uris.join('\n'), () => {
    const names = uris.map((uri) => {
      let url: URL;
      try {
        url = new URL(uri);
      } catch {
        throw new TypeError(`CRL distribution point ${JSON.stringify(uri)} is not a URI`);
      }
      if (!['http:', 'https:', 'ldap:'].includes(url.protocol) || !/^[\x21-\x7e]+$/.test(uri)) {
        throw new TypeError(`CRL distribution point ${JSON.stringify(uri)} must be an ASCII http, https or ldap URI`);
      }
      return implicitIa5(6, uri);
    });
    // DistributionPoint { distributionPoint [0] { fullName [0] GeneralNames } }: [0] around the
    // DistributionPointName CHOICE is explicit by X.680 §31.2.7, fullName [0] is implicit.
    const point = seq(contextConstructed(0, [contextConstructed(0, names)]));
    return extension(OID_CRL_DISTRIBUTION_POINTS, false, seq(point));
  });
}

/** The subjectPublicKey BIT STRING contents of an SPKI, without the unused-bits octet. */
function subjectPublicKeyBits(spki: Uint8Array): Uint8Array {
  const outer = readElement(spki, 0);
  const bits = readChildren(spki, outer)[1];
  if (!bits || bits.identifier !== TAG.BIT_STRING) throw new DerError('public key: no subjectPublicKey BIT STRING');
  return spki.subarray(bits.contentStart + 1, bits.end);
}

/** §4.2.1.2 method (1): SHA-1 of the subjectPublicKey bits (an identifier, not a security function). */
function keyIdentifier(spki: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha1').update(subjectPublicKeyBits(spki)).digest());
}

/** What signing with an issuer needs, worked out once per (certificate, key) pair. */
interface IssuerSigner {
  readonly algorithm: SignatureAlgorithm;
  /** DER AlgorithmIdentifier of `algorithm`. */
  readonly algorithmDer: Uint8Array;
  /** DER authorityKeyIdentifier extension (§4.2.1.1) naming the issuer's key. */
  readonly authorityKeyIdentifierDer: Uint8Array;
}

const issuerSigners = new WeakMap<Certificate, WeakMap<KeyObject, IssuerSigner>>();

/**
 * Checks that `issuer.privateKey` belongs to `issuer.certificate` and prepares the signature
 * algorithm and authorityKeyIdentifier. The result is cached per certificate object and key
 * object, so the CA's hot path pays for the key comparison once.
 * @throws {KeyMismatchError} `ERR_PKI_KEY_MISMATCH` when the key is not the certificate's.
 * @throws {UnsupportedAlgorithmError} `ERR_PKI_UNSUPPORTED_ALGORITHM` for a key that cannot sign.
 * @throws {TypeError} when the private key is not a private KeyObject.
 */
function issuerSigner(issuer: Issuer): IssuerSigner {
  const { certificate, privateKey } = issuer;
  let byKey = issuerSigners.get(certificate);
  const hit = byKey?.get(privateKey);
  if (hit) return hit;
  if (privateKey?.type !== 'private') throw new TypeError('issuer.privateKey must be a private KeyObject');
  if (!safeKeysMatch(privateKey, certificate.publicKey)) {
    throw new KeyMismatchError('the issuer private key does not belong to the issuer certificate');
  }
  const algorithm = signatureAlgorithmForKey(privateKey);
  const id = certificate.subjectKeyIdentifier
    ? new Uint8Array(Buffer.from(certificate.subjectKeyIdentifier, 'hex'))
    : keyIdentifier(certificate.publicKeyDer);
  const signer: IssuerSigner = {
    algorithm,
    algorithmDer: algorithmIdentifierDer(algorithm),
    // AuthorityKeyIdentifier ::= SEQUENCE { keyIdentifier [0] KeyIdentifier OPTIONAL, ... }
    authorityKeyIdentifierDer: extension(OID_AUTHORITY_KEY_IDENTIFIER, false, seq(contextPrimitive(0, id))),
  };
  if (!byKey) {
    byKey = new WeakMap();
    issuerSigners.set(certificate, byKey);
  }
  byKey.set(privateKey, signer);
  return signer;
}

/** Whether a CA certificate may sign certificates (`keyCertSign`) or CRLs (`cRLSign`), §4.2.1.3/§4.2.1.9. */
function checkIssuerMay(certificate: Certificate, usage: 'keyCertSign' | 'cRLSign'): void {
  if (!certificate.isCa) throw new TypeError('the issuer certificate is not a CA certificate (basicConstraints cA)');
  if (hasExtension(certificate, OID_KEY_USAGE) && !certificate.keyUsage.includes(usage)) {
    throw new TypeError(`the issuer certificate lacks the ${usage} key usage`);
  }
}

function safeKeysMatch(privateKey: KeyObject, publicKey: KeyObject): boolean {
  try {
    return keysMatch(privateKey, publicKey);
  } catch {
    return false;
  }
}

function hasExtension(cert: Pick<Certificate, 'extensions'>, extnId: string): boolean {
  return cert.extensions.some((e) => e.oid === extnId);
}

/**
 * The subject of an issued certificate: the request's subject, less any CN whose DNS or IP form
 * is not among the approved names and any emailAddress that is not an approved address, so that
 * no name reaches the certificate that the CA did not approve (RFC 5280 §4.1.2.6).
 */
function issuedSubject(subject: DistinguishedName, names: SubjectAltNames): DistinguishedName {
  return subject.filter((attr) => {
    if (attr.type === 'CN') {
      // isIP first: a thrown InvalidNameError costs more than the rest of the name handling.
      if (isIP(attr.value) !== 0) return names.ip.includes(normalizeIpAddress(attr.value));
      const dns = attempt(() => normalizeDnsName(attr.value));
      return dns !== undefined && names.dns.includes(dns);
    }
    if (attr.type === 'emailAddress') {
      const email = attempt(() => normalizeEmailAddress(attr.value));
      return email !== undefined && names.email.includes(email);
    }
    return true;
  });
}

function attempt(fn: () => string): string | undefined {
  try {
    return fn();
  } catch (err) {
    if (err instanceof InvalidNameError) return undefined;
    throw err;
  }
}

/** Hook extensions: well-formed, not one of ours, not twice, never a CA grant. */
function extraExtensionsDer(extra: readonly RawExtension[]): Uint8Array[] {
  const seen = new Set<string>();
  return extra.map((ext) => {
    if (!ext || typeof ext.oid !== 'string' || !(ext.value instanceof Uint8Array)) {
      throw new TypeError('extraExtensions entries need an oid string and a Uint8Array value');
    }
    const encodedOid = oid(ext.oid); // throws TypeError for a malformed OID
    try {
      validateDer(ext.value, `extension ${ext.oid}`);
    } catch (err) {
      throw new TypeError(`extension ${ext.oid}: the value is not one DER element`, { cause: err });
    }
    if (ext.oid === OID_BASIC_CONSTRAINTS && basicConstraintsOf(ext.value).isCa) {
      throw new CaRequestedError('an extra extension asks for a CA certificate (basicConstraints cA=TRUE)');
    }
    if (OWN_EXTENSIONS.has(ext.oid)) throw new TypeError(`extension ${ext.oid} is already set by the profile`);
    if (seen.has(ext.oid)) throw new TypeError(`extension ${ext.oid} appears twice`);
    seen.add(ext.oid);
    const critical = ext.critical === true;
    return critical ? seq(encodedOid, bool(true), octets(ext.value)) : seq(encodedOid, octets(ext.value));
  });
}

/** Assembles TBSCertificate (§4.1.2), signs it and wraps it as Certificate (§4.1.1). */
function signCertificate(
  privateKey: KeyObject,
  signer: Pick<IssuerSigner, 'algorithm' | 'algorithmDer'>,
  fields: {
    serialNumber: Uint8Array;
    issuerDer: Uint8Array;
    notBefore: Date;
    notAfter: Date;
    subjectDer: Uint8Array;
    spki: Uint8Array;
    extensions: Uint8Array[];
  },
): EncodedCertificate {
  const tbs = seq(
    VERSION_V3,
    tlv(TAG.INTEGER, fields.serialNumber),
    signer.algorithmDer,
    fields.issuerDer,
    seq(utcOrGeneralizedTime(fields.notBefore), utcOrGeneralizedTime(fields.notAfter)),
    fields.subjectDer,
    fields.spki,
    contextConstructed(3, [constructed(TAG.SEQUENCE, fields.extensions)]),
  );
  // node:crypto gives PKCS#1 v1.5 for RSA and DER (r, s) for ECDSA, the forms X.509 uses.
  const signature = sign(signer.algorithm.hash, tbs, privateKey);
  const der = seq(tbs, signer.algorithmDer, bitString(signature));
  return { der, pem: encodePem('CERTIFICATE', der) };
}

/**
 * Issues an end-entity certificate for a parsed request (RFC 5280 §4.1): v3, the given serial,
 * the issuer's subject copied byte for byte as issuer (§4.1.2.4), the request's subject less
 * unapproved CN/emailAddress attributes, the request's public key, and the extensions
 * basicConstraints cA=FALSE (critical, §4.2.1.9), keyUsage (critical, §4.2.1.3),
 * extKeyUsage (§4.2.1.12), subjectKeyIdentifier (§4.2.1.2 method 1), authorityKeyIdentifier
 * (§4.2.1.1, the issuer's SKI), subjectAltName (§4.2.1.6, critical when the subject is empty),
 * cRLDistributionPoints (§4.2.1.13) when given, then `extraExtensions`.
 *
 * @throws {InvalidNameError} `ERR_PKI_INVALID_NAME` when the profile's names are empty, malformed
 *   or not all requested (`requestedNames(request)`), or a subject attribute cannot be encoded.
 * @throws {TooManyNamesError} `ERR_PKI_TOO_MANY_SANS` past 100 names.
 * @throws {CaRequestedError} `ERR_PKI_CA_REQUESTED` for an extra basicConstraints with cA=TRUE.
 * @throws {KeyMismatchError} `ERR_PKI_KEY_MISMATCH` when the issuer key is not the certificate's.
 * @throws {UnsupportedAlgorithmError} `ERR_PKI_UNSUPPORTED_ALGORITHM` for an issuer key that cannot sign.
 * @throws {TypeError} for caller misuse: a bad serial, notBefore >= notAfter, notAfter after the
 *   issuer's, an issuer certificate that is not a CA, unknown or empty usages, keyCertSign in a
 *   leaf, bad CRL URIs, or extra extensions that are malformed, repeated or set by the profile.
 * @example
 * const request = parseCsr(csrPem);
 * const { pem } = issueCertificate({
 *   request, issuer: { certificate: caCert, privateKey: caKey }, serialNumber: generateSerialNumber(),
 *   profile: { notBefore, notAfter, subjectAltNames: requestedNames(request) },
 * });
 */
export function issueCertificate(options: IssueOptions): IssuedCertificateInfo {
  const { request, issuer, serialNumber, profile } = options;
  checkSerialNumber(serialNumber);
  const signer = issuerSigner(issuer);
  checkIssuerMay(issuer.certificate, 'keyCertSign');
  const { notBefore, notAfter } = checkValidity(profile.notBefore, profile.notAfter);
  if (notAfter.getTime() > issuer.certificate.notAfter.getTime()) {
    throw new TypeError('notAfter must not be later than the issuer certificate notAfter');
  }

  const names = normalizeSubjectAltNames(profile.subjectAltNames);
  if (countNames(names) === 0) throw new InvalidNameError('the certificate must carry at least one name');
  // requestedNames(request) is a superset of request.subjectAltNames: only when the cheap check
  // fails is the full set (CN and emailAddress forms included) worth computing.
  if (!isSubsetOf(names, request.subjectAltNames) && !isSubsetOf(names, requestedNames(request))) {
    throw new InvalidNameError('the profile names a subject alternative name that the request did not ask for');
  }
  const subject = issuedSubject(request.subject, names);
  const subjectDer = encodeNameDer(subject);
  const emptySubject = subjectDer.length === 2;

  const isRsa = request.publicKey.asymmetricKeyType === 'rsa';
  const keyUsage = profile.keyUsage ?? (isRsa ? ['digitalSignature', 'keyEncipherment'] : ['digitalSignature']);
  if (keyUsage.length === 0) throw new TypeError('keyUsage must assert at least one bit (RFC 5280 §4.2.1.3)');
  // §4.2.1.3: keyCertSign requires cA=TRUE, which a leaf never has.
  if (keyUsage.includes('keyCertSign')) throw new TypeError('keyCertSign is for CA certificates only');
  const eku =
    profile.extendedKeyUsage ??
    (names.dns.length + names.ip.length > 0 ? ['serverAuth', 'clientAuth'] : ['emailProtection', 'clientAuth']);
  if (eku.length === 0) throw new TypeError('extendedKeyUsage must name at least one purpose');

  const extensions = [
    basicConstraintsLeafDer(),
    keyUsageDer(keyUsage),
    extendedKeyUsageDer(eku),
    extension(OID_SUBJECT_KEY_IDENTIFIER, false, octets(keyIdentifier(request.publicKeyDer))),
    signer.authorityKeyIdentifierDer,
    extension(OID_SUBJECT_ALT_NAME, emptySubject, generalNamesDer(names)),
  ];
  if (profile.crlDistributionPoints && profile.crlDistributionPoints.length > 0) {
    extensions.push(crlDistributionPointsDer(profile.crlDistributionPoints));
  }
  if (profile.extraExtensions && profile.extraExtensions.length > 0) {
    extensions.push(...extraExtensionsDer(profile.extraExtensions));
  }

  const encoded = signCertificate(issuer.privateKey, signer, {
    serialNumber,
    issuerDer: issuer.certificate.subjectDer,
    notBefore,
    notAfter,
    subjectDer,
    spki: request.publicKeyDer,
    extensions,
  });
  // X.509 Time has whole seconds: report the validity as encoded.
  const wholeSeconds = (d: Date) => new Date(Math.floor(d.getTime() / 1000) * 1000);
  return {
    ...encoded,
    subject,
    subjectAltNames: names,
    notBefore: wholeSeconds(notBefore),
    notAfter: wholeSeconds(notAfter),
    fingerprintSha256: sha256Hex(encoded.der),
  };
}

let leafBasicConstraints: Uint8Array | undefined;
/** basicConstraints critical, cA FALSE: the empty SEQUENCE, as DEFAULT FALSE is omitted in DER. */
function basicConstraintsLeafDer(): Uint8Array {
  leafBasicConstraints ??= extension(OID_BASIC_CONSTRAINTS, true, seq());
  return leafBasicConstraints;
}

/** Options of {@link createSelfSignedCa}. */
export interface SelfSignedCaOptions {
  /** The CA's name; must not be empty (RFC 5280 §4.1.2.6). */
  readonly subject: DistinguishedName;
  /** The CA key; it must pass the key policy (RSA >= 2048 with e = 65537, P-256, P-384). */
  readonly privateKey: KeyObject;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** Serial number content octets, as in {@link IssueOptions.serialNumber}. */
  readonly serialNumber: Uint8Array;
  /** basicConstraints pathLenConstraint: how many intermediate CAs may follow. Default: none. */
  readonly pathLength?: number;
}

/**
 * Creates a self-signed root CA certificate (RFC 5280 §4.1, §6.2 trust anchor): v3, issuer =
 * subject, basicConstraints cA=TRUE critical with the optional pathLenConstraint (§4.2.1.9),
 * keyUsage keyCertSign, cRLSign, digitalSignature critical (§4.2.1.3), subjectKeyIdentifier
 * (§4.2.1.2) and authorityKeyIdentifier equal to it (§4.2.1.1).
 *
 * @throws {InvalidNameError} `ERR_PKI_INVALID_NAME`, {@link CommonNameTooLongError} `ERR_PKI_CN_TOO_LONG` for a bad subject.
 * @throws {WeakKeyError} `ERR_PKI_WEAK_KEY` for a key outside the policy.
 * @throws {TypeError} for an empty subject, a bad serial, bad dates or pathLength.
 * @example
 * const { privateKey } = generateKeyPair('p256');
 * const ca = createSelfSignedCa({ subject: [{ type: 'CN', value: 'Example Root' }], privateKey,
 *   notBefore: new Date(), notAfter: new Date(Date.now() + 10 * 365 * 864e5), serialNumber: generateSerialNumber() });
 */
export function createSelfSignedCa(options: SelfSignedCaOptions): EncodedCertificate {
  const { privateKey, subject, pathLength } = options;
  if (privateKey?.type !== 'private') throw new TypeError('createSelfSignedCa needs a private KeyObject');
  checkKeyPolicy(privateKey);
  checkSerialNumber(options.serialNumber);
  const { notBefore, notAfter } = checkValidity(options.notBefore, options.notAfter);
  if (!Array.isArray(subject) || subject.length === 0) throw new TypeError('a CA subject must not be empty');
  if (pathLength !== undefined && (!Number.isSafeInteger(pathLength) || pathLength < 0)) {
    throw new TypeError('pathLength must be a non-negative integer');
  }
  const subjectDer = encodeNameDer(subject);
  const spki = publicKeyDer(privateKey);
  const id = keyIdentifier(spki);
  const algorithm = signatureAlgorithmForKey(privateKey);
  const basicConstraints = pathLength === undefined ? seq(bool(true)) : seq(bool(true), int(pathLength));
  return signCertificate(
    privateKey,
    { algorithm, algorithmDer: algorithmIdentifierDer(algorithm) },
    {
      serialNumber: options.serialNumber,
      issuerDer: subjectDer,
      notBefore,
      notAfter,
      subjectDer,
      spki,
      extensions: [
        extension(OID_BASIC_CONSTRAINTS, true, basicConstraints),
        keyUsageDer(['digitalSignature', 'keyCertSign', 'cRLSign']),
        extension(OID_SUBJECT_KEY_IDENTIFIER, false, octets(id)),
        extension(OID_AUTHORITY_KEY_IDENTIFIER, false, seq(contextPrimitive(0, id))),
      ],
    },
  );
}

// ---------------------------------------------------------------------------------------------
// Parsing

function children(bytes: Uint8Array, el: DerElement): DerElement[] {
  return readChildren(bytes, el);
}

function expect(el: DerElement | undefined, identifier: number, what: string): DerElement {
  if (!el || el.identifier !== identifier) throw new DerError(`certificate: ${what} is missing or has the wrong type`);
  return el;
}

function contentOf(bytes: Uint8Array, el: DerElement): Uint8Array {
  return bytes.subarray(el.contentStart, el.end);
}

function ascii(bytes: Uint8Array, what: string): string {
  for (const b of bytes) if (b > 0x7f) throw new DerError(`certificate: ${what} is not ASCII`);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('latin1');
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('hex');
}

const UTC_TIME = /^(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)Z$/;
const GENERALIZED_TIME = /^(\d\d\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)Z$/;

/**
 * Reads a Time (RFC 5280 §4.1.2.5.1/.2): UTCTime `YYMMDDHHMMSSZ` (YY >= 50 is 19YY) or
 * GeneralizedTime `YYYYMMDDHHMMSSZ`, with seconds, in UTC, without fractions.
 * @throws {DerError} `ERR_PKI_DER` for any other form or an impossible date.
 */
function decodeTime(bytes: Uint8Array, el: DerElement, what: string): Date {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset + el.contentStart, el.end - el.contentStart).toString('latin1');
  const m =
    el.identifier === TAG.UTC_TIME
      ? UTC_TIME.exec(text)
      : el.identifier === TAG.GENERALIZED_TIME
        ? GENERALIZED_TIME.exec(text)
        : null;
  if (!m) throw new DerError(`${what} is not a UTCTime or GeneralizedTime in RFC 5280 form`);
  const [, y, mo, d, h, mi, s] = m.map(Number) as [number, number, number, number, number, number, number];
  const year = el.identifier === TAG.UTC_TIME ? (y >= 50 ? 1900 + y : 2000 + y) : y;
  const date = new Date(Date.UTC(year, mo - 1, d, h, mi, s));
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) {
    throw new DerError(`${what} is not a valid date`);
  }
  return date;
}

const nameCache = new Map<string, DistinguishedName>();

/** Decodes a Name; recent results are cached (a CA parses the same issuer names over and over). */
function decodeNameDer(der: Uint8Array, what: string): DistinguishedName {
  const key = hex(der);
  const hit = nameCache.get(key);
  if (hit) return hit;
  const dn = Object.freeze(decodeName(parseAsn1(der, Name, what)).map((a) => Object.freeze({ ...a })));
  if (nameCache.size >= 256) nameCache.clear();
  nameCache.set(key, dn);
  return dn;
}

/** Reads AlgorithmIdentifier into the schema object that `signatureAlgorithmFromIdentifier` takes. */
function algorithmIdentifierOf(bytes: Uint8Array, el: DerElement): AlgorithmIdentifier {
  const [algOid, params, extra] = children(bytes, expect(el, TAG.SEQUENCE, 'signature algorithm'));
  if (extra) throw new DerError('certificate: AlgorithmIdentifier has extra fields');
  return new AlgorithmIdentifier({
    algorithm: oidText(contentOf(bytes, expect(algOid, TAG.OID, 'algorithm OID'))),
    parameters: params ? bytes.slice(params.start, params.end).buffer : undefined,
  });
}

const oidTextCache = new Map<string, string>();

function oidText(content: Uint8Array): string {
  const key = Buffer.from(content.buffer, content.byteOffset, content.length).toString('latin1');
  const hit = oidTextCache.get(key);
  if (hit !== undefined) return hit;
  let dotted: string;
  try {
    dotted = oidToString(content);
  } catch (err) {
    throw new DerError(`certificate: bad OID (${(err as Error).message})`, { cause: err });
  }
  if (oidTextCache.size < 512) oidTextCache.set(key, dotted);
  return dotted;
}

/** INTEGER content as a non-negative safe number. */
function smallInteger(content: Uint8Array, what: string): number {
  if (content.length === 0 || content.length > 4 || ((content[0] as number) & 0x80) !== 0) {
    throw new DerError(`certificate: ${what} is not a small non-negative integer`);
  }
  let n = 0;
  for (const b of content) n = n * 256 + b;
  return n;
}

/** BasicConstraints ::= SEQUENCE { cA BOOLEAN DEFAULT FALSE, pathLenConstraint INTEGER (0..MAX) OPTIONAL } (§4.2.1.9). */
function basicConstraintsOf(value: Uint8Array): { isCa: boolean; pathLength?: number } {
  const outer = expect(readElement(value, 0), TAG.SEQUENCE, 'basicConstraints');
  const fields = children(value, outer);
  let next = 0;
  let isCa = false;
  if (fields[next]?.identifier === TAG.BOOLEAN) isCa = value[(fields[next++] as DerElement).contentStart] === 0xff;
  let pathLength: number | undefined;
  if (fields[next]?.identifier === TAG.INTEGER) {
    pathLength = smallInteger(contentOf(value, fields[next++] as DerElement), 'pathLenConstraint');
  }
  if (next !== fields.length) throw new DerError('certificate: malformed basicConstraints');
  return pathLength === undefined ? { isCa } : { isCa, pathLength };
}

/** KeyUsage ::= BIT STRING (§4.2.1.3); bits past cRLSign (encipherOnly, decipherOnly) are not reported. */
function keyUsageOf(value: Uint8Array): KeyUsageName[] {
  const el = expect(readElement(value, 0), TAG.BIT_STRING, 'keyUsage');
  const content = contentOf(value, el);
  if (content.length === 0 || (content[0] as number) > 7) throw new DerError('certificate: malformed keyUsage');
  return KEY_USAGE_NAMES.filter((name) => {
    const bit = KEY_USAGE_BITS[name];
    return (((content[1 + (bit >> 3)] ?? 0) >> (7 - (bit & 7))) & 1) === 1;
  });
}

/** ExtKeyUsageSyntax ::= SEQUENCE SIZE (1..MAX) OF KeyPurposeId (§4.2.1.12). */
function extendedKeyUsageOf(value: Uint8Array): string[] {
  const outer = expect(readElement(value, 0), TAG.SEQUENCE, 'extKeyUsage');
  return children(value, outer).map((el) => {
    const dotted = oidText(contentOf(value, expect(el, TAG.OID, 'KeyPurposeId')));
    return EKU_NAME_BY_OID.get(dotted) ?? dotted;
  });
}

/** IP address octets to the text form san.ts uses. */
function ipText(octetsIn: Uint8Array): string {
  if (octetsIn.length === 4) return Array.from(octetsIn).join('.');
  if (octetsIn.length === 16) {
    const groups: string[] = [];
    for (let i = 0; i < 16; i += 2) groups.push((((octetsIn[i] as number) << 8) | (octetsIn[i + 1] as number)).toString(16));
    return normalizeIpAddress(groups.join(':'));
  }
  throw new DerError(`certificate: iPAddress of ${octetsIn.length} octets`);
}

/** The dNSName [2], rfc822Name [1] and iPAddress [7] entries of GeneralNames (§4.2.1.6). */
function subjectAltNamesOf(value: Uint8Array): SubjectAltNames {
  const outer = expect(readElement(value, 0), TAG.SEQUENCE, 'subjectAltName');
  const dns = new Set<string>();
  const email = new Set<string>();
  const ip = new Set<string>();
  for (const el of children(value, outer)) {
    const content = contentOf(value, el);
    if (el.identifier === 0x82) dns.add(ascii(content, 'dNSName').toLowerCase());
    else if (el.identifier === 0x81) {
      const address = ascii(content, 'rfc822Name');
      const at = address.lastIndexOf('@');
      email.add(at < 0 ? address.toLowerCase() : `${address.slice(0, at)}@${address.slice(at + 1).toLowerCase()}`);
    } else if (el.identifier === 0x87) ip.add(ipText(content));
  }
  return { dns: [...dns], email: [...email], ip: [...ip] };
}

/** The keyIdentifier [0] of AuthorityKeyIdentifier (§4.2.1.1). */
function authorityKeyIdentifierOf(value: Uint8Array): string | undefined {
  const outer = expect(readElement(value, 0), TAG.SEQUENCE, 'authorityKeyIdentifier');
  const id = children(value, outer).find((el) => el.identifier === 0x80);
  return id ? hex(contentOf(value, id)) : undefined;
}

/** URIs [6] in the fullName [0] of each DistributionPoint (§4.2.1.13). */
function crlDistributionPointsOf(value: Uint8Array): string[] {
  const outer = expect(readElement(value, 0), TAG.SEQUENCE, 'cRLDistributionPoints');
  const uris: string[] = [];
  for (const point of children(value, outer)) {
    const dpName = children(value, expect(point, TAG.SEQUENCE, 'DistributionPoint')).find((el) => el.identifier === 0xa0);
    const fullName = dpName ? children(value, dpName).find((el) => el.identifier === 0xa0) : undefined;
    if (!fullName) continue;
    for (const gn of children(value, fullName)) {
      if (gn.identifier === 0x86) uris.push(ascii(contentOf(value, gn), 'URI'));
    }
  }
  return uris;
}

/** The parts of a certificate that its extensions contribute. */
interface ExtensionView {
  isCa: boolean;
  pathLength?: number;
  keyUsage: KeyUsageName[];
  extendedKeyUsage: string[];
  subjectAltNames: SubjectAltNames;
  subjectKeyIdentifier?: string;
  authorityKeyIdentifier?: string;
  crlDistributionPoints: string[];
}

function readExtensions(bytes: Uint8Array, el: DerElement | undefined): { raw: RawExtension[]; view: ExtensionView } {
  const view: ExtensionView = {
    isCa: false,
    keyUsage: [],
    extendedKeyUsage: [],
    subjectAltNames: { dns: [], email: [], ip: [] },
    crlDistributionPoints: [],
  };
  const raw: RawExtension[] = [];
  if (!el) return { raw, view };
  const [list, extra] = children(bytes, el);
  if (extra) throw new DerError('certificate: extensions [3] holds more than one element');
  const exts = children(bytes, expect(list, TAG.SEQUENCE, 'extensions'));
  if (exts.length === 0) throw new DerError('certificate: extensions is empty (SIZE (1..MAX))');
  for (const extEl of exts) {
    const parts = children(bytes, expect(extEl, TAG.SEQUENCE, 'extension'));
    const [idEl, second, third] = parts;
    const extnId = oidText(contentOf(bytes, expect(idEl, TAG.OID, 'extnID')));
    const critical = second?.identifier === TAG.BOOLEAN ? bytes[second.contentStart] === 0xff : false;
    const valueEl = expect(second?.identifier === TAG.BOOLEAN ? third : second, TAG.OCTET_STRING, 'extnValue');
    if (parts.length !== (second?.identifier === TAG.BOOLEAN ? 3 : 2)) throw new DerError('certificate: malformed extension');
    // §4.2: a certificate MUST NOT include more than one instance of a particular extension.
    if (raw.some((r) => r.oid === extnId)) throw new DerError(`certificate: extension ${extnId} appears twice`);
    const value = contentOf(bytes, valueEl);
    raw.push({ oid: extnId, critical, value });
    try {
      validateDer(value, `extension ${extnId}`);
      switch (extnId) {
        case OID_BASIC_CONSTRAINTS: {
          const bc = basicConstraintsOf(value);
          view.isCa = bc.isCa;
          if (bc.pathLength !== undefined) view.pathLength = bc.pathLength;
          break;
        }
        case OID_KEY_USAGE:
          view.keyUsage = keyUsageOf(value);
          break;
        case OID_EXT_KEY_USAGE:
          view.extendedKeyUsage = extendedKeyUsageOf(value);
          break;
        case OID_SUBJECT_ALT_NAME:
          view.subjectAltNames = subjectAltNamesOf(value);
          break;
        case OID_SUBJECT_KEY_IDENTIFIER:
          view.subjectKeyIdentifier = hex(contentOf(value, expect(readElement(value, 0), TAG.OCTET_STRING, 'SKI')));
          break;
        case OID_AUTHORITY_KEY_IDENTIFIER: {
          const aki = authorityKeyIdentifierOf(value);
          if (aki !== undefined) view.authorityKeyIdentifier = aki;
          break;
        }
        case OID_CRL_DISTRIBUTION_POINTS:
          view.crlDistributionPoints = crlDistributionPointsOf(value);
          break;
      }
    } catch (err) {
      if (err instanceof DerError && !err.message.startsWith('certificate:')) {
        throw new DerError(`certificate: ${err.message}`, { cause: err });
      }
      throw err;
    }
  }
  return { raw, view };
}

/** Signature algorithm lookups by the DER of the AlgorithmIdentifier (a handful of values). */
const signatureAlgorithmCache = new Map<string, { oid: string; algorithm?: SignatureAlgorithm }>();

function signatureAlgorithmOf(bytes: Uint8Array, el: DerElement): { oid: string; algorithm?: SignatureAlgorithm } {
  const key = hex(bytes.subarray(el.start, el.end));
  const hit = signatureAlgorithmCache.get(key);
  if (hit) return hit;
  const id = algorithmIdentifierOf(bytes, el);
  let result: { oid: string; algorithm?: SignatureAlgorithm };
  try {
    result = { oid: id.algorithm, algorithm: signatureAlgorithmFromIdentifier(id) };
  } catch (err) {
    // Refused (MD5, SHA-1) or unsupported: the certificate still parses (an old root's
    // self-signature is never checked), but verifying what it signs is refused.
    if (!(err instanceof PkiError)) throw err;
    result = { oid: id.algorithm };
  }
  if (signatureAlgorithmCache.size < CACHE_LIMIT) signatureAlgorithmCache.set(key, result);
  return result;
}

/**
 * Parses a certificate into a typed view (RFC 5280 §4.1). Strict DER throughout; the raw TBS,
 * subject, issuer and public key bytes are kept as received.
 *
 * Decisions: the signature is not verified here (that needs the issuer: see `verifyChain`);
 * certificates signed with MD5 or SHA-1 parse, with `signatureAlgorithm` absent, so old roots
 * can be adopted as trust anchors, and verifying anything they sign refuses them; unrecognised
 * critical extensions are kept in `extensions` and refused by `verifyChain` (§4.2: a
 * certificate-using system MUST reject them), not here.
 *
 * @param input - PEM text with exactly one `CERTIFICATE` block, or DER bytes; at most 64 KiB.
 * @throws {InputTooLargeError} `ERR_PKI_INPUT_TOO_LARGE` over 64 KiB.
 * @throws {PemError} `ERR_PKI_PEM` for malformed PEM, another label, or more than one block.
 * @throws {DerError} `ERR_PKI_DER` for anything that is not a strict DER certificate: trailing
 *   bytes, wrong field types, bad times, repeated extensions, mismatched signature algorithms.
 * @throws {UnsupportedAlgorithmError} `ERR_PKI_UNSUPPORTED_ALGORITHM` for a public key node:crypto cannot read.
 * @example
 * const cert = parseCertificate(pem);
 * cert.subjectAltNames.dns; // ['mail.example.org']
 */
export function parseCertificate(input: string | Uint8Array): Certificate {
  const source = typeof input === 'string' ? decodePem(input, 'CERTIFICATE') : input;
  if (!(source instanceof Uint8Array)) throw new TypeError('parseCertificate takes PEM text or DER bytes');
  // A private copy: the view's subarrays must not change if the caller reuses its buffer.
  const der = new Uint8Array(source);
  const outer = validateDer(der, 'certificate');
  const [tbsEl, sigAlgEl, sigEl, extra] = children(der, expect(outer, TAG.SEQUENCE, 'Certificate'));
  if (extra) throw new DerError('certificate: Certificate has extra fields');
  const tbsFields = children(der, expect(tbsEl, TAG.SEQUENCE, 'TBSCertificate'));
  let i = 0;
  let version: 1 | 2 | 3 = 1;
  if (tbsFields[0]?.identifier === 0xa0) {
    const [v] = children(der, tbsFields[0]);
    const n = smallInteger(contentOf(der, expect(v, TAG.INTEGER, 'version')), 'version');
    if (n > 2) throw new DerError(`certificate: unknown version ${n}`);
    version = (n + 1) as 1 | 2 | 3;
    i = 1;
  }
  const serialEl = expect(tbsFields[i++], TAG.INTEGER, 'serialNumber');
  const innerSigAlg = expect(tbsFields[i++], TAG.SEQUENCE, 'signature');
  const issuerEl = expect(tbsFields[i++], TAG.SEQUENCE, 'issuer');
  const validityEl = expect(tbsFields[i++], TAG.SEQUENCE, 'validity');
  const subjectEl = expect(tbsFields[i++], TAG.SEQUENCE, 'subject');
  const spkiEl = expect(tbsFields[i++], TAG.SEQUENCE, 'subjectPublicKeyInfo');
  if (tbsFields[i]?.identifier === 0x81) i++; // issuerUniqueID (§4.1.2.8), ignored
  if (tbsFields[i]?.identifier === 0x82) i++; // subjectUniqueID
  let extensionsEl: DerElement | undefined;
  if (tbsFields[i]?.identifier === 0xa3) extensionsEl = tbsFields[i++];
  if (i !== tbsFields.length) throw new DerError('certificate: unexpected fields in TBSCertificate');
  if (extensionsEl && version !== 3) throw new DerError('certificate: extensions in a certificate older than v3');

  // §4.1.1.2: signatureAlgorithm MUST equal the TBS signature field.
  const sigAlg = expect(sigAlgEl, TAG.SEQUENCE, 'signatureAlgorithm');
  if (!Buffer.from(der.subarray(sigAlg.start, sigAlg.end)).equals(der.subarray(innerSigAlg.start, innerSigAlg.end))) {
    throw new DerError('certificate: signatureAlgorithm differs from the TBSCertificate signature field');
  }
  const algorithm = signatureAlgorithmOf(der, sigAlg);
  const signatureBits = contentOf(der, expect(sigEl, TAG.BIT_STRING, 'signatureValue'));
  if (signatureBits.length < 2 || signatureBits[0] !== 0) throw new DerError('certificate: malformed signatureValue');

  const serial = contentOf(der, serialEl);
  if (serial.length === 0) throw new DerError('certificate: empty serialNumber');
  const [nbEl, naEl, extraTime] = children(der, validityEl);
  if (!nbEl || !naEl || extraTime) throw new DerError('certificate: validity must hold two times');

  const subjectDer = der.subarray(subjectEl.start, subjectEl.end);
  const issuerDer = der.subarray(issuerEl.start, issuerEl.end);
  const publicKeyDer = der.subarray(spkiEl.start, spkiEl.end);
  const { raw, view } = readExtensions(der, extensionsEl);

  return {
    der,
    pem: encodePem('CERTIFICATE', der),
    version,
    serialNumberHex: hex(serial),
    subject: decodeNameDer(subjectDer, 'certificate subject'),
    subjectDer,
    issuer: decodeNameDer(issuerDer, 'certificate issuer'),
    issuerDer,
    notBefore: decodeTime(der, nbEl, 'certificate: notBefore'),
    notAfter: decodeTime(der, naEl, 'certificate: notAfter'),
    subjectAltNames: view.subjectAltNames,
    publicKey: importSpki(publicKeyDer),
    publicKeyDer,
    isCa: view.isCa,
    ...(view.pathLength !== undefined ? { pathLength: view.pathLength } : {}),
    keyUsage: view.keyUsage,
    extendedKeyUsage: view.extendedKeyUsage,
    ...(view.subjectKeyIdentifier !== undefined ? { subjectKeyIdentifier: view.subjectKeyIdentifier } : {}),
    ...(view.authorityKeyIdentifier !== undefined ? { authorityKeyIdentifier: view.authorityKeyIdentifier } : {}),
    crlDistributionPoints: view.crlDistributionPoints,
    extensions: raw,
    signatureAlgorithmOid: algorithm.oid,
    ...(algorithm.algorithm ? { signatureAlgorithm: algorithm.algorithm } : {}),
    tbsDer: der.subarray(tbsEl!.start, tbsEl!.end),
    signature: signatureBits.subarray(1),
    fingerprintSha256: sha256Hex(der),
  };
}

/**
 * Parses a PEM chain: one or more `CERTIFICATE` blocks, in the order given (usually leaf first).
 * Text between blocks is ignored (RFC 7468 §2).
 * @throws {PemError} `ERR_PKI_PEM` when there is no block or one has another label; otherwise
 *   as {@link parseCertificate}.
 * @example
 * const [leaf, ...intermediates] = parseCertificateChain(fullchainPem);
 */
export function parseCertificateChain(pem: string): Certificate[] {
  return decodePemAll(pem, 'CERTIFICATE').map((der) => parseCertificate(der));
}

/**
 * Whether `privateKey` is the private half of the certificate's public key. Never throws: keys
 * of another type, or anything node:crypto cannot compare, simply answer false.
 * @example
 * if (!certificateMatchesKey(cert, key)) throw new Error('this key does not belong to the certificate');
 */
export function certificateMatchesKey(cert: Certificate, privateKey: KeyObject): boolean {
  return safeKeysMatch(privateKey, cert.publicKey);
}
