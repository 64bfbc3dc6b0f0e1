/**
 * What a protocol brings to the request service: its policy for a new request, as a strategy
 * object (certmagic's `Issuer`, micromdm/scep's CSR signer chain) rather than flags on the
 * service. Implementations: `sslApiPolicy` (issue what the request names; the hooks decide),
 * `emailCertificatePolicy` (ccsr: issue for a password, hold for the owner for an installation
 * token), `serverCertificatePolicy` (hold for an operator), `enrollmentSecretPolicy` (issue,
 * spending a one-time secret) and `registrationPolicy` (hold until the address is confirmed).
 */
import type { CertificateRequest } from '@certwizard/pki';
import type { DecidedProfile, RequestApprover } from '../store/certificate-requests.js';
import type { RequestRefusal } from './refusal.js';

/** What a policy decided for one request. */
export type Decision =
  /**
   * Sign now. With a profile, the CA certifies the profile and the request contributes its key;
   * without one, the request's own names are certified (ssl_api semantics; the hooks decide).
   */
  | { readonly action: 'issue'; readonly profile?: DecidedProfile }
  /** Store it as pending until `approver` decides (`RequestService.approve` / `reject` / `discard`). */
  | { readonly action: 'hold'; readonly approver: RequestApprover; readonly profile: DecidedProfile };

/** A credential used up by the issuance it allows (a one-time enrollment secret). */
export interface OneTimeCredential {
  /** Uses it up, right before signing; `false` when it is gone (used or expired meanwhile). */
  take(): Promise<boolean>;
  /** Makes it usable again: called when nothing was issued after all. */
  giveBack(): Promise<void>;
}

/**
 * One protocol's policy for new requests.
 *
 * Contract: `decide` returns a refusal as a value and never throws for a request it does not
 * like; it only reads. Anything it throws is the CA's own failure.
 */
export interface SubmissionPolicy {
  /** Short name for logs: `ssl_api`, `ccsr`, `server`, `enrollment_secret`, `registration`. */
  readonly name: string;
  /** Decides for a parsed request whose self-signature verified. */
  decide(csr: CertificateRequest): Decision | RequestRefusal;
  /**
   * Whether the same request sent again by the same requester is answered from what the CA
   * already has (docs/protocol.md, "Replays") instead of becoming a second request. It is a
   * promise of the protocol's wire contract, so each protocol states it.
   */
  readonly answersReplays: boolean;
  /** Used up right before signing; when it is gone the request is refused `unauthenticated`. */
  readonly spends?: OneTimeCredential;
}
