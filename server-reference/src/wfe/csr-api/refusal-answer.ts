/**
 * The ssl_api writer of the CA's refusals: `{"error": {"code", "message"}}` with the status
 * `CSR_API_ERRORS` gives the code (docs/protocol.md, `PUT /api/csr/:client`). ssl_api has no
 * accounts and no codes for them: what an account could be refused maps to `refused` (403), and
 * being asked to slow down to `unavailable` (503, with `Retry-After`). Also the answers of
 * `POST /api/csr/:client/revoke`.
 */
import { CSR_API_ERRORS, type CsrApiErrorBody, type CsrApiErrorCode, encodeCsrApiError, encodeCsrApiRevokeAnswer } from '@certwizard/protocol';
import type { Response } from 'express';
import type { RefusalReason, RequestRefusal } from '../../ca/refusal.js';
import type { RevokeOutcome } from '../../ca/request-service.js';
import { setRevocationHeaders } from '../revocation-headers.js';
import { REQUEST_FAULT_CODES } from '../request-fault-codes.js';
import { sendJson } from '../send-json.js';

/** The ssl_api error code of each refusal reason. */
export const CSR_API_CODE_OF: Readonly<Record<RefusalReason, CsrApiErrorCode>> = {
  ...REQUEST_FAULT_CODES,
  names_unsuitable: 'refused',
  address_not_confirmed: 'refused',
  name_not_allowed: 'refused',
  codesign_not_allowed: 'refused',
  policy_refused: 'refused',
  unauthenticated: 'refused',
  account_inactive: 'refused',
  rate_limited: 'unavailable',
};

/**
 * The answer to a refusal: HTTP status, JSON body, and `Retry-After` seconds when it has them.
 * @example
 * csrApiRefusal(refuse('weak_key', 'RSA keys need 2048 bits'));
 * // { status: 400, body: { error: { code: 'csr_weak_key', message: 'RSA keys need 2048 bits' } } }
 */
export function csrApiRefusal(refusal: RequestRefusal): { status: number; body: CsrApiErrorBody; retryAfterSeconds?: number } {
  const code = CSR_API_CODE_OF[refusal.reason];
  const answer = { status: CSR_API_ERRORS[code], body: encodeCsrApiError(code, refusal.message) };
  return refusal.retryAfterSeconds === undefined ? answer : { ...answer, retryAfterSeconds: refusal.retryAfterSeconds };
}

/** Writes {@link csrApiRefusal}'s answer. */
export function sendCsrApiRefusal(res: Response, refusal: RequestRefusal): void {
  const { status, body, retryAfterSeconds } = csrApiRefusal(refusal);
  if (retryAfterSeconds !== undefined) res.setHeader('Retry-After', String(retryAfterSeconds));
  sendJson(res, status, body);
}

/**
 * Writes what the request service answered a revocation: `200 {"status", "serial"}` for
 * `revoked` and `already_revoked`, `404 unknown_certificate` for `not_found` (an unknown serial
 * and another client's certificate alike).
 * @param serialHex - the serial asked about, lower case.
 */
export function sendCsrApiRevokeOutcome(res: Response, outcome: RevokeOutcome, serialHex: string): void {
  if (outcome.status === 'not_found') {
    res.status(CSR_API_ERRORS.unknown_certificate).json(encodeCsrApiError('unknown_certificate', 'this client has no certificate with this serial'));
    return;
  }
  setRevocationHeaders(res, outcome);
  res.status(200).json(encodeCsrApiRevokeAnswer({ status: outcome.status, serialHex }));
}
