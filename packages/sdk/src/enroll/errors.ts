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

/**
 * DNS names that cannot be certified for this account: none of the account's verifiable domains
 * covers them. Either the SDK found so before asking the CA (a name that is no host name under a
 * registrable domain, such as `localhost`, an IP address or a public suffix, or one outside the
 * `domains` the vendor named: `caCode` undefined, nothing sent), or the CA refused the request
 * with `name_not_allowed` naming them (a domain lapsed or removed meanwhile). The request and its
 * key are dropped, as for every refusal, so that the next call starts afresh with other names.
 */
export class NameNotAllowedError extends SdkError {
  override readonly code = 'ERR_SDK_NAME_NOT_ALLOWED';
  /** The names that cannot be certified, as the request (or the CA) named them. */
  readonly names: readonly string[];
  /** The CA's code (`name_not_allowed`) when the CA refused; undefined when the SDK decided before sending anything. */
  readonly caCode: string | undefined;
  /** HTTP status of the refusing answer, when the CA refused. */
  readonly status: number | undefined;

  constructor(message: string, details: { names: readonly string[]; caCode?: string; status?: number }, options?: { cause?: unknown }) {
    super(message, options);
    this.names = Object.freeze([...details.names]);
    this.caCode = details.caCode;
    this.status = details.status;
  }
}

/**
 * The CA refused to add a domain or to start its verification (`POST /api/domains`): not a domain
 * an account may hold (`invalid_domain`), another account holds it (`domain_taken`), the ping's
 * address is not an administrative one (`invalid_address`), the nonce was used
 * (`nonce_in_use`), its relay did not take the ping (`mail_not_sent`), or the token is
 * unknown (`unauthorized`), or the CA has no challenge to check (`no_challenge`, `unknown_domain`).
 */
export class DomainRefusedError extends SdkError {
  override readonly code = 'ERR_SDK_DOMAIN_REFUSED';
  /** The domain asked for, ASCII form. */
  readonly domain: string;
  /** The CA's code, e.g. `domain_taken`, `invalid_domain`, `invalid_address`. */
  readonly caCode: string;
  /** HTTP status of the refusing answer. */
  readonly status: number;

  constructor(message: string, details: { domain: string; caCode: string; status: number }) {
    super(message);
    this.domain = details.domain;
    this.caCode = details.caCode;
    this.status = details.status;
  }
}

/**
 * A domain was still unverified when the verification's time limit passed: the email ping was not
 * answered, or the CA's dns/http checks kept failing (`lastCheck` is what the CA saw the last
 * time: no record, HTTP 404, ...). The ping or challenge stays valid at the CA: call again.
 */
export class DomainUnverifiedError extends SdkError {
  override readonly code = 'ERR_SDK_DOMAIN_UNVERIFIED';
  /** The domain, ASCII form. */
  readonly domain: string;
  /** How it was to be verified. */
  readonly method: 'email' | 'dns' | 'http';
  /** The limit that passed, in ms. */
  readonly timeoutMs: number;
  /** The CA's message of the last failed dns/http check (`challenge_failed`), when there was one. */
  readonly lastCheck: string | undefined;

  constructor(message: string, details: { domain: string; method: 'email' | 'dns' | 'http'; timeoutMs: number; lastCheck?: string }) {
    super(message);
    this.domain = details.domain;
    this.method = details.method;
    this.timeoutMs = details.timeoutMs;
    this.lastCheck = details.lastCheck;
  }
}
