/**
 * The ssl_api policy of `PUT /api/csr/:client`: every valid request is signed for the names it
 * asks, at once; what an installation wants to refuse or change, its authorize / presign hooks
 * do inside the signing core. A client that resends a request gets the certificate already
 * signed for it.
 */
import type { SubmissionPolicy } from './submission-policy.js';

/**
 * The policy (stateless, so one object serves every request).
 * @example
 * await service.submit(body, { client }, SSL_API_POLICY, { signal });
 */
export const SSL_API_POLICY: SubmissionPolicy = Object.freeze({
  name: 'ssl_api',
  decide: () => ({ action: 'issue' as const }),
  answersReplays: true,
});
