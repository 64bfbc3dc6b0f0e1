/**
 * The account page's SCEP section (RFC 8894): the owner's personal SCEP URL
 * (`{public-url}/scep/u/<handle>`, where a device's request waits for this owner's approval)
 * and a form making a one-time PIN for the owner's own verified names, shown once.
 *
 * The handle is made by a POST ("Show my personal SCEP URL"), never by the GET of the account
 * page: a GET changes nothing, and an account that never uses SCEP never gets a URL that could
 * be handed around. Once made it is shown on every view and never changes.
 */
import { Router, type Response } from 'express';
import { ScepPinInputError, ScepPinNamesNotOwnedError } from '../../scep/errors.js';
import type { ScepHandleService } from '../../scep/scep-handle-service.js';
import type { ScepPinService } from '../../scep/scep-pin-service.js';
import type { AccountAreaAccess } from './account-domains.js';
import { escapeHtml, escapeShown, utcMinute } from './html.js';
import { sendPage } from './page.js';

/** What the SCEP section needs. */
export interface AccountScepContext {
  readonly pins: ScepPinService;
  readonly handles: ScepHandleService;
  readonly publicUrl: string;
}

/** PIN lifetimes offered by the forms, in ms, by label; the first is the default. */
export const SCEP_PIN_TTL_CHOICES: readonly (readonly [string, number])[] = [
  ['1 hour', 3_600_000],
  ['1 day', 86_400_000],
  ['7 days', 7 * 86_400_000],
  ['30 days', 30 * 86_400_000],
];

/** The TTL `<select>` of a PIN form. */
export function ttlSelectHtml(): string {
  return `<label>Valid for <select name="ttl">${SCEP_PIN_TTL_CHOICES.map(([label, ms]) => `<option value="${ms}">${label}</option>`).join('')}</select></label>`;
}

/** The PIN form's fields read: DNS names (one per line or comma separated), subject, TTL. */
export function pinFormInput(params: URLSearchParams): { dnsNames: string[]; subject?: string; ttlMs: number } {
  const dnsNames = (params.get('dns') ?? '')
    .split(/[\s,]+/)
    .map((n) => n.trim())
    .filter((n) => n !== '');
  const subject = (params.get('subject') ?? '').trim();
  const ttl = Number(params.get('ttl') ?? SCEP_PIN_TTL_CHOICES[0]?.[1]);
  // Only the offered lifetimes: anything else is the default, never an error.
  const ttlMs = SCEP_PIN_TTL_CHOICES.some(([, ms]) => ms === ttl) ? ttl : (SCEP_PIN_TTL_CHOICES[0]?.[1] as number);
  return { dnsNames, ...(subject !== '' ? { subject } : {}), ttlMs };
}

/** The PIN form's fields (names, subject, TTL), for the account page and the operator area. */
export function pinFieldsHtml(): string {
  return `<label>DNS names (one per line) <textarea name="dns" rows="3"></textarea></label>
<label>Subject (optional, RFC 4514: CN=device1, O=Example) <input name="subject" maxlength="1024"></label>
${ttlSelectHtml()}`;
}

/** The page showing a new PIN, once. */
export function pinShownHtml(pin: string, expiresAt: Date, back: string): string {
  return `<p>Give this PIN to the device's admin (for certmonger: <code>getcert request -c &lt;CA&gt; -L PIN</code>). It is shown only now, works for one request for the names given, and expires ${utcMinute(expiresAt.getTime())}.</p>
<pre id="scep-pin">${escapeHtml(pin)}</pre>
<p><a href="${escapeHtml(back)}">Back</a></p>`;
}

/**
 * The account page's SCEP section.
 * @param handle - the account's handle if one was made (the GET never makes one).
 */
export function scepSectionHtml(ctx: AccountScepContext, handle: string | undefined, csrf: string): string {
  const url = handle === undefined ? undefined : `${ctx.publicUrl.replace(/\/$/, '')}/scep/u/${handle}`;
  return `
<h2>SCEP</h2>
<p>Devices that speak SCEP (RFC 8894, e.g. certmonger) can ask this CA for certificates. A request sent to your personal SCEP URL waits for your approval here; one carrying a PIN you made is issued at once, for the names the PIN allows.</p>
${
  url === undefined
    ? `<form method="post" action="/account/scep/url">${csrf}<button type="submit">Show my personal SCEP URL</button></form>`
    : `<p>Your personal SCEP URL: <code id="scep-url">${escapeShown(url)}</code></p>`
}
<h3>Make a SCEP PIN</h3>
<p>For your verified domains' names and your confirmed addresses only.</p>
<form method="post" action="/account/scep-pins">${csrf}
${pinFieldsHtml()}
<button type="submit">Make a PIN</button></form>`;
}

/**
 * The SCEP section's POST routes: `/account/scep/url` (makes the handle) and `/account/scep-pins`.
 * @example
 * router.use(accountScepRoutes(scepContext, access));
 */
export function accountScepRoutes(ctx: AccountScepContext, access: Pick<AccountAreaAccess, 'checkedPost' | 'forbidden'>): Router {
  const router = Router();
  const refused = (res: Response, status: number, message: string) =>
    sendPage(res, status, 'PIN refused', `<p>${escapeShown(message)}</p><p><a href="/account">Back to your account</a></p>`);

  router.post('/account/scep/url', async (req, res) => {
    const checked = await access.checkedPost(req);
    if (!checked) return access.forbidden(res);
    await ctx.handles.handleOf(checked.session.accountId);
    res.redirect(303, '/account#scep-url');
  });

  // The PIN is shown on this answer only; the CA keeps its SHA-256.
  router.post('/account/scep-pins', async (req, res) => {
    const checked = await access.checkedPost(req);
    if (!checked) return access.forbidden(res);
    const { accountId } = checked.session;
    try {
      const { pin, expiresAt } = await ctx.pins.create({ ...pinFormInput(checked.params), accountId, createdBy: `account:${accountId}` });
      sendPage(res, 200, 'SCEP PIN', pinShownHtml(pin, expiresAt, '/account'));
    } catch (err) {
      if (err instanceof ScepPinNamesNotOwnedError)
        return refused(res, 403, `${err.message}: a PIN of yours may name only your verified domains and confirmed addresses.`);
      if (err instanceof ScepPinInputError) return refused(res, 400, err.message);
      throw err;
    }
  });
  return router;
}
