/**
 * SCEP requests (RFC 8894 §3.3.1, §3.3.3, §3.3.4): parsing them on the CA side, building them
 * on the client side, and their small contents.
 */
import { createHash, createPublicKey, randomBytes, sign } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { SCEP_MAX_MESSAGE_BYTES, ScepError, type ScepContentEncryption, type ScepDigest, type ScepMessageType, type ScepSigner } from './errors.js';
import { MESSAGE_TYPES, OID_SCEP_MESSAGE_TYPE, OID_SCEP_SENDER_NONCE, OID_SCEP_TRANSACTION_ID, OID_SHA256_WITH_RSA, OID_SIGNING_TIME, keyOf } from './oids.js';
import { checkNonce, octetAttribute, printableAttribute, readOctets, readString } from './attributes.js';
import { algorithmId, encode, parseAs, parseDer } from './der.js';
import { encryptEnvelope } from './enveloped-data.js';
import { attribute, buildSignedData, verifySignedData } from './signed-data.js';

/** A verified, still encrypted pkiMessage (RFC 8894 §3.2). */
export interface ScepRequest {
  readonly messageType: Exclude<ScepMessageType, 'CertRep'>;
  /** RFC 8894 §3.2.1.1, as sent (printable string; certmonger sends a long decimal number). */
  readonly transactionId: string;
  /** RFC 8894 §3.2.1.5, 16 bytes. */
  readonly senderNonce: Uint8Array;
  /** The certificate whose key signed the SignedData (self-signed for PKCSReq; the old certificate for RenewalReq). */
  readonly signerCertificateDer: Uint8Array;
  readonly digest: ScepDigest;
  /** signingTime signed attribute when present. */
  readonly signingTime?: Date;
  /** The encapsulated content: DER of the EnvelopedData (pkcsPKIEnvelope), not yet decrypted. */
  readonly envelopeDer: Uint8Array;
}

/** Refuses input over the size limit before anything parses it. */
export function checkSize(der: Uint8Array): void {
  if (der.byteLength > SCEP_MAX_MESSAGE_BYTES) {
    throw new ScepError('ERR_SCEP_TOO_LARGE', `the pkiMessage is larger than ${SCEP_MAX_MESSAGE_BYTES} bytes`);
  }
}

/**
 * RFC 8894 §3.2 / RFC 5652 §5.6: parses a pkiMessage and checks its SignedData signature
 * (node:crypto) against the signer certificate carried in it (matched by
 * issuerAndSerialNumber or subjectKeyIdentifier), and the messageDigest attribute against the
 * content. Refuses input over SCEP_MAX_MESSAGE_BYTES before parsing. Throws ScepError
 * (TOO_LARGE, MALFORMED, ALGORITHM, SIGNATURE).
 */
export function parseScepRequest(der: Uint8Array): ScepRequest {
  checkSize(der);
  const verified = verifySignedData(der, 'pkiMessage');
  const { attributes } = verified;
  const type = keyOf(MESSAGE_TYPES, readString(attributes, OID_SCEP_MESSAGE_TYPE, 'messageType') ?? '');
  if (type === undefined || type === 'CertRep') {
    throw new ScepError('ERR_SCEP_MALFORMED', 'the messageType is missing or not a request');
  }
  const transactionId = readString(attributes, OID_SCEP_TRANSACTION_ID, 'transactionID');
  if (transactionId === undefined || transactionId.length === 0 || transactionId.length > 256) {
    throw new ScepError('ERR_SCEP_MALFORMED', 'the transactionID is missing or longer than 256 characters');
  }
  const senderNonce = checkNonce(readOctets(attributes, OID_SCEP_SENDER_NONCE, 'senderNonce'), 'senderNonce');
  const time = attributes.get(OID_SIGNING_TIME)?.[0];
  const signingTime = time instanceof asn1js.UTCTime || time instanceof asn1js.GeneralizedTime ? time.toDate() : undefined;
  if (verified.content.length === 0) throw new ScepError('ERR_SCEP_MALFORMED', 'the pkiMessage has no pkcsPKIEnvelope');
  return {
    messageType: type,
    transactionId,
    senderNonce,
    signerCertificateDer: verified.signerCertificateDer,
    digest: verified.digest,
    ...(signingTime === undefined ? {} : { signingTime }),
    envelopeDer: verified.content,
  };
}

/** A Name (RFC 5280 §4.1.2.4) as pkijs reads it; `message` when it is not one. */
function nameOf(der: Uint8Array, what: string, message: string): pkijs.RelativeDistinguishedNames {
  return parseAs(pkijs.RelativeDistinguishedNames, der, what, message);
}

/** RFC 8894 §3.3.3 IssuerAndSubject (CertPoll content). DERs of the two Names. */
export function parseIssuerAndSubject(der: Uint8Array): { readonly issuerDer: Uint8Array; readonly subjectDer: Uint8Array } {
  // IssuerAndSubject ::= SEQUENCE { issuer Name, subject Name }: SCEP's own, pkijs has no class for it.
  const root = parseDer(der, 'IssuerAndSubject');
  const [issuer, subject, extra] = root instanceof asn1js.Sequence ? root.valueBlock.value : [];
  if (issuer === undefined || subject === undefined || extra !== undefined) {
    throw new ScepError('ERR_SCEP_MALFORMED', 'IssuerAndSubject is not the expected SEQUENCE');
  }
  const names = [issuer, subject].map((name, i) => {
    try {
      return encode(new pkijs.RelativeDistinguishedNames({ schema: name }));
    } catch (cause) {
      throw new ScepError('ERR_SCEP_MALFORMED', `IssuerAndSubject has no ${i === 0 ? 'issuer' : 'subject'} Name`, { cause });
    }
  });
  return { issuerDer: names[0] ?? new Uint8Array(0), subjectDer: names[1] ?? new Uint8Array(0) };
}

/** RFC 5652 §10.2.4 IssuerAndSerialNumber (GetCert, GetCRL content; RFC 8894 §3.3.4). serialHex: lower-case, DER-minimal. */
export function parseIssuerAndSerial(der: Uint8Array): { readonly issuerDer: Uint8Array; readonly serialHex: string } {
  const parsed = parseAs(pkijs.IssuerAndSerialNumber, der, 'IssuerAndSerialNumber', 'IssuerAndSerialNumber is not the expected SEQUENCE');
  const serial = parsed.serialNumber.valueBlock.valueHexView;
  if (serial.length === 0) throw new ScepError('ERR_SCEP_MALFORMED', 'IssuerAndSerialNumber has no serial number');
  return { issuerDer: encode(parsed.issuer), serialHex: Buffer.from(serial).toString('hex') };
}

/** RFC 8894 §3.3.3: IssuerAndSubject for a CertPoll. */
export function buildIssuerAndSubject(issuerDer: Uint8Array, subjectDer: Uint8Array): Uint8Array {
  const issuer = nameOf(issuerDer, 'issuer', 'the issuer is not a Name');
  const subject = nameOf(subjectDer, 'subject', 'the subject is not a Name');
  return encode(new asn1js.Sequence({ value: [issuer.toSchema(), subject.toSchema()] }));
}

/** RFC 5652 §10.2.4 / RFC 8894 §3.3.4: IssuerAndSerialNumber for GetCert and GetCRL. */
export function buildIssuerAndSerial(issuerDer: Uint8Array, serialHex: string): Uint8Array {
  if (!/^([0-9a-f]{2})+$/i.test(serialHex)) throw new TypeError('serialHex must be an even number of hex digits');
  const serialNumber = new asn1js.Integer({ valueHex: new Uint8Array(Buffer.from(serialHex, 'hex')).buffer });
  return encode(new pkijs.IssuerAndSerialNumber({ issuer: nameOf(issuerDer, 'issuer', 'the issuer is not a Name'), serialNumber }));
}

/** RFC 8894 §3.2.1.1: transactionID from the public key: hex of SHA-256 of the SubjectPublicKeyInfo DER. */
export function transactionIdOf(publicKeySpkiDer: Uint8Array): string {
  return createHash('sha256').update(publicKeySpkiDer).digest('hex');
}

/** UTCTime for years before 2050, GeneralizedTime after (RFC 5280 §4.1.2.5). */
function x509Time(date: Date): pkijs.Time {
  return new pkijs.Time({ type: date.getUTCFullYear() < 2050 ? pkijs.TimeType.UTCTime : pkijs.TimeType.GeneralizedTime, value: date });
}

/**
 * RFC 8894 §2.3: a self-signed signer certificate for a requester key (the subject given, one
 * hour back for clock skew, seven days ahead) to sign a PKCSReq with, SHA-256 with RSA. The
 * structure is a pkijs.Certificate; node:crypto signs its TBSCertificate.
 */
export function createTransientSigner(options: {
  readonly privateKey: import('node:crypto').KeyObject;
  readonly subjectDer: Uint8Array;
  readonly now?: Date;
}): ScepSigner {
  const { privateKey, subjectDer } = options;
  if (privateKey.asymmetricKeyType !== 'rsa') throw new TypeError('a SCEP signer key must be RSA');
  const now = options.now ?? new Date();
  const spki = new Uint8Array(createPublicKey(privateKey).export({ format: 'der', type: 'spki' }));
  const serial = randomBytes(16);
  // Positive and DER-minimal (RFC 5280 §4.1.2.2, X.690 §8.3.2): a leading 0x00 before a byte
  // under 0x80 (1 serial in 256) is a non-minimal INTEGER that OpenSSL refuses to parse.
  serial[0] = ((serial[0] ?? 0) & 0x3f) | 0x40;
  const name = nameOf(subjectDer, 'subject', 'the subject is not a Name');
  const certificate = new pkijs.Certificate({
    version: 2,
    serialNumber: new asn1js.Integer({ valueHex: new Uint8Array(serial).buffer }),
    signature: algorithmId(OID_SHA256_WITH_RSA),
    issuer: name,
    notBefore: x509Time(new Date(now.getTime() - 3_600_000)),
    notAfter: x509Time(new Date(now.getTime() + 7 * 86_400_000)),
    subject: name,
    subjectPublicKeyInfo: parseAs(pkijs.PublicKeyInfo, spki, 'public key', 'the public key is not a SubjectPublicKeyInfo'),
  });
  const tbsDer = encode(certificate.encodeTBS());
  certificate.tbsView = tbsDer;
  certificate.signatureAlgorithm = algorithmId(OID_SHA256_WITH_RSA);
  certificate.signatureValue = new asn1js.BitString({ valueHex: new Uint8Array(sign('sha256', tbsDer, privateKey)).buffer, unusedBits: 0 });
  return { certificateDer: encode(certificate), privateKey };
}

/**
 * RFC 8894 §3.3.1, §3.3.3, §3.3.4: a request pkiMessage: content (CSR DER for
 * PKCSReq/RenewalReq, IssuerAndSubject for CertPoll, IssuerAndSerial for GetCert/GetCRL)
 * encrypted to the RA certificate (RSAES-PKCS1-v1_5, `contentEncryption`, default
 * aes-256-cbc), signed by `signer` with signed attributes transactionID, messageType,
 * senderNonce and signingTime. Returns the DER and the senderNonce it used.
 */
export function buildScepRequest(options: {
  readonly messageType: Exclude<ScepMessageType, 'CertRep'>;
  readonly transactionId: string;
  readonly content: Uint8Array;
  readonly recipientCertificateDer: Uint8Array;
  readonly signer: ScepSigner;
  readonly senderNonce?: Uint8Array;
  readonly digest?: ScepDigest;
  readonly contentEncryption?: ScepContentEncryption;
}): { readonly der: Uint8Array; readonly senderNonce: Uint8Array } {
  const digest = options.digest ?? 'sha256';
  if (digest === 'sha1') throw new TypeError('the codec does not produce SHA-1 signatures');
  const senderNonce = options.senderNonce ?? new Uint8Array(randomBytes(16));
  const envelope = encryptEnvelope(options.content, options.recipientCertificateDer, options.contentEncryption ?? 'aes-256-cbc');
  const der = buildSignedData({
    content: envelope,
    signer: options.signer,
    digest,
    attributes: [
      printableAttribute(OID_SCEP_TRANSACTION_ID, options.transactionId),
      printableAttribute(OID_SCEP_MESSAGE_TYPE, MESSAGE_TYPES[options.messageType]),
      octetAttribute(OID_SCEP_SENDER_NONCE, senderNonce),
      attribute(OID_SIGNING_TIME, x509Time(new Date()).toSchema()),
    ],
  });
  return { der, senderNonce };
}
