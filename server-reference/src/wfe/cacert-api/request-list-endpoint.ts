/**
 * `GET /api/requests` with `Authorization: Bearer <installation token>`: the account's requests,
 * newest first, optionally only those of one source (`?source=registration` finds the request
 * sent with the registration) or made from one CSR (`?fingerprint=<SHA-256 of its DER, hex>`: how
 * a resuming installer finds what became of a request it may or may not have sent). JSON:
 * `{"requests":[{"id","status","source","fingerprint","createdAt"}]}`; each id answers
 * `GET /api/requests/:id` with the certificate once issued.
 */
import type { Request, Response } from 'express';
import { REQUEST_SOURCES, type RequestSource } from '@certwizard/protocol';
import { visibleStatus } from '../../ca/request-service.js';
import type { CacertApiContext } from './context.js';
import { bearerAccount } from './bearer-account.js';

/**
 * Builds the handler.
 * @example
 * router.get('/api/requests', requestListEndpoint(ctx));
 */
export function requestListEndpoint(ctx: CacertApiContext): (req: Request, res: Response) => Promise<void> {
  return async (req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    const accountId = await bearerAccount(req, res, ctx);
    if (accountId === undefined) return;
    const source = typeof req.query.source === 'string' ? req.query.source : undefined;
    const fingerprint = typeof req.query.fingerprint === 'string' ? req.query.fingerprint.toLowerCase() : undefined;
    // An unknown source or fingerprint simply matches nothing: the list is empty, not an error.
    const records = (await (fingerprint === undefined ? ctx.requests.allOf(accountId) : ctx.requests.withFingerprint(accountId, fingerprint))).filter(
      (r) => source === undefined || (REQUEST_SOURCES.includes(source as RequestSource) && r.source === source),
    );
    res.status(200).json({
      requests: records.map((r) => ({
        id: r.id,
        status: visibleStatus(r.status),
        source: r.source,
        fingerprint: r.fingerprintSha256,
        createdAt: new Date(r.createdAtMs).toISOString(),
      })),
    });
  };
}
