/**
 * Object identifiers and the SCEP attribute value tables (RFC 8894 §3.2.1, RFC 5652 §11).
 */
import type { ScepContentEncryption, ScepDigest, ScepFailInfo, ScepMessageType, ScepPkiStatus } from './errors.js';

/** RFC 5652 §4, §5.1, §6.1 content types. */
export const OID_DATA = '1.2.840.113549.1.7.1';
/** signed data (1.2.840.113549.1.7.2). */
export const OID_SIGNED_DATA = '1.2.840.113549.1.7.2';
/** enveloped data (1.2.840.113549.1.7.3). */
export const OID_ENVELOPED_DATA = '1.2.840.113549.1.7.3';
/** RFC 5652 §11.1-11.3 signed attributes. */
export const OID_CONTENT_TYPE = '1.2.840.113549.1.9.3';
/** message digest (1.2.840.113549.1.9.4). */
export const OID_MESSAGE_DIGEST = '1.2.840.113549.1.9.4';
/** signing time (1.2.840.113549.1.9.5). */
export const OID_SIGNING_TIME = '1.2.840.113549.1.9.5';
/** RFC 8894 §3.2.1 SCEP attributes (2.16.840.1.113733.1.9.x). */
export const OID_SCEP_MESSAGE_TYPE = '2.16.840.1.113733.1.9.2';
/** scep pki status (2.16.840.1.113733.1.9.3). */
export const OID_SCEP_PKI_STATUS = '2.16.840.1.113733.1.9.3';
/** scep fail info (2.16.840.1.113733.1.9.4). */
export const OID_SCEP_FAIL_INFO = '2.16.840.1.113733.1.9.4';
/** scep sender nonce (2.16.840.1.113733.1.9.5). */
export const OID_SCEP_SENDER_NONCE = '2.16.840.1.113733.1.9.5';
/** scep recipient nonce (2.16.840.1.113733.1.9.6). */
export const OID_SCEP_RECIPIENT_NONCE = '2.16.840.1.113733.1.9.6';
/** scep transaction id (2.16.840.1.113733.1.9.7). */
export const OID_SCEP_TRANSACTION_ID = '2.16.840.1.113733.1.9.7';
/** RFC 8017 Appendix A key algorithms. */
export const OID_RSA_ENCRYPTION = '1.2.840.113549.1.1.1';
/** rsaes oaep (1.2.840.113549.1.1.7). */
export const OID_RSAES_OAEP = '1.2.840.113549.1.1.7';
/** subject key identifier (2.5.29.14). */
export const OID_SUBJECT_KEY_IDENTIFIER = '2.5.29.14';
/** sha256 with rsa (1.2.840.113549.1.1.11). */
export const OID_SHA256_WITH_RSA = '1.2.840.113549.1.1.11';

/** Digest OIDs (RFC 5754 §2, RFC 3370 §2.1). */
export const DIGEST_OIDS: Readonly<Record<ScepDigest, string>> = {
  sha1: '1.3.14.3.2.26',
  sha256: '2.16.840.1.101.3.4.2.1',
  sha512: '2.16.840.1.101.3.4.2.3',
};
/** RSA PKCS #1 v1.5 signature OIDs (RFC 8017 Appendix A.2.4) by digest. */
export const RSA_SIGNATURE_OIDS: Readonly<Record<ScepDigest, string>> = {
  sha1: '1.2.840.113549.1.1.5',
  sha256: '1.2.840.113549.1.1.11',
  sha512: '1.2.840.113549.1.1.13',
};
/** Content-encryption OIDs (RFC 3565 §4.1, RFC 3370 §5.1) and their key and IV sizes. */
export const CIPHERS: Readonly<Record<ScepContentEncryption, { oid: string; keyBytes: number; ivBytes: number }>> = {
  'aes-128-cbc': { oid: '2.16.840.1.101.3.4.1.2', keyBytes: 16, ivBytes: 16 },
  'aes-256-cbc': { oid: '2.16.840.1.101.3.4.1.42', keyBytes: 32, ivBytes: 16 },
  'des-ede3-cbc': { oid: '1.2.840.113549.3.7', keyBytes: 24, ivBytes: 8 },
};

/** RFC 8894 §3.2.1.2 messageType numbers. */
export const MESSAGE_TYPES: Readonly<Record<ScepMessageType, string>> = {
  CertRep: '3',
  RenewalReq: '17',
  PKCSReq: '19',
  CertPoll: '20',
  GetCert: '21',
  GetCRL: '22',
};
/** RFC 8894 §3.2.1.3 pkiStatus numbers. */
export const PKI_STATUSES: Readonly<Record<ScepPkiStatus, string>> = { SUCCESS: '0', FAILURE: '2', PENDING: '3' };
/** RFC 8894 §3.2.1.4 failInfo numbers. */
export const FAIL_INFOS: Readonly<Record<ScepFailInfo, string>> = {
  badAlg: '0',
  badMessageCheck: '1',
  badRequest: '2',
  badTime: '3',
  badCertId: '4',
};

/** Reverse lookup in one of the tables above. */
export function keyOf<K extends string>(table: Readonly<Record<K, string>>, value: string): K | undefined {
  for (const [key, v] of Object.entries(table) as [K, string][]) if (v === value) return key;
  return undefined;
}
