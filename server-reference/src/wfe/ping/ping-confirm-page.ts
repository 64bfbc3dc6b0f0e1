/**
 * `GET /ping/confirm?token=T` and `POST /ping/confirm`: the person's side of the email ping. The
 * link in the ping opens a page naming the address with a Confirm button; only the button's POST
 * confirms. A GET changes nothing, because mail scanners and link previews fetch links that
 * nobody clicked. The POST passes the same-origin check of the CA's other forms.
 */
import type { Request, Response } from 'express';
import { PingError, PingTokenExpiredError, PingTokenUnknownError } from '../../accounts/errors.js';
import { confirmPing, decidePing, findPing, type FoundPing } from '../../ca/email-ping.js';
import { failRegistrationConfirmation } from '../../ca/registration-confirmation.js';
import { confirmedBody, failedBody } from '../registration/confirm-page.js';
import { readForm } from '../registration/form-body.js';
import { escapeHtml } from '../registration/html.js';
import { sendPage } from '../registration/page.js';
import { clientKey, isSameOriginPost, queryParams } from '../registration/request-checks.js';
import type { PingContext } from './context.js';

/**
 * Builds the two handlers.
 * @example
 * const page = pingConfirmPage(ctx); router.get(PING_CONFIRM_PATH, page.get); router.post(PING_CONFIRM_PATH, page.post);
 */
export function pingConfirmPage(ctx: PingContext): {
  get(req: Request, res: Response): void;
  post(req: Request, res: Response): Promise<void>;
} {
  const publicOrigin = new URL(ctx.publicUrl).origin;
  const alreadyConfirmed = (res: Response, email: string) =>
    sendPage(res, 200, 'Address already confirmed', `<p>The address ${escapeHtml(email)} is already confirmed. Nothing more to do.</p>`);
  const unknown = (res: Response) => sendPage(res, 404, 'Unknown link', '<p>This confirmation link is unknown. Check that the whole link was opened.</p>');

  return {
    get(req, res) {
      const tokens = queryParams(req).getAll('token');
      const token = tokens.length === 1 ? (tokens[0] as string) : '';
      const found = findPing(ctx, token);
      try {
        if (decidePing(found, { nowMs: ctx.now() }) === 'repeat') return alreadyConfirmed(res, (found as FoundPing).email);
      } catch (err) {
        if (err instanceof PingTokenUnknownError) return unknown(res);
        if (err instanceof PingTokenExpiredError) return sendPage(res, 410, 'Link expired', '<p>This confirmation link has expired. Nothing was confirmed.</p>');
        throw err;
      }
      const { email } = found as FoundPing;
      sendPage(
        res,
        200,
        'Confirm your email address',
        `<p>Confirm that ${escapeHtml(email)} is your address.</p>
<form method="post" action="/ping/confirm"><input type="hidden" name="token" value="${escapeHtml(token)}"><button type="submit">Confirm</button></form>
<p>Nothing is confirmed until you press the button.</p>`,
      );
    },

    async post(req, res) {
      if (!isSameOriginPost(req, publicOrigin)) {
        req.resume();
        sendPage(res, 403, 'Request refused', '<p>This form can only be sent from the CA\'s own page.</p>');
        return;
      }
      const limit = ctx.limiters.forms.take(clientKey(req));
      if (!limit.allowed) {
        req.resume();
        res.setHeader('Retry-After', String(Math.max(1, Math.ceil(limit.retryAfterMs / 1000))));
        sendPage(res, 429, 'Too many requests', '<p>Too many attempts from your address; please wait a minute and try again.</p>');
        return;
      }
      const form = await readForm(req);
      if (!form.ok) {
        sendPage(res, form.status, 'Request refused', `<p>${escapeHtml(form.message)}</p>`);
        return;
      }
      const tokens = form.params.getAll('token');
      if (tokens.length !== 1) {
        sendPage(res, 400, 'Request refused', '<p>The form must carry the token of the link, once.</p>');
        return;
      }
      const token = tokens[0] as string;
      try {
        const confirmed = await confirmPing(ctx, token);
        if (confirmed.repeat) return alreadyConfirmed(res, confirmed.email);
        const body = confirmed.kind === 'registration'
          ? confirmedBody(confirmed)
          : `<p>The address ${escapeHtml(confirmed.email)} is now a confirmed address of the account.</p>`;
        sendPage(res, 200, 'Address confirmed', body);
      } catch (err) {
        if (err instanceof PingTokenUnknownError) return unknown(res);
        if (!(err instanceof PingError)) throw err;
        // Expired: as the registration's own confirmation link does, the installer is told.
        sendPage(res, 410, 'Confirmation failed', failedBody(failRegistrationConfirmation(ctx, token)));
      }
    },
  };
}
