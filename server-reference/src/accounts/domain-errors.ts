/**
 * Errors of the domains of an account (domain-service.ts). Every class carries a stable `code`
 * (API: added, never renamed); the wire writers map them to their own codes once. No message
 * holds a ping token or a nonce; a dns/http challenge's values are public by design but are not
 * put in messages either.
 */
import type { DomainNameRefusal } from '@certwizard/protocol';
import { AccountError } from './errors.js';

/** Base class of the domain errors. */
export class DomainError extends AccountError {
  override readonly code: string = 'ERR_DOMAIN';
}

/** The text is not a domain an account may hold; `reason` is the protocol's {@link DomainNameRefusal}. */
export class DomainInvalidError extends DomainError {
  override readonly code = 'ERR_DOMAIN_INVALID';
  readonly reason: DomainNameRefusal;
  constructor(reason: DomainNameRefusal, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.reason = reason;
  }
}

/** Another account holds the domain (verified and not lapsed, or claimed recently). */
export class DomainTakenError extends DomainError {
  override readonly code = 'ERR_DOMAIN_TAKEN';
}

/** The domain is not one of the account's. */
export class DomainUnknownError extends DomainError {
  override readonly code = 'ERR_DOMAIN_UNKNOWN';
}

/** The address to ping is not one of the domain's administrative addresses (a person's, a subdomain's, another domain's). */
export class DomainAddressError extends DomainError {
  override readonly code = 'ERR_DOMAIN_ADDRESS';
}

/** No live dns/http challenge of that method for the domain: ask for one first. */
export class DomainChallengeMissingError extends DomainError {
  override readonly code = 'ERR_DOMAIN_NO_CHALLENGE';
}

/** The CA looked and did not find the challenge's record or file; `problem` says what it saw. */
export class DomainChallengeFailedError extends DomainError {
  override readonly code = 'ERR_DOMAIN_CHALLENGE_FAILED';
}
