/**
 * Certificate revocation lists (RFC 5280 §5): creating v2 CRLs for a CA, and parsing (and,
 * given the issuer, verifying) CRLs.
 */
import { createHash, sign, verify, type KeyObject } from 'node:crypto';
import { CertificateList } from '@peculiar/asn1-x509';
import { signatureAlgorithmForKey, signatureAlgorithmFromIdentifier } from './algorithms.js';
import type { Certificate, Issuer } from './certificate.js';
import { parseDer } from './codec/asn1.js';
import { type DerElement, readChildren, readElement } from './codec/der.js';
import {
  bitString,
  constructed,
  contextConstructed,
  contextPrimitive,
  enumerated,
  int,
  nullDer,
  octets,
  oid,
  seq,
  TAG,
  tlv,
  utcOrGeneralizedTime,
} from './codec/der-writer.js';
import { decodePem, encodePem } from './codec/pem.js';
import { BadSignatureError, DerError, KeyMismatchError } from './errors.js';
import { keysMatch } from './keys.js';
import { type DistinguishedName, decodeName } from './name.js';
import { OID_AUTHORITY_KEY_IDENTIFIER, OID_CRL_NUMBER, OID_INVALIDITY_DATE, OID_KEY_USAGE, OID_REASON_CODE } from './oids.js';

/** CRLReason (RFC 5280 §5.3.1) values this package writes and reads. */
export type RevocationReason =
  | 'unspecified'
  | 'keyCompromise'
  | 'cACompromise'
  | 'affiliationChanged'
  | 'superseded'
  | 'cessationOfOperation'
  | 'certificateHold'
  | 'privilegeWithdrawn'
  | 'aACompromise';

/** One revoked certificate. */
export interface RevokedEntry {
  /** Lower-case hex of the serial number's INTEGER content octets (as `Certificate.serialNumberHex`). */
  readonly serialNumberHex: string;
  /** When the certificate was revoked; milliseconds are dropped. */
  readonly revokedAt: Date;
  /** Why; absent means unspecified. */
  readonly reason?: RevocationReason;
}

/** Options of {@link createCrl}. */
export interface CreateCrlOptions {
  /** The CA whose certificates the CRL lists; its certificate must allow cRLSign. */
  readonly issuer: Issuer;
  readonly thisUpdate: Date;
  /** When the next CRL will be issued at the latest (§5.1.2.5: conforming CAs always include it). */
  readonly nextUpdate: Date;
  /** Monotonically increasing CRL number (§5.2.3): 0 to 2^159 - 1 (at most 20 octets). */
  readonly crlNumber: bigint;
  readonly revoked: readonly RevokedEntry[];
}

/** A DER CRL and its PEM text (label `X509 CRL`). */
export interface EncodedCrl {
  readonly der: Uint8Array;
  readonly pem: string;
}

/** The typed view of a CRL returned by {@link parseCrl}. */
export interface Crl {
  readonly issuer: DistinguishedName;
  /** DER of the issuer Name exactly as received. */
  readonly issuerDer: Uint8Array;
  readonly thisUpdate: Date;
  readonly nextUpdate?: Date;
  readonly crlNumber?: bigint;
  readonly revoked: RevokedEntry[];
  readonly der: Uint8Array;
}

/** CRLReason codes, §5.3.1 (7 is unused; removeFromCRL, 8, only appears in delta CRLs). */
const REASON_CODES: Readonly<Record<RevocationReason, number>> = {
  unspecified: 0,
  keyCompromise: 1,
  cACompromise: 2,
  affiliationChanged: 3,
  superseded: 4,
  cessationOfOperation: 5,
  certificateHold: 6,
  privilegeWithdrawn: 9,
  aACompromise: 10,
};
const REASON_BY_CODE: ReadonlyMap<number, RevocationReason> = new Map(Object.entries(REASON_CODES).map(([name, code]) => [code, name as RevocationReason]));

/**
 * The CRLReason code (RFC 5280 §5.3.1) of a reason name, as CRL entries and OCSP RevokedInfo
 * (RFC 6960 §4.2.1) carry it.
 * @throws {TypeError} for a name that is not a reason.
 * @example
 * revocationReasonCode('keyCompromise'); // 1
 */
export function revocationReasonCode(reason: RevocationReason): number {
  const code = Object.hasOwn(REASON_CODES, reason) ? REASON_CODES[reason] : undefined;
  if (code === undefined) throw new TypeError(`unknown revocation reason ${JSON.stringify(reason)}`);
  return code;
}

/**
 * The reason name of a CRLReason code (RFC 5280 §5.3.1), or `undefined` for 7 (unused),
 * removeFromCRL (8, delta CRLs only) and codes past aACompromise (10).
 * @example
 * revocationReasonOfCode(4); // 'superseded'
 */
export function revocationReasonOfCode(code: number): RevocationReason | undefined {
  return REASON_BY_CODE.get(code);
}

/** CRL extensions understood here (§5.2, §5.3); a critical other one makes the CRL unusable. */
const RECOGNISED_CRL_EXTENSIONS: ReadonlySet<string> = new Set([OID_AUTHORITY_KEY_IDENTIFIER, OID_CRL_NUMBER]);
const RECOGNISED_ENTRY_EXTENSIONS: ReadonlySet<string> = new Set([OID_REASON_CODE, OID_INVALIDITY_DATE]);

/** 2^159: a CRL number must fit in 20 octets of two's complement (§5.2.3). */
const CRL_NUMBER_LIMIT = 1n << 159n;

function extension(extnId: string, value: Uint8Array): Uint8Array {
  return seq(oid(extnId), octets(value)); // critical DEFAULT FALSE is omitted in DER
}

function validDate(date: Date, what: string): Date {
  if (!(date instanceof Date) || Number.isNaN(date.getTime())) throw new TypeError(`${what} is not a valid Date`);
  return new Date(Math.floor(date.getTime() / 1000) * 1000);
}

/** Serial hex to INTEGER content octets; accepts what `Certificate.serialNumberHex` produces. */
function serialOctets(serialHex: string): Uint8Array {
  if (typeof serialHex !== 'string' || !/^([0-9a-fA-F]{2}){1,20}$/.test(serialHex)) {
    throw new TypeError(`serial number ${JSON.stringify(serialHex)} must be 1 to 20 octets of hex`);
  }
  const bytes = new Uint8Array(Buffer.from(serialHex, 'hex'));
  const [first = 0, second = 0] = bytes;
  if (bytes.length > 1 && ((first === 0 && (second & 0x80) === 0) || (first === 0xff && (second & 0x80) !== 0))) {
    throw new TypeError(`serial number ${serialHex} is not in minimal INTEGER form`);
  }
  return bytes;
}

/** SHA-1 of the subjectPublicKey bits: the §4.2.1.2 method (1) key identifier. */
function keyIdentifierOf(cert: Certificate): Uint8Array {
  if (cert.subjectKeyIdentifier) return new Uint8Array(Buffer.from(cert.subjectKeyIdentifier, 'hex'));
  const spki = cert.publicKeyDer;
  const bits = readChildren(spki, readElement(spki, 0))[1] as DerElement;
  return new Uint8Array(
    createHash('sha1')
      .update(spki.subarray(bits.contentStart + 1, bits.end))
      .digest(),
  );
}

/**
 * Creates and signs a v2 CRL (RFC 5280 §5.1): the issuer's subject copied byte for byte
 * (§5.1.2.3), thisUpdate and nextUpdate (§5.1.2.4-5, UTCTime through 2049), the revoked
 * certificates (omitted entirely when there are none, §5.1.2.6), each with a reasonCode entry
 * extension (§5.3.1) unless the reason is absent or `unspecified`, and the CRL extensions
 * authorityKeyIdentifier (§5.2.1) and cRLNumber (§5.2.3).
 *
 * @throws {KeyMismatchError} `ERR_PKI_KEY_MISMATCH` when the private key is not the certificate's.
 * @throws {UnsupportedAlgorithmError} `ERR_PKI_UNSUPPORTED_ALGORITHM` for a key that cannot sign.
 * @throws {TypeError} for caller misuse: an issuer that is not a CA or lacks cRLSign, invalid
 *   dates or thisUpdate >= nextUpdate, a CRL number outside 0..2^159-1, malformed or repeated
 *   serial numbers, unknown reasons.
 * @example
 * const { pem } = createCrl({ issuer, thisUpdate: now, nextUpdate: inAWeek, crlNumber: 42n,
 *   revoked: [{ serialNumberHex: cert.serialNumberHex, revokedAt: now, reason: 'keyCompromise' }] });
 */
export function createCrl(options: CreateCrlOptions): EncodedCrl {
  const { issuer, crlNumber, revoked } = options;
  const certificate = issuer?.certificate;
  if (!certificate || issuer.privateKey?.type !== 'private') {
    throw new TypeError('createCrl needs an issuer certificate and its private KeyObject');
  }
  if (!certificate.isCa) throw new TypeError('the issuer certificate is not a CA certificate');
  if (certificate.extensions.some((e) => e.oid === OID_KEY_USAGE) && !certificate.keyUsage.includes('cRLSign')) {
    throw new TypeError('the issuer certificate lacks the cRLSign key usage (RFC 5280 §4.2.1.3)');
  }
  if (!keysMatchSafe(issuer.privateKey, certificate.publicKey)) {
    throw new KeyMismatchError('the issuer private key does not belong to the issuer certificate');
  }
  const thisUpdate = validDate(options.thisUpdate, 'thisUpdate');
  const nextUpdate = validDate(options.nextUpdate, 'nextUpdate');
  if (thisUpdate.getTime() >= nextUpdate.getTime()) throw new TypeError('thisUpdate must be earlier than nextUpdate');
  if (typeof crlNumber !== 'bigint' || crlNumber < 0n || crlNumber >= CRL_NUMBER_LIMIT) {
    throw new TypeError('crlNumber must be a bigint from 0 to 2^159 - 1');
  }
  if (!Array.isArray(revoked as unknown)) throw new TypeError('revoked must be an array');

  const seen = new Set<string>();
  const entries = revoked.map((entry) => {
    const serial = serialOctets(entry.serialNumberHex);
    const key = Buffer.from(serial).toString('hex');
    if (seen.has(key)) throw new TypeError(`serial number ${key} is listed twice`);
    seen.add(key);
    const parts = [tlv(TAG.INTEGER, serial), utcOrGeneralizedTime(validDate(entry.revokedAt, 'revokedAt'))];
    if (entry.reason !== undefined) {
      const code = revocationReasonCode(entry.reason);
      // §5.3.1: the reason code unspecified (0) SHOULD be absent; the entry extension is left out.
      if (code !== 0) parts.push(seq(extension(OID_REASON_CODE, enumerated(code))));
    }
    return constructed(TAG.SEQUENCE, parts);
  });

  const algorithm = signatureAlgorithmForKey(issuer.privateKey);
  const algorithmDer = algorithm.keyType === 'rsa' ? seq(oid(algorithm.oid), nullDer) : seq(oid(algorithm.oid));
  const extensions = seq(
    extension(OID_AUTHORITY_KEY_IDENTIFIER, seq(contextPrimitive(0, keyIdentifierOf(certificate)))),
    extension(OID_CRL_NUMBER, int(crlNumber)),
  );
  const tbsParts = [
    int(1), // v2, §5.1.2.1
    algorithmDer,
    certificate.subjectDer,
    utcOrGeneralizedTime(thisUpdate),
    utcOrGeneralizedTime(nextUpdate),
  ];
  if (entries.length > 0) tbsParts.push(constructed(TAG.SEQUENCE, entries));
  tbsParts.push(contextConstructed(0, [extensions]));
  const tbs = constructed(TAG.SEQUENCE, tbsParts);
  const signature = sign(algorithm.hash, tbs, issuer.privateKey);
  const der = seq(tbs, algorithmDer, bitString(signature));
  return { der, pem: encodePem('X509 CRL', der) };
}

function keysMatchSafe(privateKey: KeyObject, publicKey: KeyObject): boolean {
  try {
    return keysMatch(privateKey, publicKey);
  } catch {
    return false;
  }
}

/** INTEGER content to a non-negative bigint. */
function unsignedInteger(content: Uint8Array, what: string): bigint {
  if (content.length === 0 || ((content[0] as number) & 0x80) !== 0) throw new DerError(`CRL: ${what} is not a non-negative INTEGER`);
  return BigInt(`0x${Buffer.from(content).toString('hex')}`);
}

/** The single TLV inside an extnValue, of the expected type. */
function extensionValue(value: ArrayBuffer, identifier: number, what: string): Uint8Array {
  const bytes = new Uint8Array(value);
  const el = readElement(bytes, 0);
  if (el.identifier !== identifier || el.end !== bytes.length) throw new DerError(`CRL: malformed ${what}`);
  return bytes.subarray(el.contentStart, el.end);
}

/** Raw TLV slices of what was signed: the TBSCertList, its signature and issuer fields, and the outer algorithm. */
function rawFields(der: Uint8Array): { tbs: Uint8Array; inner: Uint8Array; outer: Uint8Array; issuer: Uint8Array } {
  const [tbsEl, outerAlg] = readChildren(der, readElement(der, 0));
  if (!tbsEl || !outerAlg) throw new DerError('CRL: missing fields');
  const fields = readChildren(der, tbsEl);
  const first = fields[0]?.identifier === TAG.INTEGER ? 1 : 0; // version is OPTIONAL (v1 omits it)
  const innerAlg = fields[first];
  const issuer = fields[first + 1];
  if (!innerAlg || !issuer) throw new DerError('CRL: missing signature or issuer field');
  const slice = (el: DerElement) => der.subarray(el.start, el.end);
  return { tbs: slice(tbsEl), inner: slice(innerAlg), outer: slice(outerAlg), issuer: slice(issuer) };
}

/**
 * Parses a CRL (RFC 5280 §5.1) and, when `options.issuer` is given, verifies it: the CRL's
 * issuer name must equal the certificate's subject byte for byte, the certificate must be
 * allowed to sign CRLs (cA, and cRLSign when keyUsage is present; §6.3.3 (f)), the algorithm
 * must be accepted (no MD5 or SHA-1) and the signature must verify over the received TBS bytes.
 *
 * Decision: CRLs with a critical extension this package does not process (e.g.
 * issuingDistributionPoint, deltaCRLIndicator, certificateIssuer) are refused with
 * `ERR_PKI_DER`, because §5.2 forbids using such a CRL to decide revocation status. Entries
 * with reasonCode removeFromCRL (delta CRLs only) are refused the same way.
 *
 * @param input - PEM text with one `X509 CRL` block, or DER bytes; at most 64 KiB.
 * @throws {InputTooLargeError} `ERR_PKI_INPUT_TOO_LARGE`; {@link PemError} `ERR_PKI_PEM`.
 * @throws {DerError} `ERR_PKI_DER` for anything that is not a strict DER CRL, mismatched
 *   signature algorithm fields, or unprocessable critical extensions.
 * @throws {BadSignatureError} `ERR_PKI_BAD_SIGNATURE` when verification against `issuer` fails.
 * @throws {WeakSignatureAlgorithmError} `ERR_PKI_WEAK_SIGNATURE_ALGORITHM`,
 *   {@link UnsupportedAlgorithmError} `ERR_PKI_UNSUPPORTED_ALGORITHM` (only when verifying).
 * @example
 * const crl = parseCrl(pem, { issuer: caCert });
 * const revoked = crl.revoked.some((e) => e.serialNumberHex === cert.serialNumberHex);
 */
export function parseCrl(input: string | Uint8Array, options: { issuer?: Certificate } = {}): Crl {
  const source = typeof input === 'string' ? decodePem(input, 'X509 CRL') : input;
  if (!(source instanceof Uint8Array)) throw new TypeError('parseCrl takes PEM text or DER bytes');
  const der = new Uint8Array(source);
  const list = parseDer(der, CertificateList, 'CRL');
  const tbs = list.tbsCertList;
  if (tbs.version !== undefined && tbs.version !== 1) throw new DerError(`CRL: unknown version ${tbs.version}`);
  const raw = rawFields(der);
  // §5.1.1.2: signatureAlgorithm MUST equal the TBSCertList signature field.
  if (!Buffer.from(raw.inner).equals(raw.outer)) throw new DerError('CRL: signatureAlgorithm differs from the TBSCertList signature field');
  const hasExtensions = (tbs.crlExtensions?.length ?? 0) > 0 || (tbs.revokedCertificates ?? []).some((e) => e.crlEntryExtensions);
  if (hasExtensions && tbs.version !== 1) throw new DerError('CRL: extensions in a v1 CRL');

  const issuerDer = raw.issuer;

  let crlNumber: bigint | undefined;
  const seen = new Set<string>();
  for (const ext of tbs.crlExtensions ?? []) {
    if (seen.has(ext.extnID)) throw new DerError(`CRL: extension ${ext.extnID} appears twice`);
    seen.add(ext.extnID);
    if (ext.critical && !RECOGNISED_CRL_EXTENSIONS.has(ext.extnID)) {
      throw new DerError(`CRL: critical extension ${ext.extnID} is not supported, so the CRL cannot be used (RFC 5280 §5.2)`);
    }
    if (ext.extnID === OID_CRL_NUMBER) {
      crlNumber = unsignedInteger(extensionValue(ext.extnValue.buffer, TAG.INTEGER, 'cRLNumber'), 'cRLNumber');
    }
  }

  const revoked: RevokedEntry[] = (tbs.revokedCertificates ?? []).map((entry) => {
    let reason: RevocationReason | undefined;
    const entrySeen = new Set<string>();
    for (const ext of entry.crlEntryExtensions ?? []) {
      if (entrySeen.has(ext.extnID)) throw new DerError(`CRL: entry extension ${ext.extnID} appears twice`);
      entrySeen.add(ext.extnID);
      if (ext.critical && !RECOGNISED_ENTRY_EXTENSIONS.has(ext.extnID)) {
        throw new DerError(`CRL: critical entry extension ${ext.extnID} is not supported (RFC 5280 §5.3)`);
      }
      if (ext.extnID === OID_REASON_CODE) {
        const content = extensionValue(ext.extnValue.buffer, TAG.ENUMERATED, 'reasonCode');
        const code = content.length === 1 ? (content[0] as number) : -1;
        reason = REASON_BY_CODE.get(code);
        if (!reason) throw new DerError(`CRL: reasonCode ${code} is not supported`);
      }
    }
    const serial = new Uint8Array(entry.userCertificate);
    if (serial.length === 0) throw new DerError('CRL: empty serial number');
    return {
      serialNumberHex: Buffer.from(serial).toString('hex'),
      revokedAt: entry.revocationDate.getTime(),
      ...(reason !== undefined && reason !== 'unspecified' ? { reason } : {}),
    };
  });

  if (options.issuer) verifyCrlSignature(list, raw.tbs, issuerDer, options.issuer);

  return {
    issuer: decodeName(tbs.issuer),
    issuerDer,
    thisUpdate: tbs.thisUpdate.getTime(),
    ...(tbs.nextUpdate ? { nextUpdate: tbs.nextUpdate.getTime() } : {}),
    ...(crlNumber !== undefined ? { crlNumber } : {}),
    revoked,
    der,
  };
}

/** §6.3.3 (f), (g): the CRL issuer is the certificate's subject, may sign CRLs, and signed this one. */
function verifyCrlSignature(list: CertificateList, tbs: Uint8Array, issuerDer: Uint8Array, issuer: Certificate): void {
  if (!Buffer.from(issuerDer).equals(issuer.subjectDer)) {
    throw new BadSignatureError('CRL: the issuer name is not the subject of the given issuer certificate');
  }
  if (!issuer.isCa || (issuer.extensions.some((e) => e.oid === OID_KEY_USAGE) && !issuer.keyUsage.includes('cRLSign'))) {
    throw new BadSignatureError('CRL: the given issuer certificate may not sign CRLs (cA and cRLSign)');
  }
  const alg = signatureAlgorithmFromIdentifier(list.signatureAlgorithm);
  if (issuer.publicKey.asymmetricKeyType !== alg.keyType) {
    throw new BadSignatureError(`CRL: ${alg.name} does not fit the issuer's ${String(issuer.publicKey.asymmetricKeyType)} key`);
  }
  let valid: boolean;
  try {
    valid = verify(alg.hash, tbs, issuer.publicKey, new Uint8Array(list.signature));
  } catch {
    valid = false;
  }
  if (!valid) throw new BadSignatureError('CRL: the signature does not verify with the issuer key');
}
