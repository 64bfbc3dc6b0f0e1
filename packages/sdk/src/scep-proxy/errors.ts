/**
 * The SCEP proxy's own error. Messages name addresses, paths and fingerprints, never the
 * installation token.
 *
 * @packageDocumentation
 */
import { SdkError } from '../errors.js';

/**
 * The SCEP proxy cannot start as asked: no installation token for the CA, a non-loopback address
 * not allowed explicitly, an incomplete RA identity, or a CA that does not hand out its certificate.
 */
export class ScepProxyError extends SdkError {
  override readonly code = 'ERR_SDK_SCEP_PROXY';
}
