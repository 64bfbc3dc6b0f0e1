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
import type { AccountDomain } from '../../accounts/domain-service.js';
import { DomainError } from '../../accounts/domain-errors.js';
import { PingLimitError } from '../../accounts/errors.js';
import { bearerAccount } from '../cacert-api/bearer-account.js';
import { readForm } from '../registration/form-body.js';
import type { DomainContext } from './context.js';
import { sendDomainPing } from './send-domain-ping.js';

export type { DomainContext } from './context.js';

/** Body limit of the POSTs, in bytes (a domain, an address and a nonce are well under it). */
export const DOMAIN_MAX_BODY_BYTES = 4096;

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
        const sent = await sendDomainPing(ctx, accountId, domain, request.address, request.pingNonce);
        if (sent.status === 'nonce_in_use') return fail(res, 'nonce_in_use', 'this PingNonce was used before; ask the mail hook for a new one');
        if (sent.status === 'mail_not_sent') return fail(res, 'mail_not_sent', 'the ping could not be handed to the mail relay; ask again later');
        answer = { status: 'ping_sent', domain, address: sent.address };
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
