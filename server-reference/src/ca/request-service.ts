/**
 * The CA's request lifecycle, one place for every protocol: decide, then hold or issue, record,
 * and answer a resent request from what is recorded. Every front end (ssl_api, the CAcert-style
 * API, the registration form, the account and operator pages; later ACME and SCEP) decodes its
 * wire, calls this service, and encodes what it returns; what differs between protocols comes
 * in as a {@link SubmissionPolicy}.
 *
 * ```text
 * submit:  parse -> policy.decide -+- refusal -----------------------------------> refused
 *                                  +- the same request, still standing -----------> its answer again
 *                                  +- hold(approver) -> store pending -> notice --> pending
 *                                  +- issue -> [spend] -> sign + store -> record --> issued
 * approve: pending -> approved -> issued   (back to pending when signing is refused or fails)
 * reject:  pending -> rejected (with the approver's reason)     discard: pending -> discarded
 * revoke:  valid -> revoked; the next CRL lists it
 * ```
 *
 * Invariants, each enforced where it is cheapest to keep:
 * - a refusal stores nothing (every check runs before the first write; a one-time credential
 *   taken before signing is given back when nothing was signed);
 * - one request, one certificate: a resent request is answered from what is stored when its
 *   policy says so. For ssl_api the check runs again in the transaction that saves the
 *   certificate, where racing copies meet; for an account's request it runs before the request
 *   is stored, so two copies arriving at the same instant can still both be stored (not yet closed);
 * - a certificate is saved, with the request it answers, in one transaction before it is
 *   returned (reserve serial -> sign -> save, `issuance.ts`);
 * - a pending request is decided once: every decision is a state change guarded by the state
 *   it leaves (`pending -> approved` claims it), so two clicks or two approvers cannot both act.
 *
 * Contract: refusals are results, not exceptions. Every method returns the CA's no as a
 * {@link RequestRefusal} (or, for decisions on stored requests, `not_pending`) and leaves the
 * store as it was; it throws only for the CA's own failures (its store, a hook that threw, a
 * serial number already taken), which the protocols answer as their internal error.
 */
import { type CertificateRequest, parseCsr, type RevocationReason } from '@certwizard/pki';
import type { RequestSource } from '@certwizard/protocol';
import { RefusedError } from '../errors.js';
import type { Logger } from '../log.js';
import {
  type CertificateRequestRecord,
  type CertificateRequestRepository,
  type DecidedProfile,
  describeCsr,
  newRequestId,
  type RequestStatus,
} from '../store/certificate-requests.js';
import type { CertificateRepository, IssuedRequest, StoredCertificate } from '../store/certificate-store.js';
import type { CertificateAuthority, IssuedCertificate } from './authority.js';
import { isRefusal, refusalOfPkiError, refuse, type RequestRefusal } from './refusal.js';
import type { Decider, RequestNotices } from './request-notices.js';
import type { Decision, SubmissionPolicy } from './submission-policy.js';
import { loggedRequester } from './logged-requester.js';
import type { RevocationSecrets } from './revocation-secrets.js';

export type { Decider } from './request-notices.js';

/** Longest reason an approver may give for a rejection, in characters (the column allows 500). */
export const REJECT_REASON_MAX = 500;

/**
 * Who sends a request: an ssl_api client (its `:client` hash; the CA keeps no request record,
 * only the certificate with the client as requester), or an account through one of its
 * channels (the request is recorded with its source, and its id answers status queries).
 */
export type Requester =
  | { readonly client: string }
  | {
      /** `undefined` only for a SCEP request to the CA's own `/scep` (source `scep`): recorded without an account. */
      readonly accountId: number | undefined;
      readonly source: RequestSource;
      readonly installationTokenId?: number;
    };

/** A {@link Requester} whose request is recorded (an account's, or an account-less SCEP request). */
export type AccountRequester = Exclude<Requester, { readonly client: string }>;

/** A certificate the service issued, now or earlier. */
export interface IssuedOutcome {
  readonly status: 'issued';
  /** The recorded request's id; absent for an ssl_api client. */
  readonly requestId?: string;
  readonly serialHex: string;
  /** The end-entity certificate, PEM. */
  readonly certificatePem: string;
  /** The end-entity certificate followed by the CA certificate, PEM. */
  readonly chainPem: string;
  /** True when this answers a resent request with what was issued for it before. */
  readonly replayed: boolean;
  /** The certificate's one-time revocation secret: only when issued now (not on a replay) and the CA gives them. */
  readonly revocationSecret?: string;
}

/** A request stored to wait for its approver. */
export interface PendingOutcome {
  readonly status: 'pending';
  readonly requestId: string;
  /** True when this answers a resent request that was already waiting. */
  readonly replayed: boolean;
  /** The future certificate's one-time revocation secret: only when stored now (not on a replay) and the CA gives them. */
  readonly revocationSecret?: string;
}

/** What {@link RequestService.submit} returns. */
export type SubmitOutcome = IssuedOutcome | PendingOutcome | RequestRefusal;

/**
 * A decision on a request that is not pending for this decider: unknown, another account's,
 * waiting for another approver, already decided, or being approved by a concurrent click.
 * Told apart from nothing, so that no one learns about requests that are not theirs.
 */
export interface NotPending {
  readonly status: 'not_pending';
}

/** What {@link RequestService.approve} returns. */
export type ApproveOutcome =
  { readonly status: 'issued'; readonly record: CertificateRequestRecord; readonly serialHex: string; readonly chainPem: string } | NotPending | RequestRefusal;

/** What {@link RequestService.reject} returns; `reason_invalid` for an empty or too long reason. */
export type RejectOutcome = { readonly status: 'rejected'; readonly record: CertificateRequestRecord } | NotPending | { readonly status: 'reason_invalid' };

/** What {@link RequestService.discard} returns. */
export type DiscardOutcome = { readonly status: 'discarded'; readonly record: CertificateRequestRecord } | NotPending;

/**
 * What {@link RequestService.revoke} returns; `not_found` also for another holder's certificate.
 * A revoked certificate comes with its revocation's time and reason: now, or the first
 * revocation's for `already_revoked` (a second revocation changes neither).
 */
export type RevokeOutcome =
  | { readonly status: 'revoked' | 'already_revoked'; readonly revokedAt: Date; readonly reason: string; readonly certificate: StoredCertificate }
  | { readonly status: 'not_found' };

/**
 * Whose certificate: an account's (issued through any of its channels: the owner, with the
 * account's password or session), the certificates one installation of the account requested
 * (with its installation token: not its sibling installations'), or an ssl_api client's.
 */
export type CertificateHolder =
  { readonly accountId: number } | { readonly accountId: number; readonly installationTokenId: number } | { readonly client: string };

/** Who revokes, for the log line (never a secret): the holder's channel, an operator, the names-lost hook. */
export type RevokedBy =
  | { readonly via: 'holder' | 'proof_of_possession' | 'revocation_secret' | 'names_lost_hook' }
  | { readonly via: 'owner'; readonly accountId: number }
  | { readonly via: 'operator'; readonly operatorId: number };

/**
 * A recorded request as its requester sees it: `approved` lasts only while the certificate is
 * being signed, so it shows as `pending`.
 */
export type RequestView =
  | { readonly status: 'pending' | 'discarded'; readonly record: CertificateRequestRecord }
  | { readonly status: 'rejected'; readonly record: CertificateRequestRecord; readonly reason: string }
  | {
      readonly status: 'issued';
      readonly record: CertificateRequestRecord;
      /** The certificate, PEM. */
      readonly certificatePem: string;
      /** The CA certificate that chains it, PEM (the certificate not repeated). */
      readonly caCertificatePem: string;
    };

/** Options of {@link RequestService}. */
export interface RequestServiceOptions {
  /** The signing core (parse, hooks, sign and store). */
  readonly ca: CertificateAuthority;
  readonly requests: CertificateRequestRepository;
  readonly certificates: CertificateRepository;
  readonly logger: Logger;
  /** Told about held and decided requests (mails to the owner); none by default. */
  readonly notices?: RequestNotices;
  /** Clock in ms since the epoch (whether an earlier certificate is still unexpired). Default `Date.now`. */
  readonly now?: () => number;
  /** When given, every new request (issued or held) gets a one-time revocation secret in its answer. */
  readonly revocationSecrets?: RevocationSecrets;
}

/** Options of one {@link RequestService.submit}. */
export interface SubmitOptions {
  /** Aborted when the client goes away; passed on to the hooks. Signing already begun finishes. */
  readonly signal?: AbortSignal;
}

/** How many of an account's certificates its page lists, newest first. */
export const ACCOUNT_CERTIFICATES_SHOWN = 100;

/** The requester recorded with certificates issued to an account (and passed to the hooks as the client). */
export function accountRequester(accountId: number): string {
  return `account:${accountId}`;
}

/**
 * The requester recorded with certificates of SCEP requests that belong to no account (sent to
 * `/scep` with an operator's PIN or approved by one). The colon keeps it apart from every ssl_api
 * client (letters and digits only), who could otherwise revoke or replay these certificates.
 */
export const SCEP_REQUESTER = 'scep:no-account';

/** The requester recorded with the certificate of a request record: its account's, or {@link SCEP_REQUESTER} for an account-less SCEP request. */
export function recordRequester(accountId: number | undefined): string {
  return accountId === undefined ? SCEP_REQUESTER : accountRequester(accountId);
}

/** The status a requester sees for a stored status (see {@link RequestView}). */
export function visibleStatus(status: RequestStatus): 'pending' | 'issued' | 'rejected' | 'discarded' {
  return status === 'approved' ? 'pending' : status;
}

/**
 * The request service. One per CA, built in main.ts; stateless itself (everything lives in the
 * stores), so concurrent calls are safe as far as the stores' guarded state changes make them.
 * @example
 * const service = new RequestService({ ca, requests, certificates, logger });
 * const outcome = await service.submit(pem, { accountId, source: 'ccsr' }, emailCertificatePolicy(account, confirmed, fields, 'password'));
 * if (isRefusal(outcome)) console.log(outcome.reason);
 */
export class RequestService {
  readonly #o: RequestServiceOptions;
  readonly #now: () => number;

  constructor(options: RequestServiceOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
  }

  /**
   * Takes a new request: parses and verifies it, lets the policy decide, then answers a resent
   * request from what is stored (when the policy answers replays), stores it as pending, or
   * issues it and records it.
   * @param csr - the request, PEM or DER.
   * @returns the outcome; a refusal for a request the CA will not take (nothing is stored):
   *   the request's own faults (`malformed_request`, `weak_key`, ...), the policy's
   *   (`name_not_allowed`, `names_unsuitable`, ...), the authorize hook's `policy_refused`, and
   *   `unauthenticated` when the policy's one-time credential was used up meanwhile.
   * @throws {TypeError} when a policy holds a request of an ssl_api client (which has no record),
   *   or issues an account's request without a profile (records carry one).
   * @throws {SerialNumberError} `ERR_CA_SERIAL`, and whatever a hook or the store throws.
   */
  async submit(
    csr: string | Uint8Array,
    requester: { readonly client: string },
    policy: SubmissionPolicy,
    options?: SubmitOptions,
  ): Promise<IssuedOutcome | RequestRefusal>;
  async submit(csr: string | Uint8Array, requester: Requester, policy: SubmissionPolicy, options?: SubmitOptions): Promise<SubmitOutcome>;
  async submit(csr: string | Uint8Array, requester: Requester, policy: SubmissionPolicy, options: SubmitOptions = {}): Promise<SubmitOutcome> {
    let parsed: CertificateRequest;
    try {
      parsed = parseCsr(csr);
    } catch (err) {
      return refusalOr(err);
    }
    const decision = policy.decide(parsed);
    if (isRefusal(decision)) return decision;
    if ('client' in requester) {
      if (decision.action === 'hold') throw new TypeError(`policy ${policy.name} holds a request of an ssl_api client, which has no record to hold`);
      // Replays of a client are looked up inside the signing transaction (CertificateStore.issue),
      // after the authorize hook, where copies of one request racing each other meet.
      return this.#issueNew(parsed, requester, decision, policy, options.signal);
    }
    if (decision.profile === undefined) {
      throw new TypeError(`policy ${policy.name} decided no profile for an account's request, which is recorded with one`);
    }
    if (policy.answersReplays && requester.accountId !== undefined) {
      const earlier = await this.replay(requester, parsed.fingerprintSha256, decision.profile);
      if (earlier !== undefined) return earlier;
    }
    if (decision.action === 'hold') return this.#hold(parsed, requester, decision, policy);
    return this.#issueNew(parsed, requester, decision, policy, options.signal);
  }

  /**
   * What the CA already has for this request (SHA-256 of its DER) from this requester: for an
   * account, a request for the same profile that still stands (pending, or issued with a
   * certificate that is valid and unexpired); for an ssl_api client, a valid, unexpired
   * certificate signed for it. A discarded or rejected request, or a revoked or expired
   * certificate, is no replay: the request would be taken as new. Reads only.
   * @param profile - for an account, the profile decided for the resent request.
   * @example
   * await service.replay({ accountId: 1, source: 'ccsr' }, csr.fingerprintSha256, profile); // { status: 'pending', requestId, replayed: true }
   */
  async replay(requester: Requester, fingerprintSha256: string, profile?: DecidedProfile): Promise<IssuedOutcome | PendingOutcome | undefined> {
    const { certificates, requests, logger } = this.#o;
    if ('client' in requester) {
      const earlier = await certificates.findReplay(requester.client, fingerprintSha256);
      return earlier === undefined ? undefined : this.#issuedOutcome(earlier, undefined, true);
    }
    if (requester.accountId === undefined) return undefined;
    const wanted = JSON.stringify(profile);
    for (const record of await requests.withFingerprint(requester.accountId, fingerprintSha256)) {
      if (JSON.stringify(record.profile) !== wanted) continue;
      let answer: IssuedOutcome | PendingOutcome | undefined;
      if (record.status === 'pending' || record.status === 'approved') {
        answer = { status: 'pending', requestId: record.id, replayed: true };
      } else if (record.status === 'issued' && record.certificateSerial !== undefined) {
        const certificate = await certificates.get(record.certificateSerial);
        if (certificate?.status === 'valid' && certificate.notAfter.getTime() > this.#now()) answer = this.#issuedOutcome(certificate, record.id, true);
      }
      if (answer !== undefined) {
        logger.info('certificate request replayed', { accountId: requester.accountId, requestId: record.id });
        return answer;
      }
    }
    return undefined;
  }

  /**
   * Approves a pending request and issues its certificate through the signing core (hooks
   * included) with the profile decided when it was stored.
   * @param by - the owner (account id) or an operator (operator id); a request waiting for the
   *   other kind of approver counts as none, so an owner cannot approve what waits for an operator.
   * @returns `issued`; `not_pending`; or a refusal (the authorize hook's `policy_refused`, or the
   *   request's faults under a stricter key policy), and the request is pending again.
   * @throws whatever signing throws; the request is then pending again.
   * @example
   * const outcome = await service.approve(requestId, { owner: session.accountId });
   */
  async approve(id: string, by: Decider): Promise<ApproveOutcome> {
    const { requests, logger } = this.#o;
    const record = await this.#pendingFor(id, by);
    if (record === undefined || !(await requests.transition(record.accountId, id, 'pending', 'approved'))) return NOT_PENDING;
    let issued: IssuedCertificate | RequestRefusal;
    try {
      // Saved with the certificate, in one transaction: approved -> issued.
      issued = await this.#sign(record.csrPem, recordRequester(record.accountId), { profile: record.profile, record: { markIssued: id } });
    } catch (err) {
      await requests.transition(record.accountId, id, 'approved', 'pending');
      throw err;
    }
    if (isRefusal(issued)) {
      await requests.transition(record.accountId, id, 'approved', 'pending');
      logger.info('pending request refused at approval; it stays pending', { accountId: record.accountId, requestId: id, reason: issued.reason });
      return issued;
    }
    logger.info('pending request approved', { accountId: record.accountId, requestId: id, ...deciderFields(by), serial: issued.serialHex });
    await this.#notice(() => this.#o.notices?.decided?.(record, { kind: 'approved', by }), record);
    return { status: 'issued', record, serialHex: issued.serialHex, chainPem: issued.chainPem };
  }

  /**
   * Rejects a pending request with a reason its requester sees (`GET /api/requests/:id`).
   * @param reason - 1 to {@link REJECT_REASON_MAX} characters once trimmed.
   * @returns `rejected`; `not_pending` (checked first); `reason_invalid`.
   * @example
   * await service.reject(requestId, { operator: operatorId }, 'example.org is not yours');
   */
  async reject(id: string, by: Decider, reason: string): Promise<RejectOutcome> {
    const record = await this.#pendingFor(id, by);
    if (record === undefined) return NOT_PENDING;
    const trimmed = reason.trim();
    if (trimmed.length === 0 || trimmed.length > REJECT_REASON_MAX) return { status: 'reason_invalid' };
    if (!(await this.#o.requests.transition(record.accountId, id, 'pending', 'rejected', trimmed))) return NOT_PENDING;
    this.#o.logger.info('pending request rejected', { accountId: record.accountId, requestId: id, ...deciderFields(by) });
    await this.#notice(() => this.#o.notices?.decided?.(record, { kind: 'rejected', by, reason: trimmed }), record);
    return { status: 'rejected', record };
  }

  /**
   * Withdraws a pending request without a certificate (the owner's Discard).
   * @returns `discarded` or `not_pending`.
   * @example
   * await service.discard(requestId, { owner: session.accountId });
   */
  async discard(id: string, by: Decider): Promise<DiscardOutcome> {
    const record = await this.#pendingFor(id, by);
    if (record === undefined || !(await this.#o.requests.transition(record.accountId, id, 'pending', 'discarded'))) return NOT_PENDING;
    this.#o.logger.info('pending request discarded', { accountId: record.accountId, requestId: id, ...deciderFields(by) });
    await this.#notice(() => this.#o.notices?.decided?.(record, { kind: 'discarded', by }), record);
    return { status: 'discarded', record };
  }

  /**
   * Revokes a certificate (RFC 5280 §5.3.1 reasons); the next CRL lists it, and a resent request
   * is no longer answered with it. One guarded statement: of two revocations, only the first
   * sets the time and reason, and both answer them.
   * @param serialHex - the serial, hex (either case).
   * @param options - `holder`: revoke only a certificate issued to this account, installation
   *   or client (an operator, proof of possession and a revocation secret pass none); `reason`:
   *   for the CRL entry; `by`: who, for the log line.
   * @example
   * await service.revoke('1234abcd', { holder: { accountId: 1 }, reason: 'keyCompromise' }); // { status: 'revoked', revokedAt, reason, certificate }
   */
  async revoke(serialHex: string, options: { holder?: CertificateHolder; reason?: RevocationReason; by?: RevokedBy } = {}): Promise<RevokeOutcome> {
    const serial = serialHex.toLowerCase();
    if (!/^[0-9a-f]{2,40}$/.test(serial)) return { status: 'not_found' };
    const holder = options.holder;
    const requester = holder === undefined ? undefined : 'client' in holder ? holder.client : accountRequester(holder.accountId);
    const status = await this.#o.certificates.revoke(serial, {
      ...(requester !== undefined ? { requester } : {}),
      ...(holder !== undefined && 'installationTokenId' in holder ? { installationTokenId: holder.installationTokenId } : {}),
      ...(options.reason !== undefined ? { reason: options.reason } : {}),
    });
    if (status === 'not_found') return { status };
    const certificate = await this.#o.certificates.get(serial);
    if (certificate?.revokedAt === undefined) throw new Error(`certificate ${serial} is not recorded as revoked after its revocation`);
    if (status === 'revoked') {
      this.#o.ca.invalidateCrl();
      this.#o.logger.info('certificate revoked', {
        serial,
        ...(requester !== undefined ? { requester: loggedRequester(requester) } : {}),
        ...(holder !== undefined && 'installationTokenId' in holder ? { installationId: holder.installationTokenId } : {}),
        ...byFields(options.by),
        reason: options.reason ?? 'unspecified',
      });
    }
    return { status, revokedAt: certificate.revokedAt, reason: certificate.revocationReason ?? 'unspecified', certificate };
  }

  /**
   * Revokes with the certificate's one-time revocation secret (no account, no holder check: the
   * secret is the credential). A wrong secret, an unknown serial and a certificate without a
   * secret are one answer, `secret_invalid`, and change nothing. The secret's first use is
   * recorded; using it again answers the first revocation.
   * @example
   * await service.revokeWithSecret('1234abcd', secret, 'keyCompromise'); // { status: 'revoked', ... }
   */
  async revokeWithSecret(serialHex: string, secret: string, reason: RevocationReason): Promise<RevokeOutcome | { readonly status: 'secret_invalid' }> {
    const secrets = this.#o.revocationSecrets;
    const serial = serialHex.toLowerCase();
    if (secrets === undefined || !(await secrets.check(serial, secret))) return { status: 'secret_invalid' };
    const outcome = await this.revoke(serial, { reason, by: { via: 'revocation_secret' } });
    if (outcome.status !== 'not_found') await secrets.markUsed(serial, secret);
    return outcome;
  }

  /** A stored certificate by serial (hex, either case), whoever holds it; `undefined` for an unknown or malformed serial. Reads only. */
  async certificate(serialHex: string): Promise<StoredCertificate | undefined> {
    const serial = serialHex.toLowerCase();
    return /^[0-9a-f]{2,40}$/.test(serial) ? this.#o.certificates.get(serial) : undefined;
  }

  /**
   * The operator's search (see `CertificateRepository.search`), newest first, at most `limit`:
   * a serial prefix (hex digits), an account's certificates (by its id), or a name or subject.
   */
  async searchCertificates(
    criterion: { serialPrefix: string } | { accountId: number } | { text: string },
    limit = ACCOUNT_CERTIFICATES_SHOWN,
  ): Promise<StoredCertificate[]> {
    return this.#o.certificates.search('accountId' in criterion ? { requester: accountRequester(criterion.accountId) } : criterion, limit);
  }

  /**
   * The certificates issued to the account, newest first (revoked ones included), at most
   * `limit`: what its owner's account page lists.
   */
  async certificatesOf(accountId: number, limit = ACCOUNT_CERTIFICATES_SHOWN): Promise<StoredCertificate[]> {
    return this.#o.certificates.listOf(accountRequester(accountId), limit);
  }

  /**
   * One of the account's recorded requests as its requester sees it (with the certificate once
   * issued), or `undefined` for an unknown id or another account's request.
   * @throws {Error} when an issued request's certificate is missing from the store (corruption).
   */
  async view(accountId: number, id: string): Promise<RequestView | undefined> {
    const record = await this.#o.requests.getOf(accountId, id);
    if (record === undefined) return undefined;
    const status = visibleStatus(record.status);
    if (status === 'rejected') return { status, record, reason: record.reason ?? 'rejected' };
    if (status !== 'issued') return { status, record };
    const certificate = await this.#o.certificates.get(record.certificateSerial as string);
    if (certificate === undefined) throw new Error('the certificate of an issued request is missing');
    return { status, record, certificatePem: certificate.pem, caCertificatePem: this.#o.ca.certificate.pem };
  }

  async #hold(
    csr: CertificateRequest,
    requester: AccountRequester,
    decision: Extract<Decision, { action: 'hold' }>,
    policy: SubmissionPolicy,
  ): Promise<PendingOutcome> {
    const record = await this.#o.requests.create(newRequestId(), { ...recordFields(csr, requester, decision.profile), approver: decision.approver });
    this.#o.logger.info('certificate request pending', {
      accountId: requester.accountId,
      requestId: record.id,
      approver: decision.approver,
      policy: policy.name,
      ...(requester.installationTokenId !== undefined ? { installationId: requester.installationTokenId } : {}),
    });
    await this.#notice(() => this.#o.notices?.held?.(record), record);
    const secret = await this.#o.revocationSecrets?.issue({ requestId: record.id });
    return { status: 'pending', requestId: record.id, replayed: false, ...(secret !== undefined ? { revocationSecret: secret } : {}) };
  }

  async #issueNew(
    csr: CertificateRequest,
    requester: Requester,
    decision: Extract<Decision, { action: 'issue' }>,
    policy: SubmissionPolicy,
    signal: AbortSignal | undefined,
  ): Promise<IssuedOutcome | RequestRefusal> {
    const client = 'client' in requester ? requester.client : recordRequester(requester.accountId);
    if (policy.spends && !(await policy.spends.take())) return refuse('unauthenticated', 'Authentication failed');
    // An account's request is recorded, as issued, in the transaction that saves its certificate.
    const record: (IssuedRequest & { create: { id: string } }) | undefined =
      'client' in requester ? undefined : { create: { id: newRequestId(), ...recordFields(csr, requester, decision.profile as DecidedProfile) } };
    // The secret's digest is saved with the certificate; the secret leaves only with a new one.
    const secret = this.#o.revocationSecrets?.prepare();
    let issued: IssuedCertificate | RequestRefusal;
    try {
      issued = await this.#sign(csr, client, {
        ...(decision.profile ? { profile: decision.profile } : {}),
        ...(signal ? { signal } : {}),
        replay: 'client' in requester && policy.answersReplays,
        ...(record ? { record } : {}),
        ...(secret ? { revocationSecretDigest: secret.digest } : {}),
      });
    } catch (err) {
      await policy.spends?.giveBack();
      throw err;
    }
    if (isRefusal(issued)) {
      // Nothing was issued: a one-time credential may be used again.
      await policy.spends?.giveBack();
      return issued;
    }
    // A copy that met an earlier one in the signing transaction is a replay: its secret was not stored.
    const handedOut = secret !== undefined && !issued.replayed ? { revocationSecret: secret.secret } : {};
    if (record === undefined) return { status: 'issued', ...certificateFields(issued), replayed: issued.replayed, ...handedOut };
    const requestId = record.create.id;
    this.#o.logger.info('certificate request issued', { accountId: record.create.accountId, requestId, policy: policy.name, serial: issued.serialHex });
    return { status: 'issued', requestId, ...certificateFields(issued), replayed: false, ...handedOut };
  }

  /** Signs through the signing core; its refusals (hook, request faults) come back as values. */
  async #sign(
    csr: string | CertificateRequest,
    client: string,
    options: { profile?: DecidedProfile; signal?: AbortSignal; replay?: boolean; record?: IssuedRequest; revocationSecretDigest?: string },
  ): Promise<IssuedCertificate | RequestRefusal> {
    try {
      return await this.#o.ca.issue(csr, { client, ...options });
    } catch (err) {
      return refusalOr(err);
    }
  }

  /** The request `id` if this decider decides it (the owner's own requests, or the operator queue's). */
  async #pendingFor(id: string, by: Decider): Promise<CertificateRequestRecord | undefined> {
    const record = 'owner' in by ? await this.#o.requests.getOf(by.owner, id) : await this.#o.requests.get(id);
    // Whether it is still pending is left to the guarded state change that acts on it.
    return record?.approver === ('owner' in by ? 'owner' : 'operator') ? record : undefined;
  }

  #issuedOutcome(certificate: StoredCertificate, requestId: string | undefined, replayed: boolean): IssuedOutcome {
    return {
      status: 'issued',
      ...(requestId !== undefined ? { requestId } : {}),
      serialHex: certificate.serialHex,
      certificatePem: certificate.pem,
      chainPem: certificate.pem + this.#o.ca.certificate.pem,
      replayed,
    };
  }

  async #notice(call: () => Promise<void> | void | undefined, record: CertificateRequestRecord): Promise<void> {
    try {
      await call();
    } catch (err) {
      this.#o.logger.error('request notice failed', { accountId: record.accountId, requestId: record.id, error: err });
    }
  }
}

const NOT_PENDING: NotPending = Object.freeze({ status: 'not_pending' });

/** The refusal an error of the signing core stands for; anything else is thrown on. */
function refusalOr(err: unknown): RequestRefusal {
  if (err instanceof RefusedError) return refuse('policy_refused', err.message);
  const refusal = refusalOfPkiError(err);
  if (refusal === undefined) throw err;
  return refusal;
}

function recordFields(csr: CertificateRequest, requester: AccountRequester, profile: DecidedProfile) {
  return {
    accountId: requester.accountId,
    ...describeCsr(csr),
    profile,
    source: requester.source,
    ...(requester.installationTokenId !== undefined ? { installationTokenId: requester.installationTokenId } : {}),
  };
}

function certificateFields(issued: IssuedCertificate): Pick<IssuedOutcome, 'serialHex' | 'certificatePem' | 'chainPem'> {
  return { serialHex: issued.serialHex, certificatePem: issued.certificatePem, chainPem: issued.chainPem };
}

function byFields(by: RevokedBy | undefined): Record<string, number | string> {
  if (by === undefined) return {};
  if (by.via === 'operator') return { by: 'operator', operatorId: by.operatorId };
  if (by.via === 'owner') return { by: 'owner', accountId: by.accountId };
  return { by: by.via };
}

function deciderFields(by: Decider): Record<string, number | string> {
  return 'owner' in by ? { approver: 'owner' } : { approver: 'operator', operatorId: by.operator };
}
