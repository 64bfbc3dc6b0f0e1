/**
 * The operator area, after Dogtag's agent services: `GET/POST /operator/login`,
 * `POST /operator/logout`, `GET /operator/queue` (requests for DNS names awaiting approval, with
 * what each asks) and `POST /operator/requests/:id/approve` / `.../reject` (with a reason); an
 * account's domains and their removal (operator-domains.ts), reached from the queue; the
 * certificates, found by serial, name or account, and their revocation (operator-certificates.ts).
 *
 * Its own session cookie (`certwizard_operator`, Path=/operator, HttpOnly, SameSite=Strict,
 * Secure on https) over its own table, so an account session never counts as an operator's.
 * Every POST checks `Origin` when present and, once logged in, the session's CSRF token.
 */
import { Router, type Request, type Response } from 'express';
import { CredentialsError } from '../../accounts/errors.js';
import { isRefusal } from '../../ca/refusal.js';
import { REJECT_REASON_MAX } from '../../ca/request-service.js';
import type { CertificateRequestRecord } from '../../store/certificate-requests.js';
import { readForm } from '../registration/form-body.js';
import { escapeHtml, escapeShown, fingerprintHtml, loginFormHtml, utcMinute } from '../registration/html.js';
import { installationName } from '../registration/installation-name.js';
import { sendPage } from '../registration/page.js';
import { clientKey, cookieValue, isSameOriginPost, tokensEqual } from '../registration/request-checks.js';
import type { OperatorContext } from './context.js';
import { accountLookupHtml, operatorDomainRoutes } from './operator-domains.js';
import { certificateSearchHtml, operatorCertificateRoutes } from './operator-certificates.js';
import { operatorScepRoutes } from './operator-scep.js';

/** Name of the operator session cookie. */
export const OPERATOR_SESSION_COOKIE = 'certwizard_operator';

const loginForm = (message?: string, email?: string) =>
  loginFormHtml({ action: '/operator/login', emailLabel: 'Operator address', ...(message ? { message } : {}), ...(email ? { email } : {}) });
const date = utcMinute;

/**
 * Builds the operator area's routes.
 * @example
 * app.use(operatorArea(ctx));
 */
export function operatorArea(ctx: OperatorContext): Router {
  const router = Router();
  const publicOrigin = new URL(ctx.publicUrl).origin;
  const cookieAttributes = `HttpOnly; SameSite=Strict; Path=/operator${ctx.publicUrl.startsWith('https:') ? '; Secure' : ''}`;
  const forbidden = (res: Response) => sendPage(res, 403, 'Request refused', "<p>This form can only be sent from the CA's own pages, in your session.</p>");
  const sessionOf = async (req: Request) => {
    const id = cookieValue(req, OPERATOR_SESSION_COOKIE);
    const session = await ctx.sessions.get(id);
    return session && id ? { id, operatorId: session.accountId, csrfToken: session.csrfToken } : undefined;
  };
  /** The session of a POST that passed the Origin and CSRF checks, with its form. */
  const checkedPost = async (req: Request) => {
    const session = await sessionOf(req);
    const form = await readForm(req);
    if (!isSameOriginPost(req, publicOrigin) || !session || !form.ok || !tokensEqual(form.params.get('csrf'), session.csrfToken)) return undefined;
    return { session, params: form.params };
  };

  router.get('/operator/login', async (req, res) => {
    if (await sessionOf(req)) return res.redirect(303, '/operator/queue');
    sendPage(res, 200, 'Operator log in', loginForm());
  });

  router.post('/operator/login', async (req, res) => {
    if (!isSameOriginPost(req, publicOrigin)) return forbidden(res);
    const form = await readForm(req);
    if (!form.ok) return sendPage(res, form.status, 'Request refused', `<p>${escapeHtml(form.message)}</p>`);
    const limit = await ctx.loginLimiter.take(clientKey(req));
    if (!limit.allowed) {
      res.setHeader('Retry-After', String(Math.max(1, Math.ceil(limit.retryAfterMs / 1000))));
      return sendPage(res, 429, 'Operator log in', loginForm('Too many attempts; please wait a minute and try again.'));
    }
    const email = form.params.get('EmailAddress') ?? '';
    try {
      const operator = await ctx.operators.authenticate(email, form.params.get('Password') ?? '');
      const session = await ctx.sessions.create(operator.id);
      const maxAge = Math.floor((session.expiresAtMs - ctx.now()) / 1000);
      res.setHeader('Set-Cookie', `${OPERATOR_SESSION_COOKIE}=${session.sessionId}; Max-Age=${maxAge}; ${cookieAttributes}`);
      ctx.logger.info('operator login', { operatorId: operator.id });
      res.redirect(303, '/operator/queue');
    } catch (err) {
      if (err instanceof CredentialsError) return sendPage(res, 401, 'Operator log in', loginForm(err.message, email));
      throw err;
    }
  });

  router.post('/operator/logout', async (req, res) => {
    const post = await checkedPost(req);
    if (!post) return forbidden(res);
    await ctx.sessions.delete(post.session.id);
    res.setHeader('Set-Cookie', `${OPERATOR_SESSION_COOKIE}=; Max-Age=0; ${cookieAttributes}`);
    res.redirect(303, '/operator/login');
  });

  router.get('/operator/queue', async (req, res) => {
    const session = await sessionOf(req);
    if (!session) return res.redirect(303, '/operator/login');
    const csrf = `<input type="hidden" name="csrf" value="${escapeHtml(session.csrfToken)}">`;
    const rows = await Promise.all((await ctx.requests.awaitingOperator()).map((r) => queueRow(ctx, r, csrf)));
    sendPage(
      res,
      200,
      'Requests awaiting approval',
      `${rows.length === 0 ? '<p>None.</p>' : rows.join('\n')}${ctx.domains ? `\n<h2>Accounts</h2>\n${accountLookupHtml()}` : ''}
<h2>Certificates</h2>
${certificateSearchHtml()}${ctx.scepPins ? '\n<h2>SCEP</h2>\n<p><a href="/operator/scep">SCEP PINs</a>: make a one-time PIN for a device</p>' : ''}
<form method="post" action="/operator/logout">${csrf}<button type="submit" class="secondary">Log out</button></form>`,
    );
  });

  // Approve issues through the signing core with the profile decided when the request was
  // stored; reject closes it with a reason the requester sees. Both only on requests that wait
  // for an operator (never an owner's queue); the service mails the owner either way.
  router.post('/operator/requests/:id/:decision', async (req, res) => {
    const post = await checkedPost(req);
    if (!post) return forbidden(res);
    const id = String(req.params.id ?? '');
    const decision = req.params.decision;
    const notFound = () => sendPage(res, 404, 'Not found', '<p>No such request awaiting approval.</p>');
    if (decision !== 'approve' && decision !== 'reject') return notFound();
    const by = { operator: post.session.operatorId };
    const outcome = decision === 'approve' ? await ctx.service.approve(id, by) : await ctx.service.reject(id, by, post.params.get('reason') ?? '');
    if (isRefusal(outcome)) return sendPage(res, 403, 'Request refused', '<p>The CA policy refused this request; it stays pending.</p>');
    if (outcome.status === 'not_pending') return notFound();
    if (outcome.status === 'reason_invalid') {
      return sendPage(res, 400, 'Reason required', `<p>Give a reason of 1 to ${REJECT_REASON_MAX} characters; the requester sees it.</p>`);
    }
    res.redirect(303, '/operator/queue');
  });

  if (ctx.domains) router.use(operatorDomainRoutes(ctx, ctx.domains, { sessionOf, checkedPost, forbidden }));
  router.use(operatorCertificateRoutes(ctx, { sessionOf, checkedPost, forbidden }));
  if (ctx.scepPins) router.use(operatorScepRoutes(ctx.scepPins, { sessionOf, checkedPost, forbidden }));
  return router;
}

/** One request of the queue: what it asks, who asks, and the two decisions. */
async function queueRow(ctx: OperatorContext, r: CertificateRequestRecord, csrf: string): Promise<string> {
  // A SCEP request to the CA's own /scep has no account: the operator is all there is to decide it.
  const account = r.accountId === undefined ? undefined : await ctx.accounts.get(r.accountId);
  const installation =
    r.installationTokenId === undefined || r.accountId === undefined
      ? r.source
      : installationName((await ctx.tokens.listTokens(r.accountId)).find((t) => t.id === r.installationTokenId));
  const accountShown = r.accountId === undefined ? 'none (SCEP, no account)' : (account?.email ?? `#${r.accountId}`);
  const id = encodeURIComponent(r.id);
  return `<section aria-label="Request ${escapeHtml(r.id)}"><h2>${escapeShown(r.profile.subjectAltNames.dns.join(', '))}</h2>
<dl><dt>Request</dt><dd><code>${escapeHtml(r.id)}</code></dd><dt>Subject (as requested)</dt><dd>${escapeShown(r.subject || '(empty)')}</dd>
<dt>DNS names</dt><dd>${escapeShown(r.profile.subjectAltNames.dns.join(', '))}</dd><dt>Key</dt><dd>${escapeHtml(r.keyDescription)}</dd>
<dt>SHA-256 of the request</dt><dd>${fingerprintHtml(r.fingerprintSha256)}</dd>
<dt>Account</dt><dd>${ctx.domains && r.accountId !== undefined ? `<a href="/operator/accounts/${r.accountId}">${escapeShown(accountShown)}</a>` : escapeShown(accountShown)}</dd><dt>Sent by</dt><dd>${escapeShown(installation)}</dd><dt>When</dt><dd>${date(r.createdAtMs)}</dd></dl>
<form method="post" action="/operator/requests/${id}/approve">${csrf}<button type="submit" aria-label="Approve request ${id}">Approve</button></form>
<form method="post" action="/operator/requests/${id}/reject">${csrf}<label for="reason-${id}">Reason for rejecting</label><input id="reason-${id}" name="reason" maxlength="${REJECT_REASON_MAX}" required><button type="submit" class="secondary" aria-label="Reject request ${id}">Reject</button></form></section>`;
}
