/**
 * OCSP (RFC 6960): reading requests and writing the CA's signed answers, plus the client half
 * (building a request, reading and verifying a response) for installers and tests.
 *
 * The responder is the CA itself: responses are signed with the CA key (§2.2, "the CA who issued
 * the certificate in question"), name it by key hash (§4.2.1 ResponderID byKey) and carry no
 * certificates, since every client already holds the issuer certificate to build its CertID.
 */
import { createHash, sign, verify } from 'node:crypto';
import { signatureAlgorithmForKey, signatureAlgorithmFromOid } from './algorithms.js';
import type { Certificate, Issuer } from './certificate.js';
import { type DerElement, readChildren, readElement, validateDer } from './codec/der.js';
import { contentOf, encodingOf, expectElement, readBoolean, readOid, readSmallInteger, readTime } from './codec/der-reader.js';
import { bitString, constructed, contextConstructed, contextPrimitive, enumerated, explicit, nullDer, octets, oid, seq, TAG, tlv } from './codec/der-writer.js';
import { revocationReasonCode, revocationReasonOfCode, type RevocationReason } from './crl.js';
import { BadSignatureError, DerError, InputTooLargeError, KeyMismatchError } from './errors.js';
import { keysMatch } from './keys.js';
import { OID_KEY_USAGE } from './oids.js';

/** Hash algorithms a CertID may use here (§4.1.1; SHA-1 is what most clients send). */
export type OcspHashAlgorithm = 'sha1' | 'sha256' | 'sha384' | 'sha512';

/** One CertID (§4.1.1): which certificate a request asks about. */
export interface OcspCertId {
  /** The hash of the two issuer fields; `undefined` for an algorithm not supported here (never matches). */
  readonly hashAlgorithm: OcspHashAlgorithm | undefined;
  /** Hash of the issuer's DER-encoded subject Name. */
  readonly issuerNameHash: Uint8Array;
  /** Hash of the issuer's subjectPublicKey BIT STRING value (without the unused-bits octet). */
  readonly issuerKeyHash: Uint8Array;
  /** Lower-case hex of the serial number's INTEGER content octets (as `Certificate.serialNumberHex`). */
  readonly serialNumberHex: string;
  /** The CertID's DER exactly as received: a response repeats it byte for byte. */
  readonly der: Uint8Array;
}

/** A parsed OCSPRequest (§4.1.1). */
export interface OcspRequest {
  /** The certificates asked about, in order; at least one, at most {@link MAX_OCSP_REQUEST_CERT_IDS}. */
  readonly certIds: readonly OcspCertId[];
  /**
   * The nonce (RFC 8954 §2.1, RFC 6960 §4.4.1): the content of its OCTET STRING, 1 to 32 octets.
   * Absent when none was sent, or when it is not an OCTET STRING of that size (RFC 8954 allows a
   * responder to answer those without a nonce; see {@link OcspRequest.nonceIgnored}).
   */
  readonly nonce?: Uint8Array;
  /** A nonce extension was present but not echoable (wrong form or size). */
  readonly nonceIgnored: boolean;
  /**
   * The request carried requestorName or optionalSignature (§4.1.2). Neither is checked: the
   * responder answers anyone about any certificate (the status of a certificate is public, as
   * the CRL is), so a signature would authorise nothing.
   */
  readonly signed: boolean;
  readonly der: Uint8Array;
}

/** The status of one certificate (§2.2). */
export type OcspCertStatus =
  { readonly type: 'good' } | { readonly type: 'revoked'; readonly revokedAt: Date; readonly reason?: RevocationReason } | { readonly type: 'unknown' };

/** One SingleResponse (§4.2.1). */
export interface OcspSingleResponse {
  /** The CertID answered: repeated exactly as the request sent it (its `der`). */
  readonly certId: OcspCertId;
  readonly status: OcspCertStatus;
  /** When the status was known to be correct. */
  readonly thisUpdate: Date;
  /** When newer information will be available; clients may cache the answer until then. */
  readonly nextUpdate?: Date;
}

/** The responseStatus values (§4.2.1) this package writes and reads. */
export type OcspResponseStatus = 'successful' | 'malformedRequest' | 'internalError' | 'tryLater' | 'sigRequired' | 'unauthorized';

/** Options of {@link createOcspResponse}. */
export interface CreateOcspResponseOptions {
  /** The CA: its key signs, its key hash is the ResponderID. */
  readonly issuer: Issuer;
  /** When the response is signed. */
  readonly producedAt: Date;
  /** One answer per CertID asked about, at least one. */
  readonly responses: readonly OcspSingleResponse[];
  /** The request's nonce, echoed (RFC 8954 §2.1); 1 to 32 octets. */
  readonly nonce?: Uint8Array;
}

/** A parsed OCSPResponse (§4.2.1); `basic` only for `successful`. */
export interface OcspResponse {
  readonly responseStatus: OcspResponseStatus;
  readonly basic?: {
    /** SHA-1 of the responder's public key (ResponderID byKey); absent for byName. */
    readonly responderKeyHash?: Uint8Array;
    readonly producedAt: Date;
    readonly responses: readonly OcspSingleResponse[];
    readonly nonce?: Uint8Array;
  };
  readonly der: Uint8Array;
}

/** Options of {@link createOcspRequest}. */
export interface CreateOcspRequestOptions {
  /** The certificate that issued the certificates asked about. */
  readonly issuer: Certificate;
  /** Serial numbers (as `Certificate.serialNumberHex`), at least one. */
  readonly serialNumbersHex: readonly string[];
  /** The CertID hash; default `sha1`, which every responder understands. */
  readonly hashAlgorithm?: OcspHashAlgorithm;
  /** A nonce of 1 to 32 octets (RFC 8954 §2.1: 32 is recommended). */
  readonly nonce?: Uint8Array;
}

/** Most CertIDs accepted in one request; installers ask about one, openssl about a handful. */
export const MAX_OCSP_REQUEST_CERT_IDS = 20;

/** id-pkix-ocsp-nonce (RFC 6960 §4.4.1). */
const OID_OCSP_NONCE = '1.3.6.1.5.5.7.48.1.2';
/** id-pkix-ocsp-basic (§4.2.1). */
const OID_OCSP_BASIC = '1.3.6.1.5.5.7.48.1.1';

const HASH_OIDS: Readonly<Record<OcspHashAlgorithm, string>> = {
  sha1: '1.3.14.3.2.26',
  sha256: '2.16.840.1.101.3.4.2.1',
  sha384: '2.16.840.1.101.3.4.2.2',
  sha512: '2.16.840.1.101.3.4.2.3',
};
const HASH_BY_OID: ReadonlyMap<string, OcspHashAlgorithm> = new Map(Object.entries(HASH_OIDS).map(([name, o]) => [o, name as OcspHashAlgorithm]));
const HASH_LENGTHS: Readonly<Record<OcspHashAlgorithm, number>> = { sha1: 20, sha256: 32, sha384: 48, sha512: 64 };

const RESPONSE_STATUS_CODES: Readonly<Record<OcspResponseStatus, number>> = {
  successful: 0,
  malformedRequest: 1,
  internalError: 2,
  tryLater: 3,
  // 4 is not used (§4.2.1).
  sigRequired: 5,
  unauthorized: 6,
};
const RESPONSE_STATUS_BY_CODE: ReadonlyMap<number, OcspResponseStatus> = new Map(
  Object.entries(RESPONSE_STATUS_CODES).map(([name, code]) => [code, name as OcspResponseStatus]),
);

/** RFC 8954 §2.1: nonces of 1 to 32 octets. */
const MAX_NONCE_OCTETS = 32;

/** Context-specific identifiers: [0], [1], [2] constructed and [0], [1], [2] primitive. */
const CTX0 = 0xa0;
const CTX1 = 0xa1;
const CTX2 = 0xa2;

/** The subjectPublicKey BIT STRING value of an SPKI, without the unused-bits octet (§4.1.1 issuerKeyHash). */
function publicKeyBits(spki: Uint8Array): Uint8Array {
  const bits = readChildren(spki, readElement(spki, 0))[1];
  if (!bits || bits.identifier !== TAG.BIT_STRING) throw new DerError('public key: no subjectPublicKey BIT STRING');
  return spki.subarray(bits.contentStart + 1, bits.end);
}

function digest(algorithm: OcspHashAlgorithm, data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash(algorithm).update(data).digest());
}

/** The issuer hashes of a CertID, cached per certificate object and algorithm (every request computes them). */
const issuerHashCache = new WeakMap<Certificate, Map<OcspHashAlgorithm, { name: Uint8Array; key: Uint8Array }>>();

function issuerHashes(issuer: Certificate, algorithm: OcspHashAlgorithm): { name: Uint8Array; key: Uint8Array } {
  let byAlgorithm = issuerHashCache.get(issuer);
  if (!byAlgorithm) issuerHashCache.set(issuer, (byAlgorithm = new Map()));
  let hashes = byAlgorithm.get(algorithm);
  if (!hashes) {
    hashes = { name: digest(algorithm, issuer.subjectDer), key: digest(algorithm, publicKeyBits(issuer.publicKeyDer)) };
    byAlgorithm.set(algorithm, hashes);
  }
  return hashes;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

/**
 * Whether a CertID names `issuer` as the issuer (§4.1.1: both the name hash and the key hash
 * match). A CertID of an unsupported hash algorithm never matches.
 * @example
 * const ours = ocspCertIdMatchesIssuer(request.certIds[0], caCertificate);
 */
export function ocspCertIdMatchesIssuer(certId: OcspCertId, issuer: Certificate): boolean {
  if (certId.hashAlgorithm === undefined) return false;
  const { name, key } = issuerHashes(issuer, certId.hashAlgorithm);
  return equalBytes(name, certId.issuerNameHash) && equalBytes(key, certId.issuerKeyHash);
}

/** Serial hex to INTEGER content octets (the form `Certificate.serialNumberHex` has). */
function serialOctets(serialHex: string): Uint8Array {
  if (typeof serialHex !== 'string' || !/^([0-9a-f]{2}){1,20}$/.test(serialHex)) {
    throw new TypeError(`serial number ${JSON.stringify(serialHex)} must be 1 to 20 octets of lower-case hex`);
  }
  return new Uint8Array(Buffer.from(serialHex, 'hex'));
}

function checkNonce(nonce: Uint8Array | undefined): void {
  if (nonce !== undefined && (!(nonce instanceof Uint8Array) || nonce.length < 1 || nonce.length > MAX_NONCE_OCTETS)) {
    throw new TypeError(`a nonce must be 1 to ${MAX_NONCE_OCTETS} octets (RFC 8954 §2.1)`);
  }
}

/** The nonce extension: extnValue is the DER of `Nonce ::= OCTET STRING` (RFC 8954 §2.1). */
function nonceExtensions(nonce: Uint8Array): Uint8Array {
  return seq(seq(oid(OID_OCSP_NONCE), octets(octets(nonce))));
}

/** CertID (§4.1.1) of `serialHex` under `issuer`. */
function certIdDer(issuer: Certificate, serialHex: string, algorithm: OcspHashAlgorithm): Uint8Array {
  const { name, key } = issuerHashes(issuer, algorithm);
  // §4.1.1 AlgorithmIdentifier: the hash OIDs are written with NULL parameters, as RFC 5754 §2
  // allows and as openssl and most responders write them.
  return seq(seq(oid(HASH_OIDS[algorithm]), nullDer), octets(name), octets(key), tlv(TAG.INTEGER, serialOctets(serialHex)));
}

/**
 * Builds an unsigned OCSPRequest (§4.1.1) for certificates of one issuer, with an optional nonce
 * (§4.4.1). What an installer or a test sends to `/ocsp`.
 * @throws {TypeError} for caller misuse: no serials or more than {@link MAX_OCSP_REQUEST_CERT_IDS},
 *   malformed serials, an unknown hash algorithm, a nonce outside 1 to 32 octets.
 * @example
 * const der = createOcspRequest({ issuer: caCert, serialNumbersHex: [leaf.serialNumberHex], nonce: randomBytes(32) });
 */
export function createOcspRequest(options: CreateOcspRequestOptions): Uint8Array {
  const { issuer, serialNumbersHex, nonce } = options;
  const algorithm = options.hashAlgorithm ?? 'sha1';
  if (!Object.hasOwn(HASH_OIDS, algorithm)) throw new TypeError(`unknown CertID hash ${JSON.stringify(algorithm)}`);
  if (!Array.isArray(serialNumbersHex as unknown) || serialNumbersHex.length === 0 || serialNumbersHex.length > MAX_OCSP_REQUEST_CERT_IDS) {
    throw new TypeError(`an OCSP request asks about 1 to ${MAX_OCSP_REQUEST_CERT_IDS} certificates`);
  }
  checkNonce(nonce);
  const requests = serialNumbersHex.map((serial) => seq(certIdDer(issuer, serial, algorithm)));
  const tbs = [constructed(TAG.SEQUENCE, requests)];
  if (nonce !== undefined) tbs.push(explicit(2, nonceExtensions(nonce)));
  return seq(constructed(TAG.SEQUENCE, tbs));
}

/** Extensions ::= SEQUENCE OF Extension: their OIDs, criticality and extnValue bytes. */
function readExtensions(der: Uint8Array, el: DerElement, what: string): { oid: string; critical: boolean; value: Uint8Array }[] {
  const seen = new Set<string>();
  return readChildren(der, expectElement(el, TAG.SEQUENCE, what)).map((ext) => {
    const [idEl, second, third] = readChildren(der, expectElement(ext, TAG.SEQUENCE, `${what}: extension`));
    const extnId = readOid(der, expectElement(idEl, TAG.OID, `${what}: extnID`), what);
    const critical = second?.identifier === TAG.BOOLEAN ? readBoolean(der, second) : false;
    const valueEl = expectElement(second?.identifier === TAG.BOOLEAN ? third : second, TAG.OCTET_STRING, `${what}: extnValue`);
    if (readChildren(der, ext).length !== (second?.identifier === TAG.BOOLEAN ? 3 : 2)) throw new DerError(`${what}: malformed extension`);
    if (seen.has(extnId)) throw new DerError(`${what}: extension ${extnId} appears twice`);
    seen.add(extnId);
    return { oid: extnId, critical, value: contentOf(der, valueEl) };
  });
}

/** The nonce inside an extnValue when it is an OCTET STRING of 1 to 32 octets, else `undefined`. */
function nonceOf(value: Uint8Array): Uint8Array | undefined {
  try {
    const el = readElement(value, 0);
    const length = el.end - el.contentStart;
    if (el.identifier !== TAG.OCTET_STRING || el.end !== value.length || length < 1 || length > MAX_NONCE_OCTETS) return undefined;
    return value.slice(el.contentStart, el.end);
  } catch {
    return undefined;
  }
}

function readCertId(der: Uint8Array, el: DerElement, what: string): OcspCertId {
  const [alg, nameHash, keyHash, serial, ...rest] = readChildren(der, expectElement(el, TAG.SEQUENCE, what));
  if (rest.length > 0) throw new DerError(`${what}: unexpected structure`);
  const algChildren = readChildren(der, expectElement(alg, TAG.SEQUENCE, `${what}: hashAlgorithm`));
  const algOid = readOid(der, expectElement(algChildren[0], TAG.OID, `${what}: hashAlgorithm`), what);
  // Parameters absent or NULL (RFC 5754 §2: both occur for the SHA-2 family).
  const params = algChildren[1];
  if (algChildren.length > 2 || (params !== undefined && !equalBytes(encodingOf(der, params), nullDer))) {
    throw new DerError(`${what}: unexpected hash algorithm parameters`);
  }
  const hashAlgorithm = HASH_BY_OID.get(algOid);
  const issuerNameHash = contentOf(der, expectElement(nameHash, TAG.OCTET_STRING, `${what}: issuerNameHash`)).slice();
  const issuerKeyHash = contentOf(der, expectElement(keyHash, TAG.OCTET_STRING, `${what}: issuerKeyHash`)).slice();
  if (hashAlgorithm !== undefined && (issuerNameHash.length !== HASH_LENGTHS[hashAlgorithm] || issuerKeyHash.length !== HASH_LENGTHS[hashAlgorithm])) {
    throw new DerError(`${what}: the issuer hashes are not ${hashAlgorithm} digests`);
  }
  const serialContent = contentOf(der, expectElement(serial, TAG.INTEGER, `${what}: serialNumber`));
  return {
    hashAlgorithm,
    issuerNameHash,
    issuerKeyHash,
    serialNumberHex: Buffer.from(serialContent).toString('hex'),
    der: encodingOf(der, el as DerElement).slice(),
  };
}

/**
 * Parses an OCSPRequest (RFC 6960 §4.1.1): the CertIDs (any of SHA-1, SHA-256, SHA-384,
 * SHA-512; another algorithm is read, and never matches an issuer), and the nonce extension
 * (§4.4.1, RFC 8954). Decision: requestorName and optionalSignature (§4.1.2) are accepted and
 * ignored (reported as `signed`), because the status of a certificate is public, as on the CRL.
 * Single-request extensions are ignored unless critical (§4.4: unrecognised extensions are
 * ignored unless critical).
 *
 * @param input - DER bytes, at most 64 KiB.
 * @throws {InputTooLargeError} `ERR_PKI_INPUT_TOO_LARGE` over 64 KiB or more than
 *   {@link MAX_OCSP_REQUEST_CERT_IDS} CertIDs.
 * @throws {DerError} `ERR_PKI_DER` for anything that is not a strict DER OCSPRequest, a version
 *   other than v1, no CertID, hashes of the wrong length, or a critical extension not understood.
 * @example
 * const request = parseOcspRequest(body);
 * const ours = request.certIds.filter((id) => ocspCertIdMatchesIssuer(id, caCert));
 */
export function parseOcspRequest(input: Uint8Array): OcspRequest {
  if (!(input instanceof Uint8Array)) throw new TypeError('parseOcspRequest takes DER bytes');
  const der = new Uint8Array(input);
  const outer = validateDer(der, 'OCSP request');
  const [tbsEl, signatureEl, ...more] = readChildren(der, expectElement(outer, TAG.SEQUENCE, 'OCSP request'));
  if (more.length > 0 || (signatureEl !== undefined && signatureEl.identifier !== CTX0)) throw new DerError('OCSP request: unexpected structure');
  const fields = readChildren(der, expectElement(tbsEl, TAG.SEQUENCE, 'OCSP request: tbsRequest'));
  let i = 0;
  if (fields[i]?.identifier === CTX0) {
    const [version, ...rest] = readChildren(der, fields[i] as DerElement);
    // DER leaves out a DEFAULT value, but accepting an explicit v1 costs nothing.
    if (rest.length > 0 || readSmallInteger(der, expectElement(version, TAG.INTEGER, 'OCSP request: version'), 'OCSP request: version') !== 0) {
      throw new DerError('OCSP request: only version v1 is known');
    }
    i++;
  }
  const requestor = fields[i]?.identifier === CTX1;
  if (requestor) i++;
  const list = readChildren(der, expectElement(fields[i++], TAG.SEQUENCE, 'OCSP request: requestList'));
  const extEl = fields[i]?.identifier === CTX2 ? fields[i++] : undefined;
  if (i !== fields.length) throw new DerError('OCSP request: unexpected structure');
  if (list.length === 0) throw new DerError('OCSP request: requestList is empty');
  if (list.length > MAX_OCSP_REQUEST_CERT_IDS) {
    throw new InputTooLargeError(`OCSP request: ${list.length} CertIDs, the limit is ${MAX_OCSP_REQUEST_CERT_IDS}`);
  }
  const certIds = list.map((request) => {
    const [certId, single, ...rest] = readChildren(der, expectElement(request, TAG.SEQUENCE, 'OCSP request: Request'));
    if (rest.length > 0 || (single !== undefined && single.identifier !== CTX0)) throw new DerError('OCSP request: Request: unexpected structure');
    if (single !== undefined) {
      const [exts, ...extra] = readChildren(der, single);
      if (extra.length > 0) throw new DerError('OCSP request: singleRequestExtensions: unexpected structure');
      const critical = readExtensions(der, exts as DerElement, 'OCSP request: singleRequestExtensions').find((e) => e.critical);
      if (critical) throw new DerError(`OCSP request: critical extension ${critical.oid} is not supported (RFC 6960 §4.4)`);
    }
    return readCertId(der, certId as DerElement, 'OCSP request: CertID');
  });

  let nonce: Uint8Array | undefined;
  let nonceIgnored = false;
  if (extEl !== undefined) {
    const [exts, ...extra] = readChildren(der, extEl);
    if (extra.length > 0) throw new DerError('OCSP request: requestExtensions: unexpected structure');
    for (const ext of readExtensions(der, exts as DerElement, 'OCSP request: requestExtensions')) {
      if (ext.oid === OID_OCSP_NONCE) {
        nonce = nonceOf(ext.value);
        nonceIgnored = nonce === undefined;
      } else if (ext.critical) {
        throw new DerError(`OCSP request: critical extension ${ext.oid} is not supported (RFC 6960 §4.4)`);
      }
    }
  }
  return { certIds, ...(nonce !== undefined ? { nonce } : {}), nonceIgnored, signed: requestor || signatureEl !== undefined, der };
}

/** GeneralizedTime `YYYYMMDDHHMMSSZ` (§4.2.2.1 and RFC 5280 §4.1.2.5.2: no fractions, always this form). */
function generalizedTime(date: Date, what: string): Uint8Array {
  const ms = date instanceof Date ? date.getTime() : Number.NaN;
  if (Number.isNaN(ms)) throw new TypeError(`${what} is not a valid Date`);
  const year = date.getUTCFullYear();
  if (year < 0 || year > 9999) throw new TypeError(`${what}: year ${year} cannot be encoded`);
  const two = (n: number) => String(n).padStart(2, '0');
  const text = `${String(year).padStart(4, '0')}${two(date.getUTCMonth() + 1)}${two(date.getUTCDate())}${two(date.getUTCHours())}${two(date.getUTCMinutes())}${two(date.getUTCSeconds())}Z`;
  return tlv(TAG.GENERALIZED_TIME, new Uint8Array(Buffer.from(text, 'latin1')));
}

function certStatusDer(status: OcspCertStatus): Uint8Array {
  switch (status?.type) {
    case 'good':
      return contextPrimitive(0, new Uint8Array(0)); // good [0] IMPLICIT NULL
    case 'unknown':
      return contextPrimitive(2, new Uint8Array(0)); // unknown [2] IMPLICIT UnknownInfo (NULL)
    case 'revoked': {
      // revoked [1] IMPLICIT RevokedInfo { revocationTime, revocationReason [0] EXPLICIT CRLReason OPTIONAL }
      const parts = [generalizedTime(status.revokedAt, 'revokedAt')];
      if (status.reason !== undefined) parts.push(explicit(0, enumerated(revocationReasonCode(status.reason))));
      return contextConstructed(1, parts);
    }
    default:
      throw new TypeError(`unknown certificate status ${JSON.stringify((status as { type?: unknown } | undefined)?.type)}`);
  }
}

function responseStatusDer(status: OcspResponseStatus, bytes?: Uint8Array): Uint8Array {
  const parts = [enumerated(RESPONSE_STATUS_CODES[status])];
  if (bytes !== undefined) parts.push(explicit(0, seq(oid(OID_OCSP_BASIC), octets(bytes))));
  return constructed(TAG.SEQUENCE, parts);
}

/**
 * An OCSPResponse without responseBytes (§4.2.1): the answer to a request the responder cannot
 * answer (`malformedRequest`, `internalError`, `tryLater`, `sigRequired`, `unauthorized`). These
 * are not signed (§2.3).
 * @throws {TypeError} for `successful` (use {@link createOcspResponse}) or an unknown status.
 * @example
 * res.send(ocspErrorResponse('malformedRequest')); // 30 03 0a 01 01
 */
export function ocspErrorResponse(status: Exclude<OcspResponseStatus, 'successful'>): Uint8Array {
  if ((status as string) === 'successful' || !Object.hasOwn(RESPONSE_STATUS_CODES, status)) {
    throw new TypeError(`${JSON.stringify(status)} is not an OCSP error status`);
  }
  return responseStatusDer(status);
}

/**
 * Signs a BasicOCSPResponse (RFC 6960 §4.2.1) with the CA key and wraps it in a successful
 * OCSPResponse: version v1 (left out, DEFAULT), ResponderID byKey (SHA-1 of the CA's
 * subjectPublicKey), producedAt, one SingleResponse per CertID (status good, revoked with time
 * and reason, or unknown; thisUpdate; nextUpdate when given), the nonce echoed as a response
 * extension (§4.4.1) when given, and no certificates (the CA signs itself, §2.2 and §4.2.2.2).
 * Times are GeneralizedTime with whole seconds (§4.2.2.1).
 *
 * @throws {KeyMismatchError} `ERR_PKI_KEY_MISMATCH` when the private key is not the certificate's.
 * @throws {UnsupportedAlgorithmError} `ERR_PKI_UNSUPPORTED_ALGORITHM` for a key that cannot sign.
 * @throws {TypeError} for caller misuse: an issuer that is not a CA, no responses, invalid
 *   dates, nextUpdate before thisUpdate, unknown statuses or reasons, a nonce outside 1 to 32 octets.
 * @example
 * const der = createOcspResponse({ issuer, producedAt: now, nonce: request.nonce, responses: [
 *   { certId: request.certIds[0], status: { type: 'good' }, thisUpdate: now, nextUpdate: inAnHour }] });
 */
export function createOcspResponse(options: CreateOcspResponseOptions): Uint8Array {
  const { issuer, responses, nonce } = options;
  const certificate = issuer?.certificate;
  if (!certificate || issuer.privateKey?.type !== 'private') {
    throw new TypeError('createOcspResponse needs an issuer certificate and its private KeyObject');
  }
  if (!certificate.isCa) throw new TypeError('the issuer certificate is not a CA certificate');
  if (!keysMatchSafe(issuer)) throw new KeyMismatchError('the issuer private key does not belong to the issuer certificate');
  if (!Array.isArray(responses as unknown) || responses.length === 0) throw new TypeError('an OCSP response answers at least one CertID');
  checkNonce(nonce);

  const single = responses.map((r) => {
    if (!(r?.certId?.der instanceof Uint8Array)) throw new TypeError('each response needs the CertID it answers');
    const parts = [r.certId.der, certStatusDer(r.status), generalizedTime(r.thisUpdate, 'thisUpdate')];
    if (r.nextUpdate !== undefined) {
      if (!(r.nextUpdate instanceof Date) || r.nextUpdate.getTime() < r.thisUpdate.getTime()) {
        throw new TypeError('nextUpdate must be a Date not before thisUpdate');
      }
      parts.push(explicit(0, generalizedTime(r.nextUpdate, 'nextUpdate')));
    }
    return constructed(TAG.SEQUENCE, parts);
  });
  const keyHash = digest('sha1', publicKeyBits(certificate.publicKeyDer));
  const data = [explicit(2, octets(keyHash)), generalizedTime(options.producedAt, 'producedAt'), constructed(TAG.SEQUENCE, single)];
  if (nonce !== undefined) data.push(explicit(1, nonceExtensions(nonce)));
  const tbs = constructed(TAG.SEQUENCE, data);

  const algorithm = signatureAlgorithmForKey(issuer.privateKey);
  const algorithmDer = algorithm.keyType === 'rsa' ? seq(oid(algorithm.oid), nullDer) : seq(oid(algorithm.oid));
  const signature = sign(algorithm.hash, tbs, issuer.privateKey);
  return responseStatusDer('successful', seq(tbs, algorithmDer, bitString(signature)));
}

function keysMatchSafe(issuer: Issuer): boolean {
  try {
    return keysMatch(issuer.privateKey, issuer.certificate.publicKey);
  } catch {
    return false;
  }
}

function readSingleResponse(der: Uint8Array, el: DerElement): OcspSingleResponse {
  const what = 'OCSP response: SingleResponse';
  const [certIdEl, statusEl, thisUpdateEl, ...rest] = readChildren(der, expectElement(el, TAG.SEQUENCE, what));
  if (!certIdEl || !statusEl || !thisUpdateEl) throw new DerError(`${what}: missing fields`);
  const certId = readCertId(der, certIdEl, `${what}: CertID`);
  let status: OcspCertStatus;
  if (statusEl.identifier === 0x80 && statusEl.end === statusEl.contentStart) status = { type: 'good' };
  else if (statusEl.identifier === 0x82 && statusEl.end === statusEl.contentStart) status = { type: 'unknown' };
  else if (statusEl.identifier === CTX1) {
    const [timeEl, reasonEl, ...extra] = readChildren(der, statusEl);
    if (!timeEl || extra.length > 0 || (reasonEl !== undefined && reasonEl.identifier !== CTX0)) throw new DerError(`${what}: malformed RevokedInfo`);
    let reason: RevocationReason | undefined;
    if (reasonEl !== undefined) {
      const [code, ...more] = readChildren(der, reasonEl);
      const content = contentOf(der, expectElement(code, TAG.ENUMERATED, `${what}: revocationReason`));
      if (more.length > 0 || content.length !== 1) throw new DerError(`${what}: malformed revocationReason`);
      reason = revocationReasonOfCode(content[0] as number);
      if (reason === undefined) throw new DerError(`${what}: revocationReason ${content[0] as number} is not supported`);
    }
    status = { type: 'revoked', revokedAt: readGeneralizedTime(der, timeEl, `${what}: revocationTime`), ...(reason !== undefined ? { reason } : {}) };
  } else throw new DerError(`${what}: unknown certStatus`);
  const thisUpdate = readGeneralizedTime(der, thisUpdateEl, `${what}: thisUpdate`);
  let nextUpdate: Date | undefined;
  let j = 0;
  if (rest[j]?.identifier === CTX0) {
    const [inner, ...more] = readChildren(der, rest[j] as DerElement);
    if (!inner || more.length > 0) throw new DerError(`${what}: malformed nextUpdate`);
    nextUpdate = readGeneralizedTime(der, inner, `${what}: nextUpdate`);
    j++;
  }
  if (rest[j]?.identifier === CTX1) {
    const [exts] = readChildren(der, rest[j] as DerElement);
    const critical = readExtensions(der, exts as DerElement, `${what}: singleExtensions`).find((e) => e.critical);
    if (critical) throw new DerError(`${what}: critical extension ${critical.oid} is not supported`);
    j++;
  }
  if (j !== rest.length) throw new DerError(`${what}: unexpected structure`);
  return { certId, status, thisUpdate, ...(nextUpdate !== undefined ? { nextUpdate } : {}) };
}

function readGeneralizedTime(der: Uint8Array, el: DerElement, what: string): Date {
  if (el.identifier !== TAG.GENERALIZED_TIME) throw new DerError(`${what} is not a GeneralizedTime`);
  return readTime(der, el, what);
}

/**
 * Parses an OCSPResponse (RFC 6960 §4.2.1) and, for a successful one, its BasicOCSPResponse.
 * With `options.issuer`, the response must be signed by that CA itself (ResponderID byKey or
 * byName matching it; delegated responders are not accepted here) with an accepted algorithm,
 * over the received bytes.
 *
 * @param input - DER bytes, at most 64 KiB.
 * @throws {InputTooLargeError} `ERR_PKI_INPUT_TOO_LARGE`.
 * @throws {DerError} `ERR_PKI_DER` for anything that is not a strict DER OCSPResponse, an unknown
 *   status or response type, or a critical extension not understood.
 * @throws {BadSignatureError} `ERR_PKI_BAD_SIGNATURE` when the response is not the issuer's or
 *   does not verify.
 * @throws {WeakSignatureAlgorithmError} `ERR_PKI_WEAK_SIGNATURE_ALGORITHM`,
 *   {@link UnsupportedAlgorithmError} `ERR_PKI_UNSUPPORTED_ALGORITHM` (only when verifying).
 * @example
 * const { basic } = parseOcspResponse(body, { issuer: caCert });
 * const status = basic?.responses[0]?.status.type; // 'good' | 'revoked' | 'unknown'
 */
export function parseOcspResponse(input: Uint8Array, options: { issuer?: Certificate } = {}): OcspResponse {
  if (!(input instanceof Uint8Array)) throw new TypeError('parseOcspResponse takes DER bytes');
  const der = new Uint8Array(input);
  const outer = validateDer(der, 'OCSP response');
  const [statusEl, bytesEl, ...more] = readChildren(der, expectElement(outer, TAG.SEQUENCE, 'OCSP response'));
  const statusContent = contentOf(der, expectElement(statusEl, TAG.ENUMERATED, 'OCSP response: responseStatus'));
  const responseStatus = statusContent.length === 1 ? RESPONSE_STATUS_BY_CODE.get(statusContent[0] as number) : undefined;
  if (!responseStatus) throw new DerError('OCSP response: unknown responseStatus');
  if (more.length > 0 || (bytesEl !== undefined && bytesEl.identifier !== CTX0)) throw new DerError('OCSP response: unexpected structure');
  if (responseStatus !== 'successful') {
    if (bytesEl !== undefined) throw new DerError('OCSP response: responseBytes in an unsuccessful response');
    return { responseStatus, der };
  }
  if (bytesEl === undefined) throw new DerError('OCSP response: a successful response without responseBytes');
  const [bytesSeq, ...extraBytes] = readChildren(der, bytesEl);
  const [typeEl, responseEl, ...extraFields] = readChildren(der, expectElement(bytesSeq, TAG.SEQUENCE, 'OCSP response: responseBytes'));
  if (extraBytes.length > 0 || extraFields.length > 0) throw new DerError('OCSP response: responseBytes: unexpected structure');
  if (readOid(der, expectElement(typeEl, TAG.OID, 'OCSP response: responseType'), 'OCSP response') !== OID_OCSP_BASIC) {
    throw new DerError('OCSP response: only id-pkix-ocsp-basic responses are supported');
  }
  const basicDer = contentOf(der, expectElement(responseEl, TAG.OCTET_STRING, 'OCSP response: response'));
  // The OCTET STRING's content is DER of its own, which validateDer of the outer bytes did not walk.
  const basicEl = validateDer(basicDer, 'OCSP response: BasicOCSPResponse');
  const [tbsEl, algEl, sigEl, certsEl, ...extra] = readChildren(basicDer, expectElement(basicEl, TAG.SEQUENCE, 'OCSP response: BasicOCSPResponse'));
  if (!tbsEl || !algEl || !sigEl || extra.length > 0 || (certsEl !== undefined && certsEl.identifier !== CTX0)) {
    throw new DerError('OCSP response: BasicOCSPResponse: unexpected structure');
  }
  const fields = readChildren(basicDer, expectElement(tbsEl, TAG.SEQUENCE, 'OCSP response: ResponseData'));
  let i = 0;
  if (fields[i]?.identifier === CTX0) {
    const [version] = readChildren(basicDer, fields[i] as DerElement);
    if (readSmallInteger(basicDer, expectElement(version, TAG.INTEGER, 'OCSP response: version'), 'OCSP response: version') !== 0) {
      throw new DerError('OCSP response: only version v1 is known');
    }
    i++;
  }
  const responderEl = fields[i++];
  if (!responderEl || (responderEl.identifier !== CTX1 && responderEl.identifier !== CTX2)) throw new DerError('OCSP response: missing ResponderID');
  const [responderInner, ...responderMore] = readChildren(basicDer, responderEl);
  if (!responderInner || responderMore.length > 0) throw new DerError('OCSP response: malformed ResponderID');
  let responderKeyHash: Uint8Array | undefined;
  if (responderEl.identifier === CTX2) {
    responderKeyHash = contentOf(basicDer, expectElement(responderInner, TAG.OCTET_STRING, 'OCSP response: ResponderID byKey')).slice();
  } else expectElement(responderInner, TAG.SEQUENCE, 'OCSP response: ResponderID byName');
  const producedAt = readGeneralizedTime(basicDer, expectElement(fields[i++], TAG.GENERALIZED_TIME, 'OCSP response: producedAt'), 'OCSP response: producedAt');
  const responses = readChildren(basicDer, expectElement(fields[i++], TAG.SEQUENCE, 'OCSP response: responses')).map((el) => readSingleResponse(basicDer, el));
  let nonce: Uint8Array | undefined;
  if (fields[i]?.identifier === CTX1) {
    const [exts] = readChildren(basicDer, fields[i++] as DerElement);
    for (const ext of readExtensions(basicDer, exts as DerElement, 'OCSP response: responseExtensions')) {
      if (ext.oid === OID_OCSP_NONCE) nonce = nonceOf(ext.value) ?? ext.value.slice();
      else if (ext.critical) throw new DerError(`OCSP response: critical extension ${ext.oid} is not supported`);
    }
  }
  if (i !== fields.length) throw new DerError('OCSP response: ResponseData: unexpected structure');

  if (options.issuer) {
    const issuer = options.issuer;
    const byKey = responderKeyHash !== undefined && equalBytes(responderKeyHash, digest('sha1', publicKeyBits(issuer.publicKeyDer)));
    const byName = responderEl.identifier === CTX1 && equalBytes(encodingOf(basicDer, responderInner), issuer.subjectDer);
    if (!byKey && !byName) throw new BadSignatureError('OCSP response: the responder is not the given issuer');
    verifyBasic(basicDer, tbsEl, algEl, sigEl, issuer);
  }
  return {
    responseStatus,
    basic: { ...(responderKeyHash !== undefined ? { responderKeyHash } : {}), producedAt, responses, ...(nonce !== undefined ? { nonce } : {}) },
    der,
  };
}

/** §3.2 (1)-(2): the response was signed by the issuer, with an accepted algorithm, over the received bytes. */
function verifyBasic(der: Uint8Array, tbsEl: DerElement, algEl: DerElement, sigEl: DerElement, issuer: Certificate): void {
  if (
    !issuer.isCa ||
    (issuer.extensions.some((e) => e.oid === OID_KEY_USAGE) && !issuer.keyUsage.includes('digitalSignature') && !issuer.keyUsage.includes('cRLSign'))
  ) {
    throw new BadSignatureError('OCSP response: the given issuer certificate may not sign status information');
  }
  const [algOid, params, ...rest] = readChildren(der, expectElement(algEl, TAG.SEQUENCE, 'OCSP response: signatureAlgorithm'));
  if (rest.length > 0) throw new DerError('OCSP response: malformed signatureAlgorithm');
  const alg = signatureAlgorithmFromOid(
    readOid(der, expectElement(algOid, TAG.OID, 'OCSP response: signatureAlgorithm'), 'OCSP response'),
    params === undefined ? undefined : encodingOf(der, params),
  );
  if (issuer.publicKey.asymmetricKeyType !== alg.keyType) {
    throw new BadSignatureError(`OCSP response: ${alg.name} does not fit the issuer's ${String(issuer.publicKey.asymmetricKeyType)} key`);
  }
  const sigContent = contentOf(der, expectElement(sigEl, TAG.BIT_STRING, 'OCSP response: signature'));
  if (sigContent[0] !== 0) throw new DerError('OCSP response: signature has unused bits');
  let valid: boolean;
  try {
    valid = verify(alg.hash, encodingOf(der, tbsEl), issuer.publicKey, sigContent.subarray(1));
  } catch {
    valid = false;
  }
  if (!valid) throw new BadSignatureError('OCSP response: the signature does not verify with the issuer key');
}
