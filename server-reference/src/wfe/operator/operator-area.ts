/**
 * The operator area, after Dogtag's agent services: `GET/POST /operator/login`,
 * `POST /operator/logout`, `GET /operator/queue` (requests for DNS names awaiting approval, with
 * what each asks) and `POST /operator/requests/:id/approve` / `.../reject` (with a reason).
 *
 * Its own session cookie (`certwizard_operator`, Path=/operator, HttpOnly, SameSite=Strict,
 * Secure on https) over its own table, so an account session never counts as an operator's.
 * Every POST checks `Origin` when present and, once logged in, the session's CSRF token.
 */
import { formatFingerprint } from '@certwizard/pki';
import { Router, type Request, type Response } from 'express';
import { CredentialsError } from '../../accounts/errors.js';
import { approveRequest } from '../../ca/request-approval.js';
import { RefusedError } from '../../errors.js';
import type { CertificateRequestRecord } from '../../store/certificate-requests.js';
import { readForm } from '../registration/form-body.js';
import { escapeHtml, escapeShown, loginFormHtml, utcMinute } from '../registration/html.js';
import { sendPage } from '../registration/page.js';
import { clientKey, cookieValue, isSameOriginPost, tokensEqual } from '../registration/request-checks.js';
import type { OperatorContext } from './context.js';

/** Name of the operator session cookie. */
export const OPERATOR_SESSION_COOKIE = 'certwizard_operator';

const loginForm = (message?: string, email?: string) =>
  loginFormHtml({ action: '/operator/login', emailLabel: 'Operator address', ...(message ? { message } : {}), ...(email ? { email } : {}) });
const date = utcMinute;

/** Longest rejection reason, in characters (the column allows 500). */
export const REJECT_REASON_MAX = 500;




/**
 * Builds the operator area's routes.
 * @example
 * app.use(operatorArea(ctx));
 */
export function operatorArea(ctx: OperatorContext): Router {
  const router = Router();
  const publicOrigin = new URL(ctx.publicUrl).origin;
  const cookieAttributes = `HttpOnly; SameSite=Strict; Path=/operator${ctx.publicUrl.startsWith('https:') ? '; Secure' : ''}`;
  const forbidden = (res: Response) => sendPage(res, 403, 'Request refused', '<p>This form can only be sent from the CA\'s own pages, in your session.</p>');
  const sessionOf = (req: Request) => {
    const id = cookieValue(req, OPERATOR_SESSION_COOKIE);
    const session = ctx.sessions.get(id);
    return session && id ? { id, operatorId: session.accountId, csrfToken: session.csrfToken } : undefined;
  };
  /** The session of a POST that passed the Origin and CSRF checks, with its form. */
  const checkedPost = async (req: Request) => {
    const session = sessionOf(req);
    const form = await readForm(req);
    if (!isSameOriginPost(req, publicOrigin) || !session || !form.ok || !tokensEqual(form.params.get('csrf'), session.csrfToken)) return undefined;
    return { session, params: form.params };
  };

  router.get('/operator/login', (req, res) => {
    if (sessionOf(req)) return res.redirect(303, '/operator/queue');
    sendPage(res, 200, 'Operator log in', loginForm());
  });

  router.post('/operator/login', async (req, res) => {
    if (!isSameOriginPost(req, publicOrigin)) return forbidden(res);
    const form = await readForm(req);
    if (!form.ok) return sendPage(res, form.status, 'Request refused', `<p>${escapeHtml(form.message)}</p>`);
    const limit = ctx.loginLimiter.take(clientKey(req));
    if (!limit.allowed) {
      res.setHeader('Retry-After', String(Math.max(1, Math.ceil(limit.retryAfterMs / 1000))));
      return sendPage(res, 429, 'Operator log in', loginForm('Too many attempts; please wait a minute and try again.'));
    }
    const email = form.params.get('EmailAddress') ?? '';
    try {
      const operator = await ctx.operators.authenticate(email, form.params.get('Password') ?? '');
      const session = ctx.sessions.create(operator.id);
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
    ctx.sessions.delete(post.session.id);
    res.setHeader('Set-Cookie', `${OPERATOR_SESSION_COOKIE}=; Max-Age=0; ${cookieAttributes}`);
    res.redirect(303, '/operator/login');
  });

  router.get('/operator/queue', (req, res) => {
    const session = sessionOf(req);
    if (!session) return res.redirect(303, '/operator/login');
    const csrf = `<input type="hidden" name="csrf" value="${escapeHtml(session.csrfToken)}">`;
    const rows = ctx.requests.awaitingOperator().map((r) => queueRow(ctx, r, csrf));
    sendPage(
      res,
      200,
      'Requests awaiting approval',
      `${rows.length === 0 ? '<p>None.</p>' : rows.join('\n')}
<form method="post" action="/operator/logout">${csrf}<button type="submit">Log out</button></form>`,
    );
  });

  // Approve issues through the signing core with the profile decided when the request was
  // stored; reject closes it with a reason the requester sees. Both only on requests that wait
  // for an operator (never an owner's queue).
  router.post('/operator/requests/:id/:decision', async (req, res) => {
    const post = await checkedPost(req);
    if (!post) return forbidden(res);
    const id = String(req.params.id ?? '');
    const decision = req.params.decision;
    const record = ctx.requests.get(id);
    const notFound = () => sendPage(res, 404, 'Not found', '<p>No such request awaiting approval.</p>');
    if (record === undefined || record.approver !== 'operator' || (decision !== 'approve' && decision !== 'reject')) return notFound();
    const { operatorId } = post.session;
    if (decision === 'reject') {
      const reason = (post.params.get('reason') ?? '').trim();
      if (reason.length === 0 || reason.length > REJECT_REASON_MAX) {
        return sendPage(res, 400, 'Reason required', `<p>Give a reason of 1 to ${REJECT_REASON_MAX} characters; the requester sees it.</p>`);
      }
      if (!ctx.requests.transition(record.accountId, id, 'pending', 'rejected', reason)) return notFound();
      ctx.logger.info('request rejected by operator', { operatorId, accountId: record.accountId, requestId: id });
      await mailOwner(ctx, record, `was rejected by the CA's operator. The reason given:\n\n  ${reason}`);
      return res.redirect(303, '/operator/queue');
    }
    try {
      const issued = await approveRequest({ ca: ctx.ca, requests: ctx.requests, logger: ctx.logger }, record.accountId, id, 'operator');
      if (issued === undefined) return notFound();
      ctx.logger.info('request approved by operator', { operatorId, accountId: record.accountId, requestId: id, serial: issued.serialHex });
      await mailOwner(ctx, record, 'was approved; the certificate is issued. Your installation fetches it on its own.');
      res.redirect(303, '/operator/queue');
    } catch (err) {
      if (err instanceof RefusedError) return sendPage(res, 403, 'Request refused', '<p>The CA policy refused this request; it stays pending.</p>');
      throw err;
    }
  });

  return router;
}

/** One request of the queue: what it asks, who asks, and the two decisions. */
function queueRow(ctx: OperatorContext, r: CertificateRequestRecord, csrf: string): string {
  const account = ctx.accounts.get(r.accountId);
  const installation = r.installationTokenId === undefined
    ? r.source
    : `installation ${ctx.tokens.listTokens(r.accountId).find((t) => t.id === r.installationTokenId)?.label ?? 'removed'}`;
  const id = encodeURIComponent(r.id);
  return `<section aria-label="Request ${escapeHtml(r.id)}"><h2>${escapeShown(r.profile.subjectAltNames.dns.join(', '))}</h2>
<dl><dt>Request</dt><dd><code>${escapeHtml(r.id)}</code></dd><dt>Subject (as requested)</dt><dd>${escapeShown(r.subject || '(empty)')}</dd>
<dt>DNS names</dt><dd>${escapeShown(r.profile.subjectAltNames.dns.join(', '))}</dd><dt>Key</dt><dd>${escapeHtml(r.keyDescription)}</dd>
<dt>SHA-256 of the request</dt><dd><code>${escapeHtml(formatFingerprint(r.fingerprintSha256))}</code></dd>
<dt>Account</dt><dd>${escapeShown(account?.email ?? `#${r.accountId}`)}</dd><dt>Sent by</dt><dd>${escapeShown(installation)}</dd><dt>When</dt><dd>${date(r.createdAtMs)}</dd></dl>
<form method="post" action="/operator/requests/${id}/approve">${csrf}<button type="submit" aria-label="Approve request ${id}">Approve</button></form>
<form method="post" action="/operator/requests/${id}/reject">${csrf}<label for="reason-${id}">Reason for rejecting</label><input id="reason-${id}" name="reason" maxlength="${REJECT_REASON_MAX}" required><button type="submit" aria-label="Reject request ${id}">Reject</button></form></section>`;
}

/** Tells the owner what became of their request. A failed mail is logged, not returned. */
async function mailOwner(ctx: OperatorContext, record: CertificateRequestRecord, outcome: string): Promise<void> {
  const account = ctx.accounts.get(record.accountId);
  if (account === undefined) return;
  const text = [
    `Hello ${account.firstName},`,
    '',
    `Your request ${record.id} for a certificate for ${record.profile.subjectAltNames.dns.join(', ')} ${outcome}`,
    '',
    `Your account page: ${ctx.publicUrl}/account`,
  ].join('\n');
  try {
    await ctx.mailer.send({ to: account.email, subject: 'Your certificate request was decided', text });
  } catch (err) {
    ctx.logger.error('decision mail failed', { accountId: account.id, requestId: record.id, error: err });
  }
}
