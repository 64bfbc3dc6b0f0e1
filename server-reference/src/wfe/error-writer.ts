/**
 * The express error handler: what was thrown, not returned, becomes an HTTP answer here, as
 * `{"error": {"code", "message"}}` (the ssl_api shape, also the CA's 404 and 405 answers). The
 * front end's own {@link HttpError}s (bad path, media type, size) keep their code and message;
 * anything else is the CA's own failure: `internal_error` with a fixed message, details in the
 * log only. The CA's refusals never come here: they are results, written by each protocol's
 * writer (wfe/csr-api/refusal-answer.ts, wfe/cacert-api/answer-writer.ts).
 */
import { CSR_API_ERRORS, type CsrApiErrorCode, encodeCsrApiError } from '@certwizard/protocol';
import { PkiError } from '@certwizard/pki';
import type { NextFunction, Request, Response } from 'express';
import { CaError } from '../errors.js';
import type { Logger } from '../log.js';
import { HttpError } from './http-error.js';

/** Maps an error to its wire code and a message fit to return. */
export function toWireError(err: unknown): { code: CsrApiErrorCode; status: number; message: string } {
  if (err instanceof HttpError) return { code: err.wireCode, status: CSR_API_ERRORS[err.wireCode], message: err.message };
  return { code: 'internal_error', status: CSR_API_ERRORS.internal_error, message: 'the CA could not process the request; see its log' };
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
