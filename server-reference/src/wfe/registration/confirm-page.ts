/**
 * `GET /index.php?id=confirm&token=T`: the link of the confirmation mail. Activates the
 * account, finishes its ticket (issuing the one-time code when PKCE was used), issues a
 * certificate request sent with the registration when it names the confirmed address, and links
 * back to the installer (ca/registration-confirmation.ts, shared with the email ping's pages).
 */
import type { Request, Response } from 'express';
import { ConfirmationInvalidError } from '../../accounts/errors.js';
import { confirmRegistration, failRegistrationConfirmation, type RegistrationConfirmed } from '../../ca/registration-confirmation.js';
import type { RegistrationContext } from './context.js';
import { escapeHtml } from './html.js';
import { sendPage } from './page.js';

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
 * sendPage(res, 400, 'Confirmation failed', failedBody(failRegistrationConfirmation(ctx, token)));
 */
export function failedBody(failed: { errorLink?: string }): string {
  let body = '<p>The confirmation failed: the link is unknown, already used or expired.</p>';
  if (failed.errorLink !== undefined) {
    body += `\n<p><a href="${escapeHtml(failed.errorLink)}">Please click here to return to the Installation Wizard</a></p>`;
  }
  return body;
}

/**
 * Builds the confirmation handler.
 * @example
 * const confirm = confirmationPage(ctx); confirm(req, res, params);
 */
export function confirmationPage(ctx: RegistrationContext): (req: Request, res: Response, params: URLSearchParams) => Promise<void> {
  return async (_req, res, params) => {
    const token = params.get('token') ?? '';
    let confirmed: RegistrationConfirmed;
    try {
      confirmed = await confirmRegistration(ctx, token, 'person');
    } catch (err) {
      if (!(err instanceof ConfirmationInvalidError)) throw err;
      sendPage(res, 400, 'Confirmation failed', failedBody(failRegistrationConfirmation(ctx, token)));
      return;
    }
    sendPage(res, 200, 'Address confirmed', confirmedBody(confirmed));
  };
}
