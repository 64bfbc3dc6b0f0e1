/**
 * Confirming a registration's address, whoever confirms it: the person through the confirmation
 * link (`/index.php?id=confirm`, or the ping page `/ping/confirm` when the registration carried a
 * `PingNonce`), or the installer's mail server through `POST /api/ping/confirm`. One function, so
 * that every path does the same: activate the account, complete its ticket (issuing the one-time
 * code when PKCE was used), issue a certificate request sent with the registration that names the
 * address, and build the link back to the installer.
 */
import { appendQueryParams, REGISTRATION_PARAMS } from '@certwizard/protocol';
import type { AccountService } from '../accounts/account-service.js';
import { TicketError } from '../accounts/errors.js';
import type { HandoffService } from '../accounts/handoff-service.js';
import type { InstallationTokenService } from '../accounts/installation-token-service.js';
import type { TicketService } from '../accounts/ticket-service.js';
import type { Logger } from '../log.js';
import type { CertificateRequestStore } from '../store/certificate-requests.js';
import { issueRegistrationRequests } from './registration-request.js';
import type { RequestService } from './request-service.js';

/** What confirming a registration needs (the registration pages' context has all of it). */
export interface RegistrationConfirmationDeps {
  readonly accounts: AccountService;
  readonly handoffs: HandoffService;
  readonly tickets: TicketService;
  readonly tokens: InstallationTokenService;
  readonly logger: Logger;
  /** When present, a request sent with the registration is issued on confirmation. */
  readonly pendingRequests?: { readonly requests: CertificateRequestStore; readonly service: RequestService };
}

/** A confirmed registration. */
export interface RegistrationConfirmed {
  readonly accountId: number;
  /** The address confirmed (the account's). */
  readonly email: string;
  /** Whether the account's open ticket was completed. */
  readonly ticketCompleted: boolean;
  /**
   * The link back to the installer: the hand-off's `continue` URL with `EmailAddress` and, when a
   * code was issued, `code`. Absent without a `continue` URL.
   */
  readonly continueLink?: string;
}

/**
 * Confirms the registration whose confirmation token this is. The token is checked and used and
 * the account activated in one transaction, before the first `await`.
 * @param confirmedBy - who confirmed, for the log: `person` or `machine`.
 * @throws {ConfirmationInvalidError} `ERR_ACCOUNT_CONFIRMATION_INVALID` for an unknown, used or
 *   expired token; nothing is changed.
 * @example
 * const { email, continueLink } = await confirmRegistration(ctx, token, 'person');
 */
export async function confirmRegistration(
  deps: RegistrationConfirmationDeps,
  token: string,
  confirmedBy: 'person' | 'machine',
): Promise<RegistrationConfirmed> {
  const { accountId, email } = await deps.accounts.confirmEmail(token);
  const handoff = await deps.handoffs.take(accountId);
  let code: string | undefined;
  let completed = false;
  const ticket = await deps.tickets.openTicketOf(accountId);
  if (ticket !== undefined) {
    try {
      code = (await deps.tickets.complete(ticket, { accountId, email })).code;
      completed = true;
    } catch (err) {
      if (!(err instanceof TicketError)) throw err;
      deps.logger.warn('ticket not completed', { accountId, error: err });
    }
  }
  // No open ticket (none given, or expired before the mail was answered): the code comes
  // from the challenge kept with the account, so the continue link still works.
  if (!completed && handoff?.codeChallenge !== undefined) {
    code = await deps.tokens.issueAuthorizationCode(accountId, handoff.codeChallenge);
  }
  deps.logger.info('address confirmed', { accountId, by: confirmedBy, ticketCompleted: completed, codeIssued: code !== undefined });
  // A request sent with the registration is issued now if it names the confirmed address;
  // the installer finds it with GET /api/requests?source=registration.
  const account = await deps.accounts.get(accountId);
  if (deps.pendingRequests && account !== undefined) {
    try {
      await issueRegistrationRequests({ ...deps.pendingRequests, logger: deps.logger }, account);
    } catch (err) {
      // The confirmation is committed (account active, ticket done): it must be answered as
      // such; a request that could not be issued stays pending for the owner.
      deps.logger.error('registration requests not issued after the confirmation; they stay pending', { accountId, error: err });
    }
  }
  const continueLink =
    handoff?.continueUrl === undefined
      ? undefined
      : appendQueryParams(handoff.continueUrl, {
          [REGISTRATION_PARAMS.emailAddress]: email,
          ...(code !== undefined ? { [REGISTRATION_PARAMS.code]: code } : {}),
        });
  return { accountId, email, ticketCompleted: completed, ...(continueLink !== undefined ? { continueLink } : {}) };
}

/**
 * What a person's failed confirmation does: when the token belongs to a pending account, its open
 * ticket fails with `confirmation_failed`, and the link back to the installer's `error` URL
 * (with `EmailAddress` and `reason=confirmation_failed`) is returned when the hand-off has one.
 * An unknown token changes nothing.
 * @example
 * const { errorLink } = await failRegistrationConfirmation(ctx, token);
 */
export async function failRegistrationConfirmation(deps: RegistrationConfirmationDeps, token: string): Promise<{ errorLink?: string }> {
  const accountId = (await deps.accounts.confirmationOf(token))?.accountId;
  const account = accountId !== undefined ? await deps.accounts.get(accountId) : undefined;
  if (account === undefined || account.status !== 'pending') return {};
  const ticket = await deps.tickets.openTicketOf(account.id);
  if (ticket !== undefined) {
    try {
      await deps.tickets.fail(ticket, 'confirmation_failed');
    } catch (err) {
      if (!(err instanceof TicketError)) throw err;
    }
  }
  const errorUrl = (await deps.handoffs.get(account.id))?.errorUrl;
  if (errorUrl === undefined) return {};
  return {
    errorLink: appendQueryParams(errorUrl, {
      [REGISTRATION_PARAMS.emailAddress]: account.email,
      [REGISTRATION_PARAMS.reason]: 'confirmation_failed',
    }),
  };
}

/** What refusing a registration did. */
export interface RegistrationRejected {
  /** True when a pending registration was deleted now; false when there was nothing to refuse (unknown, used or expired). */
  readonly deleted: boolean;
  /** The link back to the installer's `error` URL with `reason=cancelled`, when there is one. */
  readonly errorLink?: string;
}

/**
 * A person refuses a registration they did not start ("This was not me" on the confirmation
 * page, RFC 8628 §5.4): while the confirmation token is live and the account pending, its open
 * ticket fails with `cancelled` and the unconfirmed account is deleted with everything tied to
 * it (hand-off, request sent with the registration), so the address is free again and nothing
 * is issued. A used, expired or unknown token changes nothing.
 * @example
 * const { deleted } = await rejectRegistration(ctx, token);
 */
export async function rejectRegistration(deps: RegistrationConfirmationDeps & { readonly now: () => number }, token: string): Promise<RegistrationRejected> {
  const confirmation = await deps.accounts.confirmationOf(token);
  if (confirmation === undefined || confirmation.usedAtMs !== undefined || deps.now() >= confirmation.expiresAtMs) return { deleted: false };
  const account = await deps.accounts.get(confirmation.accountId);
  if (account === undefined || account.status !== 'pending') return { deleted: false };
  const errorUrl = (await deps.handoffs.get(account.id))?.errorUrl;
  const ticket = await deps.tickets.openTicketOf(account.id);
  if (ticket !== undefined) {
    try {
      await deps.tickets.fail(ticket, 'cancelled');
    } catch (err) {
      if (!(err instanceof TicketError)) throw err;
    }
  }
  await deps.accounts.removeUnconfirmed(account.id);
  deps.logger.warn('registration refused by the address owner: the unconfirmed account was deleted', { accountId: account.id });
  if (errorUrl === undefined) return { deleted: true };
  return {
    deleted: true,
    errorLink: appendQueryParams(errorUrl, { [REGISTRATION_PARAMS.emailAddress]: account.email, [REGISTRATION_PARAMS.reason]: 'cancelled' }),
  };
}
