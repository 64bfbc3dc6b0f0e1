/**
 * `GET` and `POST /index.php?id=1`: the CAcert-compatible registration page with prefill and the
 * installer's hand-off (docs/protocol.md, "The registration hand-off").
 */
import { type CertificateRequest, parseCsr, PkiError } from '@certwizard/pki';
import { appendQueryParams, readPrefill, REGISTRATION_PARAMS, type RegistrationErrorReason, TICKET_PATTERN, ticketState } from '@certwizard/protocol';
import type { Request, Response } from 'express';
import { CONFIRMATION_LIFETIME_MS_DEFAULT } from '../../accounts/account-service.js';
import type { HandoffOrigin } from '../../accounts/handoff-store.js';
import { AccountInputError, EmailTakenError, TicketError } from '../../accounts/errors.js';
import { registrationPolicy } from '../../ca/registration-request.js';
import type { MailMessage } from '../../mail/mailer.js';
import { registrationPingMail } from '../../mail/ping-mail.js';
import { escapeHtml } from './html.js';
import type { RegistrationContext } from './context.js';
import { readForm } from './form-body.js';
import { type CheckedHandoff, checkHandoff } from './handoff-params.js';
import { sendPage } from './page.js';
import { ECHOED_FIELDS, FIELD_OF_ERROR, renderRegistrationForm } from './registration-form.js';
import { clientKey, isSameOriginPost, remoteAddress } from './request-checks.js';

const TITLE = 'Register with the certwizard CA';

/** The form and query field of a certificate request sent with the registration (PEM). */
export const CSR_FIELD = REGISTRATION_PARAMS.csr;

/** Path of the confirmation link mailed to the address (`token` is appended). */
export const CONFIRMATION_LINK_PATH = '/index.php?id=confirm&token=';

/** The `id` of the page that follows a registration made with an installer's ticket (ours). */
export const PROGRESS_ID = 'progress';

/** How often the page that follows a registration reloads itself, in seconds. */
const PROGRESS_REFRESH_SECONDS = 2;

/** The page that follows a registration tied to `ticket`. */
const progressPath = (ticket: string) => `/index.php?id=${PROGRESS_ID}&ticket=${encodeURIComponent(ticket)}`;

/**
 * Builds the two handlers of the registration page.
 * @example
 * const page = registrationPage(ctx); app.get('/index.php', (req, res) => page.get(req, res, params));
 */
export function registrationPage(ctx: RegistrationContext): {
  get(req: Request, res: Response, params: URLSearchParams): Promise<void>;
  post(req: Request, res: Response): Promise<void>;
  progress(req: Request, res: Response, params: URLSearchParams): Promise<void>;
} {
  /**
   * "Check your mail", reloading itself (an HTTP `Refresh`: the pages run no script) onto the
   * progress page while the ticket waits, so that the page says "Done" once the address is
   * confirmed, by the person or by the installer's mail server.
   */
  const checkYourMail = (res: Response, email: string, ticket: string | undefined) => {
    if (ticket !== undefined) res.setHeader('Refresh', `${PROGRESS_REFRESH_SECONDS};url=${progressPath(ticket)}`);
    sendPage(res, 200, 'Check your mail', `<p>Check your mail to confirm your address.</p><p>We sent a link to ${escapeHtml(email)}.</p>`);
  };
  const publicOrigin = new URL(ctx.publicUrl).origin;

  const failTicket = async (ticket: string | undefined, reason: RegistrationErrorReason) => {
    if (ticket === undefined) return;
    try {
      await ctx.tickets.fail(ticket, reason);
    } catch (err) {
      // Expired or finished meanwhile: its isitdone answer already tells the installer.
      if (!(err instanceof TicketError)) throw err;
    }
  };

  // Who started the flow (the ticket's user code, when and from where it was asked for), shown
  // before anything is typed (RFC 8628 §5.4).
  const userCodeOf = async (handoff: CheckedHandoff): Promise<HandoffOrigin | undefined> => {
    const stored = handoff.ticket === undefined ? undefined : await ctx.tickets.get(handoff.ticket);
    if (stored?.userCode === undefined) return undefined;
    return { userCode: stored.userCode, startedAtMs: stored.createdAtMs, ...(stored.createdFrom === undefined ? {} : { startedFrom: stored.createdFrom }) };
  };

  const errorLink = (handoff: CheckedHandoff, reason: RegistrationErrorReason, email?: string) =>
    handoff.errorUrl === undefined
      ? ''
      : `<p><a href="${escapeHtml(
          appendQueryParams(handoff.errorUrl, {
            ...(email ? { [REGISTRATION_PARAMS.emailAddress]: email } : {}),
            [REGISTRATION_PARAMS.reason]: reason,
          }),
        )}">Please click here to return to the Installation Wizard</a></p>`;

  return {
    async get(_req, res, params) {
      const handoff = await checkHandoff(params, ctx);
      const csr = ctx.pendingRequests ? params.get(CSR_FIELD) || undefined : undefined;
      sendPage(res, 200, TITLE, renderRegistrationForm(readPrefill(params), {}, handoff, csr, await userCodeOf(handoff)));
    },

    // A GET that only reads: the state of the registration tied to a ticket, never its address or
    // code (the ticket's holder may read those from isitdone; this page is for the person).
    async progress(req, res, params) {
      const limit = await ctx.limiters.polls.take(clientKey(req));
      if (!limit.allowed) {
        res.setHeader('Retry-After', String(Math.max(1, Math.ceil(limit.retryAfterMs / 1000))));
        sendPage(res, 429, 'Too many requests', '<p>Too many requests from your address; please wait a minute and reload this page.</p>');
        return;
      }
      const tickets = params.getAll(REGISTRATION_PARAMS.ticket);
      const ticket = tickets.length === 1 && TICKET_PATTERN.test(tickets[0] as string) ? (tickets[0] as string) : undefined;
      const stored = ticket === undefined ? undefined : await ctx.tickets.get(ticket);
      if (ticket === undefined || stored === undefined) {
        sendPage(res, 404, 'Unknown registration', '<p>This registration is not known here (the link is wrong, or it is long over).</p>');
        return;
      }
      const state = ticketState(stored, ctx.now());
      switch (state.status) {
        case 'done':
          sendPage(
            res,
            200,
            'Done: go back to the installer',
            '<p>Your address is confirmed and your registration is complete. The installer has what it needs: go back to it.</p><p>You can close this page.</p>',
          );
          return;
        case 'pending':
          if (stored.accountId !== undefined) {
            const account = await ctx.accounts.get(stored.accountId);
            checkYourMail(res, account?.email ?? 'your address', ticket);
          } else {
            sendPage(
              res,
              200,
              'Not registered yet',
              '<p>Nobody has registered with this installer yet. Go back to the registration page the installer opened.</p>',
            );
          }
          return;
        case 'error':
          sendPage(
            res,
            200,
            'Registration not completed',
            `<p>The registration did not go through (${escapeHtml(state.reason)}). Go back to the installer to try again.</p>`,
          );
          return;
        case 'expired':
        case 'unknown':
          sendPage(res, 200, 'Registration expired', '<p>This registration ran out of time. Go back to the installer to start again.</p>');
          return;
      }
    },

    async post(req, res) {
      if (!isSameOriginPost(req, publicOrigin)) {
        sendPage(res, 403, 'Request refused', "<p>This form can only be sent from the CA's own page.</p>");
        return;
      }
      const form = await readForm(req);
      if (!form.ok) {
        sendPage(res, form.status, 'Request refused', `<p>${escapeHtml(form.message)}</p>`);
        return;
      }
      const params = form.params;
      const handoff = await checkHandoff(params, ctx);
      if (params.get('cancel') === '1') {
        await failTicket(handoff.ticket, 'cancelled');
        sendPage(res, 200, 'Registration cancelled', `<p>The registration was cancelled.</p>${errorLink(handoff, 'cancelled')}`);
        return;
      }
      const limit = await ctx.limiters.forms.take(clientKey(req));
      if (!limit.allowed) {
        res.setHeader('Retry-After', String(Math.ceil(limit.retryAfterMs / 1000)));
        sendPage(res, 429, 'Too many requests', '<p>Too many attempts from your address; please wait a minute and try again.</p>');
        return;
      }
      const values: Record<string, string> = {};
      for (const name of ECHOED_FIELDS) values[name] = params.get(name) ?? '';
      const csrPem = ctx.pendingRequests ? params.get(CSR_FIELD) || undefined : undefined;
      const again = async (status: number, errors: Record<string, string>, checked: CheckedHandoff = handoff, keepCsr = true) =>
        sendPage(res, status, TITLE, renderRegistrationForm(values, errors, checked, keepCsr ? csrPem : undefined, await userCodeOf(checked)));
      let csr: CertificateRequest | undefined;
      if (csrPem !== undefined) {
        try {
          csr = parseCsr(csrPem);
        } catch (err) {
          if (!(err instanceof PkiError)) throw err;
          // Before anything is stored; the form comes back without it, so the person can still register.
          await again(400, {}, { ...handoff, problems: [...handoff.problems, `The installer's certificate request cannot be used: ${err.message}`] }, false);
          return;
        }
      }
      if (handoff.problems.length > 0) {
        // The hidden fields changed, or the ticket expired since the form was shown: say so
        // before anything is stored; the form now carries only what is still valid.
        await again(400, {});
        return;
      }
      const email = values.EmailAddress ?? '';
      try {
        if (handoff.ticket !== undefined) {
          // Before the account exists: a ticket already claimed by other values stops here.
          await ctx.tickets.attach(handoff.ticket, {
            ...(handoff.continueUrl !== undefined ? { continueUrl: handoff.continueUrl } : {}),
            ...(handoff.errorUrl !== undefined ? { errorUrl: handoff.errorUrl } : {}),
            ...(handoff.codeChallenge !== undefined ? { codeChallenge: handoff.codeChallenge } : {}),
          });
        }
        const middle = params.get('MiddleName') ?? '';
        const { accountId, confirmationToken } = await ctx.accounts.register({
          firstName: params.get('FirstName') ?? '',
          ...(middle.trim() !== '' ? { middleName: middle } : {}),
          lastName: params.get('LastName') ?? '',
          email,
          dateOfBirth: params.get('DateOfBirth') ?? '',
          password: params.get('Password') ?? '',
          passwordConfirmation: params.get('PasswordConfirmation') ?? '',
          questions: [
            { question: params.get('Question1') ?? '', answer: params.get('Answer1') ?? '' },
            { question: params.get('Question2') ?? '', answer: params.get('Answer2') ?? '' },
          ],
        });
        // The ping nonce: the one the installer gave with its ticket (back channel, never in the
        // browser) wins; one from the URL counts only if no request used it before (a nonce seen
        // in a URL may have been seen by others). Its digest is kept before the ping leaves: a
        // mail server may answer at once.
        const ticketNonce = handoff.ticket !== undefined ? await ctx.tickets.pingNonceOf(handoff.ticket) : undefined;
        let pingNonce = ticketNonce;
        if (pingNonce === undefined && handoff.pingNonce !== undefined) {
          if (await ctx.pingNonces.claim(handoff.pingNonce)) pingNonce = handoff.pingNonce;
          else ctx.logger.warn('registration ping nonce refused: used before; the person confirms by hand', { accountId });
        }
        const { pingNonce: _fromUrl, ...rest } = handoff;
        // Who started the flow, for the confirmation page (RFC 8628 §5.4): the ticket's user code
        // and where and when it was asked for; without a ticket, this form's sender, now.
        const stored = handoff.ticket !== undefined ? await ctx.tickets.get(handoff.ticket) : undefined;
        await ctx.handoffs.save(accountId, {
          ...rest,
          ...(pingNonce === undefined ? {} : { pingNonce }),
          ...(stored?.userCode === undefined ? {} : { userCode: stored.userCode }),
          startedAtMs: stored?.createdAtMs ?? ctx.now(),
          startedFrom: stored === undefined ? remoteAddress(req) : (stored.createdFrom ?? remoteAddress(req)),
        });
        if (handoff.ticket !== undefined) await ctx.tickets.bindAccount(handoff.ticket, accountId);
        const account = await ctx.accounts.get(accountId);
        if (csr !== undefined && account !== undefined && ctx.pendingRequests) {
          // Parsed above already, so the service has nothing to refuse here: it holds it for the owner.
          await ctx.pendingRequests.service.submit(csr.der, { accountId, source: 'registration' }, registrationPolicy(account));
        }
        const to = account?.email ?? email;
        const firstName = account?.firstName ?? '';
        // With PingNonce the confirmation mail is the email ping: the installer's mail server may
        // answer it by itself. Without, the mail stays what it always was.
        const mail: MailMessage =
          pingNonce !== undefined
            ? registrationPingMail({
                to,
                from: ctx.pingFrom,
                publicUrl: ctx.publicUrl,
                token: confirmationToken,
                nonce: pingNonce,
                lifetimeMs: CONFIRMATION_LIFETIME_MS_DEFAULT,
              })
            : {
                to,
                subject: 'Confirm your email address',
                text: `Hello ${firstName},\n\nplease confirm your email address for the certwizard CA by opening this link:\n\n${ctx.publicUrl}${CONFIRMATION_LINK_PATH}${confirmationToken}\n\nThe link works once, for 24 hours. If you did not register, ignore this mail.\n`,
              };
        try {
          await ctx.mailer.send(mail);
        } catch (err) {
          // Nobody could confirm this account: remove it, so the address is free for the retry
          // (the same form, the same ticket) instead of taken for a day.
          await ctx.accounts.removeUnconfirmed(accountId);
          ctx.logger.error('confirmation mail not sent; the unconfirmed account was removed', { accountId, error: err });
          sendPage(res, 502, 'Mail not sent', '<p>The confirmation mail could not be sent, so nothing was kept. Please try again in a few minutes.</p>');
          return;
        }
        // The ping carries the installer's nonce now; the ticket keeps no copy in clear.
        if (ticketNonce !== undefined && handoff.ticket !== undefined) await ctx.tickets.takePingNonce(handoff.ticket);
        ctx.logger.info('account registered', { accountId, ticketBound: handoff.ticket !== undefined, nonceGiven: pingNonce !== undefined });
        checkYourMail(res, account?.email ?? email, handoff.ticket);
      } catch (err) {
        if (err instanceof AccountInputError) {
          await again(400, { [FIELD_OF_ERROR[err.field]]: err.message });
          return;
        }
        if (err instanceof EmailTakenError) {
          await failTicket(handoff.ticket, 'address_taken');
          sendPage(
            res,
            409,
            'Address already registered',
            `<p>The address ${escapeHtml(email)} is already registered.</p>${errorLink(handoff, 'address_taken', email)}<p><a href="/login">Log in</a></p>`,
          );
          return;
        }
        if (err instanceof TicketError) {
          // Claimed by another registration, expired or finished since the form was shown.
          await again(409, {}, { ...handoff, ticket: undefined, problems: [`The installer's ticket cannot be used: ${err.message}.`] } as CheckedHandoff);
          return;
        }
        throw err;
      }
    },
  };
}
