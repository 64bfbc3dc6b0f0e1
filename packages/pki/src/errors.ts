/**
 * Typed errors of the PKI core. Every error carries a stable `code`; codes are API:
 * they are added, never renamed. Messages never contain key material or passphrases.
 *
 * @packageDocumentation
 */

/** Base class of every error thrown by `@certwizard/pki` for bad input. */
export class PkiError extends Error {
  /** Stable machine-readable code, e.g. `ERR_PKI_PEM`. */
  readonly code: string = 'ERR_PKI';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The input is larger than the codec accepts (64 KiB by default). */
export class InputTooLargeError extends PkiError {
  override readonly code = 'ERR_PKI_INPUT_TOO_LARGE';
}

/** PEM text is malformed, has the wrong label, or holds more or fewer blocks than expected. */
export class PemError extends PkiError {
  override readonly code = 'ERR_PKI_PEM';
}

/** The bytes are not strict DER of the expected structure (garbage, BER, trailing bytes). */
export class DerError extends PkiError {
  override readonly code = 'ERR_PKI_DER';
}

/** A signature does not verify with the key it claims. */
export class BadSignatureError extends PkiError {
  override readonly code = 'ERR_PKI_BAD_SIGNATURE';
}

/** A key is too weak or of an unsupported shape (RSA below 2048 bits, e != 65537, other curves). */
export class WeakKeyError extends PkiError {
  override readonly code = 'ERR_PKI_WEAK_KEY';
}

/** A signature algorithm is refused because it is broken (MD5, SHA-1). */
export class WeakSignatureAlgorithmError extends PkiError {
  override readonly code = 'ERR_PKI_WEAK_SIGNATURE_ALGORITHM';
}

/** An algorithm is recognised as well-formed but not supported here. */
export class UnsupportedAlgorithmError extends PkiError {
  override readonly code = 'ERR_PKI_UNSUPPORTED_ALGORITHM';
}

/** More subject alternative names than the policy allows (100). */
export class TooManyNamesError extends PkiError {
  override readonly code = 'ERR_PKI_TOO_MANY_SANS';
}

/** A common name longer than RFC 5280's upper bound of 64 characters. */
export class CommonNameTooLongError extends PkiError {
  override readonly code = 'ERR_PKI_CN_TOO_LONG';
}

/** A request asks for a CA certificate (basicConstraints cA = TRUE). */
export class CaRequestedError extends PkiError {
  override readonly code = 'ERR_PKI_CA_REQUESTED';
}

/** A name (DNS name, address, IP, subject attribute) is not well-formed. */
export class InvalidNameError extends PkiError {
  override readonly code = 'ERR_PKI_INVALID_NAME';
}

/** A private key could not be decrypted: missing or wrong passphrase. */
export class KeyDecryptionError extends PkiError {
  override readonly code = 'ERR_PKI_KEY_DECRYPTION';
}

/** A private key does not belong to the certificate or request it is used with. */
export class KeyMismatchError extends PkiError {
  override readonly code = 'ERR_PKI_KEY_MISMATCH';
}

/** A certificate chain does not verify up to a trust anchor. */
export class ChainVerificationError extends PkiError {
  override readonly code = 'ERR_PKI_CHAIN';
}
