/**
 * X.509 v3 certificates (RFC 5280 §4): the typed view of a certificate and the public face of
 * the two halves that make and read one.
 *
 * - `certificate-encoder.ts` issues leaf certificates from a parsed request and creates
 *   self-signed CA certificates, writing DER with `codec/der-writer.ts`.
 * - `certificate-parser.ts` reads a certificate into the {@link Certificate} view, keeping the raw
 *   bytes that signatures and issuer matching need, with `codec/der-reader.ts`.
 * - `key-usage.ts` holds the KeyUsage bits and ExtendedKeyUsage OIDs both halves share.
 */
import type { KeyObject } from 'node:crypto';
import type { SignatureAlgorithm } from './algorithms.js';
import type { KeyUsageName } from './key-usage.js';
import type { DistinguishedName } from './name.js';
import type { SubjectAltNames } from './san.js';

export {
  type CertificateProfile,
  createSelfSignedCa,
  generateSerialNumber,
  type IssuedCertificateInfo,
  issueCertificate,
  type IssueOptions,
  type Issuer,
  issueServiceCertificate,
  type SelfSignedCaOptions,
  type ServiceCertificateOptions,
} from './certificate-encoder.js';
export { certificateMatchesKey, parseCertificate, parseCertificateChain } from './certificate-parser.js';
export type { ExtendedKeyUsageName, KeyUsageName } from './key-usage.js';

/** One extension as it sits in a certificate (RFC 5280 §4.1.2.9). */
export interface RawExtension {
  /** Dotted OID of `extnID`. */
  readonly oid: string;
  readonly critical: boolean;
  /** DER of the `extnValue` OCTET STRING's contents (the extension's own structure). */
  readonly value: Uint8Array;
}

/** A DER certificate and its PEM text. */
export interface EncodedCertificate {
  readonly der: Uint8Array;
  readonly pem: string;
}

/** The typed view of a certificate returned by {@link parseCertificate}. */
export interface Certificate extends EncodedCertificate {
  /** 1 or 3 in practice (RFC 5280 §4.1.2.1); extensions only appear in v3. */
  readonly version: 1 | 2 | 3;
  /** Lower-case hex of the serial number's INTEGER content octets, exactly as encoded. */
  readonly serialNumberHex: string;
  readonly subject: DistinguishedName;
  /** DER of the subject Name exactly as received: what issued certificates copy as their issuer. */
  readonly subjectDer: Uint8Array;
  readonly issuer: DistinguishedName;
  /** DER of the issuer Name exactly as received. */
  readonly issuerDer: Uint8Array;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /**
   * The dNSName, rfc822Name and iPAddress entries of subjectAltName (DNS names and email domains
   * lower-cased, IP addresses in canonical text). Other GeneralName forms stay in `extensions`.
   */
  readonly subjectAltNames: SubjectAltNames;
  readonly publicKey: KeyObject;
  /** DER SubjectPublicKeyInfo exactly as received. */
  readonly publicKeyDer: Uint8Array;
  /** basicConstraints cA. */
  readonly isCa: boolean;
  /** basicConstraints pathLenConstraint, when present. */
  readonly pathLength?: number;
  /** Asserted KeyUsage bits; empty when the extension is absent (see `extensions`). */
  readonly keyUsage: readonly KeyUsageName[];
  /** Extended key usages by name where known, else dotted OIDs. */
  readonly extendedKeyUsage: readonly string[];
  /** Lower-case hex subjectKeyIdentifier. */
  readonly subjectKeyIdentifier?: string;
  /** Lower-case hex keyIdentifier of authorityKeyIdentifier. */
  readonly authorityKeyIdentifier?: string;
  /** URIs of the CRL distribution points' full names. */
  readonly crlDistributionPoints: readonly string[];
  /** URIs of the OCSP responders (authorityInfoAccess id-ad-ocsp, RFC 5280 §4.2.2.1). */
  readonly ocspUrls: readonly string[];
  /** Every extension, in order, including ones this view does not interpret. */
  readonly extensions: readonly RawExtension[];
  /** Dotted OID of the signature algorithm. */
  readonly signatureAlgorithmOid: string;
  /**
   * The signature algorithm, when it is one this package verifies. Absent for refused (MD5,
   * SHA-1) and unsupported algorithms: such certificates parse, but never verify.
   */
  readonly signatureAlgorithm?: SignatureAlgorithm;
  /** DER of the TBSCertificate exactly as received: what the signature covers. */
  readonly tbsDer: Uint8Array;
  /** The signature value (BIT STRING contents after the unused-bits octet). */
  readonly signature: Uint8Array;
  /** Lower-case hex SHA-256 of `der`. */
  readonly fingerprintSha256: string;
}
