/**
 * The email ping as a mail (docs/protocol.md, "The email ping"): from the CA's ping address, to
 * the address being verified, with the confirmation link `<public URL>/ping/confirm?token=<token>`
 * and, when the requester gave a nonce, the header `X-Certwizard-Ping-Nonce` and the body line
 * `Ping-Nonce:` carrying it. The mail hook reads exactly this shape: the body holds no other link
 * and no other `Ping-Nonce:` line, and a ping asked for without a nonce carries neither the
 * header nor the line. Pings ask to be DKIM-signed; the mailer signs when it has a key.
 */
import { PING_NONCE_BODY_LABEL, PING_NONCE_HEADER, pingConfirmationLink } from '@certwizard/protocol';
import type { MailMessage } from './mailer.js';

/** What every ping needs. */
export interface PingMailInput {
  /** The address being verified. */
  readonly to: string;
  /** The CA's ping address (`--ping-from`). */
  readonly from: string;
  /** The CA's public base URL, without a trailing slash. */
  readonly publicUrl: string;
  /** The token of the link; a secret that appears in this mail and nowhere else. */
  readonly token: string;
  /** The requester's nonce, when one was given. */
  readonly nonce?: string;
  /** How long the link works, in ms (said in the mail). */
  readonly lifetimeMs: number;
}

/**
 * The registration's confirmation mail when the registration carried `PingNonce`: the ping. It
 * greets nobody by name: the name is whatever the registrant typed (anyone may register a
 * stranger's address), and the ping, signed by the CA, carries no text but the CA's own, so no
 * link-like name can ride in it (a mail hook would also refuse a ping with a foreign link).
 * @throws {TypeError} for a public URL or token the link cannot be built from.
 * @example
 * await mailer.send(registrationPingMail({ to, from: pingFrom, publicUrl, token, nonce, lifetimeMs }));
 */
export function registrationPingMail(input: PingMailInput): MailMessage {
  return pingMail(
    input,
    'Confirm your email address',
    ['Hello,', '', 'please confirm your email address for the certwizard CA by opening this link and pressing Confirm:'],
    'If you did not register, ignore this mail.',
  );
}

/**
 * The ping for an additional address of an existing account (`POST /api/addresses`). It names
 * the address, not the account: the mail goes to someone who may not own the account.
 * @throws {TypeError} for a public URL or token the link cannot be built from.
 * @example
 * await mailer.send(addressPingMail({ to: 'ada@example.net', from: pingFrom, publicUrl, token, lifetimeMs }));
 */
export function addressPingMail(input: PingMailInput): MailMessage {
  return pingMail(
    input,
    'Confirm an address for a certwizard CA account',
    [
      'Hello,',
      '',
      `an account of the certwizard CA asks to add ${input.to} to its confirmed addresses. If that is your account, confirm by opening this link and pressing Confirm:`,
    ],
    'If you did not ask for this, ignore this mail: nothing changes.',
  );
}

/**
 * The ping to a domain's administrative address (`POST /api/domains`, `method=email`): it names
 * the domain and the address, never the account. The same shape as every ping (the link, the
 * nonce header and body line), so a mail hook that answers address pings answers it too.
 * @throws {TypeError} for a public URL or token the link cannot be built from.
 * @example
 * await mailer.send(domainPingMail({ to: 'postmaster@example.org', domain: 'example.org', from: pingFrom, publicUrl, token, lifetimeMs }));
 */
export function domainPingMail(input: PingMailInput & { readonly domain: string }): MailMessage {
  return pingMail(
    input,
    'Confirm a domain for a certwizard CA account',
    [
      'Hello,',
      '',
      `an account of the certwizard CA asks to verify the domain ${input.domain}, for server certificates of its names. This mail went to ${input.to}, an administrative address of the domain. If that account may hold the domain, confirm by opening this link and pressing Confirm:`,
    ],
    'If you did not ask for this, ignore this mail: nothing changes.',
  );
}

function pingMail(input: PingMailInput, subject: string, opening: readonly string[], closing: string): MailMessage {
  const lines = [
    ...opening,
    '',
    pingConfirmationLink(input.publicUrl, input.token),
    '',
    `The link works once, for ${describeLifetime(input.lifetimeMs)}. ${closing}`,
  ];
  if (input.nonce !== undefined) {
    lines.push('', 'Your mail server may confirm this address by itself with the line below.', `${PING_NONCE_BODY_LABEL}: ${input.nonce}`);
  }
  return {
    to: input.to,
    from: input.from,
    subject,
    text: `${lines.join('\n')}\n`,
    ...(input.nonce !== undefined ? { headers: { [PING_NONCE_HEADER]: input.nonce } } : {}),
    sign: true,
  };
}

/** `24 hours`, `1 hour`, `90 minutes`: whole hours when the lifetime is some, else minutes. */
function describeLifetime(ms: number): string {
  const minutes = Math.max(1, Math.round(ms / 60_000));
  if (minutes % 60 === 0) return minutes === 60 ? '1 hour' : `${minutes / 60} hours`;
  return minutes === 1 ? '1 minute' : `${minutes} minutes`;
}
