/**
 * `POST /api/addresses` with `Authorization: Bearer <installation token>` (form fields `email`
 * and optional `PingNonce`): asks the CA to ping an additional address for the token's account.
 * 202 `{"status":"ping_sent","email"}`; confirming the ping (by a person through its link, or by
 * the machine holding the nonce through `POST /api/ping/confirm`) adds the address to the
 * account's confirmed addresses, which `/api/cemails.php` then lists as `EMAIL=`.
 * Only addresses at a domain of the public DNS are pinged (see `isPublicMailDomain`).
 * Refusals store nothing and send nothing (docs/protocol.md, "The email ping").
 */
import { ADDRESS_PING_ERRORS, decodeAddressPingRequest, encodeAddressPingAnswer, encodePingError, type AddressPingErrorCode } from '@certwizard/protocol';
import { InvalidNameError, normalizeEmailAddress } from '@certwizard/pki';
import type { Request, Response } from 'express';
import { PingLimitError } from '../../accounts/errors.js';
import { isPublicMailDomain } from '../../ca/public-mail-domain.js';
import { addressPingMail } from '../../mail/ping-mail.js';
import { bearerAccount } from '../cacert-api/bearer-account.js';
import { readForm } from '../registration/form-body.js';
import type { PingContext } from './context.js';

/** Body limit of the endpoint, in bytes (an address and a nonce are under 400). */
export const ADDRESS_PING_MAX_BODY_BYTES = 4096;

function fail(res: Response, code: AddressPingErrorCode, message: string): void {
  res.status(ADDRESS_PING_ERRORS[code]).json(encodePingError(code, message));
}

/**
 * Builds the handler.
 * @example
 * router.post(ADDRESS_PING_PATH, addressPingEndpoint(ctx));
 */
export function addressPingEndpoint(ctx: PingContext): (req: Request, res: Response) => Promise<void> {
  return async (req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    const accountId = await bearerAccount(req, res, ctx);
    if (accountId === undefined) {
      req.resume();
      return;
    }
    const form = await readForm(req, ADDRESS_PING_MAX_BODY_BYTES);
    if (!form.ok) return fail(res, 'invalid_request', form.message);
    const decoded = decodeAddressPingRequest(form.params);
    if (!decoded.ok) return fail(res, 'invalid_request', decoded.message);
    let email: string;
    try {
      email = normalizeEmailAddress(decoded.request.email);
    } catch (err) {
      if (!(err instanceof InvalidNameError)) throw err;
      // The pki message quotes the address; ours does not.
      return fail(res, 'invalid_request', 'email is not a valid address');
    }
    // Before anything is stored or sent: a token must not make the CA mail its own host or network.
    if (!isPublicMailDomain(email)) {
      return fail(res, 'invalid_request', 'email must be at a domain name of the public DNS, not localhost, a single label or an address literal');
    }
    const account = await ctx.accounts.get(accountId);
    if (account === undefined) throw new Error('the account of a valid installation token is gone');
    if ((await ctx.addresses.confirmedOf(account)).some((a) => a.toLowerCase() === email.toLowerCase())) {
      return fail(res, 'address_confirmed', 'the address already is a confirmed address of this account');
    }
    let ping: { id: number; token: string };
    try {
      ping = await ctx.pings.create(accountId, email, decoded.request.pingNonce !== undefined ? { nonce: decoded.request.pingNonce } : {});
    } catch (err) {
      if (!(err instanceof PingLimitError)) throw err;
      res.setHeader('Retry-After', String(Math.max(1, Math.ceil(err.retryAfterMs / 1000))));
      return fail(res, 'too_many_requests', err.message);
    }
    // A nonce works once across the CA: one seen before (leaked from a URL, replayed by another
    // account) must not get this address confirmed for whoever presents it.
    if (decoded.request.pingNonce !== undefined && !(await ctx.pingNonces.claim(decoded.request.pingNonce))) {
      await ctx.pings.remove(ping.id);
      return fail(res, 'nonce_in_use', 'this PingNonce was used before; ask the mail hook for a new one');
    }
    try {
      await ctx.mailer.send(
        addressPingMail({
          to: email,
          from: ctx.pingFrom,
          publicUrl: ctx.publicUrl,
          token: ping.token,
          ...(decoded.request.pingNonce !== undefined ? { nonce: decoded.request.pingNonce } : {}),
          lifetimeMs: ctx.pingLifetimeMs,
        }),
      );
    } catch (err) {
      // Nobody can hold the token of a mail that was not sent: the ping goes, and does not count.
      await ctx.pings.remove(ping.id);
      if (decoded.request.pingNonce !== undefined) await ctx.pingNonces.release(decoded.request.pingNonce);
      ctx.logger.error('address ping not sent', { accountId, error: err });
      return fail(res, 'mail_not_sent', 'the ping could not be handed to the mail relay; ask again later');
    }
    ctx.logger.info('address ping sent', { accountId, withNonce: decoded.request.pingNonce !== undefined });
    res.status(202).json(encodeAddressPingAnswer(email));
  };
}
