/** Largest PEM or DER input any codec accepts, in bytes (64 KiB). */
export const MAX_INPUT_BYTES = 64 * 1024;

/** Most subject alternative names accepted in one request or certificate. */
export const MAX_SUBJECT_ALT_NAMES = 100;

/** RFC 5280 appendix A.1 `ub-common-name`: the longest common name, in characters. */
export const MAX_COMMON_NAME_LENGTH = 64;

/** Smallest RSA modulus accepted, in bits. */
export const MIN_RSA_BITS = 2048;

/** Largest RSA modulus accepted, in bits; bigger keys only cost the CA time. */
export const MAX_RSA_BITS = 8192;
