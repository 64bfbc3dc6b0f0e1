/**
 * `GET /ping/confirm?token=T` and `POST /ping/confirm`: the person's side of the email ping. The
 * link in the ping opens a page naming the address with a Confirm button; only the button's POST
 * confirms. A GET changes nothing, because mail scanners and link previews fetch links that
 * nobody clicked. The POST passes the same-origin check of the CA's other forms.
 */
import { PING_CONFIRM_PATH } from '@certwizard/protocol';
import type { Request, Response } from 'express';
import { PingError, PingTokenExpiredError, PingTokenUnknownError } from '../../accounts/errors.js';
import { confirmPing, decidePing, findPing, type FoundPing } from '../../ca/email-ping.js';
import { failRegistrationConfirmation, rejectRegistration } from '../../ca/registration-confirmation.js';
import { consentDetails, consentForm } from '../registration/consent.js';
import { confirmedBody, failedBody } from '../registration/confirm-page.js';
import { escapeHtml } from '../registration/html.js';
import { sendPage } from '../registration/page.js';
import { readPageForm } from '../registration/page-form.js';
import { queryParams } from '../registration/request-checks.js';
import type { PingContext } from './context.js';

/**
 * Builds the two handlers.
 * @example
 * const page = pingConfirmPage(ctx); router.get(PING_CONFIRM_PATH, page.get); router.post(PING_CONFIRM_PATH, page.post);
 */
export function pingConfirmPage(ctx: PingContext): {
  get(req: Request, res: Response): Promise<void>;
  post(req: Request, res: Response): Promise<void>;
} {
  const publicOrigin = new URL(ctx.publicUrl).origin;
  const alreadyConfirmed = (res: Response, email: string) =>
    sendPage(res, 200, 'Address already confirmed', `<p>The address ${escapeHtml(email)} is already confirmed. Nothing more to do.</p>`);
  const unknown = (res: Response) => sendPage(res, 404, 'Unknown link', '<p>This confirmation link is unknown. Check that the whole link was opened.</p>');

  return {
    async get(req, res) {
      const tokens = queryParams(req).getAll('token');
      const token = tokens.length === 1 ? (tokens[0] as string) : '';
      const found = await findPing(ctx, token);
      try {
        if (decidePing(found, { nowMs: ctx.now() }) === 'repeat') return alreadyConfirmed(res, (found as FoundPing).email);
      } catch (err) {
        if (err instanceof PingTokenUnknownError) return unknown(res);
        if (err instanceof PingTokenExpiredError)
          return sendPage(res, 410, 'Link expired', '<p>This confirmation link has expired. Nothing was confirmed.</p>');
        throw err;
      }
      const { email, kind, accountId, domain } = found as FoundPing;
      // A registration's ping asks the same consent as its confirmation link (RFC 8628 §5.4): who
      // started it, and what confirming it issues.
      if (kind === 'registration') {
        sendPage(res, 200, 'Confirm your registration', (await consentDetails(ctx, accountId, email)) + consentForm(PING_CONFIRM_PATH, token));
        return;
      }
      const what =
        kind === 'domain'
          ? `<p>Confirm that the account that asked may hold the domain ${escapeHtml(domain ?? '')} (this link went to ${escapeHtml(email)}).</p>`
          : `<p>Confirm that ${escapeHtml(email)} is your address.</p>`;
      sendPage(
        res,
        200,
        kind === 'domain' ? 'Confirm a domain' : 'Confirm your email address',
        `${what}
<form method="post" action="${PING_CONFIRM_PATH}"><input type="hidden" name="token" value="${escapeHtml(token)}"><button type="submit" name="action" value="confirm">Confirm</button></form>
<p>Nothing is confirmed until you press the button.</p>`,
      );
    },

    async post(req, res) {
      const fields = await readPageForm(req, res, { publicOrigin, limiter: ctx.limiters.forms });
      if (fields === undefined) return;
      const tokens = fields.getAll('token');
      const actions = fields.getAll('action');
      if (tokens.length !== 1 || actions.length > 1 || (actions[0] !== undefined && actions[0] !== 'confirm' && actions[0] !== 'reject')) {
        sendPage(res, 400, 'Request refused', '<p>The form must carry the token of the link and one button, once each.</p>');
        return;
      }
      const token = tokens[0] as string;
      if (actions[0] === 'reject') {
        const rejected = (await findPing(ctx, token))?.kind === 'registration' ? await rejectRegistration(ctx, token) : { deleted: false };
        sendPage(
          res,
          rejected.deleted ? 200 : 400,
          rejected.deleted ? 'Registration refused' : 'Nothing to refuse',
          rejected.deleted ? '<p>Nothing was confirmed: the registration was deleted and no certificate was issued.</p>' : '<p>Nothing was changed.</p>',
        );
        return;
      }
      try {
        const confirmed = await confirmPing(ctx, token);
        if (confirmed.repeat) return alreadyConfirmed(res, confirmed.email);
        if (confirmed.kind === 'domain') {
          sendPage(res, 200, 'Domain verified', `<p>The domain ${escapeHtml(confirmed.domain ?? '')} is now a verified domain of the account.</p>`);
          return;
        }
        const body =
          confirmed.kind === 'registration'
            ? confirmedBody(confirmed)
            : `<p>The address ${escapeHtml(confirmed.email)} is now a confirmed address of the account.</p>`;
        sendPage(res, 200, 'Address confirmed', body);
      } catch (err) {
        if (err instanceof PingTokenUnknownError) return unknown(res);
        if (!(err instanceof PingError)) throw err;
        // Expired: as the registration's own confirmation link does, the installer is told.
        sendPage(res, 410, 'Confirmation failed', failedBody(await failRegistrationConfirmation(ctx, token)));
      }
    },
  };
}
