/**
 * The usages a certificate states for its key: the KeyUsage bits (RFC 5280 §4.2.1.3) and the
 * ExtendedKeyUsage purposes (§4.2.1.12) this package writes and reads, as one table each, so
 * that the certificate encoder and parser cannot disagree about a bit or an OID.
 */

/** KeyUsage bits (RFC 5280 §4.2.1.3) this package sets and reports. */
export type KeyUsageName = 'digitalSignature' | 'nonRepudiation' | 'keyEncipherment' | 'dataEncipherment' | 'keyAgreement' | 'keyCertSign' | 'cRLSign';

/** Extended key usages (RFC 5280 §4.2.1.12) a profile may ask for. */
export type ExtendedKeyUsageName = 'serverAuth' | 'clientAuth' | 'emailProtection' | 'codeSigning';

/** KeyUsage bit positions, RFC 5280 §4.2.1.3 (encipherOnly and decipherOnly are not used). */
export const KEY_USAGE_BITS: Readonly<Record<KeyUsageName, number>> = {
  digitalSignature: 0,
  nonRepudiation: 1,
  keyEncipherment: 2,
  dataEncipherment: 3,
  keyAgreement: 4,
  keyCertSign: 5,
  cRLSign: 6,
};

/** Every {@link KeyUsageName}, in bit order. */
export const KEY_USAGE_NAMES: readonly KeyUsageName[] = Object.keys(KEY_USAGE_BITS) as KeyUsageName[];

/** KeyPurposeId OIDs, RFC 5280 §4.2.1.12. */
export const EKU_OIDS: Readonly<Record<ExtendedKeyUsageName, string>> = {
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
  codeSigning: '1.3.6.1.5.5.7.3.3',
  emailProtection: '1.3.6.1.5.5.7.3.4',
};

/** The {@link ExtendedKeyUsageName} of each KeyPurposeId OID in {@link EKU_OIDS}. */
export const EKU_NAME_BY_OID: ReadonlyMap<string, ExtendedKeyUsageName> = new Map(
  Object.entries(EKU_OIDS).map(([name, oid]) => [oid, name as ExtendedKeyUsageName]),
);
