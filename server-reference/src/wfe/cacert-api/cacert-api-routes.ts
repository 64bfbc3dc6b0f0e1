/**
 * Mounts the CAcert-style request API: `/api/cemails.php`, `/api/ccsr.php` (POST, and GET for
 * old clients) and `GET /api/requests/:id`.
 */
import { CACERT_API_MEDIA_TYPE, CCSR_PATH, CEMAILS_PATH, REQUEST_STATUS_ROUTE, encodeCacertApiError } from '@certwizard/protocol';
import { Router } from 'express';
import { textAnswers } from './api-request.js';
import { ccsrEndpoint } from './ccsr-endpoint.js';
import { cemailsEndpoint } from './cemails-endpoint.js';
import type { CacertApiContext } from './context.js';
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
  ] as const) {
    const wrapped = textAnswers(ctx, path, handler);
    router.post(path, wrapped);
    router.get(path, wrapped);
    router.all(path, (req, res) => {
      req.resume();
      const { status, body } = encodeCacertApiError('method_not_allowed', 'use POST (or GET)');
      res.setHeader('Allow', 'GET, POST');
      res.status(status).setHeader('Content-Type', CACERT_API_MEDIA_TYPE);
      res.send(body);
    });
  }
  router.get(REQUEST_STATUS_ROUTE, requestStatusEndpoint(ctx));
  return router;
}
