/**
 * CMS SignedData (RFC 5652 §5) as SCEP uses it (RFC 8894 §3.2): one signer, RSA PKCS #1 v1.5
 * signatures over the DER of the signed attributes, done with node:crypto.
 */
import { createHash, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import * as asn1js from 'asn1js';
import { ScepError, type ScepDigest, type ScepSigner } from './errors.js';
import { DIGEST_OIDS, OID_CONTENT_TYPE, OID_DATA, OID_MESSAGE_DIGEST, OID_RSA_ENCRYPTION, OID_SIGNED_DATA, RSA_SIGNATURE_OIDS, keyOf } from './oids.js';
import { algorithmId, bytesEqual, certificateParts, contentInfo, derSetOf, embed, encode, issuerAndSerialOf, octetsOf, openContentInfo, rawOf } from './der.js';

/** One attribute (RFC 5652 §5.3): type and the values of its SET. */
export function attribute(oid: string, value: asn1js.AsnType): asn1js.Sequence {
  return new asn1js.Sequence({
    value: [new asn1js.ObjectIdentifier({ value: oid }), new asn1js.Set({ value: [value] })],
  });
}

/** Options of {@link buildSignedData}. */
export interface SignOptions {
  /** The id-data content; absent for a SignedData without eContent. */
  readonly content: Uint8Array;
  readonly signer: ScepSigner;
  readonly digest: ScepDigest;
  /** Extra signed attributes (contentType and messageDigest are added here). */
  readonly attributes: readonly asn1js.Sequence[];
}

/** RFC 5652 §5.1-5.4: a SignedData ContentInfo with one SignerInfo over signed attributes. */
export function buildSignedData(options: SignOptions): Uint8Array {
  const { content, signer, digest } = options;
  const messageDigest = createHash(digest).update(content).digest();
  const signed = [
    attribute(OID_CONTENT_TYPE, new asn1js.ObjectIdentifier({ value: OID_DATA })),
    attribute(OID_MESSAGE_DIGEST, new asn1js.OctetString({ valueHex: toAb(messageDigest) })),
    ...options.attributes,
  ];
  // RFC 5652 §5.4: the signature is over the DER SET OF the attributes; sent as [0] IMPLICIT.
  const signedSet = derSetOf(signed);
  const signature = sign(digest, encode(signedSet), signer.privateKey);
  const signedAttrs = derSetOf(signed, { tagClass: 3, tagNumber: 0 });
  const signerInfo = new asn1js.Sequence({
    value: [
      new asn1js.Integer({ value: 1 }),
      issuerAndSerialOf(signer.certificateDer),
      algorithmId(DIGEST_OIDS[digest]),
      signedAttrs,
      algorithmId(OID_RSA_ENCRYPTION),
      new asn1js.OctetString({ valueHex: toAb(signature) }),
    ],
  });
  const signedData = new asn1js.Sequence({
    value: [
      new asn1js.Integer({ value: 1 }),
      new asn1js.Set({ value: [algorithmId(DIGEST_OIDS[digest])] }),
      new asn1js.Sequence({
        value: [
          new asn1js.ObjectIdentifier({ value: OID_DATA }),
          new asn1js.Constructed({
            idBlock: { tagClass: 3, tagNumber: 0 },
            value: [new asn1js.OctetString({ valueHex: toAb(content) })],
          }),
        ],
      }),
      new asn1js.Constructed({ idBlock: { tagClass: 3, tagNumber: 0 }, value: [embed(signer.certificateDer)] }),
      new asn1js.Set({ value: [signerInfo] }),
    ],
  });
  return contentInfo(OID_SIGNED_DATA, signedData);
}

/**
 * RFC 5652 §5.2 / RFC 8894 §3.4: a degenerate certs-only SignedData (no signers, no content)
 * holding certificates in the order given, or CRLs.
 */
export function buildDegenerate(certificatesDer: readonly Uint8Array[], crlsDer: readonly Uint8Array[] = []): Uint8Array {
  const value: asn1js.AsnType[] = [
    new asn1js.Integer({ value: 1 }),
    new asn1js.Set({ value: [] }),
    new asn1js.Sequence({ value: [new asn1js.ObjectIdentifier({ value: OID_DATA })] }),
  ];
  if (certificatesDer.length > 0) {
    value.push(new asn1js.Constructed({ idBlock: { tagClass: 3, tagNumber: 0 }, value: certificatesDer.map(embed) }));
  }
  if (crlsDer.length > 0) {
    value.push(new asn1js.Constructed({ idBlock: { tagClass: 3, tagNumber: 1 }, value: crlsDer.map(embed) }));
  }
  value.push(new asn1js.Set({ value: [] }));
  return contentInfo(OID_SIGNED_DATA, new asn1js.Sequence({ value }));
}

/** Certificates and CRLs of a (degenerate) SignedData, in the order sent. */
export function readDegenerate(der: Uint8Array, what: string): { certificatesDer: Uint8Array[]; crlsDer: Uint8Array[] } {
  const sd = openContentInfo(der, OID_SIGNED_DATA, what);
  if (!(sd instanceof asn1js.Sequence)) throw new ScepError('ERR_SCEP_MALFORMED', `${what} is not a SignedData`);
  const certificatesDer: Uint8Array[] = [];
  const crlsDer: Uint8Array[] = [];
  for (const field of sd.valueBlock.value) {
    if (field.idBlock.tagClass !== 3 || !(field instanceof asn1js.Constructed)) continue;
    const into = field.idBlock.tagNumber === 0 ? certificatesDer : field.idBlock.tagNumber === 1 ? crlsDer : undefined;
    for (const item of field.valueBlock.value) if (item instanceof asn1js.Sequence) into?.push(rawOf(item));
  }
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

function oidOf(element: asn1js.AsnType | undefined): string | undefined {
  if (!(element instanceof asn1js.Sequence)) return undefined;
  const oid = element.valueBlock.value[0];
  return oid instanceof asn1js.ObjectIdentifier ? oid.valueBlock.toString() : undefined;
}

/** Finds the signer's certificate by issuerAndSerialNumber or subjectKeyIdentifier (RFC 5652 §5.3). */
function findSigner(sid: asn1js.AsnType, certificates: readonly Uint8Array[]): Uint8Array | undefined {
  if (sid instanceof asn1js.Sequence) {
    const wanted = rawOf(sid);
    return certificates.find((der) => {
      try {
        return bytesEqual(encode(issuerAndSerialOf(der)), wanted);
      } catch {
        return false;
      }
    });
  }
  if (sid.idBlock.tagClass === 3 && sid.idBlock.tagNumber === 0) {
    const raw = rawOf(sid);
    const ski = raw.subarray(raw.length - sid.lenBlock.length);
    return certificates.find((der) => {
      try {
        const own = certificateParts(der).subjectKeyIdentifier;
        return own !== undefined && bytesEqual(own, ski);
      } catch {
        return false;
      }
    });
  }
  return undefined;
}

/**
 * RFC 5652 §5.6: verifies the one SignerInfo of a SignedData with node:crypto: the signature
 * over the signed attributes' DER SET, and the messageDigest attribute against the content.
 * With `trustedSignerDer`, the signature must be by that certificate's key, whatever the
 * message carries.
 */
export function verifySignedData(der: Uint8Array, what: string, trustedSignerDer?: Uint8Array): VerifiedSignedData {
  const sd = openContentInfo(der, OID_SIGNED_DATA, what);
  if (!(sd instanceof asn1js.Sequence)) malformed(what);
  const fields = sd.valueBlock.value;
  const encap = fields[2];
  const signerInfos = fields[fields.length - 1];
  if (!(encap instanceof asn1js.Sequence) || !(signerInfos instanceof asn1js.Set)) malformed(what);
  if (oidOf(encap) !== OID_DATA) malformed(what);
  const wrapped = encap.valueBlock.value[1];
  const content =
    wrapped instanceof asn1js.Constructed && wrapped.valueBlock.value[0] !== undefined ? octetsOf(wrapped.valueBlock.value[0]) : new Uint8Array(0);
  const certificates: Uint8Array[] = [];
  for (const field of fields.slice(3, -1)) {
    if (field.idBlock.tagClass === 3 && field.idBlock.tagNumber === 0 && field instanceof asn1js.Constructed) {
      for (const item of field.valueBlock.value) if (item instanceof asn1js.Sequence) certificates.push(rawOf(item));
    }
  }
  if (signerInfos.valueBlock.value.length !== 1) malformed(what);
  const signerInfo = signerInfos.valueBlock.value[0];
  if (!(signerInfo instanceof asn1js.Sequence)) malformed(what);
  const [, sid, digestAlg, signedAttrs, signatureAlg, signature] = signerInfo.valueBlock.value;
  if (
    sid === undefined ||
    !(signedAttrs instanceof asn1js.Constructed) ||
    signedAttrs.idBlock.tagClass !== 3 ||
    signedAttrs.idBlock.tagNumber !== 0 ||
    !(signature instanceof asn1js.OctetString)
  ) {
    malformed(what);
  }
  const digest = keyOf(DIGEST_OIDS, oidOf(digestAlg) ?? '');
  if (digest === undefined) throw new ScepError('ERR_SCEP_ALGORITHM', `${what}: unsupported digest algorithm`);
  const sigOid = oidOf(signatureAlg);
  if (sigOid !== OID_RSA_ENCRYPTION && sigOid !== RSA_SIGNATURE_OIDS[digest]) {
    throw new ScepError('ERR_SCEP_ALGORITHM', `${what}: unsupported signature algorithm`);
  }
  // A pinned signer need not be carried in the message (RFC 5652 §5.1: certificates are optional).
  const signerCertificateDer = findSigner(sid, trustedSignerDer === undefined ? certificates : [trustedSignerDer, ...certificates]);
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
  for (const attr of signedAttrs.valueBlock.value) {
    const values = attr instanceof asn1js.Sequence ? attr.valueBlock.value[1] : undefined;
    const oid = oidOf(attr);
    if (oid === undefined || !(values instanceof asn1js.Set) || attributes.has(oid)) malformed(what);
    attributes.set(oid, values.valueBlock.value);
  }
  // RFC 5652 §5.4: the signed bytes are the attributes with an EXPLICIT SET OF tag.
  const signedBytes = Uint8Array.from(rawOf(signedAttrs));
  signedBytes[0] = 0x31;
  const sigValue = new Uint8Array(signature.valueBlock.valueHexView);
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
