/**
 * The first revocation's time and reason as headers of the older revocation answers
 * (`POST /api/csr/:client/revoke`, `POST /api/crevoke.php`), whose bodies stay as their strict
 * decoders expect: a repeat answers what the first revocation recorded.
 */
import { REVOCATION_REASON_HEADER, REVOKED_AT_HEADER } from '@certwizard/protocol';
import type { Response } from 'express';
import type { RevokeOutcome } from '../ca/request-service.js';

/**
 * Sets `Revoked-At` (RFC 3339) and `Revocation-Reason` from a revocation's outcome.
 * @example
 * setRevocationHeaders(res, outcome); // Revoked-At: 2025-01-01T00:00:00.000Z, Revocation-Reason: keyCompromise
 */
export function setRevocationHeaders(res: Response, outcome: Extract<RevokeOutcome, { revokedAt: Date }>): void {
  res.setHeader(REVOKED_AT_HEADER, outcome.revokedAt.toISOString());
  res.setHeader(REVOCATION_REASON_HEADER, outcome.reason);
}
