/**
 * Errors of the reference CA. Each carries a stable `code`. The CA's refusals of a request are
 * not errors but results (ca/refusal.ts); what is thrown and reaches HTTP is mapped once, in
 * wfe/error-writer.ts.
 */

/** Base class of the CA's own errors. */
export class CaError extends Error {
  /** Stable machine-readable code. */
  readonly code: string = 'ERR_CA';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Invalid command line or configuration. */
export class ConfigError extends CaError {
  override readonly code = 'ERR_CA_CONFIG';
}

/** `create-identity` was pointed at a directory that already holds an identity. */
export class IdentityExistsError extends CaError {
  override readonly code = 'ERR_CA_IDENTITY_EXISTS';
}

/** The identity directory lacks `ca.cert.pem` or `ca.private_key.pem`, or they do not match. */
export class IdentityInvalidError extends CaError {
  override readonly code = 'ERR_CA_IDENTITY_INVALID';
}

/** No passphrase: CA_PASSPHRASE is unset and there is no terminal to ask on. */
export class PassphraseUnavailableError extends CaError {
  override readonly code = 'ERR_CA_PASSPHRASE_UNAVAILABLE';
}

/** The hooks module could not be loaded or has the wrong shape. */
export class HooksError extends CaError {
  override readonly code = 'ERR_CA_HOOKS';
}

/**
 * The authorize hook refused a request. Thrown by the signing core (`CertificateAuthority.issue`)
 * and turned into the `policy_refused` refusal by the request service.
 */
export class RefusedError extends CaError {
  override readonly code = 'ERR_CA_REFUSED';
}

/** The store could not take a serial number (a hook returned one already used, or bad). */
export class SerialNumberError extends CaError {
  override readonly code = 'ERR_CA_SERIAL';
}
