/**
 * Confirming an email ping (docs/protocol.md, "The email ping"). A ping's token is either a
 * registration's confirmation token (the registration carried `PingNonce`), the token of a
 * ping to an additional address (`POST /api/addresses`), or the token of a ping to a domain's
 * administrative address (`POST /api/domains` with `method=email`; confirming it verifies the
 * domain). Two ways to confirm: a person presses
 * Confirm on `/ping/confirm` (no nonce needed: the person read the mail), or a machine posts the
 * token with the nonce to `/api/ping/confirm`.
 *
 * Rules of a machine's attempt, in order: an unknown token is `unknown_token`; a ping asked for
 * without a nonce, or a nonce whose SHA-256 differs from the stored one (compared in constant
 * time), is `nonce_mismatch`; a used token with the right nonce is a repeat (answered as a
 * success, changing nothing: a retry after a lost answer is harmless); an expired one is
 * `expired_token`. A refused attempt changes nothing stored.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { AddressPingService } from '../accounts/address-ping-service.js';
import type { DomainService } from '../accounts/domain-service.js';
import { ConfirmationInvalidError, PingNonceMismatchError, PingTokenExpiredError, PingTokenUnknownError } from '../accounts/errors.js';
import { confirmRegistration, type RegistrationConfirmationDeps } from './registration-confirmation.js';

/** What confirming a ping needs. */
export interface EmailPingDeps extends RegistrationConfirmationDeps {
  readonly pings: AddressPingService;
  /** Domain pings; without it, no token is found among them. */
  readonly domains?: DomainService;
  /** Clock, in ms since the epoch: the services' clock. */
  readonly now: () => number;
}

/** A ping found by its token, whatever its state. Never holds the token or the nonce. */
export interface FoundPing {
  /**
   * `registration`: the registration's confirmation mail; `address`: a ping to an additional
   * address; `domain`: a ping to a domain's administrative address.
   */
  readonly kind: 'registration' | 'address' | 'domain';
  /** The address or domain ping's id (kinds `address` and `domain`). */
  readonly pingId?: number;
  /** The domain the ping verifies (kind `domain` only), ASCII form. */
  readonly domain?: string;
  readonly accountId: number;
  /** The address the ping confirms. */
  readonly email: string;
  readonly expiresAtMs: number;
  readonly usedAtMs?: number;
  /** SHA-256 (hex) of the requester's nonce; absent for a ping asked for without one. */
  readonly nonceHash?: string;
}

/** A confirmed ping. */
export interface PingConfirmed {
  readonly kind: FoundPing['kind'];
  readonly accountId: number;
  readonly email: string;
  /** The domain verified (kind `domain` only). */
  readonly domain?: string;
  /** True when the ping had been confirmed before: nothing was changed now. */
  readonly repeat: boolean;
  /** For a registration confirmed now: the link back to the installer, when there is one. */
  readonly continueLink?: string;
}

/**
 * Finds the ping of a token among the registrations' confirmation tokens and the address pings.
 * Changes nothing.
 * @example
 * (await findPing(deps, token))?.email;
 */
export async function findPing(deps: Pick<EmailPingDeps, 'accounts' | 'handoffs' | 'pings' | 'domains'>, token: string): Promise<FoundPing | undefined> {
  const confirmation = await deps.accounts.confirmationOf(token);
  if (confirmation !== undefined) {
    const nonceHash = await deps.handoffs.pingNonceHashOf(confirmation.accountId);
    return { kind: 'registration', ...confirmation, ...(nonceHash !== undefined ? { nonceHash } : {}) };
  }
  const ping = await deps.pings.find(token);
  if (ping === undefined) return findDomainPing(deps, token);
  return {
    kind: 'address',
    pingId: ping.id,
    accountId: ping.accountId,
    email: ping.email,
    expiresAtMs: ping.expiresAtMs,
    ...(ping.usedAtMs !== undefined ? { usedAtMs: ping.usedAtMs } : {}),
    ...(ping.nonceHash !== undefined ? { nonceHash: ping.nonceHash } : {}),
  };
}

async function findDomainPing(deps: Pick<EmailPingDeps, 'domains'>, token: string): Promise<FoundPing | undefined> {
  const ping = await deps.domains?.findPing(token);
  if (ping === undefined) return undefined;
  return {
    kind: 'domain',
    pingId: ping.id,
    domain: ping.domain,
    accountId: ping.accountId,
    email: ping.address as string,
    expiresAtMs: ping.expiresAtMs,
    ...(ping.usedAtMs !== undefined ? { usedAtMs: ping.usedAtMs } : {}),
    ...(ping.nonceHash !== undefined ? { nonceHash: ping.nonceHash } : {}),
  };
}

/**
 * Decides what an attempt on a ping may do, by the rules above; `nonce` absent means a person.
 * Pure: no clock, no store.
 * @returns `confirm` (a live ping), or `repeat` (used already; for a machine, with its nonce).
 * @throws {PingTokenUnknownError} `ERR_PING_TOKEN_UNKNOWN` when nothing was found.
 * @throws {PingNonceMismatchError} `ERR_PING_NONCE_MISMATCH` for a machine whose nonce is not the ping's.
 * @throws {PingTokenExpiredError} `ERR_PING_TOKEN_EXPIRED` for an unused ping past its expiry.
 * @example
 * decidePing(await findPing(deps, token), { nonce, nowMs: Date.now() }); // 'confirm'
 */
export function decidePing(found: FoundPing | undefined, attempt: { readonly nonce?: string; readonly nowMs: number }): 'confirm' | 'repeat' {
  if (found === undefined) throw new PingTokenUnknownError('no ping has this token');
  if (attempt.nonce !== undefined) {
    if (found.nonceHash === undefined) {
      throw new PingNonceMismatchError('this ping was asked for without a nonce: only a person can confirm it, with the link in the mail');
    }
    if (!nonceMatches(attempt.nonce, found.nonceHash)) throw new PingNonceMismatchError('the nonce is not the one the ping was sent with');
  }
  if (found.usedAtMs !== undefined) return 'repeat';
  if (attempt.nowMs >= found.expiresAtMs) throw new PingTokenExpiredError('the ping has expired; ask for a new one');
  return 'confirm';
}

/**
 * Confirms the ping of `token`: a registration is finished as by its confirmation link
 * (ca/registration-confirmation.ts); an additional address joins the account's confirmed
 * addresses. The change is a guarded update: when another request used the ping between the
 * check and the change, this one is answered as the repeat it has become.
 * @param attempt.nonce - the machine's nonce; absent for a person.
 * @throws {PingTokenUnknownError} `ERR_PING_TOKEN_UNKNOWN`, {@link PingNonceMismatchError}
 *   `ERR_PING_NONCE_MISMATCH`, {@link PingTokenExpiredError} `ERR_PING_TOKEN_EXPIRED`; nothing is
 *   changed.
 * @example
 * const { email, repeat } = await confirmPing(deps, token, { nonce });
 */
export async function confirmPing(deps: EmailPingDeps, token: string, attempt: { readonly nonce?: string } = {}): Promise<PingConfirmed> {
  const found = await findPing(deps, token);
  const decision = decidePing(found, { ...attempt, nowMs: deps.now() });
  const ping = found as FoundPing;
  const by = attempt.nonce === undefined ? 'person' : 'machine';
  const domain = ping.domain !== undefined ? { domain: ping.domain } : {};
  if (decision === 'repeat') return { kind: ping.kind, accountId: ping.accountId, email: ping.email, ...domain, repeat: true };
  if (ping.kind === 'registration') {
    try {
      const confirmed = await confirmRegistration(deps, token, by);
      return {
        kind: 'registration',
        accountId: confirmed.accountId,
        email: confirmed.email,
        repeat: false,
        ...(confirmed.continueLink !== undefined ? { continueLink: confirmed.continueLink } : {}),
      };
    } catch (err) {
      // Only when the account is no longer pending although its token is unused: nothing to confirm.
      if (err instanceof ConfirmationInvalidError) throw new PingTokenUnknownError('no ping has this token', { cause: err });
      throw err;
    }
  }
  // A domain ping verifies its domain (with the address) in the transaction that uses it.
  const used =
    ping.kind === 'domain' ? await (deps.domains as DomainService).confirmPing(ping.pingId as number) : await deps.pings.confirm(ping.pingId as number);
  if (!used) {
    // Used (by a concurrent request) or expired since decidePing saw it live: decide again.
    if (decidePing(await findPing(deps, token), { ...attempt, nowMs: deps.now() }) === 'repeat') {
      return { kind: ping.kind, accountId: ping.accountId, email: ping.email, ...domain, repeat: true };
    }
    throw new PingTokenExpiredError('the ping has expired; ask for a new one');
  }
  deps.logger.info(ping.kind === 'domain' ? 'domain verified by email ping' : 'additional address confirmed', { accountId: ping.accountId, by, ...domain });
  return { kind: ping.kind, accountId: ping.accountId, email: ping.email, ...domain, repeat: false };
}

/** Whether SHA-256(nonce) equals the stored hex digest, compared in constant time. */
function nonceMatches(nonce: string, storedHex: string): boolean {
  const given = createHash('sha256').update(nonce, 'utf8').digest();
  const stored = Buffer.from(storedHex, 'hex');
  return stored.length === given.length && timingSafeEqual(given, stored);
}
