/**
 * Mounts the registration hand-off: `/index.php` (CAcert's `id` values), the wizard token
 * endpoint, the account area, the stylesheet and, when in use, the dev mailbox.
 */
import { REGISTRATION_IDS, REGISTRATION_PATH, WIZARD_TOKEN_PATH, encodeWizardTokenError } from '@certwizard/protocol';
import { Router } from 'express';
import { accountArea } from './account-area.js';
import { confirmationPage } from './confirm-page.js';
import type { RegistrationContext } from './context.js';
import { readForm } from './form-body.js';
import { devMailboxPages } from './dev-mailbox-pages.js';
import { PAGE_CSP, sendPage, STYLESHEET, STYLESHEET_PATH } from './page.js';
import { PROGRESS_ID, registrationPage } from './register-page.js';
import { queryParams } from './request-checks.js';
import { ticketEndpoints } from './ticket-endpoints.js';
import { wizardTokenEndpoint } from './wizard-token-endpoint.js';

/** The `id` of the confirmation link (ours; CAcert's own value is not part of the contract). */
export const CONFIRM_ID = 'confirm';

/**
 * Builds the routes.
 * @example
 * app.use(registrationRoutes(ctx));
 */
export function registrationRoutes(ctx: RegistrationContext): Router {
  const router = Router();
  const page = registrationPage(ctx);
  const confirm = confirmationPage(ctx);
  const tickets = ticketEndpoints(ctx);
  const notFound = (res: Parameters<typeof sendPage>[0]) => sendPage(res, 404, 'Not found', '<p>There is no such page.</p>');

  router.get(STYLESHEET_PATH, (_req, res) => {
    res.setHeader('Content-Type', 'text/css; charset=utf-8');
    res.setHeader('Content-Security-Policy', PAGE_CSP);
    res.setHeader('Cache-Control', 'max-age=3600');
    res.send(STYLESHEET);
  });

  router.get(REGISTRATION_PATH, (req, res) => {
    const params = queryParams(req);
    const ids = params.getAll('id');
    switch (ids.length === 1 ? ids[0] : undefined) {
      case REGISTRATION_IDS.register:
        return page.get(req, res, params);
      case REGISTRATION_IDS.giveMeATicket:
        return tickets.giveMeATicket(req, res);
      case REGISTRATION_IDS.isItDone:
        return tickets.isItDone(req, res, params);
      case CONFIRM_ID:
        return confirm.get(req, res, params);
      case PROGRESS_ID:
        return page.progress(req, res, params);
      default:
        return notFound(res);
    }
  });
  router.post(REGISTRATION_PATH, async (req, res) => {
    const ids = queryParams(req).getAll('id');
    if (ids.length === 1 && ids[0] === REGISTRATION_IDS.register) return page.post(req, res);
    if (ids.length === 1 && ids[0] === CONFIRM_ID) return confirm.post(req, res);
    if (ids.length === 1 && ids[0] === REGISTRATION_IDS.giveMeATicket) {
      const form = await readForm(req);
      if (!form.ok) {
        res.status(form.status).json({ error: { code: 'invalid_request', message: form.message } });
        return;
      }
      return tickets.giveMeATicket(req, res, form.params);
    }
    req.resume();
    notFound(res);
  });

  router.post(WIZARD_TOKEN_PATH, wizardTokenEndpoint(ctx));
  router.all(WIZARD_TOKEN_PATH, (_req, res) => {
    res.setHeader('Allow', 'POST');
    res.status(405).json(encodeWizardTokenError('method_not_allowed', 'use POST with a form-urlencoded body'));
  });

  router.use(accountArea(ctx));
  if (ctx.devMailbox !== undefined) router.use(devMailboxPages(ctx.devMailbox));
  return router;
}
