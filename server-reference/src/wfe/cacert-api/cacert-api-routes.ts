/**
 * Mounts the CAcert-style request API: `/api/cemails.php`, `/api/cdomains.php`, `/api/ccsr.php` (POST, and GET for
 * old clients), `POST /api/crevoke.php` (revocation), `POST /api/requests` (server certificates,
 * for an operator), `POST /api/enroll` (one-time enrollment secret), `GET /api/requests` (the
 * account's requests) and `GET /api/requests/:id`.
 */
import { CACERT_API_MEDIA_TYPE, CCSR_PATH, CDOMAINS_PATH, CEMAILS_PATH, CREVOKE_PATH, REQUEST_STATUS_ROUTE, encodeCacertApiError } from '@certwizard/protocol';
import { type Request, type Response, Router } from 'express';
import { textAnswers } from './answer-writer.js';
import { cdomainsEndpoint } from './cdomains-endpoint.js';
import { ccsrEndpoint } from './ccsr-endpoint.js';
import { cemailsEndpoint } from './cemails-endpoint.js';
import { crevokeEndpoint } from './crevoke-endpoint.js';
import { ENROLL_PATH, enrollEndpoint } from './enroll-endpoint.js';
import { SERVER_REQUEST_PATH, serverRequestEndpoint } from './server-request-endpoint.js';
import type { CacertApiContext } from './context.js';
import { requestListEndpoint } from './request-list-endpoint.js';
import { requestStatusEndpoint } from './request-status-endpoint.js';

/**
 * Builds the routes.
 * @example
 * app.use(cacertApiRoutes(ctx));
 */
export function cacertApiRoutes(ctx: CacertApiContext): Router {
  const router = Router();
  for (const [path, handler] of [
    [CEMAILS_PATH, cemailsEndpoint(ctx)],
    [CCSR_PATH, ccsrEndpoint(ctx)],
    [CDOMAINS_PATH, cdomainsEndpoint(ctx)],
  ] as const) {
    const wrapped = textAnswers(ctx, path, handler);
    router.post(path, wrapped);
    router.get(path, wrapped);
    router.all(path, methodNotAllowed('GET, POST', 'use POST (or GET)'));
  }
  // POST only: both carry a secret or a request, never in a URL.
  router.post(SERVER_REQUEST_PATH, textAnswers(ctx, SERVER_REQUEST_PATH, serverRequestEndpoint(ctx)));
  router.post(ENROLL_PATH, textAnswers(ctx, ENROLL_PATH, enrollEndpoint(ctx)));
  // POST only: a GET (a link, a prefetch, an old client's habit) never revokes.
  router.post(CREVOKE_PATH, textAnswers(ctx, CREVOKE_PATH, crevokeEndpoint(ctx)));
  router.all(CREVOKE_PATH, methodNotAllowed('POST', 'use POST'));
  router.get(SERVER_REQUEST_PATH, requestListEndpoint(ctx));
  router.get(REQUEST_STATUS_ROUTE, requestStatusEndpoint(ctx));
  return router;
}

/** The `405,method_not_allowed` line, with `Allow`; the body is drained unread. */
function methodNotAllowed(allow: string, message: string) {
  return (req: Request, res: Response): void => {
    req.resume();
    const { status, body } = encodeCacertApiError('method_not_allowed', message);
    res.setHeader('Allow', allow);
    res.status(status).setHeader('Content-Type', CACERT_API_MEDIA_TYPE);
    res.send(body);
  };
}
