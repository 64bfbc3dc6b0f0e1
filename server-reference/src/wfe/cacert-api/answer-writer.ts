/**
 * The one writer of the CAcert-style API's text answers: the success lines of ccsr
 * (`200,Issued <id>` + chain, `202,Pending <id>`) and crevoke (`200,Revoked <serial>`,
 * `200,Already revoked <serial>`), and the failure line `<status>,<code>
 * <message>` for the front end's own decoding failures (already in wire terms) and for the CA's
 * neutral refusals, mapped here once ({@link CACERT_CODE_OF}). An unexpected error becomes
 * `500,internal_error` (logged, never echoed): CAcert clients read the first line.
 */
import {
  CACERT_API_MEDIA_TYPE,
  type CacertApiErrorCode,
  encodeCacertApiError,
  encodeCcsrAnswer,
  encodeCrevokeAnswer,
  REVOCATION_SECRET_HEADER,
} from '@certwizard/protocol';
import { setRevocationHeaders } from '../revocation-headers.js';
import type { Request, Response } from 'express';
import type { RefusalReason, RequestRefusal } from '../../ca/refusal.js';
import type { RevokeOutcome, SubmitOutcome } from '../../ca/request-service.js';
import type { Logger } from '../../log.js';
import { REQUEST_FAULT_CODES } from '../request-fault-codes.js';

/** A failure the front end finds itself, before the CA is asked (a field missing, a bad body). */
export interface ApiFailure {
  readonly ok: false;
  readonly code: CacertApiErrorCode;
  readonly message: string;
}

/** The failure line's code of each refusal reason (docs/protocol.md, "CAcert-style request API"). */
export const CACERT_CODE_OF: Readonly<Record<RefusalReason, CacertApiErrorCode>> = {
  ...REQUEST_FAULT_CODES,
  names_unsuitable: 'invalid_request',
  address_not_confirmed: 'address_not_confirmed',
  name_not_allowed: 'name_not_allowed',
  codesign_not_allowed: 'codesign_not_allowed',
  policy_refused: 'refused',
  unauthenticated: 'authentication_failed',
  account_inactive: 'account_inactive',
  rate_limited: 'too_many_requests',
};

/**
 * The failure line of a refusal or a front-end failure: status and body, and `Retry-After` seconds.
 * @example
 * cacertFailure(refuse('unauthenticated', 'Authentication failed'));
 * // { status: 401, body: '401,authentication_failed Authentication failed\n' }
 */
export function cacertFailure(failure: ApiFailure | RequestRefusal): { status: number; body: string; retryAfterSeconds?: number } {
  if (!('reason' in failure)) return encodeCacertApiError(failure.code, failure.message);
  // One line: a refusal may quote the request (a pki message), which must not break the format.
  const { status, body } = encodeCacertApiError(CACERT_CODE_OF[failure.reason], failure.message.replace(/[\r\n]+/g, ' '));
  return failure.retryAfterSeconds === undefined ? { status, body } : { status, body, retryAfterSeconds: failure.retryAfterSeconds };
}

/** Writes a text answer with the headers every answer of the API carries. */
export function sendText(res: Response, status: number, body: string): void {
  res.status(status);
  res.setHeader('Content-Type', CACERT_API_MEDIA_TYPE);
  res.setHeader('Cache-Control', 'no-store');
  res.send(body);
}

/** Writes a failure line (and `Retry-After` when the failure has one). */
export function sendFailure(res: Response, failure: ApiFailure | RequestRefusal): void {
  const { status, body, retryAfterSeconds } = cacertFailure(failure);
  if (retryAfterSeconds !== undefined) res.setHeader('Retry-After', String(retryAfterSeconds));
  sendText(res, status, body);
}

/**
 * Writes what the request service answered in ccsr's lines: `200,Issued <id>` and the chain,
 * `202,Pending <id>`, or the refusal's failure line.
 */
export function sendCcsrOutcome(res: Response, outcome: SubmitOutcome): void {
  if (outcome.status === 'refused') return sendFailure(res, outcome);
  // Requests of accounts are always recorded, so they always have an id.
  const requestId = outcome.requestId as string;
  const answer = encodeCcsrAnswer(outcome.status === 'issued' ? { status: 'issued', requestId, chainPem: outcome.chainPem } : { status: 'pending', requestId });
  // A header, not a line: the text answer stays what CAcert clients parse (sendText sets no-store).
  if (outcome.revocationSecret !== undefined) res.setHeader(REVOCATION_SECRET_HEADER, outcome.revocationSecret);
  sendText(res, answer.status, answer.body);
}

/**
 * Writes what the request service answered a revocation in crevoke's lines: `200,Revoked
 * <serial>`, `200,Already revoked <serial>`, or `404,unknown_certificate` for `not_found` (an
 * unknown serial and another account's certificate alike).
 * @param serialHex - the serial asked about, lower case.
 */
export function sendCrevokeOutcome(res: Response, outcome: RevokeOutcome, serialHex: string): void {
  if (outcome.status === 'not_found') {
    return sendFailure(res, { ok: false, code: 'unknown_certificate', message: 'the account has no certificate with this serial' });
  }
  const answer = encodeCrevokeAnswer({ status: outcome.status, serialHex });
  setRevocationHeaders(res, outcome);
  sendText(res, answer.status, answer.body);
}

/**
 * Wraps a handler so that an unexpected error becomes `500,internal_error` (logged, never echoed)
 * instead of the JSON error of the CSR endpoint: CAcert clients read the first line.
 */
export function textAnswers(ctx: { readonly logger: Logger }, route: string, handler: (req: Request, res: Response) => Promise<void>) {
  return async (req: Request, res: Response): Promise<void> => {
    try {
      await handler(req, res);
    } catch (err) {
      ctx.logger.error('request failed', { route, error: err });
      if (res.headersSent) {
        res.destroy();
        return;
      }
      sendFailure(res, { ok: false, code: 'internal_error', message: 'the CA could not process the request; see its log' });
    }
  };
}
