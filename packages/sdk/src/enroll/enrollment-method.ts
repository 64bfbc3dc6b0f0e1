/**
 * Policy as an interface (certmagic's `Issuer`): one {@link EnrollmentMethod} per way of asking a
 * CA for a certificate; `submit()` drives any of them the same way.
 */

/** What to certify: the request, and the names it was made for. */
export interface EnrollmentRequest {
  /** The PKCS #10 request, PEM (see `createKeyAndCsr`). */
  readonly csrPem: string;
  /**
   * The names the request was made for. Methods whose CA decides the names itself (the
   * CAcert-style API certifies one account address) use them to choose among the allowed ones.
   */
  readonly names?: { readonly dns?: readonly string[]; readonly email?: readonly string[] };
}

/** Options of one call of a method. */
export interface EnrollmentCallOptions {
  /** Aborts the call and any wait inside it; the call rejects with the signal's reason. */
  readonly signal?: AbortSignal;
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
}

/** A request the CA stored and has not decided yet (e.g. it waits for a person's approval). */
export interface PendingRequest {
  readonly status: 'pending';
  /** The CA's id of the request, for {@link EnrollmentMethod.poll}. Not a secret by itself. */
  readonly requestId: string;
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
}

/** What a method's `submit` or `poll` learned. */
export type SubmitResult = IssuedResult | PendingRequest | RejectedResult;

/**
 * One way of getting a certificate for a CSR. Implementations: `sslApiMethod` (`PUT
 * /api/csr/:client`) and `cacertMethod` (`/api/ccsr.php` and `GET /api/requests/:id`).
 *
 * Contract: documented refusals are results (`rejected`), not exceptions; a method rejects its
 * promise only for what is not the CA's decision: the network (`ERR_SDK_CA_UNREACHABLE`), an
 * answer outside the wire contract (`ERR_SDK_CA_PROTOCOL`), or the signal's reason.
 */
export interface EnrollmentMethod {
  /** Short name for events and messages, e.g. `ssl-api`. */
  readonly name: string;
  /** Sends the request once. */
  submit(request: EnrollmentRequest, options?: EnrollmentCallOptions): Promise<SubmitResult>;
  /** Asks once what became of a pending request. Absent for methods that never answer pending. */
  poll?(pending: PendingRequest, options?: EnrollmentCallOptions): Promise<SubmitResult>;
  /**
   * Asks, without sending it, whether the CA already has this request (same DER) and what became
   * of it: `undefined` when it never received it. A resuming installer calls it before sending a
   * request it may or may not have sent. Absent for methods whose CA cannot be asked; such CAs
   * should answer a resent request from what they stored (the reference CA's ssl_api endpoint does).
   */
  find?(request: EnrollmentRequest, options?: EnrollmentCallOptions): Promise<SubmitResult | undefined>;
}
