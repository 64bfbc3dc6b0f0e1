/**
 * Reads and checks the hand-off parameters of the registration page (`continue`, `error`,
 * `ticket`, `code_challenge`, `code_challenge_method`, `PingNonce`), from the query on GET and
 * from the hidden fields on POST: the browser sends the hidden fields back, so they are checked
 * again. What fails is reported and dropped, never stored.
 */
import {
  appendQueryParams,
  isValidChallenge,
  isValidPingNonce,
  PKCE_METHOD,
  REGISTRATION_PARAMS,
  TICKET_PATTERN,
  validateCallbackUrl,
} from '@certwizard/protocol';
import type { Handoff } from '../../accounts/handoff-store.js';
import type { RegistrationContext } from './context.js';

/** The checked parameters. */
export interface CheckedHandoff extends Handoff {
  /** A pending, unexpired ticket. */
  readonly ticket?: string;
  /** What was refused, as sentences fit to show (no raw value in them). */
  readonly problems: readonly string[];
  /** When the ticket has expired and an error URL is valid: the link back with `ticket_expired`. */
  readonly ticketExpiredLink?: string;
  /**
   * The installer's mail server's nonce (`PingNonce`): the confirmation mail becomes an email
   * ping carrying it. Stored with the confirmation token, as SHA-256 only (AccountService.register).
   */
  readonly pingNonce?: string;
}

/**
 * Checks the hand-off parameters.
 * @example
 * const handoff = await checkHandoff(new URL(req.url, 'http://x').searchParams, ctx);
 */
export async function checkHandoff(
  params: URLSearchParams,
  ctx: Pick<RegistrationContext, 'allowedHttpsOrigins' | 'tickets' | 'now'>,
): Promise<CheckedHandoff> {
  const problems: string[] = [];
  const out: { continueUrl?: string; errorUrl?: string; codeChallenge?: string; ticket?: string; ticketExpiredLink?: string; pingNonce?: string } = {};
  for (const [name, key, label] of [
    [REGISTRATION_PARAMS.continue, 'continueUrl', 'continue'],
    [REGISTRATION_PARAMS.error, 'errorUrl', 'error'],
  ] as const) {
    const values = params.getAll(name);
    if (values.length === 0) continue;
    const checked = validateCallbackUrl(values.length === 1 ? values[0] : values, { allowedHttpsOrigins: ctx.allowedHttpsOrigins });
    if (checked.ok) out[key] = checked.url;
    else problems.push(`The ${label} address given by the installer was refused: ${checked.message} (${checked.reason}).`);
  }
  const challenges = params.getAll(REGISTRATION_PARAMS.codeChallenge);
  const methods = params.getAll(REGISTRATION_PARAMS.codeChallengeMethod);
  if (challenges.length > 0) {
    if (challenges.length !== 1 || !isValidChallenge(challenges[0])) {
      problems.push('The code challenge given by the installer is not an S256 challenge of 43 base64url characters (invalid_request).');
    } else if (methods.length !== 1 || methods[0] !== PKCE_METHOD) {
      problems.push('The code challenge method must be S256 (invalid_request).');
    } else {
      out.codeChallenge = challenges[0];
    }
  }
  const nonces = params.getAll(REGISTRATION_PARAMS.pingNonce);
  if (nonces.length > 0) {
    // The message never holds the value: the nonce lets a mail server confirm the address.
    if (nonces.length === 1 && isValidPingNonce(nonces[0])) out.pingNonce = nonces[0];
    else problems.push('The ping nonce given by the installer is not one value of 22 to 128 base64url characters (invalid_request).');
  }
  const tickets = params.getAll(REGISTRATION_PARAMS.ticket);
  if (tickets.length > 0) {
    const ticket = tickets.length === 1 ? tickets[0] : undefined;
    const stored = ticket !== undefined && TICKET_PATTERN.test(ticket) ? await ctx.tickets.get(ticket) : undefined;
    if (ticket === undefined || stored === undefined) {
      problems.push('The ticket given by the installer is unknown.');
    } else if (ctx.now() >= stored.expiresAtMs) {
      problems.push('The ticket given by the installer has expired; please start again from the installer.');
      if (out.errorUrl !== undefined) out.ticketExpiredLink = appendQueryParams(out.errorUrl, { [REGISTRATION_PARAMS.reason]: 'ticket_expired' });
    } else if (stored.completedAtMs !== undefined) {
      problems.push('The ticket given by the installer has already been used.');
    } else {
      out.ticket = ticket;
    }
  }
  return { ...out, problems };
}

/**
 * The hidden fields that carry a checked hand-off from the form to its POST.
 * @example
 * hiddenEntries(handoff); // [['continue', 'http://127.0.0.1:5311/done'], ...]
 */
export function hiddenEntries(handoff: CheckedHandoff): Array<[string, string]> {
  const entries: Array<[string, string]> = [];
  if (handoff.continueUrl !== undefined) entries.push([REGISTRATION_PARAMS.continue, handoff.continueUrl]);
  if (handoff.errorUrl !== undefined) entries.push([REGISTRATION_PARAMS.error, handoff.errorUrl]);
  if (handoff.ticket !== undefined) entries.push([REGISTRATION_PARAMS.ticket, handoff.ticket]);
  if (handoff.codeChallenge !== undefined) {
    entries.push([REGISTRATION_PARAMS.codeChallenge, handoff.codeChallenge], [REGISTRATION_PARAMS.codeChallengeMethod, PKCE_METHOD]);
  }
  if (handoff.pingNonce !== undefined) entries.push([REGISTRATION_PARAMS.pingNonce, handoff.pingNonce]);
  return entries;
}
