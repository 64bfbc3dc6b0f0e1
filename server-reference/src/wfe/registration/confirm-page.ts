/**
 * `GET /index.php?id=confirm&token=T`, the link of the confirmation mail, and the `POST` of its
 * page. The GET shows who started the registration and what confirming it issues; only the POST
 * of its Confirm button activates the account, finishes its ticket (issuing the one-time code
 * when PKCE was used), issues a certificate request sent with the registration when it names the
 * confirmed address, and links back to the installer (ca/registration-confirmation.ts, shared
 * with the email ping's pages). "This was not me" deletes the pending registration instead.
 */
import type { Request, Response } from 'express';
import { ConfirmationInvalidError } from '../../accounts/errors.js';
import { confirmRegistration, failRegistrationConfirmation, rejectRegistration, type RegistrationConfirmed } from '../../ca/registration-confirmation.js';
import { consentDetails, consentForm } from './consent.js';
import type { RegistrationContext } from './context.js';
import { escapeHtml } from './html.js';
import { sendPage } from './page.js';
import { readPageForm } from './page-form.js';

/**
 * The body of the page after a confirmed registration: exactly "Your request was processed."
 * and, on the next line, the link back to the installer when there is one.
 * @example
 * sendPage(res, 200, 'Address confirmed', confirmedBody(await confirmRegistration(ctx, token, 'person')));
 */
export function confirmedBody(confirmed: Pick<RegistrationConfirmed, 'continueLink'>): string {
  let body = '<p>Your request was processed.</p>';
  if (confirmed.continueLink !== undefined) {
    body += `\n<p><a href="${escapeHtml(confirmed.continueLink)}">Please click here to continue with the Installation Wizard</a></p>`;
  }
  return body;
}

/**
 * The body of the page after a failed confirmation, with the link back to the installer's
 * `error` URL when there is one.
 * @example
 * sendPage(res, 400, 'Confirmation failed', failedBody(await failRegistrationConfirmation(ctx, token)));
 */
export function failedBody(failed: { errorLink?: string }): string {
  let body = '<p>The confirmation failed: the link is unknown, already used or expired.</p>';
  if (failed.errorLink !== undefined) {
    body += `\n<p><a href="${escapeHtml(failed.errorLink)}">Please click here to return to the Installation Wizard</a></p>`;
  }
  return body;
}

/** Path the confirmation page's form posts to. */
export const CONFIRMATION_FORM_ACTION = '/index.php?id=confirm';

/**
 * Builds the two handlers of the confirmation link. `GET` shows who started the registration
 * and what confirming it issues, with Confirm and "This was not me"; it changes nothing (mail
 * scanners and link previews fetch links nobody clicked, RFC 8628 §5.4). `POST` does what the
 * button says, after the same-origin check and the form limit of the CA's other forms.
 * @example
 * const confirm = confirmationPage(ctx); await confirm.get(req, res, params); await confirm.post(req, res);
 */
export function confirmationPage(ctx: RegistrationContext): {
  get(req: Request, res: Response, params: URLSearchParams): Promise<void>;
  post(req: Request, res: Response): Promise<void>;
} {
  const publicOrigin = new URL(ctx.publicUrl).origin;
  return {
    async get(_req, res, params) {
      const tokens = params.getAll('token');
      const token = tokens.length === 1 ? (tokens[0] as string) : '';
      const confirmation = await ctx.accounts.confirmationOf(token);
      const account = confirmation === undefined ? undefined : await ctx.accounts.get(confirmation.accountId);
      if (confirmation === undefined || account === undefined) {
        sendPage(res, 404, 'Unknown link', '<p>This confirmation link is unknown. Check that the whole link was opened.</p>');
        return;
      }
      if (confirmation.usedAtMs !== undefined || account.status !== 'pending') {
        sendPage(res, 200, 'Address already confirmed', `<p>The address ${escapeHtml(confirmation.email)} is already confirmed. Nothing more to do.</p>`);
        return;
      }
      if (ctx.now() >= confirmation.expiresAtMs) {
        sendPage(res, 410, 'Link expired', '<p>This confirmation link has expired. Nothing was confirmed.</p>');
        return;
      }
      sendPage(
        res,
        200,
        'Confirm your registration',
        (await consentDetails(ctx, account.id, confirmation.email)) + consentForm(CONFIRMATION_FORM_ACTION, token),
      );
    },

    async post(req, res) {
      const fields = await readPageForm(req, res, { publicOrigin, limiter: ctx.limiters.forms });
      if (fields === undefined) return;
      const tokens = fields.getAll('token');
      const actions = fields.getAll('action');
      if (tokens.length !== 1 || actions.length !== 1 || (actions[0] !== 'confirm' && actions[0] !== 'reject')) {
        sendPage(res, 400, 'Request refused', '<p>The form must carry the token of the link and one button, once each.</p>');
        return;
      }
      const token = tokens[0] as string;
      if (actions[0] === 'reject') {
        const rejected = await rejectRegistration(ctx, token);
        const back =
          rejected.errorLink === undefined
            ? ''
            : `\n<p><a href="${escapeHtml(rejected.errorLink)}">Please click here to return to the Installation Wizard</a></p>`;
        sendPage(
          res,
          rejected.deleted ? 200 : 400,
          rejected.deleted ? 'Registration refused' : 'Nothing to refuse',
          rejected.deleted
            ? `<p>Nothing was confirmed: the registration was deleted and no certificate was issued.</p>${back}`
            : '<p>This link is unknown, already used or expired: nothing was changed.</p>',
        );
        return;
      }
      let confirmed: RegistrationConfirmed;
      try {
        confirmed = await confirmRegistration(ctx, token, 'person');
      } catch (err) {
        if (!(err instanceof ConfirmationInvalidError)) throw err;
        sendPage(res, 400, 'Confirmation failed', failedBody(await failRegistrationConfirmation(ctx, token)));
        return;
      }
      sendPage(res, 200, 'Address confirmed', confirmedBody(confirmed));
    },
  };
}
