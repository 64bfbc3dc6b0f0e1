/**
 * CMS SignedData (RFC 5652 §5) as SCEP uses it (RFC 8894 §3.2): one signer, RSA PKCS #1 v1.5
 * signatures over the DER of the signed attributes. The structures are pkijs classes
 * (SignedData, SignerInfo, SignedAndUnsignedAttributes, Attribute, EncapsulatedContentInfo);
 * digests, signatures and their checks are node:crypto (never pkijs' WebCrypto engine).
 */
import { createHash, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { ScepError, type ScepDigest, type ScepSigner } from './errors.js';
import { DIGEST_OIDS, OID_CONTENT_TYPE, OID_DATA, OID_MESSAGE_DIGEST, OID_RSA_ENCRYPTION, OID_SIGNED_DATA, RSA_SIGNATURE_OIDS, keyOf } from './oids.js';
import {
  algorithmId,
  bytesEqual,
  certificateParts,
  contentInfo,
  derOctets,
  derSorted,
  encode,
  issuerAndSerialOf,
  octetsOf,
  openContentInfo,
  parseAs,
  readAs,
} from './der.js';

/** One attribute (RFC 5652 §5.3): type and the one value of its SET. */
export function attribute(oid: string, value: asn1js.AsnType): pkijs.Attribute {
  return new pkijs.Attribute({ type: oid, values: [value] });
}

/** Options of {@link buildSignedData}. */
export interface SignOptions {
  /** The id-data content; absent for a SignedData without eContent. */
  readonly content: Uint8Array;
  readonly signer: ScepSigner;
  readonly digest: ScepDigest;
  /** Extra signed attributes (contentType and messageDigest are added here). */
  readonly attributes: readonly pkijs.Attribute[];
}

/** An id-data EncapsulatedContentInfo holding `content` as one primitive OCTET STRING (DER). */
function dataContent(content?: Uint8Array): pkijs.EncapsulatedContentInfo {
  const encap = new pkijs.EncapsulatedContentInfo({ eContentType: OID_DATA });
  // Set after construction: given to the constructor, pkijs would cut it into a BER constructed string.
  if (content !== undefined) encap.eContent = derOctets(content) as unknown as asn1js.OctetString;
  return encap;
}

/**
 * RFC 5652 §5.1-5.4: a SignedData ContentInfo with one SignerInfo over signed attributes.
 * pkijs builds the structure; node:crypto digests and signs.
 */
export function buildSignedData(options: SignOptions): Uint8Array {
  const { content, signer, digest } = options;
  const messageDigest = createHash(digest).update(content).digest();
  // RFC 5652 §5.4 / X.690 §11.6: the signed attributes are a DER SET OF, so sorted.
  const signedAttrs = new pkijs.SignedAndUnsignedAttributes({
    type: 0,
    attributes: derSorted([
      attribute(OID_CONTENT_TYPE, new asn1js.ObjectIdentifier({ value: OID_DATA })),
      attribute(OID_MESSAGE_DIGEST, new asn1js.OctetString({ valueHex: toAb(messageDigest) })),
      ...options.attributes,
    ]),
  });
  // The signature is over the attributes with an EXPLICIT SET OF tag; they travel as [0] IMPLICIT.
  const signedBytes = encode(signedAttrs);
  signedBytes[0] = 0x31;
  const signature = sign(digest, signedBytes, signer.privateKey);
  const signerInfo = new pkijs.SignerInfo({
    version: 1,
    sid: issuerAndSerialOf(signer.certificateDer),
    digestAlgorithm: algorithmId(DIGEST_OIDS[digest]),
    signedAttrs,
    signatureAlgorithm: algorithmId(OID_RSA_ENCRYPTION),
    signature: new asn1js.OctetString({ valueHex: toAb(signature) }),
  });
  const signedData = new pkijs.SignedData({
    version: 1,
    digestAlgorithms: [algorithmId(DIGEST_OIDS[digest])],
    encapContentInfo: dataContent(content),
    certificates: [certificateParts(signer.certificateDer).certificate],
    signerInfos: [signerInfo],
  });
  return contentInfo(OID_SIGNED_DATA, signedData);
}

/**
 * RFC 5652 §5.2 / RFC 8894 §3.4: a degenerate certs-only SignedData (no signers, no content)
 * holding certificates in the order given, or CRLs.
 */
export function buildDegenerate(certificatesDer: readonly Uint8Array[], crlsDer: readonly Uint8Array[] = []): Uint8Array {
  const signedData = new pkijs.SignedData({
    version: 1,
    digestAlgorithms: [],
    encapContentInfo: dataContent(),
    signerInfos: [],
  });
  // Kept in the order given (RFC 8894 §4.2.1.2: clients look at the first CA certificate).
  if (certificatesDer.length > 0) signedData.certificates = certificatesDer.map((der) => certificateParts(der).certificate);
  if (crlsDer.length > 0) {
    signedData.crls = crlsDer.map((der) => {
      try {
        return parseAs(pkijs.CertificateRevocationList, der, 'CRL', 'not an X.509 CRL');
      } catch {
        throw new TypeError('crlDer is not an X.509 CRL (RFC 5280 §5.1)');
      }
    });
  }
  return contentInfo(OID_SIGNED_DATA, signedData);
}

/** A SignedData (pkijs.SignedData) and the bytes of its certificates and CRLs as sent. */
interface OpenedSignedData {
  readonly sd: pkijs.SignedData;
  readonly certificatesDer: Uint8Array[];
  readonly crlsDer: Uint8Array[];
}

/**
 * The certificates ([0]) or CRLs ([1]) of a SignedData schema pkijs has accepted, as sent:
 * pkijs re-encodes what it parsed, and a certificate's bytes are its identity (fingerprints,
 * pins, RFC 5280 §4.1.1.3 signatures over non-DER encodings of old CAs).
 */
function sentAs(schema: asn1js.AsnType, tagNumber: 0 | 1): Uint8Array[] {
  const field =
    schema instanceof asn1js.Sequence ? schema.valueBlock.value.find((f) => f.idBlock.tagClass === 3 && f.idBlock.tagNumber === tagNumber) : undefined;
  if (!(field instanceof asn1js.Constructed)) return [];
  return field.valueBlock.value.filter((item) => item instanceof asn1js.Sequence).map((item) => new Uint8Array(item.valueBeforeDecodeView));
}

/** Opens a SignedData ContentInfo (pkijs.SignedData). */
function openSignedData(der: Uint8Array, what: string, message: string): OpenedSignedData {
  const schema = openContentInfo(der, OID_SIGNED_DATA, what);
  const sd = readAs(pkijs.SignedData, schema, message);
  return { sd, certificatesDer: sentAs(schema, 0), crlsDer: sentAs(schema, 1) };
}

/** Certificates and CRLs of a (degenerate) SignedData, in the order sent. */
export function readDegenerate(der: Uint8Array, what: string): { certificatesDer: Uint8Array[]; crlsDer: Uint8Array[] } {
  const { certificatesDer, crlsDer } = openSignedData(der, what, `${what} is not a SignedData`);
  return { certificatesDer, crlsDer };
}

/** What {@link verifySignedData} found. */
export interface VerifiedSignedData {
  readonly signerCertificateDer: Uint8Array;
  readonly digest: ScepDigest;
  /** The eContent (empty when absent). */
  readonly content: Uint8Array;
  /** Signed attributes by OID: the values of each attribute's SET. */
  readonly attributes: ReadonlyMap<string, readonly asn1js.AsnType[]>;
}

function malformed(what: string): never {
  throw new ScepError('ERR_SCEP_MALFORMED', `${what} is not a CMS SignedData as SCEP sends it`);
}

function toAb(bytes: Uint8Array): ArrayBuffer {
  return new Uint8Array(bytes).buffer;
}

/** The subjectKeyIdentifier of a [0] sid: IMPLICIT as RFC 5652 §5.3 says, or wrapped as pkijs also accepts. */
function skiOf(sid: asn1js.AsnType): Uint8Array | undefined {
  if (sid.idBlock.tagClass !== 3 || sid.idBlock.tagNumber !== 0) return undefined;
  if (sid instanceof asn1js.Constructed) {
    const inner = sid.valueBlock.value[0];
    return inner instanceof asn1js.OctetString ? octetsOf(inner) : undefined;
  }
  return sid instanceof asn1js.Primitive ? new Uint8Array(sid.valueBlock.valueHexView) : undefined;
}

/** Finds the signer's certificate by issuerAndSerialNumber or subjectKeyIdentifier (RFC 5652 §5.3). */
function findSigner(sid: pkijs.IssuerAndSerialNumber | asn1js.AsnType, certificates: readonly Uint8Array[]): Uint8Array | undefined {
  if (sid instanceof pkijs.IssuerAndSerialNumber) {
    const wanted = encode(sid);
    return certificates.find((der) => {
      try {
        return bytesEqual(encode(issuerAndSerialOf(der)), wanted);
      } catch {
        return false;
      }
    });
  }
  const ski = skiOf(sid);
  if (ski === undefined) return undefined;
  return certificates.find((der) => {
    try {
      const own = certificateParts(der).subjectKeyIdentifier;
      return own !== undefined && bytesEqual(own, ski);
    } catch {
      return false;
    }
  });
}

/**
 * RFC 5652 §5.6: verifies the one SignerInfo of a SignedData (parsed by pkijs.SignedData) with
 * node:crypto: the signature over the signed attributes' DER SET, and the messageDigest
 * attribute against the content. With `trustedSignerDer`, the signature must be by that
 * certificate's key, whatever the message carries.
 */
export function verifySignedData(der: Uint8Array, what: string, trustedSignerDer?: Uint8Array): VerifiedSignedData {
  const { sd, certificatesDer: certificates } = openSignedData(der, what, `${what} is not a CMS SignedData as SCEP sends it`);
  if (sd.encapContentInfo.eContentType !== OID_DATA) malformed(what);
  const eContent: unknown = sd.encapContentInfo.eContent;
  const content = eContent === undefined ? new Uint8Array(0) : octetsOf(eContent as asn1js.AsnType);
  if (sd.signerInfos.length !== 1) malformed(what);
  const signerInfo = sd.signerInfos[0];
  const signedAttrs = signerInfo?.signedAttrs;
  if (signerInfo === undefined || signedAttrs === undefined || signedAttrs.attributes.length === 0) malformed(what);
  const digest = keyOf(DIGEST_OIDS, signerInfo.digestAlgorithm.algorithmId);
  if (digest === undefined) throw new ScepError('ERR_SCEP_ALGORITHM', `${what}: unsupported digest algorithm`);
  const sigOid = signerInfo.signatureAlgorithm.algorithmId;
  if (sigOid !== OID_RSA_ENCRYPTION && sigOid !== RSA_SIGNATURE_OIDS[digest]) {
    throw new ScepError('ERR_SCEP_ALGORITHM', `${what}: unsupported signature algorithm`);
  }
  // A pinned signer need not be carried in the message (RFC 5652 §5.1: certificates are optional).
  const signerCertificateDer = findSigner(signerInfo.sid, trustedSignerDer === undefined ? certificates : [trustedSignerDer, ...certificates]);
  if (signerCertificateDer === undefined) {
    throw new ScepError('ERR_SCEP_SIGNATURE', `${what}: the signer's certificate is not in the message`);
  }
  let key: KeyObject;
  try {
    key = createPublicKey({
      key: Buffer.from(certificateParts(trustedSignerDer ?? signerCertificateDer).spkiDer),
      format: 'der',
      type: 'spki',
    });
  } catch (cause) {
    if (cause instanceof ScepError) throw cause;
    throw new ScepError('ERR_SCEP_ALGORITHM', `${what}: the signer's key is not usable`, { cause });
  }
  if (key.asymmetricKeyType !== 'rsa') throw new ScepError('ERR_SCEP_ALGORITHM', `${what}: the signer's key is not RSA`);
  const attributes = new Map<string, asn1js.AsnType[]>();
  for (const attr of signedAttrs.attributes) {
    if (attributes.has(attr.type)) malformed(what);
    attributes.set(attr.type, attr.values as asn1js.AsnType[]);
  }
  // RFC 5652 §5.4: the signed bytes are the attributes as received, with an EXPLICIT SET OF
  // tag (pkijs keeps them so in encodedValue).
  const signedBytes = new Uint8Array(signedAttrs.encodedValue);
  const sigValue = new Uint8Array(signerInfo.signature.valueBlock.valueHexView);
  if (!verify(digest, signedBytes, key, sigValue)) {
    throw new ScepError('ERR_SCEP_SIGNATURE', `${what}: the signature does not verify`);
  }
  const declared = attributes.get(OID_MESSAGE_DIGEST)?.[0];
  if (!(declared instanceof asn1js.OctetString)) malformed(what);
  const actual = createHash(digest).update(content).digest();
  if (!bytesEqual(new Uint8Array(declared.valueBlock.valueHexView), actual)) {
    throw new ScepError('ERR_SCEP_SIGNATURE', `${what}: the messageDigest does not match the content`);
  }
  const type = attributes.get(OID_CONTENT_TYPE)?.[0];
  if (!(type instanceof asn1js.ObjectIdentifier) || type.valueBlock.toString() !== OID_DATA) malformed(what);
  return { signerCertificateDer, digest, content, attributes };
}
