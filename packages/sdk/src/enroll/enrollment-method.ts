/**
 * Policy as an interface (certmagic's `Issuer` and `Revoker`): one {@link EnrollmentMethod} per
 * way of getting a certificate from a CA, covering the whole protocol: its account step, what the
 * request must carry, the verification of names where the protocol has one, submit, poll, find,
 * revoke, and the renewal window the CA advises. `enroll()` and `submit()` drive any of them the
 * same way.
 */
import type { KeyObject } from 'node:crypto';
import type { KeyType } from '@certwizard/pki';
import type { RevocationReasonName, RevocationStatus } from '@certwizard/protocol';
import type { CredentialStore } from '../credentials/credential-store.js';
import type { Clock } from '../registration/clock.js';
import type { MethodEvent } from './method-event.js';

/** What to certify: the request, and the names it was made for. */
export interface EnrollmentRequest {
  /** The PKCS #10 request, PEM (see `createKeyAndCsr`). */
  readonly csrPem: string;
  /**
   * The names the request was made for. Methods whose CA decides the names itself (the
   * CAcert-style API certifies one account address) use them to choose among the allowed ones.
   */
  readonly names?: { readonly dns?: readonly string[]; readonly email?: readonly string[] };
  /**
   * The request's private key, in memory only, for protocols whose requester signs its messages
   * with it or receives its answer encrypted to it (SCEP, RFC 8894 §2.3). `enroll()` passes the
   * key it keeps in its key file; a method must never write it anywhere (not its state, not an event).
   */
  readonly privateKey?: KeyObject;
  /**
   * For a renewal: the certificate being renewed (PEM) and its key, for protocols whose renewal
   * request is signed by them (SCEP RenewalReq, RFC 8894 §3.3.1.2). `enroll()` (through
   * `renew()`) passes the live pair.
   */
  readonly renewing?: { readonly certificatePem: string; readonly privateKey: KeyObject };
}

/** Options of one call of a method, when it is driven alone (`submit()`, a test). */
export interface EnrollmentCallOptions {
  /** Aborts the call and any wait inside it; the call rejects with the signal's reason. */
  readonly signal?: AbortSignal;
}

/**
 * What the SDK hands every call of a method. Every member is optional, so that a method can be
 * driven alone with `{ signal }`; `enroll()` fills them all in.
 *
 * @typeParam S - the method's own state (its slot in the state file).
 */
export interface MethodContext<S = unknown> extends EnrollmentCallOptions {
  /**
   * The method's state as its last account or verify step returned it: in memory within a run,
   * from the state file (through {@link EnrollmentMethod.parseState}) when a run resumes.
   */
  readonly state?: S;
  /**
   * Where the method keeps its secrets (tokens, account keys, a registration under way), never
   * in its state: the state file is not a secret store. `enroll()` passes its credential store.
   */
  readonly credentials?: CredentialStore;
  /** The `fetch` the caller wants used. An option given to the method's factory wins. */
  readonly fetch?: typeof fetch;
  /** The clock of the caller's waits. An option given to the method's factory wins. */
  readonly clock?: Clock;
  /** Progress, never a secret. What it throws must not break the call (`enroll()` passes one that never throws). */
  readonly onEvent?: (event: MethodEvent) => void;
  /**
   * The request a `poll` follows, with its key when the flow has one: what a protocol needs to
   * sign its poll (SCEP CertPoll, RFC 8894 §3.3.3). `enroll()` and `submit()` pass it.
   */
  readonly request?: EnrollmentRequest;
}

/** The context of {@link EnrollmentMethod.ensureAccount}: also the request and, required, the credential store. */
export interface AccountContext<S = unknown> extends MethodContext<S> {
  /**
   * The request the account is made for: it exists before the account, since some CAs take it
   * with the registration (the CAcert-style API issues it when the person confirms the address).
   */
  readonly request: EnrollmentRequest;
  readonly credentials: CredentialStore;
}

/** What {@link EnrollmentMethod.ensureAccount} established. */
export interface AccountOutcome<S> {
  /** The method's state after the account step: written to its slot in the state file, so public data only. */
  readonly state: S;
  /** The address the CA confirmed for a new account, when the protocol has one (`enroll()` returns it as `accountEmail`). */
  readonly accountEmail?: string;
}

/**
 * Attributes the request must carry (RFC 2986 §4.1, `attributes`), beyond the names. Only what
 * `@certwizard/pki`'s `createCsr` can encode: today the PKCS #9 challengePassword (RFC 2985
 * §5.4.1, e.g. a SCEP PIN).
 */
export interface CsrAttributes {
  /**
   * PKCS #9 challengePassword. A secret by nature, yet the request travels and is recorded in the
   * state file (0600, public data only): a method that needs one must make it one-time, as SCEP
   * challenges are, before it relies on this.
   */
  readonly challengePassword?: string;
}

/** When to renew a certificate, as its CA advises. */
export interface RenewalWindow {
  /** Renew from then on. */
  readonly start: Date;
  /** Renew before then. A window that ended already means: renew now (RFC 9773 §4.2). */
  readonly end: Date;
  /** How long to wait before asking the CA again, in ms (its `Retry-After`, held to 1 min..1 day), when it said. */
  readonly retryAfterMs?: number;
  /** A page for a person on why the window is what it is (RFC 9773 `explanationURL`), when the CA gave one. */
  readonly explanationUrl?: string;
}

/** The certificate a {@link EnrollmentMethod.renewalWindow} is asked about. */
export interface CertificateValidity {
  /** The certificate, PEM. */
  readonly certificatePem: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
}

/** A certificate the CA issued. */
export interface IssuedResult {
  readonly status: 'issued';
  /** The end-entity certificate, PEM. */
  readonly certificatePem: string;
  /** The CA certificates that chain it, PEM, the certificate not repeated (may be empty). */
  readonly chainPem: string;
  /** The CA's id of the request, when it has one. */
  readonly requestId?: string;
  /**
   * The certificate's one-time revocation secret, when the CA gave one (only in the answer that
   * issued it: a resent request's answer has none). Keep it as a private key is kept: it revokes
   * the certificate without the account (`revokeWithSecret`).
   */
  readonly revocationSecret?: string;
}

/** A request the CA stored and has not decided yet (e.g. it waits for a person's approval). */
export interface PendingRequest {
  readonly status: 'pending';
  /** The CA's id of the request, for {@link EnrollmentMethod.poll}. Not a secret by itself. */
  readonly requestId: string;
  /**
   * The future certificate's one-time revocation secret, when the CA gave one: it comes with the
   * answer that stored the request, never with a poll (a GET hands out nothing), so whoever keeps
   * the pending request keeps this too and gives it to the issued certificate.
   */
  readonly revocationSecret?: string;
  /** How long the CA asks to wait before the next poll (its `Retry-After`), in ms. */
  readonly retryAfterMs?: number;
}

/** The CA's final no. */
export interface RejectedResult {
  readonly status: 'rejected';
  /**
   * The CA's code: a documented wire error code (`csr_weak_key`, `authentication_failed`, ...),
   * or `rejected` / `discarded` for a pending request an approver refused or the owner discarded.
   */
  readonly caCode: string;
  /** Human text: the CA's message or the approver's reason. */
  readonly reason: string;
  /** HTTP status of the refusing answer, when it was an error answer. */
  readonly httpStatus?: number;
  /**
   * The DNS names the CA refused to certify for this account (none of its verified domains covers
   * them), when that was the refusal: `enroll()` then throws `ERR_SDK_NAME_NOT_ALLOWED` naming them.
   */
  readonly refusedNames?: readonly string[];
}

/** What a method's `submit` or `poll` learned. */
export type SubmitResult = IssuedResult | PendingRequest | RejectedResult;

/** Which certificate to revoke, and why: exactly one of `certificatePem` and `serialHex`. */
export interface RevocationRequest {
  /** The end-entity certificate, PEM; its serial number is read from it. */
  readonly certificatePem?: string;
  /** Or its serial number, hex, two digits per octet, either case (as `openssl x509 -serial` prints it). */
  readonly serialHex?: string;
  /**
   * Why, by its RFC 5280 §5.3.1 name: one a holder may give (`REVOCATION_REASONS` of
   * @certwizard/protocol). `keyCompromise` when the private key may be known to anyone else,
   * `superseded` for a certificate replaced by a new one, `cessationOfOperation` for a name no
   * longer served, `affiliationChanged` for a name that changed hands. Default `unspecified`
   * (the CRL entry then carries no reason code).
   */
  readonly reason?: RevocationReasonName;
}

/** What a method's `revoke` did. */
export interface RevocationResult {
  /** `revoked` now, or `already_revoked` before (its time and reason stay as they were). */
  readonly status: RevocationStatus;
  /** The serial number revoked, lower-case hex. */
  readonly serialHex: string;
}

/**
 * One way of getting a certificate: a whole protocol, as certmagic's `Issuer` (and `Revoker`).
 * Implementations: `cacertMethod` (the CAcert-style API: registration, email ping, `/api/ccsr.php`,
 * `GET /api/requests/:id`, `POST /api/crevoke.php`) and `sslApiMethod` (`PUT /api/csr/:client`,
 * `POST /api/csr/:client/revoke`); write your own for another CA.
 *
 * Contract: documented refusals of a request are results (`rejected`), not exceptions; a method
 * rejects its promise only for what is not the CA's decision: the network
 * (`ERR_SDK_CA_UNREACHABLE`), an answer outside the wire contract (`ERR_SDK_CA_PROTOCOL`), the
 * signal's reason, or a state it cannot read (`ERR_SDK_STATE_FILE`). The one exception is
 * {@link revoke}: a revocation has nothing to go on with after a no (no pending state to poll,
 * no new request to make), so the CA's no is `ERR_SDK_REVOKE_REFUSED`. Every step may run twice
 * (a run killed before its state was written runs it again): a step must be harmless to repeat,
 * asking the CA before changing it. Its state `S` is public, JSON-serialisable data; secrets go
 * to {@link MethodContext.credentials}.
 *
 * How `enroll()` drives it: `csrAttributes` when it makes the request, `ensureAccount` in the
 * `register` step, `verify` in `verify-email`, `find` then `submit` in `submit`, `poll` in
 * `await-issue`; before each of the last three, `hasAccount`. After `ensureAccount` and `verify`
 * it writes `{ name, version: stateVersion, state }` to the state file; a resumed run hands the
 * slot back through `parseState`.
 *
 * @typeParam S - the method's own state, opaque to `enroll()`.
 */
export interface EnrollmentMethod<S = unknown> {
  /**
   * Short name for events, messages and the state file's slot, e.g. `cacert`. A state file whose
   * slot names another method is refused (`ERR_SDK_STATE_MISMATCH`), so keep it stable.
   */
  readonly name: string;
  /**
   * Format version of the method's state (its slot's `version`), an integer from 1. Default 1.
   * Raise it when `S` changes shape; {@link parseState} then reads the older versions, and a state
   * file with a newer version than this is refused (`ERR_SDK_STATE_FILE`): an older SDK never
   * guesses at a newer one's state.
   */
  readonly stateVersion?: number;
  /**
   * The key type `enroll()` makes when its caller names none (its own default is `p256`): SCEP
   * needs RSA (`rsa2048`). Absent: the caller's choice or `enroll()`'s default.
   */
  readonly defaultKeyType?: KeyType;
  /**
   * Reads the method's state back from the state file: validates `state` (untrusted: the file may
   * have been edited) and migrates it from `version` (1 to {@link stateVersion}; 0 for a state file
   * of format 1, which kept no slot: `state` is then `{ csrSentWithRegistration?: boolean }`, what
   * that format recorded). Required when the method has {@link ensureAccount} or {@link verify};
   * without it the slot must hold `null`.
   * @throws {StateFileError} `ERR_SDK_STATE_FILE` for a state it cannot read.
   */
  parseState?(state: unknown, version: number): S;
  /**
   * The account step: makes sure the CA knows this installation and returns the method's state.
   * Harmless to repeat: an account that exists is reused, a registration under way is continued.
   * CAcert: the browser registration (`register()`), its ticket kept in the credential store to
   * resume on, the installation token stored before it returns. Absent for protocols without
   * accounts (ssl_api): the state is then `null`. (ACME: an account key and External Account
   * Binding; SCEP: the CA certificates and their pinned fingerprint.)
   */
  ensureAccount?(context: AccountContext<S>): Promise<AccountOutcome<S>>;
  /**
   * Whether the account the later steps need is still there (CAcert: the installation token is
   * still in the credential store). `false` sends `enroll()` back to the account step rather than
   * failing for good. Absent: always there.
   */
  hasAccount?(context: MethodContext<S>): Promise<boolean>;
  /**
   * Of `names` (a live certificate's), those the account can no longer have certified, asked of
   * the CA before a renewal makes its request, so that a name the account lost is left out
   * rather than verified again. CAcert: the addresses `GET /api/cemails.php` (the account's
   * confirmed addresses) no longer lists; DNS names are left to the CA's refusal
   * (`name_not_allowed`, `domain_taken`). Absent: the CA's refusals alone tell.
   * @throws {CaUnreachableError} `ERR_SDK_CA_UNREACHABLE`, `CaProtocolError` `ERR_SDK_CA_PROTOCOL`, `EnrollmentRejectedError` `ERR_SDK_ENROLL_REJECTED` when the CA refuses the question.
   */
  namesNoLongerAllowed?(names: { readonly email: readonly string[]; readonly dns: readonly string[] }, context: MethodContext<S>): Promise<readonly string[]>;
  /**
   * What the request must carry besides the names (see {@link CsrAttributes}), asked before the
   * request is made, hence without any state: only the method's own configuration may decide.
   * Absent (CAcert, ssl_api): nothing.
   */
  csrAttributes?(request: { readonly names: NonNullable<EnrollmentRequest['names']> }): CsrAttributes;
  /**
   * Proves control of the names to certify where the protocol asks for it, and returns the new
   * state. Harmless to repeat: names already verified cost a question to the CA. CAcert: each
   * address to certify is confirmed by an email ping (`verifyAddress()`), unless the request went
   * with the registration. Absent: nothing to verify.
   * @throws {AddressVerificationError} `ERR_SDK_ADDRESS_VERIFICATION`, {@link AddressVerificationTimeoutError} `ERR_SDK_ADDRESS_TIMEOUT` (CAcert).
   */
  verify?(request: EnrollmentRequest, context: MethodContext<S>): Promise<S>;
  /** Sends the request once. */
  submit(request: EnrollmentRequest, context?: MethodContext<S>): Promise<SubmitResult>;
  /** Asks once what became of a pending request. Absent for methods that never answer pending. */
  poll?(pending: PendingRequest, context?: MethodContext<S>): Promise<SubmitResult>;
  /**
   * Asks, without sending it, whether the CA already has this request (same DER) and what became
   * of it: `undefined` when it never received it. A resuming installer calls it before sending a
   * request it may or may not have sent. Absent for methods whose CA cannot be asked; such CAs
   * should answer a resent request from what they stored (the reference CA's ssl_api endpoint does).
   */
  find?(request: EnrollmentRequest, context?: MethodContext<S>): Promise<SubmitResult | undefined>;
  /**
   * The window the CA advises for renewing `certificate` (as ACME Renewal Information, RFC 9773,
   * does): the CAcert and ssl_api methods ask `GET /api/renewal-info/:certId` (no credentials).
   * `undefined` when the CA advises none (it answers 404: no such endpoint, or it does not know
   * the certificate); a caller then uses its own rule and says it is its own. `renew()` and
   * `renewDue()` call it to find when a certificate is due.
   * @throws {CaProtocolError} `ERR_SDK_CA_PROTOCOL` for an answer that is not a window.
   * @throws {CaUnreachableError} `ERR_SDK_CA_UNREACHABLE` when the CA could not be reached.
   */
  renewalWindow?(certificate: CertificateValidity, context?: MethodContext<S>): Promise<RenewalWindow | undefined>;
  /**
   * Revokes one of the holder's certificates at the CA, by the certificate or its serial, for a
   * reason a holder may give (RFC 5280 §5.3.1, see {@link RevocationRequest}); the CA's next CRL
   * lists it. Harmless to repeat: a certificate revoked before answers `already_revoked`, its
   * time and reason unchanged. It touches no file: moving an installed certificate aside is the
   * caller's (issue 14's `revoke()`). CAcert: `POST /api/crevoke.php` with the installation
   * token (absent with fixed password credentials: the endpoint takes no password); ssl_api:
   * `POST /api/csr/:client/revoke`. Absent for a CA that cannot revoke over its API. Nothing in
   * `enroll()` calls it.
   * @throws {TypeError} for a request without exactly one of certificate and serial, or with a reason outside the list (nothing is sent).
   * @throws {RevocationRefusedError} `ERR_SDK_REVOKE_REFUSED` with the CA's `caCode`: `unknown_certificate` (no such certificate of this holder; another holder's counts as none), `authentication_failed`, `invalid_serial`, `invalid_reason`.
   */
  revoke?(request: RevocationRequest, context?: MethodContext<S>): Promise<RevocationResult>;
}
