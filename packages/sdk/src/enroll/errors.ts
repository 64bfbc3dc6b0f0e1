/**
 * Typed errors of enrollment (`submit()`) and of a method's `revoke`. Codes are API: added, never
 * renamed. Messages never hold a secret (password, installation token, private key).
 *
 * @packageDocumentation
 */
import { SdkError } from '../errors.js';

/**
 * The CA refused the request: a documented refusal of the CSR or the credentials, or an
 * approver's rejection (or the owner's discard) of a request that was pending.
 */
export class EnrollmentRejectedError extends SdkError {
  override readonly code = 'ERR_SDK_ENROLL_REJECTED';
  /** The CA's code, e.g. `csr_weak_key`, `authentication_failed`, `rejected`, `discarded`. */
  readonly caCode: string;
  /** Human text of the refusal: the CA's message or the approver's reason. */
  readonly reason: string;
  /** HTTP status of the refusing answer, when the refusal was an error answer. */
  readonly status: number | undefined;

  constructor(message: string, details: { caCode: string; reason: string; status?: number }) {
    super(message);
    this.caCode = details.caCode;
    this.reason = details.reason;
    this.status = details.status;
  }
}

/** The request was still pending when `timeoutMs` passed. */
export class EnrollmentTimeoutError extends SdkError {
  override readonly code = 'ERR_SDK_ENROLL_TIMEOUT';
  /** The limit that passed, in milliseconds. */
  readonly timeoutMs: number;
  /** Id of the request that is still pending at the CA (poll it later), when there is one. */
  readonly requestId: string | undefined;

  constructor(message: string, timeoutMs: number, requestId?: string) {
    super(message);
    this.timeoutMs = timeoutMs;
    this.requestId = requestId;
  }
}

/** The CA refused to ping an address (`POST /api/addresses`): a bad address, a revoked token, too many pings. */
export class AddressVerificationError extends SdkError {
  override readonly code = 'ERR_SDK_ADDRESS_VERIFICATION';
  /** The CA's code, e.g. `invalid_request`, `unauthorized`, `too_many_requests`. */
  readonly caCode: string;
  /** HTTP status of the refusing answer. */
  readonly status: number;

  constructor(message: string, caCode: string, status: number) {
    super(message);
    this.caCode = caCode;
    this.status = status;
  }
}

/** The address was still unconfirmed when the time limit passed; the ping may still be answered later. */
export class AddressVerificationTimeoutError extends SdkError {
  override readonly code = 'ERR_SDK_ADDRESS_TIMEOUT';
  /** The address that waits for its confirmation. */
  readonly address: string;

  constructor(message: string, address: string) {
    super(message);
    this.address = address;
  }
}

/**
 * The CA refused to revoke a certificate (a method's `revoke`): it has no certificate with this
 * serial for this holder (`unknown_certificate`: another holder's counts as none), the
 * credentials did not check out (`authentication_failed`), or it refused the serial or reason
 * (`invalid_serial`, `invalid_reason`). Nothing was changed at the CA.
 */
export class RevocationRefusedError extends SdkError {
  override readonly code = 'ERR_SDK_REVOKE_REFUSED';
  /** The CA's code, e.g. `unknown_certificate`, `authentication_failed`, `invalid_reason`. */
  readonly caCode: string;
  /** HTTP status of the refusing answer. */
  readonly status: number;
  /** The serial the revocation was asked for, lower-case hex. */
  readonly serialHex: string;

  constructor(message: string, details: { caCode: string; status: number; serialHex: string }) {
    super(message);
    this.caCode = details.caCode;
    this.status = details.status;
    this.serialHex = details.serialHex;
  }
}
