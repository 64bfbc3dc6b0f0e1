/**
 * Test support: builds PKCS #10 requests with none of createCsr's safety checks, so that tests
 * can produce exactly the bad requests a CA must refuse (weak keys, MD5 and SHA-1 signatures,
 * oversized names, CA requests, broken signatures). Not part of the package's build.
 */
import { createPublicKey, type KeyObject, sign } from 'node:crypto';
import { Attributes, CertificationRequest, CertificationRequestInfo } from '@peculiar/asn1-csr';
import { ExtensionRequest, id_pkcs9_at_extensionRequest } from '@peculiar/asn1-pkcs9';
import { AsnConvert, AsnParser, OctetString } from '@peculiar/asn1-schema';
import {
  AlgorithmIdentifier,
  Attribute,
  AttributeTypeAndValue,
  AttributeValue,
  BasicConstraints,
  Extension,
  GeneralName,
  GeneralNames,
  id_ce_basicConstraints,
  id_ce_subjectAltName,
  Name,
  RelativeDistinguishedName,
  SubjectAlternativeName,
  SubjectPublicKeyInfo,
} from '@peculiar/asn1-x509';

/** Signature algorithm OIDs by name, including the broken ones. */
export const SIG_OIDS = {
  md5WithRSA: '1.2.840.113549.1.1.4',
  sha1WithRSA: '1.2.840.113549.1.1.5',
  sha256WithRSA: '1.2.840.113549.1.1.11',
  ecdsaWithSHA1: '1.2.840.10045.4.1',
  ecdsaWithSHA256: '1.2.840.10045.4.3.2',
} as const;

/** Options of {@link buildRawCsr}. */
export interface RawCsrOptions {
  readonly privateKey: KeyObject;
  /**
   * Subject attributes as OID (or short name CN/O/emailAddress) and value: a UTF8String of
   * `value`, or the DER element `der` as it is.
   */
  readonly subject?: ReadonlyArray<{ type: string; value: string } | { type: string; der: Uint8Array }>;
  readonly sans?: { dns?: string[]; email?: string[]; ip?: string[]; uri?: string[] };
  /** Request basicConstraints cA=TRUE. */
  readonly requestCa?: boolean;
  /** Digest used for the signature; must fit `signatureOid`. Default sha256. */
  readonly hash?: 'md5' | 'sha1' | 'sha256';
  /** Algorithm identifier written into the request. Default: SHA-256 for the key type. */
  readonly signatureOid?: string;
  /** Flip one bit of the signature. */
  readonly corruptSignature?: boolean;
  /** Extra attribute bytes to pad the request (an unstructuredName of this many characters). */
  readonly paddingChars?: number;
}

const SHORT: Record<string, string> = {
  CN: '2.5.4.3',
  O: '2.5.4.10',
  C: '2.5.4.6',
  emailAddress: '1.2.840.113549.1.9.1',
};

/** Builds a DER request exactly as told, signing with node:crypto. */
export function buildRawCsr(options: RawCsrOptions): Uint8Array {
  const { privateKey } = options;
  const isRsa = privateKey.asymmetricKeyType === 'rsa';
  const subject = new Name(
    (options.subject ?? []).map(
      (a) =>
        new RelativeDistinguishedName([
          new AttributeTypeAndValue({
            type: SHORT[a.type] ?? a.type,
            value: new AttributeValue('der' in a ? { anyValue: a.der.slice().buffer } : { utf8String: a.value }),
          }),
        ]),
    ),
  );
  const extensions: Extension[] = [];
  if (options.sans) {
    const names = new GeneralNames([
      ...(options.sans.dns ?? []).map((dNSName) => new GeneralName({ dNSName })),
      ...(options.sans.email ?? []).map((rfc822Name) => new GeneralName({ rfc822Name })),
      ...(options.sans.ip ?? []).map((iPAddress) => new GeneralName({ iPAddress })),
      ...(options.sans.uri ?? []).map((uniformResourceIdentifier) => new GeneralName({ uniformResourceIdentifier })),
    ]);
    extensions.push(
      new Extension({
        extnID: id_ce_subjectAltName,
        critical: false,
        extnValue: new OctetString(AsnConvert.serialize(new SubjectAlternativeName(names))),
      }),
    );
  }
  if (options.requestCa) {
    extensions.push(
      new Extension({
        extnID: id_ce_basicConstraints,
        critical: true,
        extnValue: new OctetString(AsnConvert.serialize(new BasicConstraints({ cA: true }))),
      }),
    );
  }
  const attributes = new Attributes();
  if (extensions.length > 0) {
    attributes.push(
      new Attribute({
        type: id_pkcs9_at_extensionRequest,
        values: [AsnConvert.serialize(new ExtensionRequest(extensions))],
      }),
    );
  }
  if (options.paddingChars) {
    const value = AsnConvert.serialize(new AttributeValue({ utf8String: 'x'.repeat(options.paddingChars) }));
    attributes.push(new Attribute({ type: '1.2.840.113549.1.9.2', values: [value] }));
  }
  const spki = createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
  const info = new CertificationRequestInfo({
    version: 0,
    subject,
    subjectPKInfo: AsnParser.parse(spki, SubjectPublicKeyInfo),
    attributes,
  });
  const tbs = Buffer.from(AsnConvert.serialize(info));
  const hash = options.hash ?? 'sha256';
  const oid = options.signatureOid ?? (isRsa ? SIG_OIDS.sha256WithRSA : SIG_OIDS.ecdsaWithSHA256);
  const signature = sign(hash, tbs, privateKey);
  if (options.corruptSignature) signature[signature.length - 1] = (signature[signature.length - 1] as number) ^ 0x01;
  const algorithm = new AlgorithmIdentifier({
    algorithm: oid,
    ...(isRsa ? { parameters: new Uint8Array([0x05, 0x00]).buffer } : {}),
  });
  return new Uint8Array(
    AsnConvert.serialize(
      new CertificationRequest({
        certificationRequestInfo: info,
        signatureAlgorithm: algorithm,
        signature: new Uint8Array(signature).buffer,
      }),
    ),
  );
}

/** Encodes DER as PEM under any label (for wrongly labelled inputs). */
export function pemOf(der: Uint8Array, label = 'CERTIFICATE REQUEST'): string {
  const b64 = Buffer.from(der).toString('base64').replace(/.{64}/g, '$&\n');
  return `-----BEGIN ${label}-----\n${b64}${b64.endsWith('\n') ? '' : '\n'}-----END ${label}-----\n`;
}
