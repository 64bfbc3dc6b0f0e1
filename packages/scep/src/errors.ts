/**
 * The codec's types and its one error class (RFC 8894 §3.2.1).
 *
 * @packageDocumentation
 */
import type { KeyObject } from 'node:crypto';

/** RFC 8894 §3.2.1.2 messageType values. */
export type ScepMessageType = 'CertRep' | 'RenewalReq' | 'PKCSReq' | 'CertPoll' | 'GetCert' | 'GetCRL';
/** RFC 8894 §3.2.1.3 pkiStatus. */
export type ScepPkiStatus = 'SUCCESS' | 'FAILURE' | 'PENDING';
/** RFC 8894 §3.2.1.4 failInfo. */
export type ScepFailInfo = 'badAlg' | 'badMessageCheck' | 'badRequest' | 'badTime' | 'badCertId';
/** Digest algorithms the codec signs and verifies with (SHA-1 verified only, never produced). */
export type ScepDigest = 'sha1' | 'sha256' | 'sha512';
/** Content encryption of the EnvelopedData (RFC 8894 §3.2.2; GetCACaps "AES" = aes-128/256-cbc). */
export type ScepContentEncryption = 'aes-128-cbc' | 'aes-256-cbc' | 'des-ede3-cbc';

/** Largest pkiMessage (DER) either side parses: 64 KiB. Larger input is refused before parsing. */
export const SCEP_MAX_MESSAGE_BYTES = 65_536;

/** Stable codes of {@link ScepError}. */
export type ScepErrorCode = 'ERR_SCEP_TOO_LARGE' | 'ERR_SCEP_MALFORMED' | 'ERR_SCEP_ALGORITHM' | 'ERR_SCEP_SIGNATURE' | 'ERR_SCEP_DECRYPT' | 'ERR_SCEP_CERTREP';

const FAIL_INFO_OF: Readonly<Record<ScepErrorCode, ScepFailInfo>> = {
  ERR_SCEP_TOO_LARGE: 'badRequest',
  ERR_SCEP_MALFORMED: 'badRequest',
  ERR_SCEP_ALGORITHM: 'badAlg',
  ERR_SCEP_SIGNATURE: 'badMessageCheck',
  ERR_SCEP_DECRYPT: 'badMessageCheck',
  ERR_SCEP_CERTREP: 'badMessageCheck',
};

/**
 * The codec's only error (RFC 8894 §3.2.1.4: `failInfo` is what a server answers for it in a
 * CertRep FAILURE). Messages never contain key material, PINs or decrypted content.
 */
export class ScepError extends Error {
  /** Stable machine-readable code. */
  readonly code: ScepErrorCode;
  /** The RFC 8894 §3.2.1.4 failInfo a server answers for this error. */
  readonly failInfo: ScepFailInfo;

  constructor(code: ScepErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ScepError';
    this.code = code;
    this.failInfo = FAIL_INFO_OF[code];
  }
}

/** A signer: a certificate (DER) and its private key (node:crypto KeyObject, RSA for SCEP). */
export interface ScepSigner {
  readonly certificateDer: Uint8Array;
  readonly privateKey: KeyObject;
}
