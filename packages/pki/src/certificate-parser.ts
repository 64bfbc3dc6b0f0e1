/**
 * Reading X.509 v3 certificates (RFC 5280 §4.1) into the {@link Certificate} view: strict DER
 * checked once by `validateDer`, then walked field by field with `codec/der-reader.ts`, keeping
 * the raw TBS, subject, issuer and public key bytes that signatures and issuer matching need.
 */
import type { KeyObject } from 'node:crypto';
import { Name } from '@peculiar/asn1-x509';
import { type SignatureAlgorithm, signatureAlgorithmFromOid } from './algorithms.js';
import type { Certificate, RawExtension } from './certificate.js';
import { parseAsn1 } from './codec/asn1.js';
import { type DerElement, readChildren, readElement, validateDer } from './codec/der.js';
import { contentOf, encodingOf, expectElement, ipAddressText, readAscii, readBoolean, readOid, readSmallInteger, readTime } from './codec/der-reader.js';
import { TAG } from './codec/der-writer.js';
import { decodePem, decodePemAll, encodePem } from './codec/pem.js';
import { importSpki } from './codec/spki.js';
import { DerError, PkiError } from './errors.js';
import { sha256Hex } from './fingerprint.js';
import { EKU_NAME_BY_OID, KEY_USAGE_BITS, KEY_USAGE_NAMES, type KeyUsageName } from './key-usage.js';
import { keysMatch } from './keys.js';
import { type DistinguishedName, decodeName } from './name.js';
import {
  OID_AUTHORITY_KEY_IDENTIFIER,
  OID_BASIC_CONSTRAINTS,
  OID_CRL_DISTRIBUTION_POINTS,
  OID_AD_OCSP,
  OID_AUTHORITY_INFO_ACCESS,
  OID_EXT_KEY_USAGE,
  OID_KEY_USAGE,
  OID_SUBJECT_ALT_NAME,
  OID_SUBJECT_KEY_IDENTIFIER,
} from './oids.js';
import { normalizeIpAddress, type SubjectAltNames } from './san.js';

/** Entries kept by the signature algorithm cache (a CA sees a handful of AlgorithmIdentifiers). */
const CACHE_LIMIT = 64;

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('hex');
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

/**
 * Reads BasicConstraints ::= SEQUENCE { cA BOOLEAN DEFAULT FALSE, pathLenConstraint INTEGER
 * (0..MAX) OPTIONAL } (RFC 5280 §4.2.1.9) from an extension value that is strict DER.
 * @throws {DerError} `ERR_PKI_DER` for any other structure.
 * @example
 * readBasicConstraints(Uint8Array.of(0x30, 0x03, 0x01, 0x01, 0xff)); // { isCa: true }
 */
export function readBasicConstraints(value: Uint8Array): { isCa: boolean; pathLength?: number } {
  const outer = expectElement(readElement(value, 0), TAG.SEQUENCE, 'certificate: basicConstraints');
  const fields = readChildren(value, outer);
  let next = 0;
  let isCa = false;
  if (fields[next]?.identifier === TAG.BOOLEAN) isCa = readBoolean(value, fields[next++] as DerElement);
  let pathLength: number | undefined;
  if (fields[next]?.identifier === TAG.INTEGER) {
    pathLength = readSmallInteger(value, fields[next++] as DerElement, 'certificate: pathLenConstraint');
  }
  if (next !== fields.length) throw new DerError('certificate: malformed basicConstraints');
  return pathLength === undefined ? { isCa } : { isCa, pathLength };
}

/** KeyUsage ::= BIT STRING (§4.2.1.3); bits past cRLSign (encipherOnly, decipherOnly) are not reported. */
function keyUsageOf(value: Uint8Array): KeyUsageName[] {
  const el = expectElement(readElement(value, 0), TAG.BIT_STRING, 'certificate: keyUsage');
  const content = contentOf(value, el);
  if (content.length === 0 || (content[0] as number) > 7) throw new DerError('certificate: malformed keyUsage');
  return KEY_USAGE_NAMES.filter((name) => {
    const bit = KEY_USAGE_BITS[name];
    return (((content[1 + (bit >> 3)] ?? 0) >> (7 - (bit & 7))) & 1) === 1;
  });
}

/** ExtKeyUsageSyntax ::= SEQUENCE SIZE (1..MAX) OF KeyPurposeId (§4.2.1.12). */
function extendedKeyUsageOf(value: Uint8Array): string[] {
  const outer = expectElement(readElement(value, 0), TAG.SEQUENCE, 'certificate: extKeyUsage');
  return readChildren(value, outer).map((el) => {
    const dotted = readOid(value, expectElement(el, TAG.OID, 'certificate: KeyPurposeId'), 'certificate');
    return EKU_NAME_BY_OID.get(dotted) ?? dotted;
  });
}

/** The dNSName [2], rfc822Name [1] and iPAddress [7] entries of GeneralNames (§4.2.1.6), normalised. */
function subjectAltNamesOf(value: Uint8Array): SubjectAltNames {
  const outer = expectElement(readElement(value, 0), TAG.SEQUENCE, 'certificate: subjectAltName');
  const dns = new Set<string>();
  const email = new Set<string>();
  const ip = new Set<string>();
  for (const el of readChildren(value, outer)) {
    if (el.identifier === 0x82) dns.add(readAscii(value, el, 'certificate: dNSName').toLowerCase());
    else if (el.identifier === 0x81) {
      const address = readAscii(value, el, 'certificate: rfc822Name');
      const at = address.lastIndexOf('@');
      email.add(at < 0 ? address.toLowerCase() : `${address.slice(0, at)}@${address.slice(at + 1).toLowerCase()}`);
    } else if (el.identifier === 0x87) {
      const octets = contentOf(value, el);
      const text = ipAddressText(octets);
      if (text === undefined) throw new DerError(`certificate: iPAddress of ${octets.length} octets`);
      ip.add(normalizeIpAddress(text));
    }
  }
  return { dns: [...dns], email: [...email], ip: [...ip] };
}

/** The keyIdentifier [0] of AuthorityKeyIdentifier (§4.2.1.1). */
function authorityKeyIdentifierOf(value: Uint8Array): string | undefined {
  const outer = expectElement(readElement(value, 0), TAG.SEQUENCE, 'certificate: authorityKeyIdentifier');
  const id = readChildren(value, outer).find((el) => el.identifier === 0x80);
  return id ? hex(contentOf(value, id)) : undefined;
}

/** URIs [6] of the id-ad-ocsp AccessDescriptions of authorityInfoAccess (§4.2.2.1); other methods are skipped. */
function ocspUrlsOf(value: Uint8Array): string[] {
  const outer = expectElement(readElement(value, 0), TAG.SEQUENCE, 'certificate: authorityInfoAccess');
  const uris: string[] = [];
  for (const description of readChildren(value, outer)) {
    const [method, location] = readChildren(value, expectElement(description, TAG.SEQUENCE, 'certificate: AccessDescription'));
    if (!location || readOid(value, expectElement(method, TAG.OID, 'certificate: accessMethod'), 'certificate') !== OID_AD_OCSP) continue;
    if (location.identifier === 0x86) uris.push(readAscii(value, location, 'certificate: URI'));
  }
  return uris;
}

/** URIs [6] in the fullName [0] of each DistributionPoint (§4.2.1.13). */
function crlDistributionPointsOf(value: Uint8Array): string[] {
  const outer = expectElement(readElement(value, 0), TAG.SEQUENCE, 'certificate: cRLDistributionPoints');
  const uris: string[] = [];
  for (const point of readChildren(value, outer)) {
    const dpName = readChildren(value, expectElement(point, TAG.SEQUENCE, 'certificate: DistributionPoint')).find((el) => el.identifier === 0xa0);
    const fullName = dpName ? readChildren(value, dpName).find((el) => el.identifier === 0xa0) : undefined;
    if (!fullName) continue;
    for (const gn of readChildren(value, fullName)) {
      if (gn.identifier === 0x86) uris.push(readAscii(value, gn, 'certificate: URI'));
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
  ocspUrls: string[];
}

/** Extensions ::= SEQUENCE SIZE (1..MAX) OF Extension, inside the TBSCertificate's [3] (§4.1.2.9). */
function readExtensions(bytes: Uint8Array, el: DerElement | undefined): { raw: RawExtension[]; view: ExtensionView } {
  const view: ExtensionView = {
    isCa: false,
    keyUsage: [],
    extendedKeyUsage: [],
    subjectAltNames: { dns: [], email: [], ip: [] },
    crlDistributionPoints: [],
    ocspUrls: [],
  };
  const raw: RawExtension[] = [];
  if (!el) return { raw, view };
  const [list, extra] = readChildren(bytes, el);
  if (extra) throw new DerError('certificate: extensions [3] holds more than one element');
  const exts = readChildren(bytes, expectElement(list, TAG.SEQUENCE, 'certificate: extensions'));
  if (exts.length === 0) throw new DerError('certificate: extensions is empty (SIZE (1..MAX))');
  for (const extEl of exts) {
    // Extension ::= SEQUENCE { extnID OID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING }
    const parts = readChildren(bytes, expectElement(extEl, TAG.SEQUENCE, 'certificate: extension'));
    const [idEl, second, third] = parts;
    const extnId = readOid(bytes, expectElement(idEl, TAG.OID, 'certificate: extnID'), 'certificate');
    const hasCritical = second?.identifier === TAG.BOOLEAN;
    const critical = hasCritical ? readBoolean(bytes, second) : false;
    const valueEl = expectElement(hasCritical ? third : second, TAG.OCTET_STRING, 'certificate: extnValue');
    if (parts.length !== (hasCritical ? 3 : 2)) throw new DerError('certificate: malformed extension');
    // §4.2: a certificate MUST NOT include more than one instance of a particular extension.
    if (raw.some((r) => r.oid === extnId)) throw new DerError(`certificate: extension ${extnId} appears twice`);
    const value = contentOf(bytes, valueEl);
    raw.push({ oid: extnId, critical, value });
    try {
      validateDer(value, `extension ${extnId}`);
      switch (extnId) {
        case OID_BASIC_CONSTRAINTS: {
          const bc = readBasicConstraints(value);
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
          view.subjectKeyIdentifier = hex(contentOf(value, expectElement(readElement(value, 0), TAG.OCTET_STRING, 'certificate: SKI')));
          break;
        case OID_AUTHORITY_KEY_IDENTIFIER: {
          const aki = authorityKeyIdentifierOf(value);
          if (aki !== undefined) view.authorityKeyIdentifier = aki;
          break;
        }
        case OID_CRL_DISTRIBUTION_POINTS:
          view.crlDistributionPoints = crlDistributionPointsOf(value);
          break;
        case OID_AUTHORITY_INFO_ACCESS:
          view.ocspUrls = ocspUrlsOf(value);
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

/** AlgorithmIdentifier ::= SEQUENCE { algorithm OID, parameters ANY OPTIONAL } (§4.1.1.2). */
function signatureAlgorithmOf(bytes: Uint8Array, el: DerElement): { oid: string; algorithm?: SignatureAlgorithm } {
  const key = hex(encodingOf(bytes, el));
  const hit = signatureAlgorithmCache.get(key);
  if (hit) return hit;
  const [algOid, params, extra] = readChildren(bytes, expectElement(el, TAG.SEQUENCE, 'certificate: signature algorithm'));
  if (extra) throw new DerError('certificate: AlgorithmIdentifier has extra fields');
  const oid = readOid(bytes, expectElement(algOid, TAG.OID, 'certificate: algorithm OID'), 'certificate');
  let result: { oid: string; algorithm?: SignatureAlgorithm };
  try {
    result = { oid, algorithm: signatureAlgorithmFromOid(oid, params ? encodingOf(bytes, params) : undefined) };
  } catch (err) {
    // Refused (MD5, SHA-1) or unsupported: the certificate still parses (an old root's
    // self-signature is never checked), but verifying what it signs is refused.
    if (!(err instanceof PkiError)) throw err;
    result = { oid };
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
  // Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue BIT STRING } (§4.1.1)
  const [tbsEl, sigAlgEl, sigEl, extra] = readChildren(der, expectElement(outer, TAG.SEQUENCE, 'certificate: Certificate'));
  if (extra) throw new DerError('certificate: Certificate has extra fields');
  const tbsFields = readChildren(der, expectElement(tbsEl, TAG.SEQUENCE, 'certificate: TBSCertificate'));
  let i = 0;
  let version: 1 | 2 | 3 = 1;
  if (tbsFields[0]?.identifier === 0xa0) {
    const [v] = readChildren(der, tbsFields[0]);
    const n = readSmallInteger(der, expectElement(v, TAG.INTEGER, 'certificate: version'), 'certificate: version');
    if (n > 2) throw new DerError(`certificate: unknown version ${n}`);
    version = (n + 1) as 1 | 2 | 3;
    i = 1;
  }
  const serialEl = expectElement(tbsFields[i++], TAG.INTEGER, 'certificate: serialNumber');
  const innerSigAlg = expectElement(tbsFields[i++], TAG.SEQUENCE, 'certificate: signature');
  const issuerEl = expectElement(tbsFields[i++], TAG.SEQUENCE, 'certificate: issuer');
  const validityEl = expectElement(tbsFields[i++], TAG.SEQUENCE, 'certificate: validity');
  const subjectEl = expectElement(tbsFields[i++], TAG.SEQUENCE, 'certificate: subject');
  const spkiEl = expectElement(tbsFields[i++], TAG.SEQUENCE, 'certificate: subjectPublicKeyInfo');
  if (tbsFields[i]?.identifier === 0x81) i++; // issuerUniqueID (§4.1.2.8), ignored
  if (tbsFields[i]?.identifier === 0x82) i++; // subjectUniqueID
  let extensionsEl: DerElement | undefined;
  if (tbsFields[i]?.identifier === 0xa3) extensionsEl = tbsFields[i++];
  if (i !== tbsFields.length) throw new DerError('certificate: unexpected fields in TBSCertificate');
  if (extensionsEl && version !== 3) throw new DerError('certificate: extensions in a certificate older than v3');

  // §4.1.1.2: signatureAlgorithm MUST equal the TBS signature field.
  const sigAlg = expectElement(sigAlgEl, TAG.SEQUENCE, 'certificate: signatureAlgorithm');
  if (!Buffer.from(encodingOf(der, sigAlg)).equals(encodingOf(der, innerSigAlg))) {
    throw new DerError('certificate: signatureAlgorithm differs from the TBSCertificate signature field');
  }
  const algorithm = signatureAlgorithmOf(der, sigAlg);
  const signatureBits = contentOf(der, expectElement(sigEl, TAG.BIT_STRING, 'certificate: signatureValue'));
  if (signatureBits.length < 2 || signatureBits[0] !== 0) throw new DerError('certificate: malformed signatureValue');

  const serial = contentOf(der, serialEl);
  if (serial.length === 0) throw new DerError('certificate: empty serialNumber');
  const [nbEl, naEl, extraTime] = readChildren(der, validityEl);
  if (!nbEl || !naEl || extraTime) throw new DerError('certificate: validity must hold two times');

  const subjectDer = encodingOf(der, subjectEl);
  const issuerDer = encodingOf(der, issuerEl);
  const publicKeyDer = encodingOf(der, spkiEl);
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
    notBefore: readTime(der, nbEl, 'certificate: notBefore'),
    notAfter: readTime(der, naEl, 'certificate: notAfter'),
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
    ocspUrls: view.ocspUrls,
    extensions: raw,
    signatureAlgorithmOid: algorithm.oid,
    ...(algorithm.algorithm ? { signatureAlgorithm: algorithm.algorithm } : {}),
    tbsDer: encodingOf(der, tbsEl as DerElement),
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
  try {
    return keysMatch(privateKey, cert.publicKey);
  } catch {
    return false;
  }
}
