/**
 * The account area: `GET/POST /login`, `POST /logout`, `GET /account` (names, address,
 * connected installations, pending certificate requests, certificates, domains),
 * `POST /account/installations/:id/revoke`, `POST /account/requests/:id/approve` / `.../discard`,
 * `POST /account/certificates/:serial/revoke` (a confirmation page first, then with `confirm=yes`),
 * `POST /account/enrollment-secrets`, and the Domains pages under `/account/domains`
 * (account-domains.ts).
 *
 * Sessions: a random 32-byte id in an HttpOnly, SameSite=Strict cookie (Secure when the public
 * URL is https), stored hashed (SessionService). Every POST checks `Origin` when present; every
 * POST of a logged-in page also carries the session's CSRF token (compared in constant time).
 */
import { Router, type Request, type Response } from 'express';
import { CredentialsError, NotConfirmedError, TokenNotFoundError } from '../../accounts/errors.js';
import type { InstallationTokenInfo } from '../../accounts/installation-tokens.js';
import { decodeRevocationFields } from '@certwizard/protocol';
import { ownerStatuses } from '../../ca/certificate-status.js';
import { isRefusal } from '../../ca/refusal.js';
import { accountRequester } from '../../ca/request-service.js';
import { certificateTableHtml, confirmRevocationHtml, revocationDoneHtml } from './certificate-revocation-pages.js';
import type { CertificateRequestRecord } from '../../store/certificate-requests.js';
import type { StoredCertificate } from '../../store/certificate-store.js';
import { accountDomainRoutes, type DomainFormState, domainsSection } from './account-domains.js';
import { accountScepRoutes, scepSectionHtml } from './account-scep.js';
import type { RegistrationContext } from './context.js';
import { readForm } from './form-body.js';
import { escapeHtml, escapeShown, fingerprintHtml, loginFormHtml, utcMinute } from './html.js';
import { installationName } from './installation-name.js';
import { sendPage } from './page.js';
import { clientKey, cookieValue, isSameOriginPost, tokensEqual } from './request-checks.js';

/** Name of the session cookie. */
export const SESSION_COOKIE = 'certwizard_session';

const loginForm = (message?: string, email?: string) =>
  loginFormHtml({
    action: '/login',
    emailLabel: 'Email address',
    after: '\n<p><a href="/index.php?id=1">Register</a></p>',
    ...(message ? { message } : {}),
    ...(email ? { email } : {}),
  });
const date = utcMinute;

/** The "Pending requests" section: what each request asks, where it came from, and its two buttons. */
function pendingSection(pending: readonly CertificateRequestRecord[], tokens: readonly InstallationTokenInfo[], csrf: string): string {
  if (pending.length === 0) return '<h2>Pending requests</h2>\n<p>None.</p>';
  const rows = pending.map((r) => {
    const names = [...r.profile.subjectAltNames.email, ...r.profile.subjectAltNames.dns, ...r.profile.subjectAltNames.ip].join(', ');
    const from = r.source === 'installation' ? installationName(tokens.find((t) => t.id === r.installationTokenId)) : r.source;
    const id = encodeURIComponent(r.id);
    return (
      `<tr><td data-label="Subject">${escapeShown(r.subject || '(empty)')}</td><td data-label="Names">${escapeShown(names)}</td>` +
      `<td data-label="Key">${escapeHtml(r.keyDescription)}</td><td data-label="SHA-256 of the request">${fingerprintHtml(r.fingerprintSha256)}</td>` +
      `<td data-label="Sent by">${escapeShown(from)}</td><td data-label="When">${date(r.createdAtMs)}</td><td data-label="Decision">` +
      `<form method="post" action="/account/requests/${id}/approve">${csrf}<button type="submit" aria-label="Approve request ${id}">Approve</button></form>` +
      `<form method="post" action="/account/requests/${id}/discard">${csrf}<button type="submit" class="secondary" aria-label="Discard request ${id}">Discard</button></form></td></tr>`
    );
  });
  return `<h2>Pending requests</h2>
<table class="stack"><thead><tr><th scope="col">Subject</th><th scope="col">Names</th><th scope="col">Key</th><th scope="col">SHA-256 of the request</th><th scope="col">Sent by</th><th scope="col">When</th><th scope="col">Decision</th></tr></thead><tbody>
${rows.join('\n')}
</tbody></table>`;
}

/** The "Connected installations" section: each installation's name, last use, and its Revoke button. */
function installationsSection(tokens: readonly InstallationTokenInfo[], csrf: string): string {
  if (tokens.length === 0) return '<h2>Connected installations</h2>\n<p>None.</p>';
  const rows = tokens.map(
    (t) =>
      `<tr><td data-label="Installation">${escapeShown(installationName(t))}</td><td data-label="Last used">${date(t.lastUsedAtMs)}</td><td data-label="Status">${
        t.revokedAtMs !== undefined
          ? `revoked ${date(t.revokedAtMs)}`
          : `<form method="post" action="/account/installations/${t.id}/revoke">${csrf}<button type="submit" class="secondary" aria-label="Revoke installation ${t.id}">Revoke</button></form>`
      }</td></tr>`,
  );
  return `<h2>Connected installations</h2>
<table class="stack"><thead><tr><th scope="col">Installation</th><th scope="col">Last used</th><th scope="col">Status</th></tr></thead><tbody>
${rows.join('\n')}
</tbody></table>`;
}

/** The "Your certificates" section: serial, names, expiry and status of each, newest first, with a Revoke form per live one. */
function certificatesSection(certificates: readonly StoredCertificate[], nowMs: number, csrf: string): string {
  if (certificates.length === 0) return '<h2>Your certificates</h2>\n<p>None yet.</p>';
  return `<h2>Your certificates</h2>\n${certificateTableHtml(certificates, ownerStatuses(certificates, nowMs), { csrf, actionBase: '/account/certificates' })}`;
}

/**
 * Builds the account area's routes.
 * @example
 * app.use(accountArea(ctx));
 */
export function accountArea(ctx: RegistrationContext): Router {
  const router = Router();
  const publicOrigin = new URL(ctx.publicUrl).origin;
  const secure = ctx.publicUrl.startsWith('https:');
  const cookieAttributes = `HttpOnly; SameSite=Strict; Path=/${secure ? '; Secure' : ''}`;
  const forbidden = (res: Response) => sendPage(res, 403, 'Request refused', "<p>This form can only be sent from the CA's own pages, in your session.</p>");
  const sessionOf = async (req: Request) => {
    const id = cookieValue(req, SESSION_COOKIE);
    const session = await ctx.sessions.get(id);
    return session && id ? { id, ...session } : undefined;
  };

  /** The session and form of a POST that passed the Origin and CSRF checks, or `undefined`. */
  const checkedPost = async (req: Request) => {
    const session = await sessionOf(req);
    const form = await readForm(req);
    if (!isSameOriginPost(req, publicOrigin) || !session || !form.ok || !tokensEqual(form.params.get('csrf'), session.csrfToken)) return undefined;
    return { session, params: form.params };
  };
  /** Writes the account page (with the Domains form's refusal, when given); false when the account is gone. */
  const accountPage = async (res: Response, status: number, accountId: number, csrfToken: string, domainForm?: DomainFormState): Promise<boolean> => {
    const account = await ctx.accounts.get(accountId);
    if (!account) return false;
    const csrf = `<input type="hidden" name="csrf" value="${escapeHtml(csrfToken)}">`;
    const names = [account.firstName, account.middleName, account.lastName].filter((n) => n !== undefined).join(' ');
    const tokens = await ctx.tokens.listTokens(account.id);
    const pending = ctx.pendingRequests ? `\n${pendingSection(await ctx.pendingRequests.requests.pendingOf(account.id), tokens, csrf)}` : '';
    const certificates = ctx.pendingRequests ? `\n${certificatesSection(await ctx.pendingRequests.service.certificatesOf(account.id), ctx.now(), csrf)}` : '';
    const domains = ctx.domains ? `\n${domainsSection(await ctx.domains.domains.list(account.id), csrf, domainForm)}` : '';
    const scep = ctx.scep ? scepSectionHtml({ ...ctx.scep, publicUrl: ctx.publicUrl }, await ctx.scep.handles.existingHandleOf(account.id), csrf) : '';
    sendPage(
      res,
      status,
      'Your account',
      `<dl><dt>Name</dt><dd>${escapeShown(names)}</dd><dt>Email address</dt><dd>${escapeShown(account.email)}</dd></dl>
${installationsSection(tokens, csrf)}${pending}${certificates}${domains}${scep}${
        ctx.enrollmentSecrets
          ? `\n<h2>Enrollment secret</h2>\n<p>A one-time secret lets one machine get a certificate for your confirmed address without your approval (POST /api/enroll).</p>\n<form method="post" action="/account/enrollment-secrets">${csrf}<button type="submit">Create an enrollment secret</button></form>`
          : ''
      }
<form method="post" action="/logout">${csrf}<button type="submit" class="secondary">Log out</button></form>`,
    );
    return true;
  };

  router.get('/login', async (req, res) => {
    if (await sessionOf(req)) {
      res.redirect(303, '/account');
      return;
    }
    sendPage(res, 200, 'Log in', loginForm());
  });

  router.post('/login', async (req, res) => {
    if (!isSameOriginPost(req, publicOrigin)) return forbidden(res);
    const form = await readForm(req);
    if (!form.ok) return sendPage(res, form.status, 'Request refused', `<p>${escapeHtml(form.message)}</p>`);
    const limit = await ctx.limiters.forms.take(clientKey(req));
    if (!limit.allowed) {
      res.setHeader('Retry-After', String(Math.max(1, Math.ceil(limit.retryAfterMs / 1000))));
      return sendPage(res, 429, 'Log in', loginForm('Too many attempts; please wait a minute and try again.'));
    }
    const email = form.params.get('EmailAddress') ?? '';
    try {
      const account = await ctx.accounts.authenticate(email, form.params.get('Password') ?? '');
      const session = await ctx.sessions.create(account.id);
      const maxAge = Math.floor((session.expiresAtMs - ctx.now()) / 1000);
      res.setHeader('Set-Cookie', `${SESSION_COOKIE}=${session.sessionId}; Max-Age=${maxAge}; ${cookieAttributes}`);
      ctx.logger.info('login', { accountId: account.id });
      res.redirect(303, '/account');
    } catch (err) {
      if (err instanceof CredentialsError || err instanceof NotConfirmedError) {
        sendPage(res, 401, 'Log in', loginForm(err.message, email));
        return;
      }
      throw err;
    }
  });

  router.post('/logout', async (req, res) => {
    const session = await sessionOf(req);
    const form = await readForm(req);
    if (!isSameOriginPost(req, publicOrigin) || !session || !form.ok || !tokensEqual(form.params.get('csrf'), session.csrfToken)) {
      return forbidden(res);
    }
    await ctx.sessions.delete(session.id);
    res.setHeader('Set-Cookie', `${SESSION_COOKIE}=; Max-Age=0; ${cookieAttributes}`);
    res.redirect(303, '/login');
  });

  router.get('/account', async (req, res) => {
    const session = await sessionOf(req);
    if (!session) return res.redirect(303, '/login');
    if (!(await accountPage(res, 200, session.accountId, session.csrfToken))) res.redirect(303, '/login');
  });

  router.post('/account/installations/:id/revoke', async (req, res) => {
    const session = await sessionOf(req);
    const form = await readForm(req);
    if (!isSameOriginPost(req, publicOrigin) || !session || !form.ok || !tokensEqual(form.params.get('csrf'), session.csrfToken)) {
      return forbidden(res);
    }
    const id = Number(req.params.id);
    try {
      if (!Number.isSafeInteger(id)) throw new TokenNotFoundError('no such installation token');
      await ctx.tokens.revokeToken(session.accountId, id);
      ctx.logger.info('installation token revoked', { accountId: session.accountId, tokenId: id });
      res.redirect(303, '/account');
    } catch (err) {
      if (err instanceof TokenNotFoundError) return sendPage(res, 404, 'Not found', '<p>No such installation.</p>');
      throw err;
    }
  });

  // The secret is shown on this answer only; the CA keeps its SHA-256.
  router.post('/account/enrollment-secrets', async (req, res) => {
    const session = await sessionOf(req);
    const form = await readForm(req);
    if (!isSameOriginPost(req, publicOrigin) || !session || !form.ok || !tokensEqual(form.params.get('csrf'), session.csrfToken)) {
      return forbidden(res);
    }
    if (ctx.enrollmentSecrets === undefined) return sendPage(res, 404, 'Not found', '<p>Enrollment secrets are not offered.</p>');
    const { secret, expiresAtMs } = await ctx.enrollmentSecrets.create(session.accountId);
    ctx.logger.info('enrollment secret created', { accountId: session.accountId });
    sendPage(
      res,
      200,
      'Enrollment secret',
      `<p>Give this secret to one machine; it is shown only now, works once, and expires ${date(expiresAtMs)}.</p>
<pre id="enrollment-secret">${escapeHtml(secret)}</pre>
<p><a href="/account">Back to your account</a></p>`,
    );
  });

  // Approve issues through the signing core with the profile decided when the request was
  // stored; discard only closes it. Both act on pending requests of the session's account only.
  router.post('/account/requests/:id/:decision', async (req, res) => {
    const session = await sessionOf(req);
    const form = await readForm(req);
    if (!isSameOriginPost(req, publicOrigin) || !session || !form.ok || !tokensEqual(form.params.get('csrf'), session.csrfToken)) {
      return forbidden(res);
    }
    const queue = ctx.pendingRequests;
    const id = String(req.params.id ?? '');
    const decision = req.params.decision;
    const notFound = () => sendPage(res, 404, 'Not found', '<p>No such pending request.</p>');
    if (queue === undefined || (decision !== 'approve' && decision !== 'discard')) return notFound();
    const by = { owner: session.accountId };
    const outcome = decision === 'approve' ? await queue.service.approve(id, by) : await queue.service.discard(id, by);
    if (isRefusal(outcome)) return sendPage(res, 403, 'Request refused', '<p>The CA policy refused this request; it stays pending.</p>');
    if (outcome.status === 'not_pending') return notFound();
    res.redirect(303, '/account');
  });

  // Revoke: the first POST only asks (a confirmation page), the second, with confirm=yes, revokes.
  // Only the session's account's certificates; another's is "not found", as an unknown serial.
  router.post('/account/certificates/:serial/revoke', async (req, res) => {
    const post = await checkedPost(req);
    if (!post) return forbidden(res);
    const service = ctx.pendingRequests?.service;
    const back = '<p><a href="/account">Back to your account</a></p>';
    const decoded = decodeRevocationFields(String(req.params.serial ?? ''), post.params.get('reason') ?? undefined);
    if (!decoded.ok && decoded.code === 'invalid_reason') return sendPage(res, 400, 'Not revoked', `<p>${escapeHtml(decoded.message)}</p>${back}`);
    const certificate = decoded.ok ? await service?.certificate(decoded.fields.serialHex) : undefined;
    if (service === undefined || !decoded.ok || certificate?.requester !== accountRequester(post.session.accountId)) {
      return sendPage(res, 404, 'Not revoked', `<p>No such certificate.</p>${back}`);
    }
    const csrf = `<input type="hidden" name="csrf" value="${escapeHtml(post.session.csrfToken)}">`;
    const action = `/account/certificates/${encodeURIComponent(certificate.serialHex)}/revoke`;
    if (post.params.get('confirm') !== 'yes') {
      return sendPage(res, 200, 'Revoke this certificate?', confirmRevocationHtml(certificate, decoded.fields.reason, { csrf, action, back: '/account' }));
    }
    const outcome = await service.revoke(certificate.serialHex, {
      holder: { accountId: post.session.accountId },
      reason: decoded.fields.reason,
      by: { via: 'owner', accountId: post.session.accountId },
    });
    if (outcome.status === 'not_found') return sendPage(res, 404, 'Not revoked', '<p>No such certificate.</p>');
    sendPage(res, 200, outcome.status === 'revoked' ? 'Certificate revoked' : 'Already revoked', revocationDoneHtml(outcome, '/account'));
  });

  if (ctx.scep) router.use(accountScepRoutes({ ...ctx.scep, publicUrl: ctx.publicUrl }, { checkedPost, forbidden }));
  if (ctx.domains) {
    router.use(
      accountDomainRoutes(ctx.domains, {
        sessionOf,
        checkedPost,
        forbidden,
        accountPage: async (res, status, accountId, csrfToken, form) => {
          if (!(await accountPage(res, status, accountId, csrfToken, form))) res.redirect(303, '/login');
        },
      }),
    );
  }
  return router;
}
