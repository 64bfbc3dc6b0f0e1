/**
 * The operator's view of an account's domains, and their removal:
 *
 * - `GET /operator/accounts?q=<address or domain>`: finds the account by its address, or the
 *   account that holds a domain (a domain is in one account at a time), and shows it;
 * - `GET /operator/accounts/:id`: the account's address and its domains with their state;
 * - `POST /operator/accounts/:id/domains/remove` (`domain`): removes one, through
 *   `DomainService.remove`, logged with the operator's id. `/api/cdomains.php` then stops
 *   listing it, which is how the account's installations learn that the name was dropped.
 *
 * GET changes nothing; the POST carries the operator session's CSRF token and passes the Origin
 * check, as the queue's decisions do.
 */
import { Router, type Request, type Response } from 'express';
import { DomainInvalidError, DomainUnknownError } from '../../accounts/domain-errors.js';
import type { DomainService } from '../../accounts/domain-service.js';
import { domainNameHtml, domainStateHtml } from '../registration/domain-html.js';
import { escapeHtml, escapeShown, sentence } from '../registration/html.js';
import { sendPage } from '../registration/page.js';
import { queryParams } from '../registration/request-checks.js';
import type { OperatorContext } from './context.js';

/** What the operator area lends these pages: its session checks. */
export interface OperatorAreaAccess {
  /** The logged-in operator session of a request, or `undefined`. */
  readonly sessionOf: (req: Request) => Promise<{ readonly operatorId: number; readonly csrfToken: string } | undefined>;
  /** The session and form of a POST that passed the Origin and CSRF checks, or `undefined`. */
  readonly checkedPost: (req: Request) => Promise<{ readonly session: { readonly operatorId: number }; readonly params: URLSearchParams } | undefined>;
  /** Answers a POST that failed those checks. */
  readonly forbidden: (res: Response) => void;
}

/**
 * The form that finds an account by address or domain (a GET: it changes nothing), with the
 * reason the last search found none, when there is one.
 * @example
 * accountLookupHtml(); // on the queue page
 */
export function accountLookupHtml(query = '', problem?: string): string {
  const invalid = problem === undefined ? '' : ' aria-invalid="true" aria-describedby="lookup-error"';
  const error = problem === undefined ? '' : `<p class="error" id="lookup-error" role="alert">${escapeHtml(sentence(problem))}</p>`;
  return `<form method="get" action="/operator/accounts"><label for="lookup">Find an account by address or domain</label><input id="lookup" name="q" required autocomplete="off" spellcheck="false" value="${escapeHtml(query)}"${invalid}>${error}<button type="submit" class="secondary">Find account</button></form>`;
}

/**
 * Builds the routes.
 * @example
 * router.use(operatorDomainRoutes(ctx, domains, access));
 */
export function operatorDomainRoutes(ctx: OperatorContext, domains: DomainService, access: OperatorAreaAccess): Router {
  const router = Router();
  const back = '<p><a href="/operator/queue">Back to the queue</a></p>';
  const notFound = (res: Response) => sendPage(res, 404, 'Not found', `<p>No such account.</p>${back}`);

  router.get('/operator/accounts', async (req, res) => {
    if (!(await access.sessionOf(req))) return res.redirect(303, '/operator/login');
    const q = (queryParams(req).get('q') ?? '').trim();
    if (q === '') return sendPage(res, 200, 'Find an account', `${accountLookupHtml()}${back}`);
    let accountId: number | undefined;
    try {
      accountId = q.includes('@') ? (await ctx.accounts.findByEmail(q))?.id : await domains.holderOf(q);
    } catch (err) {
      if (!(err instanceof DomainInvalidError)) throw err;
      return sendPage(res, 400, 'Find an account', `${accountLookupHtml(q, `not a domain an account may hold: ${err.message}`)}${back}`);
    }
    if (accountId === undefined) return sendPage(res, 404, 'Find an account', `${accountLookupHtml(q, 'no account has this address or domain')}${back}`);
    res.redirect(303, `/operator/accounts/${accountId}`);
  });

  router.get('/operator/accounts/:id', async (req, res) => {
    const session = await access.sessionOf(req);
    if (!session) return res.redirect(303, '/operator/login');
    const account = /^\d{1,15}$/.test(String(req.params.id)) ? await ctx.accounts.get(Number(req.params.id)) : undefined;
    if (account === undefined) return notFound(res);
    const csrf = `<input type="hidden" name="csrf" value="${escapeHtml(session.csrfToken)}">`;
    const rows = (await domains.list(account.id)).map((d) => {
      const name = escapeShown(d.unicode);
      return (
        `<tr><td data-label="Domain">${domainNameHtml(d)}</td><td data-label="Status">${domainStateHtml(d)}</td><td data-label="Remove">` +
        `<form method="post" action="/operator/accounts/${account.id}/domains/remove">${csrf}<input type="hidden" name="domain" value="${escapeHtml(d.domain)}">` +
        `<button type="submit" class="secondary" aria-label="Remove ${name} from this account">Remove</button></form></td></tr>`
      );
    });
    const list =
      rows.length === 0
        ? '<p>None.</p>'
        : `<table class="stack"><thead><tr><th scope="col">Domain</th><th scope="col">Status</th><th scope="col">Remove</th></tr></thead><tbody>
${rows.join('\n')}
</tbody></table>`;
    sendPage(
      res,
      200,
      'Account',
      `<dl><dt>Address</dt><dd>${escapeShown(account.email)}</dd><dt>Account</dt><dd><code>#${account.id}</code></dd></dl>
<h2>Domains</h2>
<p>Removing a domain ends its verification at once: the account's installations no longer get certificates for its names at once, and <code>/api/cdomains.php</code> stops listing it. The owner may add and verify it again.</p>
${list}
${accountLookupHtml()}${back}`,
    );
  });

  router.post('/operator/accounts/:id/domains/remove', async (req, res) => {
    const post = await access.checkedPost(req);
    if (!post) return access.forbidden(res);
    const domain = post.params.getAll('domain');
    const accountId = /^\d{1,15}$/.test(String(req.params.id)) ? Number(req.params.id) : undefined;
    const gone = () => sendPage(res, 404, 'Not found', `<p>This account has no such domain.</p>${back}`);
    if (accountId === undefined || domain.length !== 1) return gone();
    try {
      await domains.remove(accountId, domain[0] as string);
    } catch (err) {
      if (err instanceof DomainUnknownError || err instanceof DomainInvalidError) return gone();
      throw err;
    }
    ctx.logger.info('domain removed', { accountId, domain: domains.normalize(domain[0] as string), by: 'operator', operatorId: post.session.operatorId });
    res.redirect(303, `/operator/accounts/${accountId}`);
  });

  return router;
}
