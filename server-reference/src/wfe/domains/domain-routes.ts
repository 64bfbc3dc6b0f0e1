/**
 * The domains of an account over the API (docs/protocol.md, "Domains of an account"), with
 * `Authorization: Bearer <installation token>`:
 *
 * - `POST /api/domains` (`domain`, `method`, and for `email` an `address` and optional
 *   `PingNonce`): adds the domain when the account does not have it, and asks for its
 *   verification: an email ping (202 `ping_sent`), or a dns/http challenge (200 `challenge`);
 * - `POST /api/domains/check` (`domain`, `method`: dns or http): the CA looks now;
 * - `GET /api/domains`: the account's domains with their state. GET never changes anything.
 *
 * Decode, call the DomainService, encode; the service's typed errors are put on the wire by one
 * table ({@link WIRE_CODES}). Every call of an account counts against its rate limit (the
 * checks make the CA resolve names and fetch URLs on a requester's word).
 */
import {
  decodeDomainCheckRequest,
  decodeDomainRequest,
  DOMAIN_CHECK_PATH,
  DOMAIN_ERRORS,
  domainAnswerStatus,
  DOMAINS_PATH,
  encodeDomainError,
  isAdministrativeAddress,
  type DomainAnswer,
  type DomainErrorCode,
  type ListedDomain,
} from '@certwizard/protocol';
import { type Request, type Response, Router } from 'express';
import type { DomainService, AccountDomain } from '../../accounts/domain-service.js';
import { DomainError } from '../../accounts/domain-errors.js';
import { PingLimitError } from '../../accounts/errors.js';
import type { InstallationTokenService } from '../../accounts/installation-token-service.js';
import type { PingNonceService } from '../../accounts/ping-nonce-service.js';
import type { RateLimiter } from '../../accounts/rate-limiter.js';
import type { Logger } from '../../log.js';
import { domainPingMail } from '../../mail/ping-mail.js';
import type { Mailer } from '../../mail/mailer.js';
import { bearerAccount } from '../cacert-api/bearer-account.js';
import { readForm } from '../registration/form-body.js';

/** Body limit of the POSTs, in bytes (a domain, an address and a nonce are well under it). */
export const DOMAIN_MAX_BODY_BYTES = 4096;

/** Dependencies of the domain routes, wired in main.ts. */
export interface DomainContext {
  readonly domains: DomainService;
  readonly tokens: InstallationTokenService;
  /** Every nonce accepted so far: a nonce is used by one request only. */
  readonly pingNonces: PingNonceService;
  readonly mailer: Mailer;
  /** The CA's public base URL, without a trailing slash: the ping's link points there. */
  readonly publicUrl: string;
  /** `From:` and envelope sender of every ping. */
  readonly pingFrom: string;
  /** Lifetime of a domain ping's link, in ms (said in its mail). */
  readonly pingLifetimeMs: number;
  /** Per-account limit of the domain calls. */
  readonly limiter: RateLimiter;
  readonly logger: Logger;
}

/** The service's errors, by code, on the wire. Codes are API: a new error class needs a row. */
const WIRE_CODES: Readonly<Record<string, DomainErrorCode>> = {
  ERR_DOMAIN_INVALID: 'invalid_domain',
  ERR_DOMAIN_TAKEN: 'domain_taken',
  ERR_DOMAIN_UNKNOWN: 'unknown_domain',
  ERR_DOMAIN_ADDRESS: 'invalid_address',
  ERR_DOMAIN_NO_CHALLENGE: 'no_challenge',
  ERR_DOMAIN_CHALLENGE_FAILED: 'challenge_failed',
};

function fail(res: Response, code: DomainErrorCode, message: string): void {
  res.status(DOMAIN_ERRORS[code]).json(encodeDomainError(code, message));
}

/** Writes a refusal of the service, or rethrows what is the CA's own failure. */
function failWith(res: Response, err: unknown): void {
  if (err instanceof PingLimitError) {
    res.setHeader('Retry-After', String(Math.max(1, Math.ceil(err.retryAfterMs / 1000))));
    return fail(res, 'too_many_requests', err.message);
  }
  const code = err instanceof DomainError ? WIRE_CODES[err.code] : undefined;
  if (code === undefined) throw err;
  fail(res, code, err instanceof DomainError ? err.message : '');
}

/** The ISO time of an instant in ms. */
const iso = (ms: number) => new Date(ms).toISOString();

/**
 * A domain as `GET /api/domains` lists it.
 * @example
 * listedDomain(await domains.add(accountId, 'example.org')); // { domain: 'example.org', unicode: 'example.org', status: 'unverified' }
 */
export function listedDomain(d: AccountDomain): ListedDomain {
  const base = { domain: d.domain, unicode: d.unicode, status: d.state };
  if (d.verification === undefined || d.lapsesAtMs === undefined) return base;
  return { ...base, method: d.verification.method, verifiedAt: iso(d.verification.atMs), lapsesAt: iso(d.lapsesAtMs) };
}

/**
 * Builds the routes.
 * @example
 * app.use(domainRoutes(ctx));
 */
export function domainRoutes(ctx: DomainContext): Router {
  const router = Router();
  /** The token's account, after its rate limit; undefined once an answer was written. */
  const caller = async (req: Request, res: Response): Promise<number | undefined> => {
    res.setHeader('Cache-Control', 'no-store');
    const accountId = await bearerAccount(req, res, ctx);
    if (accountId === undefined) {
      req.resume();
      return undefined;
    }
    const limit = await ctx.limiter.take(`account:${accountId}`);
    if (!limit.allowed) {
      req.resume();
      res.setHeader('Retry-After', String(Math.max(1, Math.ceil(limit.retryAfterMs / 1000))));
      fail(res, 'too_many_requests', 'too many domain requests from this account; retry later');
      return undefined;
    }
    return accountId;
  };

  router.get(DOMAINS_PATH, async (req, res) => {
    const accountId = await caller(req, res);
    if (accountId === undefined) return;
    res.json({ domains: (await ctx.domains.list(accountId)).map(listedDomain) });
  });

  router.post(DOMAINS_PATH, async (req, res) => {
    const accountId = await caller(req, res);
    if (accountId === undefined) return;
    const form = await readForm(req, DOMAIN_MAX_BODY_BYTES);
    if (!form.ok) return fail(res, 'invalid_request', form.message);
    const decoded = decodeDomainRequest(form.params);
    if (!decoded.ok) return fail(res, 'invalid_request', decoded.message);
    const request = decoded.request;
    try {
      // Checked before the domain is added: a refused request stores nothing.
      const domain = ctx.domains.normalize(request.domain);
      if (request.method === 'email') {
        // Refused before anything is stored: the address must be administrative at this domain.
        if (!isAdministrativeAddress(request.address, domain)) {
          return fail(res, 'invalid_address', `the address must be postmaster, hostmaster, webmaster, admin or root at ${domain} itself`);
        }
      }
      await ctx.domains.add(accountId, domain);
      let answer: DomainAnswer;
      if (request.method === 'email') {
        const sent = await sendPing(ctx, accountId, domain, request.address, request.pingNonce, res);
        if (sent === undefined) return;
        answer = { status: 'ping_sent', domain, address: sent };
      } else {
        const c = await ctx.domains.challenge(accountId, domain, request.method);
        answer =
          c.method === 'dns'
            ? { status: 'challenge', domain, method: 'dns', name: c.name, value: c.value, expiresAt: iso(c.expiresAtMs) }
            : { status: 'challenge', domain, method: 'http', url: c.url, content: c.content, expiresAt: iso(c.expiresAtMs) };
      }
      res.status(domainAnswerStatus(answer)).json(answer);
    } catch (err) {
      failWith(res, err);
    }
  });

  router.post(DOMAIN_CHECK_PATH, async (req, res) => {
    const accountId = await caller(req, res);
    if (accountId === undefined) return;
    const form = await readForm(req, DOMAIN_MAX_BODY_BYTES);
    if (!form.ok) return fail(res, 'invalid_request', form.message);
    const decoded = decodeDomainCheckRequest(form.params);
    if (!decoded.ok) return fail(res, 'invalid_request', decoded.message);
    // The check stops when the requester goes away: nobody waits for its answer.
    const aborted = new AbortController();
    res.once('close', () => aborted.abort(new Error('the requester closed the connection')));
    try {
      const d = await ctx.domains.check(accountId, decoded.request.domain, decoded.request.method, { signal: aborted.signal });
      ctx.logger.info('domain verified', { accountId, domain: d.domain, method: decoded.request.method });
      const listed = listedDomain(d);
      res.json({ status: 'verified', domain: d.domain, method: listed.method, verifiedAt: listed.verifiedAt, lapsesAt: listed.lapsesAt });
    } catch (err) {
      if (aborted.signal.aborted) return;
      failWith(res, err);
    }
  });

  for (const [path, allow] of [
    [DOMAINS_PATH, 'GET, POST'],
    [DOMAIN_CHECK_PATH, 'POST'],
  ] as const) {
    router.all(path, (req, res) => {
      req.resume();
      res.setHeader('Allow', allow);
      fail(res, 'method_not_allowed', `use ${allow}`);
    });
  }
  return router;
}

/**
 * Stores and mails a domain ping with the address ping's nonce rules.
 * @returns the address mailed, or undefined once a refusal was written.
 */
async function sendPing(
  ctx: DomainContext,
  accountId: number,
  domain: string,
  address: string,
  nonce: string | undefined,
  res: Response,
): Promise<string | undefined> {
  const ping = await ctx.domains.createPing(accountId, domain, address, nonce !== undefined ? { nonce } : {});
  // A nonce works once across the CA: one seen before (leaked from a URL, replayed by another
  // account) must not get this domain verified for whoever presents it.
  if (nonce !== undefined && !(await ctx.pingNonces.claim(nonce))) {
    await ctx.domains.removePing(ping.id);
    fail(res, 'nonce_in_use', 'this PingNonce was used before; ask the mail hook for a new one');
    return undefined;
  }
  try {
    await ctx.mailer.send(
      domainPingMail({
        to: ping.address,
        domain,
        from: ctx.pingFrom,
        publicUrl: ctx.publicUrl,
        token: ping.token,
        ...(nonce !== undefined ? { nonce } : {}),
        lifetimeMs: ctx.pingLifetimeMs,
      }),
    );
  } catch (err) {
    // Nobody can hold the token of a mail that was not sent: the ping goes, and does not count.
    await ctx.domains.removePing(ping.id);
    if (nonce !== undefined) await ctx.pingNonces.release(nonce);
    ctx.logger.error('domain ping not sent', { accountId, domain, error: err });
    fail(res, 'mail_not_sent', 'the ping could not be handed to the mail relay; ask again later');
    return undefined;
  }
  ctx.logger.info('domain ping sent', { accountId, domain, withNonce: nonce !== undefined });
  return ping.address;
}
