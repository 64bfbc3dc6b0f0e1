/**
 * Stores and mails a domain ping, with the address ping's nonce rules: the one way a domain
 * ping is sent, for `POST /api/domains` and the account page alike.
 */
import { domainPingMail } from '../../mail/ping-mail.js';
import type { DomainContext } from './context.js';

/** What became of a domain ping: sent (to the address as mailed), or refused with nothing kept. */
export type DomainPingOutcome =
  { readonly status: 'sent'; readonly address: string } | { readonly status: 'nonce_in_use' } | { readonly status: 'mail_not_sent' };

/**
 * Makes the ping (`DomainService.createPing`), claims the nonce, and hands the mail to the relay.
 * A refusal after the ping was stored (nonce seen before, mail not taken) deletes it, so it
 * does not count against the hourly limits.
 * @throws the service's refusals: `DomainUnknownError`, `DomainAddressError`, `PingLimitError`
 *   (nothing stored or sent then).
 * @example
 * const outcome = await sendDomainPing(ctx, accountId, 'examplemail.test', 'postmaster@examplemail.test');
 */
export async function sendDomainPing(
  ctx: Pick<DomainContext, 'domains' | 'pingNonces' | 'mailer' | 'publicUrl' | 'pingFrom' | 'pingLifetimeMs' | 'logger'>,
  accountId: number,
  domain: string,
  address: string,
  nonce?: string,
): Promise<DomainPingOutcome> {
  const ping = await ctx.domains.createPing(accountId, domain, address, nonce !== undefined ? { nonce } : {});
  // A nonce works once across the CA: one seen before (leaked from a URL, replayed by another
  // account) must not get this domain verified for whoever presents it.
  if (nonce !== undefined && !(await ctx.pingNonces.claim(nonce))) {
    await ctx.domains.removePing(ping.id);
    return { status: 'nonce_in_use' };
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
    return { status: 'mail_not_sent' };
  }
  ctx.logger.info('domain ping sent', { accountId, domain, withNonce: nonce !== undefined });
  return { status: 'sent', address: ping.address };
}
