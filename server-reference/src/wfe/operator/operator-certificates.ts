/**
 * The operator's certificates:
 *
 * - `GET /operator/certificates?q=<serial | name | account address>`: finds certificates by a
 *   serial (or its first hex digits, colons allowed), an account's address (that account's
 *   certificates), or a name or subject containing the text; each with its status and a Revoke
 *   form (a GET changes nothing);
 * - `POST /operator/certificates/:serial/revoke` (`reason`): a confirmation page; with
 *   `confirm=yes`, revokes through the request service, logged with the operator's id. The
 *   operator may also give `privilegeWithdrawn` (RFC 5280 §5.3.1), which no holder may.
 *
 * The POSTs carry the operator session's CSRF token and pass the Origin check, as the queue's do.
 */
import { decodeRevocationFields, REVOCATION_REASONS } from '@certwizard/protocol';
import type { RevocationReason } from '@certwizard/pki';
import { Router } from 'express';
import { ownerStatuses } from '../../ca/certificate-status.js';
import type { StoredCertificate } from '../../store/certificate-store.js';
import { certificateTableHtml, confirmRevocationHtml, revocationDoneHtml } from '../registration/certificate-revocation-pages.js';
import { escapeHtml, escapeShown } from '../registration/html.js';
import { sendPage } from '../registration/page.js';
import { queryParams } from '../registration/request-checks.js';
import type { OperatorContext } from './context.js';
import type { OperatorAreaAccess } from './operator-domains.js';

/** The reasons an operator may give: a holder's, and privilegeWithdrawn (the CA's own decision). */
export const OPERATOR_REVOCATION_REASONS: readonly RevocationReason[] = [...REVOCATION_REASONS, 'privilegeWithdrawn'];

/** How many certificates one search lists, newest first. */
export const OPERATOR_SEARCH_LIMIT = 50;

/**
 * The search form (a GET).
 * @example
 * certificateSearchHtml(); // on the queue page
 */
export function certificateSearchHtml(query = ''): string {
  return `<form method="get" action="/operator/certificates"><label for="certificate-search">Find certificates by serial, name or account address</label><input id="certificate-search" name="q" required autocomplete="off" spellcheck="false" value="${escapeHtml(query)}"><button type="submit" class="secondary">Find certificates</button></form>`;
}

/**
 * Builds the routes.
 * @example
 * router.use(operatorCertificateRoutes(ctx, access));
 */
export function operatorCertificateRoutes(ctx: OperatorContext, access: OperatorAreaAccess): Router {
  const router = Router();
  const back = '<p><a href="/operator/queue">Back to the queue</a></p>';

  router.get('/operator/certificates', async (req, res) => {
    const session = await access.sessionOf(req);
    if (!session) return res.redirect(303, '/operator/login');
    const q = (queryParams(req).get('q') ?? '').trim();
    if (q === '') return sendPage(res, 200, 'Find certificates', `${certificateSearchHtml()}${back}`);
    const found = await search(ctx, q);
    const csrf = `<input type="hidden" name="csrf" value="${escapeHtml(session.csrfToken)}">`;
    const emails = new Map<string, string>();
    for (const c of found) {
      const m = /^account:(\d+)$/.exec(c.requester);
      if (m && !emails.has(c.requester)) emails.set(c.requester, (await ctx.accounts.get(Number(m[1])))?.email ?? `#${m[1]}`);
    }
    const table =
      found.length === 0
        ? '<p role="status">No certificate matches.</p>'
        : certificateTableHtml(found, ownerStatuses(found, ctx.now()), {
            csrf,
            actionBase: '/operator/certificates',
            reasons: OPERATOR_REVOCATION_REASONS,
            extraColumn: (c) => `<td data-label="Account">${escapeShown(emails.get(c.requester) ?? `ssl_api client ${c.requester}`)}</td>`,
          });
    sendPage(res, 200, 'Find certificates', `${certificateSearchHtml(q)}\n${table}${back}`);
  });

  router.post('/operator/certificates/:serial/revoke', async (req, res) => {
    const post = await access.checkedPost(req);
    if (!post) return access.forbidden(res);
    const session = await access.sessionOf(req);
    const reason = post.params.get('reason') || 'unspecified';
    const decoded = decodeRevocationFields(String(req.params.serial ?? ''), undefined);
    if (!(OPERATOR_REVOCATION_REASONS as readonly string[]).includes(reason)) {
      return sendPage(res, 400, 'Not revoked', `<p>The reason must be one of ${escapeHtml(OPERATOR_REVOCATION_REASONS.join(', '))}.</p>${back}`);
    }
    const certificate = decoded.ok ? await ctx.service.certificate(decoded.fields.serialHex) : undefined;
    if (certificate === undefined || session === undefined) return sendPage(res, 404, 'Not revoked', `<p>No such certificate.</p>${back}`);
    const action = `/operator/certificates/${encodeURIComponent(certificate.serialHex)}/revoke`;
    if (post.params.get('confirm') !== 'yes') {
      const csrf = `<input type="hidden" name="csrf" value="${escapeHtml(session.csrfToken)}">`;
      return sendPage(res, 200, 'Revoke this certificate?', confirmRevocationHtml(certificate, reason, { csrf, action, back: '/operator/queue' }));
    }
    const outcome = await ctx.service.revoke(certificate.serialHex, {
      reason: reason as RevocationReason,
      by: { via: 'operator', operatorId: post.session.operatorId },
    });
    if (outcome.status === 'not_found') return sendPage(res, 404, 'Not revoked', `<p>No such certificate.</p>${back}`);
    sendPage(res, 200, outcome.status === 'revoked' ? 'Certificate revoked' : 'Already revoked', revocationDoneHtml(outcome, '/operator/queue'));
  });
  return router;
}

/** An account's certificates for an address, else a serial prefix, else names and subjects containing the text. */
async function search(ctx: OperatorContext, q: string): Promise<StoredCertificate[]> {
  if (q.includes('@')) {
    const account = await ctx.accounts.findByEmail(q);
    if (account !== undefined) return ctx.service.searchCertificates({ accountId: account.id }, OPERATOR_SEARCH_LIMIT);
  }
  const hex = q.replace(/:/g, '');
  if (/^[0-9a-fA-F]{2,40}$/.test(hex)) {
    const bySerial = await ctx.service.searchCertificates({ serialPrefix: hex }, OPERATOR_SEARCH_LIMIT);
    if (bySerial.length > 0) return bySerial;
  }
  return ctx.service.searchCertificates({ text: q }, OPERATOR_SEARCH_LIMIT);
}
