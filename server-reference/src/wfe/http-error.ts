/** An error that already knows its wire code: raised by the HTTP front end itself. */
import type { CsrApiErrorCode } from '@certwizard/protocol';
import { CaError } from '../errors.js';

/** A request the front end refuses before any CA logic runs (bad path, media type, size). */
export class HttpError extends CaError {
  override readonly code = 'ERR_CA_HTTP';
  /** The wire error code. */
  readonly wireCode: CsrApiErrorCode;
  constructor(wireCode: CsrApiErrorCode, message: string) {
    super(message);
    this.wireCode = wireCode;
  }
}
