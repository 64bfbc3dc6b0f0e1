/**
 * The operator area's SCEP PINs (RFC 8894 §2.3): `GET /operator/scep` (the form, and the
 * unexpired PINs: names, expiry, used or not; never a PIN itself) and `POST /operator/scep-pins`
 * (makes a PIN bound to the names given, shown once, to hand to the device's admin).
 */
import { Router } from 'express';
import { ScepPinInputError } from '../../scep/errors.js';
import type { ScepPinRecord } from '../../scep/scep-pin-store.js';
import type { ScepPinService } from '../../scep/scep-pin-service.js';
import { pinFieldsHtml, pinFormInput, pinShownHtml } from '../registration/account-scep.js';
import { escapeHtml, escapeShown, utcMinute } from '../registration/html.js';
import { sendPage } from '../registration/page.js';
import type { OperatorAreaAccess } from './operator-domains.js';

const back = '<p><a href="/operator/scep">Back to the SCEP PINs</a> · <a href="/operator/queue">the queue</a></p>';

function pinRow(p: ScepPinRecord): string {
  const names = [...p.dnsNames, ...(p.subject !== undefined ? [`subject ${p.subject}`] : [])].join(', ');
  const owner = p.accountId === undefined ? p.createdBy : `account ${p.accountId}`;
  const state = p.usedAtMs === undefined ? 'unused' : `used ${utcMinute(p.usedAtMs)}`;
  return `<tr><td data-label="Names">${escapeShown(names)}</td><td data-label="Made by">${escapeShown(owner)}</td><td data-label="Expires">${utcMinute(p.expiresAtMs)}</td><td data-label="State">${state}</td></tr>`;
}

/**
 * The routes.
 * @example
 * router.use(operatorScepRoutes(scepPins, { sessionOf, checkedPost, forbidden }));
 */
export function operatorScepRoutes(pins: ScepPinService, access: OperatorAreaAccess): Router {
  const router = Router();

  router.get('/operator/scep', async (req, res) => {
    const session = await access.sessionOf(req);
    if (!session) return res.redirect(303, '/operator/login');
    const csrf = `<input type="hidden" name="csrf" value="${escapeHtml(session.csrfToken)}">`;
    const list = await pins.list('all');
    sendPage(
      res,
      200,
      'SCEP PINs',
      `<p>A PIN lets one SCEP request (e.g. from certmonger) through at once, for the names it is bound to only: every DNS name of the request must be among the PIN's, and a PIN with a subject needs that exact subject.</p>
<form method="post" action="/operator/scep-pins">${csrf}
${pinFieldsHtml()}
<button type="submit">Make a PIN</button></form>
<h2>Unexpired PINs</h2>
${list.length === 0 ? '<p>None.</p>' : `<table><thead><tr><th>Names</th><th>Made by</th><th>Expires</th><th>State</th></tr></thead><tbody>${list.map(pinRow).join('')}</tbody></table>`}
<p><a href="/operator/queue">Back to the queue</a></p>`,
    );
  });

  // The PIN is shown on this answer only; the CA keeps its SHA-256.
  router.post('/operator/scep-pins', async (req, res) => {
    const post = await access.checkedPost(req);
    if (!post) return access.forbidden(res);
    try {
      const { pin, expiresAt } = await pins.create({ ...pinFormInput(post.params), createdBy: `operator:${post.session.operatorId}` });
      sendPage(res, 200, 'SCEP PIN', pinShownHtml(pin, expiresAt, '/operator/scep'));
    } catch (err) {
      if (err instanceof ScepPinInputError) return sendPage(res, 400, 'PIN refused', `<p>${escapeShown(err.message)}</p>${back}`);
      throw err;
    }
  });
  return router;
}
