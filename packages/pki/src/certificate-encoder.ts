/**
 * Writing X.509 v3 certificates (RFC 5280 §4.1): issuing leaf certificates from a parsed
 * request, and self-signed CA certificates.
 *
 * Issuance is the CA's hot path, so the TBSCertificate is written with the small DER writer in
 * `codec/der-writer.ts` (a few microseconds) instead of an ASN.1 schema serialiser, constant
 * pieces (algorithm identifiers, basicConstraints, keyUsage, EKU, the issuer's AKI) are cached,
 * and the only expensive step left is the signature itself.
 */
import { createHash, type KeyObject, randomBytes, sign } from 'node:crypto';
import { isIP } from 'node:net';
import { type SignatureAlgorithm, signatureAlgorithmForKey } from './algorithms.js';
import type { Certificate, EncodedCertificate, RawExtension } from './certificate.js';
import { certificateMatchesKey, readBasicConstraints } from './certificate-parser.js';
import { readChildren, readElement, validateDer } from './codec/der.js';
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
  seq,
  TAG,
  tlv,
  utcOrGeneralizedTime,
} from './codec/der-writer.js';
import { encodePem } from './codec/pem.js';
import type { CertificateRequest } from './csr.js';
import { requestedNames } from './csr.js';
import { CaRequestedError, DerError, InvalidNameError, KeyMismatchError } from './errors.js';
import { sha256Hex } from './fingerprint.js';
import { EKU_OIDS, type ExtendedKeyUsageName, KEY_USAGE_BITS, type KeyUsageName } from './key-usage.js';
import { checkKeyPolicy, publicKeyDer } from './keys.js';
import { type DistinguishedName, nameAttributeType } from './name.js';
import { encodeNameDer } from './name-der.js';
import {
  OID_AD_OCSP,
  OID_AUTHORITY_INFO_ACCESS,
  OID_AUTHORITY_KEY_IDENTIFIER,
  OID_BASIC_CONSTRAINTS,
  OID_CRL_DISTRIBUTION_POINTS,
  OID_EXT_KEY_USAGE,
  OID_KEY_USAGE,
  OID_SUBJECT_ALT_NAME,
  OID_SUBJECT_KEY_IDENTIFIER,
} from './oids.js';
import { countNames, isSubsetOf, normalizeDnsName, normalizeEmailAddress, normalizeIpAddress, normalizeSubjectAltNames, type SubjectAltNames } from './san.js';

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
  /** OCSP responder URIs (http or https), written as authorityInfoAccess id-ad-ocsp. Default: no extension. */
  readonly ocspUrls?: readonly string[];
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

/** The extensions {@link issueCertificate} always or optionally writes; hooks may not repeat them. */
const OWN_EXTENSIONS: ReadonlySet<string> = new Set([
  OID_SUBJECT_KEY_IDENTIFIER,
  OID_KEY_USAGE,
  OID_SUBJECT_ALT_NAME,
  OID_BASIC_CONSTRAINTS,
  OID_CRL_DISTRIBUTION_POINTS,
  OID_AUTHORITY_KEY_IDENTIFIER,
  OID_EXT_KEY_USAGE,
  OID_AUTHORITY_INFO_ACCESS,
]);

/** RFC 5280 §4.1.2.2: serial numbers are at most 20 octets. */
const MAX_SERIAL_OCTETS = 20;

/** RFC 5280 §4.1.2.1: v3 is INTEGER 2 in an explicit [0]. */
const VERSION_V3 = explicit(0, int(2));

/** Memoised encodings keyed by their inputs; bounded by the small sets of names they take. */
const algorithmIdentifierCache = new Map<string, Uint8Array>();
const keyUsageCache = new Map<string, Uint8Array>();
const ekuCache = new Map<string, Uint8Array>();
const crlDpCache = new Map<string, Uint8Array>();
const aiaCache = new Map<string, Uint8Array>();
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
  return memo(algorithmIdentifierCache, alg.oid, () => (alg.keyType === 'rsa' ? seq(oid(alg.oid), nullDer) : seq(oid(alg.oid))));
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
    const names = uris.map((uri) => uriNameDer(uri, 'CRL distribution point', ['http:', 'https:', 'ldap:']));
    // DistributionPoint { distributionPoint [0] { fullName [0] GeneralNames } }: [0] around the
    // DistributionPointName CHOICE is explicit by X.680 §31.2.7, fullName [0] is implicit.
    const point = seq(contextConstructed(0, [contextConstructed(0, names)]));
    return extension(OID_CRL_DISTRIBUTION_POINTS, false, seq(point));
  });
}

/**
 * uniformResourceIdentifier [6] IA5String (§4.2.1.6) of an ASCII URI of one of `schemes`.
 * @throws {TypeError} naming `what` for anything else.
 */
function uriNameDer(uri: string, what: string, schemes: readonly string[]): Uint8Array {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw new TypeError(`${what} ${JSON.stringify(uri)} is not a URI`);
  }
  if (!schemes.includes(url.protocol) || !/^[\x21-\x7e]+$/.test(uri)) {
    throw new TypeError(`${what} ${JSON.stringify(uri)} must be an ASCII ${schemes.map((p) => p.slice(0, -1)).join(', ')} URI`);
  }
  return implicitIa5(6, uri);
}

/**
 * authorityInfoAccess (§4.2.2.1) with one AccessDescription id-ad-ocsp per responder URI
 * (RFC 6960 §3.1: where a client finds the OCSP responder). Not critical (§4.2.2.1).
 */
function authorityInfoAccessDer(uris: readonly string[]): Uint8Array {
  return memo(aiaCache, uris.join('\n'), () => {
    const descriptions = uris.map((uri) => seq(oid(OID_AD_OCSP), uriNameDer(uri, 'OCSP URL', ['http:', 'https:'])));
    return extension(OID_AUTHORITY_INFO_ACCESS, false, constructed(TAG.SEQUENCE, descriptions));
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
  if (!certificateMatchesKey(certificate, privateKey)) {
    throw new KeyMismatchError('the issuer private key does not belong to the issuer certificate');
  }
  const algorithm = signatureAlgorithmForKey(privateKey);
  const id = certificate.subjectKeyIdentifier ? new Uint8Array(Buffer.from(certificate.subjectKeyIdentifier, 'hex')) : keyIdentifier(certificate.publicKeyDer);
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

function hasExtension(cert: Pick<Certificate, 'extensions'>, extnId: string): boolean {
  return cert.extensions.some((e) => e.oid === extnId);
}

/**
 * The subject of an issued certificate: the request's subject, less any CN whose DNS or IP form
 * is not among the approved names and any emailAddress that is not an approved address, so that
 * no name reaches the certificate that the CA did not approve (RFC 5280 §4.1.2.6). A CN or
 * emailAddress given by its dotted OID (as `decodeName` reports a value that is not a string)
 * is held to the same rule: only a string naming an approved name passes.
 */
function issuedSubject(subject: DistinguishedName, names: SubjectAltNames): DistinguishedName {
  return subject.filter((attr) => {
    const type = nameAttributeType(attr.type);
    if (type === 'CN') {
      // isIP first: a thrown InvalidNameError costs more than the rest of the name handling.
      if (isIP(attr.value) !== 0) return names.ip.includes(normalizeIpAddress(attr.value));
      const dns = attempt(() => normalizeDnsName(attr.value));
      return dns !== undefined && names.dns.includes(dns);
    }
    if (type === 'emailAddress') {
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
    if (ext.oid === OID_BASIC_CONSTRAINTS && readBasicConstraints(ext.value).isCa) {
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
 * cRLDistributionPoints (§4.2.1.13) and authorityInfoAccess with the OCSP URLs (§4.2.2.1) when
 * given, then `extraExtensions`.
 *
 * @throws {InvalidNameError} `ERR_PKI_INVALID_NAME` when the profile's names are empty, malformed
 *   or not all requested (`requestedNames(request)`), or a subject attribute cannot be encoded.
 * @throws {TooManyNamesError} `ERR_PKI_TOO_MANY_SANS` past 100 names.
 * @throws {CaRequestedError} `ERR_PKI_CA_REQUESTED` for an extra basicConstraints with cA=TRUE.
 * @throws {KeyMismatchError} `ERR_PKI_KEY_MISMATCH` when the issuer key is not the certificate's.
 * @throws {UnsupportedAlgorithmError} `ERR_PKI_UNSUPPORTED_ALGORITHM` for an issuer key that cannot sign.
 * @throws {TypeError} for caller misuse: a bad serial, notBefore >= notAfter, notAfter after the
 *   issuer's, an issuer certificate that is not a CA, unknown or empty usages, keyCertSign in a
 *   leaf, bad CRL or OCSP URIs, or extra extensions that are malformed, repeated or set by the profile.
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
  const eku = profile.extendedKeyUsage ?? (names.dns.length + names.ip.length > 0 ? ['serverAuth', 'clientAuth'] : ['emailProtection', 'clientAuth']);
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
  if (profile.ocspUrls && profile.ocspUrls.length > 0) {
    extensions.push(authorityInfoAccessDer(profile.ocspUrls));
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

/** Options of {@link issueServiceCertificate}. */
export interface ServiceCertificateOptions {
  readonly issuer: Issuer;
  /** The service's name, e.g. `CN=Example CA SCEP RA`; must not be empty. */
  readonly subject: DistinguishedName;
  /** The service's public key. */
  readonly publicKey: KeyObject;
  /** As for {@link issueCertificate}. */
  readonly serialNumber: Uint8Array;
  readonly notBefore: Date;
  /** Not later than the issuer's notAfter. */
  readonly notAfter: Date;
  readonly keyUsage: readonly KeyUsageName[];
}

/**
 * Issues a certificate for one of the CA's own services, e.g. the SCEP RA (RFC 8894 §2.1): named
 * by its subject only (no subjectAltName: it is no host and no mailbox), basicConstraints cA
 * FALSE (critical), the keyUsage given, subject and authority key identifiers.
 * @throws {TypeError} for an empty subject or keyUsage, keyCertSign, bad serial or dates, notAfter after the issuer's.
 * @example
 * issueServiceCertificate({ issuer, subject: [{ type: 'CN', value: 'Example CA SCEP RA' }], publicKey, serialNumber: generateSerialNumber(),
 *   notBefore, notAfter, keyUsage: ['digitalSignature', 'keyEncipherment'] });
 */
export function issueServiceCertificate(options: ServiceCertificateOptions): EncodedCertificate {
  const { issuer, subject, keyUsage } = options;
  checkSerialNumber(options.serialNumber);
  const signer = issuerSigner(issuer);
  checkIssuerMay(issuer.certificate, 'keyCertSign');
  const { notBefore, notAfter } = checkValidity(options.notBefore, options.notAfter);
  if (notAfter.getTime() > issuer.certificate.notAfter.getTime()) throw new TypeError('notAfter must not be later than the issuer certificate notAfter');
  if (!Array.isArray(subject) || subject.length === 0) throw new TypeError('a service certificate subject must not be empty');
  if (keyUsage.length === 0) throw new TypeError('keyUsage must assert at least one bit (RFC 5280 §4.2.1.3)');
  if (keyUsage.includes('keyCertSign')) throw new TypeError('keyCertSign is for CA certificates only');
  const spki = new Uint8Array(options.publicKey.export({ type: 'spki', format: 'der' }));
  return signCertificate(issuer.privateKey, signer, {
    serialNumber: options.serialNumber,
    issuerDer: issuer.certificate.subjectDer,
    notBefore,
    notAfter,
    subjectDer: encodeNameDer(subject),
    spki,
    extensions: [
      basicConstraintsLeafDer(),
      keyUsageDer(keyUsage),
      extension(OID_SUBJECT_KEY_IDENTIFIER, false, octets(keyIdentifier(spki))),
      signer.authorityKeyIdentifierDer,
    ],
  });
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
