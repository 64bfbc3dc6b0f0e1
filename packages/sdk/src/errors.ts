/**
 * Typed errors of the SDK. Every error carries a stable `code`; codes are API: they are added,
 * never renamed. Messages never contain a secret (PKCE verifier, one-time code, installation
 * token) nor the registration URL, which holds the agent's secret path and the ticket.
 *
 * @packageDocumentation
 */
import type { RegistrationErrorReason } from '@certwizard/protocol';
import type { SdkErrorCode } from './error-codes.js';

/**
 * Base class of every error the SDK rejects a promise with (caller misuse is a `TypeError`); the
 * one exception is `ERR_AGENT_LISTEN`, which `register()` passes through from `@certwizard/agent`.
 * `isSdkError()` recognises both and narrows by code.
 */
export class SdkError extends Error {
  /**
   * Stable machine-readable code, e.g. `ERR_SDK_REGISTRATION_TIMEOUT`: one of `SDK_ERROR_CODES`
   * (a subclass with another code does not compile). Narrow to the class with `isSdkError()`.
   */
  readonly code: SdkErrorCode = 'ERR_SDK';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Which way the outcome of a registration arrived. */
export type RegistrationChannel = 'callback' | 'ticket';

/**
 * The CA reports that the registration failed or was cancelled: through the agent's `error`
 * callback, or an `isitdone` answer with status `error`.
 */
export class RegistrationRefusedError extends SdkError {
  override readonly code = 'ERR_SDK_REGISTRATION_REFUSED';
  /**
   * The CA's reason code (see `REGISTRATION_ERROR_REASONS` in `@certwizard/protocol`), or
   * `undefined` when the error callback carried no documented one.
   */
  readonly reason: RegistrationErrorReason | undefined;
  /** Where the refusal came from. */
  readonly via: RegistrationChannel;

  constructor(message: string, reason: RegistrationErrorReason | undefined, via: RegistrationChannel) {
    super(message);
    this.reason = reason;
    this.via = via;
  }
}

/** The registration did not finish within `timeoutMs`. */
export class RegistrationTimeoutError extends SdkError {
  override readonly code = 'ERR_SDK_REGISTRATION_TIMEOUT';
  /** The limit that passed, in milliseconds. */
  readonly timeoutMs: number;

  constructor(message: string, timeoutMs: number) {
    super(message);
    this.timeoutMs = timeoutMs;
  }
}

/** The CA answers that the ticket's lifetime is over (`isitdone` status `expired`). */
export class TicketExpiredError extends SdkError {
  override readonly code = 'ERR_SDK_TICKET_EXPIRED';
}

/**
 * The caller's `AbortSignal` was aborted; `cause` is the signal's reason. The one aborted error
 * of the SDK, whichever operation was stopped (`register()`, `submit()`, `verifyAddress()`,
 * `enroll()`, `install()`); `InstallAbortedError` is another name for this same class.
 */
export class RegistrationAbortedError extends SdkError {
  override readonly code = 'ERR_SDK_ABORTED';
}

/** The CA's token endpoint refused the one-time code (e.g. `invalid_grant`). */
export class RedemptionRefusedError extends SdkError {
  override readonly code = 'ERR_SDK_REDEMPTION_REFUSED';
  /** The CA's error code (see `WIZARD_TOKEN_ERRORS` in `@certwizard/protocol`), e.g. `invalid_grant`. */
  readonly caCode: string;
  /** HTTP status of the CA's answer. */
  readonly status: number;

  constructor(message: string, caCode: string, status: number, options?: { cause?: unknown }) {
    super(message, options);
    this.caCode = caCode;
    this.status = status;
  }
}

/**
 * The CA could not be reached: network failures (or 502/504 answers) on every one of the bounded
 * attempts of one request. `cause` is the last failure.
 */
export class CaUnreachableError extends SdkError {
  override readonly code = 'ERR_SDK_CA_UNREACHABLE';
  /** How many attempts were made. */
  readonly attempts: number;
  /**
   * Which of the CA's endpoints did not answer (`isitdone`, `ccsr.php`, ...), for logs and
   * support; the message names only the CA's origin, for people.
   */
  readonly endpoint: string | undefined;

  constructor(message: string, attempts: number, options?: { cause?: unknown; endpoint?: string }) {
    super(message, options);
    this.attempts = attempts;
    this.endpoint = options?.endpoint;
  }
}

/**
 * The CA answered something outside the wire contract: a malformed body, an unexpected HTTP
 * status, an unknown ticket, a success without the PKCE code. `cause` is the decoder's error.
 */
export class CaProtocolError extends SdkError {
  override readonly code = 'ERR_SDK_CA_PROTOCOL';
  /** HTTP status of the offending answer, when there was one. */
  readonly status: number | undefined;

  constructor(message: string, status?: number, options?: { cause?: unknown }) {
    super(message, options);
    this.status = status;
  }
}
