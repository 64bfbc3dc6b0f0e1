/**
 * Mounts the email ping: the person's page `/ping/confirm` (GET shows, POST confirms), the
 * machine confirmation `POST /api/ping/confirm` and the request for a ping to an additional
 * address `POST /api/addresses`.
 */
import { ADDRESS_PING_PATH, encodePingError, PING_CONFIRM_API_PATH, PING_CONFIRM_PATH } from '@certwizard/protocol';
import { Router } from 'express';
import { addressPingEndpoint } from './address-ping-endpoint.js';
import type { PingContext } from './context.js';
import { pingConfirmEndpoint } from './ping-confirm-endpoint.js';
import { pingConfirmPage } from './ping-confirm-page.js';

/**
 * Builds the routes.
 * @example
 * app.use(pingRoutes(ctx));
 */
export function pingRoutes(ctx: PingContext): Router {
  const router = Router();
  const page = pingConfirmPage(ctx);
  router.get(PING_CONFIRM_PATH, page.get);
  router.post(PING_CONFIRM_PATH, page.post);
  // POST only: both carry a secret (a token and a nonce, an installation token) never in a URL.
  for (const [path, handler] of [
    [PING_CONFIRM_API_PATH, pingConfirmEndpoint(ctx)],
    [ADDRESS_PING_PATH, addressPingEndpoint(ctx)],
  ] as const) {
    router.post(path, handler);
    router.all(path, (req, res) => {
      req.resume();
      res.setHeader('Allow', 'POST');
      res.status(405).json(encodePingError('method_not_allowed', 'use POST with a form-urlencoded body'));
    });
  }
  return router;
}
