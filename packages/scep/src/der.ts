/**
 * Shared structure helpers (X.690 §10, RFC 5280 §4.1, RFC 5652 §3, §10.2.4): parsing through
 * pkijs classes with the codec's errors, DER encoding, DER SET OF ordering. Structure only: no
 * function here signs, verifies, encrypts or decrypts (and none touches pkijs' crypto engine).
 */
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { ScepError } from './errors.js';
import { OID_SUBJECT_KEY_IDENTIFIER } from './oids.js';

/** Copies bytes into a fresh ArrayBuffer (asn1js and pkijs want one). */
export function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return copy.buffer;
}

/** Parses one whole ASN.1 element; garbage or trailing bytes -> ERR_SCEP_MALFORMED. */
export function parseDer(bytes: Uint8Array, what: string): asn1js.AsnType {
  const parsed = asn1js.fromBER(toArrayBuffer(bytes));
  if (parsed.offset === -1 || parsed.offset !== bytes.byteLength || parsed.result.error !== '') {
    throw new ScepError('ERR_SCEP_MALFORMED', `${what} is not DER`);
  }
  return parsed.result;
}

/** Reads a parsed element into a pkijs class (`new X({ schema })`); a mismatch -> ERR_SCEP_MALFORMED with `message`. */
export function readAs<T>(Class: new (parameters: { schema: asn1js.AsnType }) => T, schema: asn1js.AsnType, message: string): T {
  try {
    return new Class({ schema });
  } catch (cause) {
    throw new ScepError('ERR_SCEP_MALFORMED', message, { cause });
  }
}

/**
 * Reads a whole DER element into a pkijs class. pkijs' own `fromBER` ignores trailing bytes,
 * so the element is checked whole first.
 */
export function parseAs<T>(Class: new (parameters: { schema: asn1js.AsnType }) => T, bytes: Uint8Array, what: string, message: string): T {
  return readAs(Class, parseDer(bytes, what), message);
}

/** DER of an asn1js element or of a pkijs object. */
export function encode(element: asn1js.AsnType | { toSchema(): asn1js.AsnType }): Uint8Array {
  const schema = element instanceof asn1js.BaseBlock ? element : (element as { toSchema(): asn1js.AsnType }).toSchema();
  return new Uint8Array(schema.toBER(false));
}

/**
 * A plain primitive OCTET STRING with these bytes. pkijs' EncapsulatedContentInfo and
 * EncryptedContentInfo cut an asn1js OctetString handed to their constructors into a
 * constructed (BER) one, and EncapsulatedContentInfo drops an empty one as "no content"; a
 * universal-4 Primitive encodes the same DER and is left alone.
 */
export function derOctets(bytes: Uint8Array): asn1js.Primitive {
  return new asn1js.Primitive({ idBlock: { tagClass: 1, tagNumber: 4 }, valueHex: toArrayBuffer(bytes) });
}

/** The value of an OCTET STRING, primitive or (BER) constructed. */
export function octetsOf(element: asn1js.AsnType | undefined): Uint8Array {
  if (!(element instanceof asn1js.OctetString)) throw new ScepError('ERR_SCEP_MALFORMED', 'expected an OCTET STRING');
  return new Uint8Array(element.getValue());
}

/** Compares byte strings as X.690 §11.6 orders the components of a DER SET OF. */
function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i += 1) if (a[i] !== b[i]) return (a[i] ?? 0) - (b[i] ?? 0);
  return a.length - b.length;
}

/** The components of a DER SET OF in their order (X.690 §11.6): sorted by their encodings. */
export function derSorted<T extends { toSchema(): asn1js.AsnType }>(items: readonly T[]): T[] {
  return items
    .map((item) => ({ item, der: encode(item) }))
    .sort((a, b) => compareBytes(a.der, b.der))
    .map(({ item }) => item);
}

/** The parts of an X.509 certificate the codec needs (RFC 5280 §4.1). */
export interface CertificateParts {
  readonly certificate: pkijs.Certificate;
  readonly issuerDer: Uint8Array;
  readonly subjectDer: Uint8Array;
  /** The serialNumber INTEGER element (as encoded). */
  readonly serialDer: Uint8Array;
  readonly spkiDer: Uint8Array;
  readonly subjectKeyIdentifier?: Uint8Array;
  readonly isCa: boolean;
  readonly keyEncipherment: boolean;
}

/** Reads a certificate (pkijs.Certificate): issuer, subject, serial, key and the extensions the codec looks at. */
export function certificateParts(der: Uint8Array): CertificateParts {
  const certificate = parseAs(pkijs.Certificate, der, 'certificate', 'certificate is not X.509');
  const extension = (oid: string): unknown => certificate.extensions?.find((e) => e.extnID === oid)?.parsedValue;
  const bc = extension('2.5.29.19');
  const isCa = bc instanceof pkijs.BasicConstraints && bc.cA;
  const ku = extension('2.5.29.15');
  // keyEncipherment is bit 2 (RFC 5280 §4.2.1.3).
  const keyEncipherment = ku instanceof asn1js.BitString && ((ku.valueBlock.valueHexView[0] ?? 0) & 0x20) !== 0;
  const ski = extension(OID_SUBJECT_KEY_IDENTIFIER);
  return {
    certificate,
    issuerDer: encode(certificate.issuer),
    subjectDer: encode(certificate.subject),
    serialDer: encode(certificate.serialNumber),
    spkiDer: encode(certificate.subjectPublicKeyInfo),
    ...(ski instanceof asn1js.OctetString ? { subjectKeyIdentifier: new Uint8Array(ski.valueBlock.valueHexView) } : {}),
    isCa,
    keyEncipherment,
  };
}

/** IssuerAndSerialNumber (RFC 5652 §10.2.4) of a certificate. */
export function issuerAndSerialOf(certificateDer: Uint8Array): pkijs.IssuerAndSerialNumber {
  const { certificate } = certificateParts(certificateDer);
  return new pkijs.IssuerAndSerialNumber({ issuer: certificate.issuer, serialNumber: certificate.serialNumber });
}

/** Two byte strings equal. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.from(a).equals(Buffer.from(b));
}

/** AlgorithmIdentifier (RFC 5280 §4.1.1.2), with NULL parameters unless given. */
export function algorithmId(oid: string, parameters: asn1js.AsnType | null = new asn1js.Null()): pkijs.AlgorithmIdentifier {
  return new pkijs.AlgorithmIdentifier(parameters === null ? { algorithmId: oid } : { algorithmId: oid, algorithmParams: parameters });
}

/** The DER of a ContentInfo (RFC 5652 §3). */
export function contentInfo(contentType: string, content: { toSchema(): asn1js.AsnType }): Uint8Array {
  return encode(new pkijs.ContentInfo({ contentType, content: content.toSchema() }));
}

/** Opens a ContentInfo (pkijs.ContentInfo) of the expected type and returns its content. */
export function openContentInfo(der: Uint8Array, contentType: string, what: string): asn1js.AsnType {
  const info = parseAs(pkijs.ContentInfo, der, what, `${what} is not the expected CMS ContentInfo`);
  if (info.contentType !== contentType) throw new ScepError('ERR_SCEP_MALFORMED', `${what} is not the expected CMS ContentInfo`);
  return info.content as asn1js.AsnType;
}

/** Reads the content of a ContentInfo into a pkijs class; a mismatch -> ERR_SCEP_MALFORMED with `message`. */
export function openAs<T>(Class: new (parameters: { schema: asn1js.AsnType }) => T, der: Uint8Array, contentType: string, what: string, message: string): T {
  return readAs(Class, openContentInfo(der, contentType, what), message);
}
