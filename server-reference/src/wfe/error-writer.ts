/**
 * The one place where errors become HTTP answers: `{"error": {"code", "message"}}` with the
 * status docs/protocol.md lists. Messages of our own typed errors are safe to return (they
 * never hold secrets); anything else becomes `internal_error` with a fixed message.
 */
import { CSR_API_ERRORS, type CsrApiErrorCode, encodeCsrApiError } from '@certwizard/protocol';
import { PkiError } from '@certwizard/pki';
import type { NextFunction, Request, Response } from 'express';
import { CaError, RefusedError } from '../errors.js';
import type { Logger } from '../log.js';
import { HttpError } from './http-error.js';

const PKI_CODES: Readonly<Record<string, CsrApiErrorCode>> = {
  ERR_PKI_INPUT_TOO_LARGE: 'csr_too_large',
  ERR_PKI_PEM: 'csr_malformed',
  ERR_PKI_DER: 'csr_malformed',
  ERR_PKI_BAD_SIGNATURE: 'csr_bad_signature',
  ERR_PKI_WEAK_KEY: 'csr_weak_key',
  ERR_PKI_WEAK_SIGNATURE_ALGORITHM: 'csr_weak_signature_algorithm',
  ERR_PKI_UNSUPPORTED_ALGORITHM: 'csr_unsupported_algorithm',
  ERR_PKI_TOO_MANY_SANS: 'csr_too_many_names',
  ERR_PKI_CN_TOO_LONG: 'csr_cn_too_long',
  ERR_PKI_INVALID_NAME: 'csr_invalid_name',
  ERR_PKI_CA_REQUESTED: 'csr_ca_requested',
};

/** Maps an error to its wire code and a message fit to return. */
export function toWireError(err: unknown): { code: CsrApiErrorCode; status: number; message: string } {
  let code: CsrApiErrorCode = 'internal_error';
  let message = 'the CA could not process the request; see its log';
  if (err instanceof HttpError) {
    code = err.wireCode;
    message = err.message;
  } else if (err instanceof PkiError && PKI_CODES[err.code]) {
    code = PKI_CODES[err.code] as CsrApiErrorCode;
    message = err.message;
  } else if (err instanceof RefusedError) {
    code = 'refused';
    message = err.message;
  }
  return { code, status: CSR_API_ERRORS[code], message };
}

/** Express error handler writing {@link toWireError}'s answer and logging server-side failures. */
export function errorWriter(logger: Logger) {
  return (err: unknown, req: Request, res: Response, _next: NextFunction): void => {
    const wire = toWireError(err);
    if (wire.status >= 500) {
      logger.error('request failed', {
        method: req.method,
        route: req.route?.path,
        error: err,
        // Our own errors are written never to carry secrets; a foreign error's text might.
        ...(err instanceof CaError || err instanceof PkiError ? { detail: (err as Error).message } : {}),
      });
    }
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.status(wire.status).json(encodeCsrApiError(wire.code, wire.message));
  };
}
