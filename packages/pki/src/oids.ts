/**
 * Object identifiers used by more than one module, in one place so that no two files can
 * disagree. Module-private OIDs (PKCS#12's, say) stay in their module.
 */

// RFC 5280 §4.2.1 certificate extensions.
export const OID_SUBJECT_KEY_IDENTIFIER = '2.5.29.14';
export const OID_KEY_USAGE = '2.5.29.15';
export const OID_SUBJECT_ALT_NAME = '2.5.29.17';
export const OID_BASIC_CONSTRAINTS = '2.5.29.19';
export const OID_CRL_DISTRIBUTION_POINTS = '2.5.29.31';
export const OID_AUTHORITY_KEY_IDENTIFIER = '2.5.29.35';
export const OID_EXT_KEY_USAGE = '2.5.29.37';

// RFC 5280 §4.2.2.1 private internet extension, and the OCSP access method (RFC 6960 Appendix B.1 id-ad-ocsp).
export const OID_AUTHORITY_INFO_ACCESS = '1.3.6.1.5.5.7.1.1';
export const OID_AD_OCSP = '1.3.6.1.5.5.7.48.1';

// RFC 5280 §5.2 and §5.3 CRL and CRL entry extensions.
export const OID_CRL_NUMBER = '2.5.29.20';
export const OID_REASON_CODE = '2.5.29.21';
export const OID_INVALIDITY_DATE = '2.5.29.24';

// RFC 2985 §5.4 PKCS #9 request attributes.
export const OID_CHALLENGE_PASSWORD = '1.2.840.113549.1.9.7';
export const OID_EXTENSION_REQUEST = '1.2.840.113549.1.9.14';
