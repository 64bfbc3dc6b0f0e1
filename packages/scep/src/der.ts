/**
 * Small DER helpers over asn1js shared by the codec's files (X.690 §10, RFC 5280 §4.1).
 */
import * as asn1js from 'asn1js';
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

/** DER of an asn1js element. */
export function encode(element: asn1js.AsnType): Uint8Array {
  return new Uint8Array(element.toBER(false));
}

/** The bytes an element was decoded from (tag, length and value). */
export function rawOf(element: asn1js.AsnType): Uint8Array {
  return new Uint8Array(element.valueBeforeDecodeView);
}

/** Re-parses raw DER so it can be embedded in a new structure unchanged. */
export function embed(der: Uint8Array): asn1js.AsnType {
  return asn1js.fromBER(toArrayBuffer(der)).result;
}

/** Compares byte strings as X.690 §11.6 orders the components of a DER SET OF. */
function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i += 1) if (a[i] !== b[i]) return (a[i] ?? 0) - (b[i] ?? 0);
  return a.length - b.length;
}

/** A DER SET OF: its components sorted by their encodings (X.690 §11.6). */
export function derSetOf(elements: readonly asn1js.AsnType[], idBlock?: { tagClass: number; tagNumber: number }): asn1js.AsnType {
  const sorted = elements.map(encode).sort(compareBytes).map(embed);
  return idBlock === undefined ? new asn1js.Set({ value: sorted }) : new asn1js.Constructed({ idBlock, value: sorted });
}

/** The value of an OCTET STRING, primitive or (BER) constructed. */
export function octetsOf(element: asn1js.AsnType): Uint8Array {
  if (!(element instanceof asn1js.OctetString)) throw new ScepError('ERR_SCEP_MALFORMED', 'expected an OCTET STRING');
  if (!element.idBlock.isConstructed) return new Uint8Array(element.valueBlock.valueHexView);
  const parts = element.valueBlock.value.map((part) => octetsOf(part));
  return Buffer.concat(parts);
}

/** The parts of an X.509 certificate the codec needs (RFC 5280 §4.1). */
export interface CertificateParts {
  readonly issuerDer: Uint8Array;
  readonly subjectDer: Uint8Array;
  /** The serialNumber INTEGER element (as encoded). */
  readonly serialDer: Uint8Array;
  readonly spkiDer: Uint8Array;
  readonly subjectKeyIdentifier?: Uint8Array;
  readonly isCa: boolean;
  readonly keyEncipherment: boolean;
}

function extensionsOf(tbs: asn1js.Sequence): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  for (const field of tbs.valueBlock.value) {
    if (field.idBlock.tagClass !== 3 || field.idBlock.tagNumber !== 3) continue;
    const list = (field as asn1js.Constructed).valueBlock.value[0];
    if (!(list instanceof asn1js.Sequence)) continue;
    for (const ext of list.valueBlock.value) {
      if (!(ext instanceof asn1js.Sequence)) continue;
      const [oid, ...rest] = ext.valueBlock.value;
      const value = rest[rest.length - 1];
      if (oid instanceof asn1js.ObjectIdentifier && value instanceof asn1js.OctetString) {
        out.set(oid.valueBlock.toString(), new Uint8Array(value.valueBlock.valueHexView));
      }
    }
  }
  return out;
}

/** Reads a certificate's issuer, subject, serial, key and the extensions the codec looks at. */
export function certificateParts(der: Uint8Array): CertificateParts {
  const cert = parseDer(der, 'certificate');
  const tbs = cert instanceof asn1js.Sequence ? cert.valueBlock.value[0] : undefined;
  if (!(tbs instanceof asn1js.Sequence)) throw new ScepError('ERR_SCEP_MALFORMED', 'certificate is not X.509');
  const fields = tbs.valueBlock.value;
  // The [0] version is optional (RFC 5280 §4.1.2.1).
  const first = fields[0]?.idBlock.tagClass === 3 ? 1 : 0;
  const [serial, , issuer, , subject, spki] = fields.slice(first);
  if (
    !(serial instanceof asn1js.Integer) ||
    !(issuer instanceof asn1js.Sequence) ||
    !(subject instanceof asn1js.Sequence) ||
    !(spki instanceof asn1js.Sequence)
  ) {
    throw new ScepError('ERR_SCEP_MALFORMED', 'certificate is not X.509');
  }
  const extensions = extensionsOf(tbs);
  let isCa = false;
  const bc = extensions.get('2.5.29.19');
  if (bc !== undefined) {
    const seq = asn1js.fromBER(toArrayBuffer(bc)).result;
    const flag = seq instanceof asn1js.Sequence ? seq.valueBlock.value[0] : undefined;
    isCa = flag instanceof asn1js.Boolean && flag.valueBlock.value;
  }
  let keyEncipherment = false;
  const ku = extensions.get('2.5.29.15');
  if (ku !== undefined) {
    const bits = asn1js.fromBER(toArrayBuffer(ku)).result;
    if (bits instanceof asn1js.BitString) {
      const bytes = new Uint8Array(bits.valueBlock.valueHexView);
      keyEncipherment = ((bytes[0] ?? 0) & 0x20) !== 0; // bit 2 (RFC 5280 §4.2.1.3)
    }
  }
  const skiExt = extensions.get(OID_SUBJECT_KEY_IDENTIFIER);
  let subjectKeyIdentifier: Uint8Array | undefined;
  if (skiExt !== undefined) {
    const ski = asn1js.fromBER(toArrayBuffer(skiExt)).result;
    if (ski instanceof asn1js.OctetString) subjectKeyIdentifier = new Uint8Array(ski.valueBlock.valueHexView);
  }
  return {
    issuerDer: rawOf(issuer),
    subjectDer: rawOf(subject),
    serialDer: rawOf(serial),
    spkiDer: rawOf(spki),
    ...(subjectKeyIdentifier === undefined ? {} : { subjectKeyIdentifier }),
    isCa,
    keyEncipherment,
  };
}

/** IssuerAndSerialNumber (RFC 5652 §10.2.4) of a certificate. */
export function issuerAndSerialOf(certificateDer: Uint8Array): asn1js.Sequence {
  const parts = certificateParts(certificateDer);
  return new asn1js.Sequence({ value: [embed(parts.issuerDer), embed(parts.serialDer)] });
}

/** Two byte strings equal. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.from(a).equals(Buffer.from(b));
}

/** AlgorithmIdentifier (RFC 5280 §4.1.1.2), with NULL parameters unless given. */
export function algorithmId(oid: string, parameters: asn1js.AsnType | null = new asn1js.Null()): asn1js.Sequence {
  const value: asn1js.AsnType[] = [new asn1js.ObjectIdentifier({ value: oid })];
  if (parameters !== null) value.push(parameters);
  return new asn1js.Sequence({ value });
}

/** A ContentInfo (RFC 5652 §3). */
export function contentInfo(contentType: string, content: asn1js.AsnType): Uint8Array {
  return encode(
    new asn1js.Sequence({
      value: [new asn1js.ObjectIdentifier({ value: contentType }), new asn1js.Constructed({ idBlock: { tagClass: 3, tagNumber: 0 }, value: [content] })],
    }),
  );
}

/** Opens a ContentInfo of the expected type and returns its content. */
export function openContentInfo(der: Uint8Array, contentType: string, what: string): asn1js.AsnType {
  const root = parseDer(der, what);
  const [oid, wrapped] = root instanceof asn1js.Sequence ? root.valueBlock.value : [];
  if (!(oid instanceof asn1js.ObjectIdentifier) || oid.valueBlock.toString() !== contentType) {
    throw new ScepError('ERR_SCEP_MALFORMED', `${what} is not the expected CMS ContentInfo`);
  }
  const content = wrapped instanceof asn1js.Constructed && wrapped.idBlock.tagClass === 3 ? wrapped.valueBlock.value[0] : undefined;
  if (content === undefined) throw new ScepError('ERR_SCEP_MALFORMED', `${what} has no content`);
  return content;
}
