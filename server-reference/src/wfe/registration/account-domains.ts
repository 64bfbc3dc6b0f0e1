/**
 * The Domains of the account area (docs/protocol.md, "Domains of an account"): the section on
 * `/account` and the pages behind it.
 *
 * - `POST /account/domains` (`domain`): adds it, unverified, and shows its page;
 * - `GET /account/domains/:domain`: its state and the three ways to verify it, with a live dns
 *   or http challenge when there is one;
 * - `POST /account/domains/:domain/ping` (`address`: one of the administrative addresses, from a
 *   list): the email ping; `.../challenge` (`method`: dns or http): makes the record or file to
 *   publish, shown on the domain's page; `.../check` (`method`): the CA looks now;
 * - `GET /account/domains/:domain/remove`: asks to confirm; `POST` of the same path removes.
 *
 * Everything goes through `DomainService` and counts in the per-account bucket of `/api/domains`
 * (a check makes the CA resolve and fetch on the owner's word, whichever way it is asked). Every
 * POST carries the session's CSRF token and passes the Origin check; GET changes nothing.
 */
import { administrativeAddresses } from '@certwizard/protocol';
import { Router, type Request, type Response } from 'express';
import {
  DomainAddressError,
  DomainChallengeFailedError,
  DomainChallengeMissingError,
  DomainInvalidError,
  DomainTakenError,
  DomainUnknownError,
} from '../../accounts/domain-errors.js';
import type { AccountDomain, IssuedChallenge } from '../../accounts/domain-service.js';
import { PingLimitError } from '../../accounts/errors.js';
import type { DomainContext } from '../domains/context.js';
import { sendDomainPing } from '../domains/send-domain-ping.js';
import { domainNameHtml, domainStateHtml } from './domain-html.js';
import { escapeHtml, escapeShown, sentence, utcMinute } from './html.js';
import { sendPage } from './page.js';

/** What the account area lends the domain pages: its session checks and its page. */
export interface AccountAreaAccess {
  /** The logged-in session of a request, or `undefined`. */
  readonly sessionOf: (req: Request) => Promise<{ readonly accountId: number; readonly csrfToken: string } | undefined>;
  /** The session and form of a POST that passed the Origin and CSRF checks, or `undefined`. */
  readonly checkedPost: (
    req: Request,
  ) => Promise<{ readonly session: { readonly accountId: number; readonly csrfToken: string }; readonly params: URLSearchParams } | undefined>;
  /** Answers a POST that failed those checks. */
  readonly forbidden: (res: Response) => void;
  /** Writes the account page with the Domains form showing `form` (what was typed and why it was refused). */
  readonly accountPage: (res: Response, status: number, accountId: number, csrfToken: string, form: DomainFormState) => Promise<void>;
}

/** The add form of the Domains section after a refusal: the text typed and the message. */
export interface DomainFormState {
  readonly value: string;
  readonly error: string;
}

const date = utcMinute;

/** The path of a domain's page (ASCII form: letters, digits, hyphens and dots only). */
const domainPath = (d: { readonly domain: string }) => `/account/domains/${encodeURIComponent(d.domain)}`;

/**
 * The "Domains" section of the account page: each domain with its forms and state, its two
 * links, and the form that adds one (with a refusal, when `form` has one).
 * @example
 * domainsSection(await domains.list(accountId), csrf);
 */
export function domainsSection(domains: readonly AccountDomain[], csrf: string, form?: DomainFormState): string {
  const rows = domains.map((d) => {
    const label = escapeShown(d.unicode);
    return (
      `<tr><td data-label="Domain">${domainNameHtml(d)}</td><td data-label="Status">${domainStateHtml(d)}</td><td data-label="Actions">` +
      `<a href="${domainPath(d)}" aria-label="Verify ${label}">Verify</a> · <a href="${domainPath(d)}/remove" aria-label="Remove ${label}">Remove</a></td></tr>`
    );
  });
  const list =
    rows.length === 0
      ? '<p>None yet.</p>'
      : `<table class="stack"><thead><tr><th scope="col">Domain</th><th scope="col">Status</th><th scope="col">Actions</th></tr></thead><tbody>
${rows.join('\n')}
</tbody></table>`;
  const invalid = form === undefined ? '' : ' aria-invalid="true" aria-describedby="domain-error"';
  const error = form === undefined ? '' : `<p class="error" id="domain-error" role="alert">${escapeHtml(sentence(form.error))}</p>`;
  return `<h2>Domains</h2>
<p>Your installations get server certificates at once for the names in your verified domains.</p>
${list}
<form method="post" action="/account/domains">${csrf}<label for="domain">Add a domain</label><input id="domain" name="domain" required autocomplete="off" spellcheck="false" placeholder="example.org" value="${escapeHtml(form?.value ?? '')}"${invalid}>${error}<button type="submit">Add the domain</button></form>`;
}

/** A live challenge: what to publish, until when, and the button that asks the CA to look. */
function challengeHtml(c: IssuedChallenge, action: string, csrf: string): string {
  const what =
    c.method === 'dns'
      ? `<p>Publish this TXT record, then ask the CA to look.</p><dl><dt>Record name</dt><dd><code>${escapeHtml(c.name)}</code></dd><dt>Value</dt><dd><code>${escapeHtml(c.value)}</code></dd>`
      : `<p>Serve this file on port 80, then ask the CA to look.</p><dl><dt>URL</dt><dd><code>${escapeHtml(c.url)}</code></dd><dt>Content</dt><dd><code>${escapeHtml(c.content)}</code></dd>`;
  const button = c.method === 'dns' ? 'Check the DNS record now' : 'Check the HTTP file now';
  return `${what}<dt>Valid until</dt><dd>${date(c.expiresAtMs)}</dd></dl>
<form method="post" action="${action}/check">${csrf}<input type="hidden" name="method" value="${c.method}"><button type="submit">${button}</button></form>`;
}

/** The page of one domain: its state and the three ways to verify it; `error` above them when a request was refused. */
function domainPageHtml(d: AccountDomain, live: readonly IssuedChallenge[], csrf: string, error?: string): string {
  const action = domainPath(d);
  const options = administrativeAddresses(d.domain)
    .map((a) => `<option value="${escapeHtml(a)}">${escapeHtml(a)}</option>`)
    .join('');
  const section = (method: 'dns' | 'http', title: string, offer: string, button: string) => {
    const c = live.find((l) => l.method === method);
    const body =
      c !== undefined
        ? challengeHtml(c, action, csrf)
        : `<p>${offer}</p>
<form method="post" action="${action}/challenge">${csrf}<input type="hidden" name="method" value="${method}"><button type="submit">${button}</button></form>`;
    return `<section aria-labelledby="by-${method}"><h2 id="by-${method}">${title}</h2>
${body}</section>`;
  };
  return `${error === undefined ? '' : `<p class="error" role="alert">${escapeHtml(sentence(error))}</p>\n`}<dl><dt>Domain</dt><dd>${escapeShown(d.unicode)}</dd><dt>ASCII form</dt><dd><code>${escapeHtml(d.domain)}</code></dd><dt>Status</dt><dd>${domainStateHtml(d)}</dd></dl>
<p>Verify it by one of these; each check is the CA's own, and verifying again restarts the period.</p>
<section aria-labelledby="by-email"><h2 id="by-email">By an email ping</h2>
<p>The CA mails a link to an administrative address of the domain; opening it (or the mail server answering it) verifies the domain.</p>
<form method="post" action="${action}/ping">${csrf}<label for="address">Address</label><select id="address" name="address">${options}</select><button type="submit">Send the ping</button></form></section>
${section('dns', 'By a DNS TXT record', `The CA gives you a TXT record to publish at <code>${escapeHtml(`_certwizard-challenge.${d.domain}`)}</code>.`, 'Show the DNS record to publish')}
${section('http', 'By an HTTP file', `The CA gives you a file to serve at <code>${escapeHtml(`http://${d.domain}/.well-known/certwizard-challenge/`)}</code>.`, 'Show the HTTP file to serve')}
<p><a href="${action}/remove">Remove this domain</a></p>
<p><a href="/account">Back to your account</a></p>`;
}

/** A refusal of the service as a page's status and message, or `undefined` for the CA's own failures. */
function refusalOf(err: unknown): { status: number; message: string; retryAfterMs?: number } | undefined {
  if (err instanceof PingLimitError) return { status: 429, message: `${err.message}; please try again later`, retryAfterMs: err.retryAfterMs };
  if (err instanceof DomainInvalidError) return { status: 400, message: `not a domain an account may hold: ${err.message}` };
  if (err instanceof DomainTakenError) return { status: 409, message: 'another account holds this domain' };
  if (err instanceof DomainUnknownError) return { status: 404, message: 'this domain is not one of your account' };
  if (err instanceof DomainAddressError) return { status: 400, message: err.message };
  if (err instanceof DomainChallengeMissingError) return { status: 404, message: err.message };
  if (err instanceof DomainChallengeFailedError) return { status: 403, message: `the CA looked and did not find it: ${err.message}` };
  return undefined;
}

function setRetryAfter(res: Response, ms: number): void {
  res.setHeader('Retry-After', String(Math.max(1, Math.ceil(ms / 1000))));
}

/**
 * Builds the routes of the Domains pages.
 * @example
 * router.use(accountDomainRoutes(ctx.domains, access));
 */
export function accountDomainRoutes(ctx: DomainContext, access: AccountAreaAccess): Router {
  const router = Router();
  const notFound = (res: Response) =>
    sendPage(res, 404, 'Not found', '<p>This domain is not one of your account.</p><p><a href="/account">Back to your account</a></p>');
  const csrfField = (token: string) => `<input type="hidden" name="csrf" value="${escapeHtml(token)}">`;

  /** The domain of the account named in the path, or `undefined` (not a domain, not the account's). */
  const ownDomain = async (accountId: number, input: string): Promise<AccountDomain | undefined> => {
    try {
      const ascii = ctx.domains.normalize(input);
      return (await ctx.domains.list(accountId)).find((d) => d.domain === ascii);
    } catch (err) {
      if (err instanceof DomainInvalidError) return undefined;
      throw err;
    }
  };

  const domainPage = async (res: Response, status: number, session: { accountId: number; csrfToken: string }, d: AccountDomain, error?: string) => {
    const live = await ctx.domains.liveChallengesOf(session.accountId, d.domain);
    sendPage(res, status, d.unicode, domainPageHtml(d, live, csrfField(session.csrfToken), error));
  };

  /** A POST's checked session and form, after the account's domain bucket; `undefined` once answered. */
  const domainPost = async (req: Request, res: Response) => {
    const post = await access.checkedPost(req);
    if (post === undefined) {
      access.forbidden(res);
      return undefined;
    }
    const limit = await ctx.limiter.take(`account:${post.session.accountId}`);
    if (!limit.allowed) {
      setRetryAfter(res, limit.retryAfterMs);
      sendPage(
        res,
        429,
        'Too many requests',
        '<p>Too many domain requests from this account; please wait a minute and try again.</p><p><a href="/account">Back to your account</a></p>',
      );
      return undefined;
    }
    return post;
  };

  /** Answers a refusal of the service on the domain's page (or the page that fits), else rethrows. */
  const refuse = async (res: Response, session: { accountId: number; csrfToken: string }, input: string, err: unknown) => {
    const refusal = refusalOf(err);
    if (refusal === undefined) throw err;
    if (refusal.retryAfterMs !== undefined) setRetryAfter(res, refusal.retryAfterMs);
    const d = await ownDomain(session.accountId, input);
    if (d === undefined) return notFound(res);
    await domainPage(res, refusal.status, session, d, refusal.message);
  };

  router.post('/account/domains', async (req, res) => {
    const post = await domainPost(req, res);
    if (post === undefined) return;
    const { session, params } = post;
    const typed = params.get('domain') ?? '';
    try {
      if (params.getAll('domain').length !== 1) throw new DomainInvalidError('empty', 'give one domain');
      const d = await ctx.domains.add(session.accountId, typed);
      ctx.logger.info('domain added', { accountId: session.accountId, domain: d.domain });
      res.redirect(303, domainPath(d));
    } catch (err) {
      const refusal = refusalOf(err);
      if (refusal === undefined) throw err;
      await access.accountPage(res, refusal.status, session.accountId, session.csrfToken, { value: typed, error: refusal.message });
    }
  });

  router.get('/account/domains/:domain', async (req, res) => {
    const session = await access.sessionOf(req);
    if (session === undefined) return res.redirect(303, '/login');
    const d = await ownDomain(session.accountId, String(req.params.domain));
    if (d === undefined) return notFound(res);
    await domainPage(res, 200, session, d);
  });

  router.post('/account/domains/:domain/ping', async (req, res) => {
    const post = await domainPost(req, res);
    if (post === undefined) return;
    const { session, params } = post;
    const input = String(req.params.domain);
    try {
      const addresses = params.getAll('address');
      if (addresses.length !== 1) throw new DomainAddressError('pick one of the addresses in the list');
      // The mail names the domain in its stored (ASCII) form, whatever form the path gave.
      const sent = await sendDomainPing(ctx, session.accountId, ctx.domains.normalize(input), addresses[0] as string);
      if (sent.status !== 'sent') {
        // Without a nonce, the only refusal left is the relay's; the ping does not count.
        return sendPage(
          res,
          502,
          'Mail not sent',
          '<p>The ping could not be handed to the mail relay; please try again later.</p><p><a href="/account">Back to your account</a></p>',
        );
      }
      const d = (await ownDomain(session.accountId, input)) as AccountDomain;
      sendPage(
        res,
        200,
        'Ping sent',
        `<p>A mail went to <strong>${escapeShown(sent.address)}</strong>. Opening its link (or the mail server answering it) verifies ${escapeShown(d.unicode)}; it works for ${Math.round(ctx.pingLifetimeMs / 3_600_000)} hours, once.</p>
<p><a href="${domainPath(d)}">Back to ${escapeShown(d.unicode)}</a></p>`,
      );
    } catch (err) {
      await refuse(res, session, input, err);
    }
  });

  router.post('/account/domains/:domain/:step', async (req, res, next) => {
    const step = req.params.step;
    if (step !== 'challenge' && step !== 'check') return next();
    const post = await domainPost(req, res);
    if (post === undefined) return;
    const { session, params } = post;
    const input = String(req.params.domain);
    const methods = params.getAll('method');
    const method = methods.length === 1 && (methods[0] === 'dns' || methods[0] === 'http') ? methods[0] : undefined;
    // A check stops when the owner goes away: nobody waits for its answer.
    const aborted = new AbortController();
    res.once('close', () => aborted.abort(new Error('the owner closed the connection')));
    try {
      if (method === undefined) throw new DomainChallengeMissingError('choose the DNS record or the HTTP file');
      if (step === 'challenge') {
        await ctx.domains.challenge(session.accountId, input, method);
      } else {
        const d = await ctx.domains.check(session.accountId, input, method, { signal: aborted.signal });
        ctx.logger.info('domain verified', { accountId: session.accountId, domain: d.domain, method });
      }
      res.redirect(303, `/account/domains/${encodeURIComponent(ctx.domains.normalize(input))}`);
    } catch (err) {
      if (aborted.signal.aborted) return;
      await refuse(res, session, input, err);
    }
  });

  router.get('/account/domains/:domain/remove', async (req, res) => {
    const session = await access.sessionOf(req);
    if (session === undefined) return res.redirect(303, '/login');
    const d = await ownDomain(session.accountId, String(req.params.domain));
    if (d === undefined) return notFound(res);
    const name = escapeShown(d.unicode);
    sendPage(
      res,
      200,
      'Remove a domain',
      `<p>Remove <strong>${name}</strong> from your account? Its verification goes with it: your installations no longer get certificates for its names at once, and <code>/api/cdomains.php</code> stops listing it, which tells them it was dropped. Certificates already issued stay valid.</p>
<form method="post" action="${domainPath(d)}/remove">${csrfField(session.csrfToken)}<button type="submit" aria-label="Remove ${name} now">Remove ${name}</button></form>
<p><a href="/account">Keep it</a></p>`,
    );
  });

  router.post('/account/domains/:domain/remove', async (req, res) => {
    const post = await access.checkedPost(req);
    if (post === undefined) return access.forbidden(res);
    try {
      await ctx.domains.remove(post.session.accountId, String(req.params.domain));
    } catch (err) {
      if (err instanceof DomainUnknownError || err instanceof DomainInvalidError) return notFound(res);
      throw err;
    }
    ctx.logger.info('domain removed', { accountId: post.session.accountId, domain: ctx.domains.normalize(String(req.params.domain)), by: 'owner' });
    res.redirect(303, '/account');
  });

  return router;
}
