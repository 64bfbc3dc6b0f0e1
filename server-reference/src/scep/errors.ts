/**
 * Errors of the CA's SCEP storage (PINs and personal URL handles). Stable codes; messages never
 * contain a PIN.
 */
import { CaError } from '../errors.js';

/** A PIN cannot be made as asked: no names, a malformed name or subject, a TTL out of range. */
export class ScepPinInputError extends CaError {
  override readonly code = 'ERR_SCEP_PIN_INVALID';
}

/** An owner asked for a PIN naming a DNS name or address that is not theirs (verified). */
export class ScepPinNamesNotOwnedError extends CaError {
  override readonly code = 'ERR_SCEP_PIN_NAMES_NOT_OWNED';
  /** The names the owner has not verified. */
  readonly names: readonly string[];
  constructor(names: readonly string[]) {
    super(`not your verified names: ${names.join(', ')}`);
    this.names = names;
  }
}
