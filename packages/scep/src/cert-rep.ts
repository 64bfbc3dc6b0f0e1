/**
 * CertRep messages (RFC 8894 §3.3.2): built by the CA / RA, checked by the client.
 */
import { randomBytes } from 'node:crypto';
import { ScepError, type ScepContentEncryption, type ScepDigest, type ScepFailInfo, type ScepSigner } from './errors.js';
import {
  FAIL_INFOS,
  MESSAGE_TYPES,
  OID_SCEP_FAIL_INFO,
  OID_SCEP_MESSAGE_TYPE,
  OID_SCEP_PKI_STATUS,
  OID_SCEP_RECIPIENT_NONCE,
  OID_SCEP_SENDER_NONCE,
  OID_SCEP_TRANSACTION_ID,
  PKI_STATUSES,
  keyOf,
} from './oids.js';
import { checkNonce, octetAttribute, printableAttribute, readOctets, readString } from './attributes.js';
import { bytesEqual } from './der.js';
import { decryptEnvelope, encryptEnvelope } from './enveloped-data.js';
import { checkSize } from './request.js';
import { buildDegenerate, buildSignedData, readDegenerate, verifySignedData } from './signed-data.js';

/** What a CertRep says (RFC 8894 §3.3.2). */
export type ScepReply =
  | { readonly status: 'SUCCESS'; readonly certificatesDer: readonly Uint8Array[] } // issued cert first, then chain
  | { readonly status: 'SUCCESS'; readonly crlDer: Uint8Array } // GetCRL
  | { readonly status: 'PENDING' }
  | { readonly status: 'FAILURE'; readonly failInfo: ScepFailInfo };

/**
 * RFC 8894 §3.3.2: builds a CertRep pkiMessage: SignedData signed by `signer` (the RA) with
 * `digest`, signed attributes transactionID (echoed), messageType CertRep, pkiStatus,
 * failInfo (FAILURE), senderNonce (fresh 16 random bytes unless given), recipientNonce (the
 * request's senderNonce). For SUCCESS the content is an EnvelopedData (RSAES-PKCS1-v1_5 to
 * `recipientCertificateDer`, `contentEncryption`, default aes-256-cbc) of a degenerate
 * certs-only SignedData holding the certificates (or the CRL); PENDING and FAILURE carry an
 * empty content (so the message verifies without detached data). The signer certificate is
 * included.
 */
export function buildCertRep(options: {
  readonly reply: ScepReply;
  readonly transactionId: string;
  readonly recipientNonce: Uint8Array;
  readonly senderNonce?: Uint8Array;
  readonly signer: ScepSigner;
  readonly recipientCertificateDer: Uint8Array;
  readonly digest?: ScepDigest;
  readonly contentEncryption?: ScepContentEncryption;
}): Uint8Array {
  const { reply } = options;
  const digest = options.digest ?? 'sha256';
  if (digest === 'sha1') throw new TypeError('the codec does not produce SHA-1 signatures');
  const attributes = [
    printableAttribute(OID_SCEP_TRANSACTION_ID, options.transactionId),
    printableAttribute(OID_SCEP_MESSAGE_TYPE, MESSAGE_TYPES.CertRep),
    printableAttribute(OID_SCEP_PKI_STATUS, PKI_STATUSES[reply.status]),
    octetAttribute(OID_SCEP_SENDER_NONCE, options.senderNonce ?? new Uint8Array(randomBytes(16))),
    octetAttribute(OID_SCEP_RECIPIENT_NONCE, options.recipientNonce),
  ];
  if (reply.status === 'FAILURE') attributes.push(printableAttribute(OID_SCEP_FAIL_INFO, FAIL_INFOS[reply.failInfo]));
  let content: Uint8Array = new Uint8Array(0);
  if (reply.status === 'SUCCESS') {
    const inner = 'crlDer' in reply ? buildDegenerate([], [reply.crlDer]) : buildDegenerate(reply.certificatesDer);
    content = encryptEnvelope(inner, options.recipientCertificateDer, options.contentEncryption ?? 'aes-256-cbc');
  }
  return buildSignedData({ content, signer: options.signer, digest, attributes });
}

function certRepError(message: string): never {
  throw new ScepError('ERR_SCEP_CERTREP', message);
}

/**
 * RFC 8894 §3.3.2, §3.2.1.5: parses and checks a CertRep: signed by the key of
 * `raCertificateDer` (the pinned RA; any other key -> ERR_SCEP_CERTREP), messageType CertRep,
 * transactionID === expected, recipientNonce === the request's senderNonce; for SUCCESS
 * decrypts the envelope with `recipient` and returns the certificates / CRL.
 */
export function parseCertRep(
  der: Uint8Array,
  options: {
    readonly raCertificateDer: Uint8Array;
    readonly transactionId: string;
    readonly senderNonce: Uint8Array;
    readonly recipient: ScepSigner;
  },
): ScepReply & { readonly senderNonce: Uint8Array } {
  checkSize(der);
  let verified;
  try {
    verified = verifySignedData(der, 'CertRep', options.raCertificateDer);
  } catch (error) {
    if (error instanceof ScepError && error.code === 'ERR_SCEP_SIGNATURE') {
      certRepError('the CertRep is not signed by the pinned RA certificate');
    }
    throw error;
  }
  const { attributes } = verified;
  if (readString(attributes, OID_SCEP_MESSAGE_TYPE, 'messageType') !== MESSAGE_TYPES.CertRep) {
    certRepError('the answer is not a CertRep');
  }
  if (readString(attributes, OID_SCEP_TRANSACTION_ID, 'transactionID') !== options.transactionId) {
    certRepError('the CertRep answers another transactionID');
  }
  const recipientNonce = readOctets(attributes, OID_SCEP_RECIPIENT_NONCE, 'recipientNonce');
  if (recipientNonce === undefined || !bytesEqual(recipientNonce, options.senderNonce)) {
    certRepError("the CertRep's recipientNonce is not the request's senderNonce");
  }
  const senderNonce = checkNonce(readOctets(attributes, OID_SCEP_SENDER_NONCE, 'senderNonce'), 'senderNonce');
  const status = keyOf(PKI_STATUSES, readString(attributes, OID_SCEP_PKI_STATUS, 'pkiStatus') ?? '');
  if (status === undefined) certRepError('the CertRep has no valid pkiStatus');
  if (status === 'PENDING') return { status, senderNonce };
  if (status === 'FAILURE') {
    const failInfo = keyOf(FAIL_INFOS, readString(attributes, OID_SCEP_FAIL_INFO, 'failInfo') ?? '');
    if (failInfo === undefined) certRepError('the CertRep FAILURE has no valid failInfo');
    return { status, failInfo, senderNonce };
  }
  const inner = decryptEnvelope(verified.content, options.recipient);
  const { certificatesDer, crlsDer } = readDegenerate(inner, 'CertRep content');
  const crlDer = crlsDer[0];
  if (certificatesDer.length === 0 && crlDer !== undefined) return { status, crlDer, senderNonce };
  if (certificatesDer.length === 0) certRepError('the CertRep SUCCESS holds no certificate');
  return { status, certificatesDer, senderNonce };
}
