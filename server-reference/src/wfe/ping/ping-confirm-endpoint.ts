/**
 * `POST /api/ping/confirm` (form fields `token` and `nonce`): the machine's side of the email
 * ping, what the mail hook of the installer's mail server calls. JSON answers: 200
 * `{"status":"confirmed","email"}` (also for a repeat with the same nonce), errors
 * `{"error":{"code","message"}}` (docs/protocol.md, "The email ping"). A refused attempt changes
 * nothing stored.
 */
import {
  decodePingConfirmRequest,
  encodePingConfirmAnswer,
  encodePingError,
  PING_CONFIRM_ERRORS,
  PING_REQUEST_MEDIA_TYPE,
  type PingConfirmErrorCode,
} from '@certwizard/protocol';
import type { Request, Response } from 'express';
import { PingNonceMismatchError, PingTokenExpiredError, PingTokenUnknownError } from '../../accounts/errors.js';
import { confirmPing } from '../../ca/email-ping.js';
import { readBody } from '../read-body.js';
import { clientKey } from '../registration/request-checks.js';
import type { PingContext } from './context.js';

/** Body limit of the endpoint, in bytes (a token and a nonce are under 300). */
export const PING_CONFIRM_MAX_BODY_BYTES = 4096;

/** Writes an error answer of the endpoint. */
export function failPingConfirm(res: Response, code: PingConfirmErrorCode, message: string): void {
  res.status(PING_CONFIRM_ERRORS[code]).json(encodePingError(code, message));
}

/** The wire code of each refusal of {@link confirmPing}; mapped here, at the edge, once. */
const WIRE_CODES: ReadonlyArray<[new (...args: never[]) => Error, PingConfirmErrorCode]> = [
  [PingTokenUnknownError, 'unknown_token'],
  [PingNonceMismatchError, 'nonce_mismatch'],
  [PingTokenExpiredError, 'expired_token'],
];

/**
 * Builds the handler.
 * @example
 * router.post(PING_CONFIRM_API_PATH, pingConfirmEndpoint(ctx));
 */
export function pingConfirmEndpoint(ctx: PingContext): (req: Request, res: Response) => Promise<void> {
  return async (req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    // Before the body is read: a client over its limit costs nothing more.
    const limit = await ctx.limiters.confirmations.take(clientKey(req));
    if (!limit.allowed) {
      req.resume();
      res.setHeader('Retry-After', String(Math.max(1, Math.ceil(limit.retryAfterMs / 1000))));
      return failPingConfirm(res, 'too_many_requests', 'too many attempts; retry later');
    }
    const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
    if (type !== PING_REQUEST_MEDIA_TYPE) {
      req.resume();
      return failPingConfirm(res, 'invalid_request', `the body must be ${PING_REQUEST_MEDIA_TYPE}`);
    }
    let body: Buffer;
    try {
      body = await readBody(req, PING_CONFIRM_MAX_BODY_BYTES);
    } catch {
      return failPingConfirm(res, 'invalid_request', `the body is larger than ${PING_CONFIRM_MAX_BODY_BYTES} bytes`);
    }
    const decoded = decodePingConfirmRequest(body.toString('utf8'));
    if (!decoded.ok) return failPingConfirm(res, 'invalid_request', decoded.message);
    try {
      const confirmed = await confirmPing(ctx, decoded.request.token, { nonce: decoded.request.nonce });
      res.status(200).json(encodePingConfirmAnswer(confirmed.email));
    } catch (err) {
      const wire = WIRE_CODES.find(([type]) => err instanceof type)?.[1];
      if (wire !== undefined) return failPingConfirm(res, wire, (err as Error).message);
      ctx.logger.error('ping confirmation failed', { error: err });
      failPingConfirm(res, 'internal_error', 'the CA could not process the request; see its log');
    }
  };
}
