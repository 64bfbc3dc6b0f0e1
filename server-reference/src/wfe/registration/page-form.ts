/**
 * The checks every form of the CA's pages passes before its fields are read: the same-origin
 * check (a form another site hosts must not act for the person), the per-client form limit, and
 * the body itself. A refusal is answered here, as a page, and changes nothing.
 */
import type { Request, Response } from 'express';
import type { RateLimiter } from '../../accounts/rate-limiter.js';
import { readForm } from './form-body.js';
import { escapeHtml } from './html.js';
import { sendPage } from './page.js';
import { clientKey, isSameOriginPost } from './request-checks.js';

/**
 * Reads the fields of a form posted from one of the CA's pages, or answers the refusal.
 * @returns the fields, or `undefined` when a refusal page was sent (403, 429, 413 or 415).
 * @example
 * const fields = await readPageForm(req, res, { publicOrigin, limiter: ctx.limiters.forms });
 * if (fields === undefined) return;
 */
export async function readPageForm(
  req: Request,
  res: Response,
  options: { readonly publicOrigin: string; readonly limiter: RateLimiter },
): Promise<URLSearchParams | undefined> {
  if (!isSameOriginPost(req, options.publicOrigin)) {
    req.resume();
    sendPage(res, 403, 'Request refused', "<p>This form can only be sent from the CA's own page.</p>");
    return undefined;
  }
  // Before the body is read: a client over its limit costs nothing more.
  const limit = await options.limiter.take(clientKey(req));
  if (!limit.allowed) {
    req.resume();
    res.setHeader('Retry-After', String(Math.max(1, Math.ceil(limit.retryAfterMs / 1000))));
    sendPage(res, 429, 'Too many requests', '<p>Too many attempts from your address; please wait a minute and try again.</p>');
    return undefined;
  }
  const form = await readForm(req);
  if (!form.ok) {
    sendPage(res, form.status, 'Request refused', `<p>${escapeHtml(form.message)}</p>`);
    return undefined;
  }
  return form.params;
}
