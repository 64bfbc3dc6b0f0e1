/**
 * `GET /index.php?id=confirm&token=T`: the link of the confirmation mail. Activates the
 * account, finishes its ticket (issuing the one-time code when PKCE was used), issues a
 * certificate request sent with the registration when it names the confirmed address, and links
 * back to the installer.
 */
import { appendQueryParams, REGISTRATION_PARAMS } from '@certwizard/protocol';
import type { Request, Response } from 'express';
import { ConfirmationInvalidError, TicketError } from '../../accounts/errors.js';
import { issueRegistrationRequests } from '../../ca/registration-request.js';
import type { RegistrationContext } from './context.js';
import { escapeHtml } from './html.js';
import { sendPage } from './page.js';

/**
 * Builds the confirmation handler.
 * @example
 * const confirm = confirmationPage(ctx); confirm(req, res, params);
 */
export function confirmationPage(ctx: RegistrationContext): (req: Request, res: Response, params: URLSearchParams) => Promise<void> {
  return async (_req, res, params) => {
    const token = params.get('token') ?? '';
    let confirmed: { accountId: number; email: string };
    try {
      confirmed = ctx.accounts.confirmEmail(token);
    } catch (err) {
      if (!(err instanceof ConfirmationInvalidError)) throw err;
      confirmationFailed(ctx, res, token);
      return;
    }
    const { accountId, email } = confirmed;
    const handoff = ctx.handoffs.take(accountId);
    let code: string | undefined;
    let completed = false;
    const ticket = ctx.tickets.openTicketOf(accountId);
    if (ticket !== undefined) {
      try {
        code = ctx.tickets.complete(ticket, { accountId, email }).code;
        completed = true;
      } catch (err) {
        if (!(err instanceof TicketError)) throw err;
        ctx.logger.warn('ticket not completed', { accountId, error: err });
      }
    }
    // No open ticket (none given, or expired before the mail was answered): the code comes
    // from the challenge kept with the account, so the continue link still works.
    if (!completed && handoff?.codeChallenge !== undefined) {
      code = ctx.tokens.issueAuthorizationCode(accountId, handoff.codeChallenge);
    }
    ctx.logger.info('address confirmed', { accountId, ticketCompleted: completed, codeIssued: code !== undefined });
    // A request sent with the registration is issued now if it names the confirmed address;
    // the installer finds it with GET /api/requests?source=registration.
    const account = ctx.accounts.get(accountId);
    if (ctx.pendingRequests && account !== undefined) {
      await issueRegistrationRequests({ ...ctx.pendingRequests, logger: ctx.logger }, account);
    }
    let body = '<p>Your request was processed.</p>';
    if (handoff?.continueUrl !== undefined) {
      const link = appendQueryParams(handoff.continueUrl, {
        [REGISTRATION_PARAMS.emailAddress]: email,
        ...(code !== undefined ? { [REGISTRATION_PARAMS.code]: code } : {}),
      });
      body += `\n<p><a href="${escapeHtml(link)}">Please click here to continue with the Installation Wizard</a></p>`;
    }
    sendPage(res, 200, 'Address confirmed', body);
  };
}

function confirmationFailed(ctx: RegistrationContext, res: Response, token: string): void {
  let body = '<p>The confirmation failed: the link is unknown, already used or expired.</p>';
  const accountId = ctx.handoffs.accountOfConfirmationToken(token);
  const account = accountId !== undefined ? ctx.accounts.get(accountId) : undefined;
  if (account !== undefined && account.status === 'pending') {
    const ticket = ctx.tickets.openTicketOf(account.id);
    if (ticket !== undefined) {
      try {
        ctx.tickets.fail(ticket, 'confirmation_failed');
      } catch (err) {
        if (!(err instanceof TicketError)) throw err;
      }
    }
    const errorUrl = ctx.handoffs.get(account.id)?.errorUrl;
    if (errorUrl !== undefined) {
      const link = appendQueryParams(errorUrl, {
        [REGISTRATION_PARAMS.emailAddress]: account.email,
        [REGISTRATION_PARAMS.reason]: 'confirmation_failed',
      });
      body += `\n<p><a href="${escapeHtml(link)}">Please click here to return to the Installation Wizard</a></p>`;
    }
  }
  sendPage(res, 400, 'Confirmation failed', body);
}
