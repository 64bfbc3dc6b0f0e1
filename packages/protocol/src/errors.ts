/** Errors raised while decoding what a peer sent over the wire. */

/** Base class of protocol errors; `code` is stable API. */
export class ProtocolError extends Error {
  /** Stable machine-readable code. */
  readonly code: string = 'ERR_PROTOCOL';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The peer's answer does not have the documented shape. */
export class MalformedResponseError extends ProtocolError {
  override readonly code = 'ERR_PROTOCOL_MALFORMED_RESPONSE';
  /** HTTP status of the answer. */
  readonly status: number;
  constructor(message: string, status: number, options?: { cause?: unknown }) {
    super(message, options);
    this.status = status;
  }
}

/** The CA answered a request with a documented error body. */
export class CaRejectedError extends ProtocolError {
  override readonly code = 'ERR_PROTOCOL_CA_REJECTED';
  /** HTTP status of the answer. */
  readonly status: number;
  /** The CA's wire error code, e.g. `csr_bad_signature` (see {@link CsrApiErrorCode}). */
  readonly caCode: string;
  constructor(message: string, status: number, caCode: string) {
    super(message);
    this.status = status;
    this.caCode = caCode;
  }
}
