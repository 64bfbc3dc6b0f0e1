/**
 * Errors of the account area: accounts, tickets, authorization codes and installation tokens.
 * Every class carries a stable `code` (API: added, never renamed). No message ever contains a
 * password, a lost-password answer, a token, a ticket or a code: the HTTP layer may show
 * messages to the user and log them.
 */
import { CaError } from '../errors.js';

/** Base class of the account errors. */
export class AccountError extends CaError {
  override readonly code: string = 'ERR_ACCOUNT';
}

/** Names of the registration fields an {@link AccountInputError} can point at. */
export type AccountField = 'firstName' | 'middleName' | 'lastName' | 'email' | 'dateOfBirth' | 'password' | 'passwordConfirmation' | 'questions';

/**
 * A registration field is missing or malformed. `field` names it, so the form can mark it; the
 * message says what is wrong without repeating a secret value.
 */
export class AccountInputError extends AccountError {
  override readonly code = 'ERR_ACCOUNT_INVALID';
  /** The offending field. */
  readonly field: AccountField;
  constructor(field: AccountField, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.field = field;
  }
}

/** The address is already registered (compared case-insensitively). */
export class EmailTakenError extends AccountError {
  override readonly code = 'ERR_ACCOUNT_EMAIL_TAKEN';
}

/** The confirmation token is unknown, used or expired; one code for all, so nothing leaks. */
export class ConfirmationInvalidError extends AccountError {
  override readonly code = 'ERR_ACCOUNT_CONFIRMATION_INVALID';
}

/** Unknown address or wrong password; one code for both, so the answer does not tell which. */
export class CredentialsError extends AccountError {
  override readonly code = 'ERR_ACCOUNT_CREDENTIALS';
}

/** The password is right but the address has not been confirmed yet. */
export class NotConfirmedError extends AccountError {
  override readonly code = 'ERR_ACCOUNT_NOT_CONFIRMED';
}

/** Base class of the ticket errors. */
export class TicketError extends CaError {
  override readonly code: string = 'ERR_TICKET';
}

/** No such ticket (never issued, purged, or malformed). */
export class TicketUnknownError extends TicketError {
  override readonly code = 'ERR_TICKET_UNKNOWN';
}

/** The ticket's lifetime is over. */
export class TicketExpiredError extends TicketError {
  override readonly code = 'ERR_TICKET_EXPIRED';
}

/** The ticket already finished (done or error); its answer never changes again. */
export class TicketFinishedError extends TicketError {
  override readonly code = 'ERR_TICKET_FINISHED';
}

/**
 * The ticket is already tied to different values (another challenge, other callback URLs, another
 * account): the first registration that claimed it keeps it.
 */
export class TicketConflictError extends TicketError {
  override readonly code = 'ERR_TICKET_CONFLICT';
}

/** A value given with a ticket is malformed (e.g. a code challenge that is not S256). */
export class TicketInputError extends TicketError {
  override readonly code = 'ERR_TICKET_INVALID';
  /** The offending parameter: `codeChallenge`, `continueUrl` or `errorUrl`. */
  readonly field: 'codeChallenge' | 'continueUrl' | 'errorUrl';
  constructor(field: 'codeChallenge' | 'continueUrl' | 'errorUrl', message: string) {
    super(message);
    this.field = field;
  }
}

/**
 * The authorization code is unknown, used or expired, or the verifier does not match its
 * challenge. One code for all of them (RFC 6749 §5.2 `invalid_grant`), so a caller learns nothing
 * about which check failed.
 */
export class GrantInvalidError extends CaError {
  override readonly code = 'ERR_GRANT_INVALID';
}

/** The installation token is unknown, malformed or revoked, or its account is not active. */
export class TokenInvalidError extends CaError {
  override readonly code = 'ERR_TOKEN_INVALID';
}

/** No installation token with this id belongs to the account (another's counts as none). */
export class TokenNotFoundError extends CaError {
  override readonly code = 'ERR_TOKEN_NOT_FOUND';
}

/** `add-operator` was given an address that already belongs to an operator. */
export class OperatorExistsError extends CaError {
  override readonly code = 'ERR_OPERATOR_EXISTS';
}

/** The enrollment secret is unknown, used or expired; one code for all, so nothing leaks. */
export class EnrollmentSecretInvalidError extends CaError {
  override readonly code = 'ERR_ENROLLMENT_SECRET_INVALID';
}

/** Base class of the email ping errors (docs/protocol.md, "The email ping"). */
export class PingError extends CaError {
  override readonly code: string = 'ERR_PING';
}

/** No ping has this token (never issued, malformed, or its account is gone). */
export class PingTokenUnknownError extends PingError {
  override readonly code = 'ERR_PING_TOKEN_UNKNOWN';
}

/** The ping's lifetime is over and it was never confirmed. */
export class PingTokenExpiredError extends PingError {
  override readonly code = 'ERR_PING_TOKEN_EXPIRED';
}

/**
 * A machine sent a nonce that is not the ping's, or the ping was asked for without a nonce
 * (then only a person can confirm it). Nothing is changed.
 */
export class PingNonceMismatchError extends PingError {
  override readonly code = 'ERR_PING_NONCE_MISMATCH';
}

/** The account asked for more pings than its hourly allowance. */
export class PingLimitError extends PingError {
  override readonly code = 'ERR_PING_LIMIT';
  /** When the next ping may be asked for, in ms from now. */
  readonly retryAfterMs: number;
  constructor(message: string, retryAfterMs: number) {
    super(message);
    this.retryAfterMs = retryAfterMs;
  }
}

/** The address already is one of the account's confirmed addresses: there is nothing to ping. */
export class AddressConfirmedError extends PingError {
  override readonly code = 'ERR_PING_ADDRESS_CONFIRMED';
}
