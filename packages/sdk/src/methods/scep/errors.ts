/**
 * Typed errors of the SCEP method. Codes are API: added, never renamed. Messages hold
 * fingerprints (public) and never a PIN or a key.
 *
 * @packageDocumentation
 */
import { SdkError } from '../../errors.js';

/**
 * The SCEP CA is not trusted: its certificate is not the pinned one, or the installer did not
 * confirm its fingerprints. Nothing was sent to it beyond GetCACaps and GetCACert.
 */
export class ScepCaUntrustedError extends SdkError {
  override readonly code = 'ERR_SDK_SCEP_CA_UNTRUSTED';
  /** The fingerprints the CA presented (SHA-256, lower-case hex). */
  readonly fingerprints: { readonly caSha256: string; readonly raSha256: string };

  constructor(message: string, fingerprints: { readonly caSha256: string; readonly raSha256: string }) {
    super(message);
    this.fingerprints = { caSha256: fingerprints.caSha256, raSha256: fingerprints.raSha256 };
  }
}

/**
 * The request's key cannot do SCEP: not RSA (the CA encrypts its answer to the key by key
 * transport, RFC 8894 §3.2.2), absent, or not the request's. Nothing was sent.
 */
export class ScepKeyError extends SdkError {
  override readonly code = 'ERR_SDK_SCEP_KEY';
}
