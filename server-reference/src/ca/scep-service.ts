/**
 * The CA side of SCEP's PKIOperation messages (RFC 8894 §3.3), after the front end
 * (wfe/scep/) verified the pkiMessage's signature and decrypted its envelope with the RA key:
 * PKCSReq, RenewalReq, CertPoll, GetCert and GetCRL, each answered as what the CertRep says
 * (SUCCESS with certificates or a CRL, PENDING, FAILURE with a failInfo). Every request goes
 * through the one request service with a SCEP policy (scep-policy.ts); this file adds what is
 * SCEP's own: the transaction (a resent PKCSReq and CertPoll name the transactionID, never our
 * request id), the PIN's binding check before anything is spent, and the signer checks.
 *
 * A PKCSReq signed by a certificate of this CA is that certificate's renewal (RFC 8894
 * §3.3.1.2: a renewal is signed by the existing certificate), handled as a RenewalReq: clients
 * such as certmonger 0.79 renew (`getcert resubmit`, `getcert rekey`) with PKCSReq even when the
 * CA advertises `Renewal`, and repeat the first enrolment's transactionID and challengePassword.
 *
 * Contract: the CA's refusals are FAILURE answers and change nothing stored; a wrong, used or
 * expired PIN and names outside its binding all answer FAILURE badRequest (one answer: no oracle
 * of which). Only the CA's own failures (store, hooks) throw.
 */
import { createHash } from 'node:crypto';
import { type Certificate, type CertificateRequest, formatName, parseCertificate, parseCsr } from '@certwizard/pki';
import type { Logger } from '../log.js';
import type { CertificateRequestRepository } from '../store/certificate-requests.js';
import type { CertificateRepository, StoredCertificate } from '../store/certificate-store.js';
import type { ScepSignerKey, ScepTransactionRepository } from '../store/scep-transaction-store.js';
import { isRefusal } from './refusal.js';
import { type AccountRequester, type RequestService, SCEP_REQUESTER } from './request-service.js';
import { scepHoldPolicy, scepPinPolicy, scepRenewalPolicy } from './scep-policy.js';

/** RFC 8894 §3.2.1.4 failInfo values. */
export type ScepFailure = 'badAlg' | 'badMessageCheck' | 'badRequest' | 'badTime' | 'badCertId';

/** What a CertRep answers (the shape of `@certwizard/scep`'s `ScepReply`). */
export type ScepAnswer =
  | { readonly status: 'SUCCESS'; readonly certificatesDer: readonly Uint8Array[] }
  | { readonly status: 'SUCCESS'; readonly crlDer: Uint8Array }
  | { readonly status: 'PENDING' }
  | { readonly status: 'FAILURE'; readonly failInfo: ScepFailure };

/**
 * The PINs as this service needs them (H2's `ScepPinService` through an adapter in main.ts):
 * `check` reads only; `consume` is the one guarded UPDATE that uses a PIN up.
 */
export interface ScepPinGate {
  /**
   * The PIN's owner (`accountId` undefined: an operator's or the CLI's PIN) when the PIN is
   * known, unused, unexpired and bound to these names; otherwise a refusal naming why (for the log).
   */
  check(
    pin: string,
    names: { readonly dnsNames: readonly string[]; readonly subject: string },
  ): Promise<{ readonly ok: true; readonly accountId: number | undefined } | { readonly ok: false; readonly reason: string }>;
  /** Uses the PIN up; `true` exactly once, whichever CA process asks. `usedBy` says what used it. */
  consume(pin: string, usedBy: string): Promise<boolean>;
}

/** Who sent a PKIOperation: the verified signer certificate, its transactionID, and the URL it came to. */
export interface ScepCaller {
  readonly transactionId: string;
  /** The certificate whose key signed the pkiMessage (self-signed for a first enrolment, ours for a renewal). */
  readonly signerCertificateDer: Uint8Array;
  /** The account of the personal SCEP URL (`/scep/u/:handle`) it came to; none for `/scep`. */
  readonly accountId?: number;
}

/** Options of {@link ScepService}. */
export interface ScepServiceOptions {
  readonly service: RequestService;
  readonly requests: CertificateRequestRepository;
  readonly certificates: CertificateRepository;
  readonly transactions: ScepTransactionRepository;
  readonly pins: ScepPinGate;
  /** The CA certificate (the chain of every answer) and its current CRL. */
  readonly ca: { readonly certificate: Certificate; currentCrl(): Promise<Uint8Array> };
  readonly logger: Logger;
  /** Clock in ms since the epoch. Default `Date.now`. */
  readonly now?: () => number;
}

const failure = (failInfo: ScepFailure): ScepAnswer => ({ status: 'FAILURE', failInfo });

/** The verified signer of a PKIOperation, its transaction key, and its stored record when it is one of this CA's certificates. */
interface ScepSignerOf {
  readonly certificate: Certificate;
  readonly key: ScepSignerKey;
  readonly ours: StoredCertificate | undefined;
}

/**
 * The SCEP operations of the CA. Stateless itself; concurrent calls are safe as far as the
 * stores' guarded statements make them (the PIN's UPDATE, the transaction's primary key).
 * @example
 * const answer = await scep.pkcsReq({ transactionId, signerCertificateDer }, csrDer); // { status: 'PENDING' }
 */
export class ScepService {
  readonly #o: ScepServiceOptions;
  readonly #now: () => number;

  constructor(options: ScepServiceOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
  }

  /**
   * RFC 8894 §3.3.1 PKCSReq: a resent transaction gets its request's state. Signed by a
   * certificate of this CA, it is that certificate's renewal (§3.3.1.2), exactly as a RenewalReq
   * (its challengePassword, a PIN spent by the first enrolment, is not looked at). Otherwise it is
   * a first enrolment, checked against its signer (§2.3: a self-signed certificate whose key is
   * the request's key and whose subject is the request's subject), then issued for a PIN or held.
   */
  async pkcsReq(caller: ScepCaller, csrDer: Uint8Array): Promise<ScepAnswer> {
    const from = await this.#signerOf(caller);
    const earlier = await this.#o.transactions.requestOf(caller.transactionId, from.key);
    if (earlier !== undefined) return this.#answerOf(earlier);
    if (from.ours !== undefined) return this.#renewal(caller, from, from.ours, csrDer);
    const signer = from.certificate;
    // A first enrolment's signer is self-signed (§2.3); another CA's certificate is not a signer here.
    if (!Buffer.from(signer.issuerDer).equals(Buffer.from(signer.subjectDer))) return failure('badMessageCheck');
    const csr = parsedOrUndefined(csrDer);
    if (csr === undefined) return failure('badRequest');
    if (!Buffer.from(csr.publicKeyDer).equals(Buffer.from(signer.publicKeyDer))) return failure('badMessageCheck');
    if (formatName(csr.subject) !== formatName(signer.subject)) return failure('badRequest');
    const pin = csr.challengePassword;
    if (pin === undefined) {
      const requester: AccountRequester = { accountId: caller.accountId, source: 'scep' };
      const held = await this.#o.service.submit(csrDer, requester, scepHoldPolicy(caller.accountId === undefined ? 'operator' : 'owner'));
      return this.#recorded(caller, from.key, held);
    }
    // The binding first, reading only: a request for other names (or a wrong, used or expired
    // PIN) is refused with nothing used up and nothing stored.
    const checked = await this.#o.pins.check(pin, { dnsNames: csr.subjectAltNames.dns, subject: formatName(csr.subject) });
    if (!checked.ok) {
      this.#o.logger.info('scep request refused', { transactionId: caller.transactionId, why: `pin ${checked.reason}` });
      return failure('badRequest');
    }
    if (checked.accountId !== undefined && caller.accountId !== undefined && checked.accountId !== caller.accountId) {
      this.#o.logger.info('scep request refused', { transactionId: caller.transactionId, why: "another owner's pin on a personal url" });
      return failure('badRequest');
    }
    const accountId = checked.accountId ?? caller.accountId;
    const usedBy = `scep:${from.key.keySha256.slice(0, 16)}:${caller.transactionId.slice(0, 64)}`;
    // Taken right before signing; a PIN taken for an issuance that then failed stays used (the
    // PIN service has no way back): the device's admin asks for a new one.
    const policy = scepPinPolicy({ take: () => this.#o.pins.consume(pin, usedBy), giveBack: async () => {} });
    const outcome = await this.#o.service.submit(csrDer, { accountId, source: 'scep' }, policy);
    return this.#recorded(caller, from.key, outcome);
  }

  /**
   * RFC 8894 §3.3.1.2 RenewalReq: signed by the certificate being renewed, which must be one of
   * this CA's, unrevoked and unexpired (else FAILURE badCertId for a stranger, badRequest for a
   * revoked or expired one); issued at once for the same subject and no new names. The request's
   * key may be new (a rekey).
   */
  async renewalReq(caller: ScepCaller, csrDer: Uint8Array): Promise<ScepAnswer> {
    const from = await this.#signerOf(caller);
    const earlier = await this.#o.transactions.requestOf(caller.transactionId, from.key);
    if (earlier !== undefined) return this.#answerOf(earlier);
    if (from.ours === undefined) return failure('badCertId');
    return this.#renewal(caller, from, from.ours, csrDer);
  }

  /** A renewal (RenewalReq, or a PKCSReq signed by our certificate) of `stored`, the signer. */
  async #renewal(caller: ScepCaller, from: ScepSignerOf, stored: StoredCertificate, csrDer: Uint8Array): Promise<ScepAnswer> {
    if (stored.status !== 'valid' || stored.notAfter.getTime() <= this.#now()) {
      this.#o.logger.info('scep renewal refused', { serial: stored.serialHex, why: stored.status === 'valid' ? 'expired' : 'revoked' });
      return failure('badRequest');
    }
    const owner = ownerOf(stored.requester);
    // Certificates of other channels (ssl_api clients) renew through those channels.
    if (owner === 'other') return failure('badRequest');
    const policy = scepRenewalPolicy({ subject: formatName(from.certificate.subject), dnsNames: stored.subjectAltNames.dns });
    const outcome = await this.#o.service.submit(csrDer, { accountId: owner, source: 'scep' }, policy);
    return this.#recorded(caller, from.key, outcome);
  }

  /**
   * RFC 8894 §3.3.3 CertPoll (GetCertInitial): the transaction's request by its transactionID and
   * signer (a renewal's poll is signed by the certificate being renewed, a first enrolment's by a
   * self-signed certificate of the request's key). The IssuerAndSubject content is not compared:
   * the transaction and its signer already name exactly one request.
   */
  async certPoll(caller: ScepCaller): Promise<ScepAnswer> {
    const requestId = await this.#o.transactions.requestOf(caller.transactionId, (await this.#signerOf(caller)).key);
    return requestId === undefined ? failure('badRequest') : this.#answerOf(requestId);
  }

  /** RFC 8894 §3.3.4 GetCert: a certificate of this CA by IssuerAndSerialNumber; badCertId when unknown. */
  async getCert(query: { readonly issuerDer: Uint8Array; readonly serialHex: string }): Promise<ScepAnswer> {
    if (!this.#isOurs(query.issuerDer)) return failure('badCertId');
    const stored = await this.#o.service.certificate(query.serialHex);
    return stored === undefined ? failure('badCertId') : { status: 'SUCCESS', certificatesDer: [parseCertificate(stored.pem).der] };
  }

  /** RFC 8894 §3.3.4 GetCRL: the CA's current CRL (the one `/crl` serves) for any certificate it issued. */
  async getCrl(query: { readonly issuerDer: Uint8Array; readonly serialHex: string }): Promise<ScepAnswer> {
    if (!this.#isOurs(query.issuerDer)) return failure('badCertId');
    return { status: 'SUCCESS', crlDer: await this.#o.ca.currentCrl() };
  }

  /**
   * The signer and its transaction key: one of this CA's certificates (same serial, same DER)
   * keys its transactions by its own SHA-256 too, so its renewals are never taken for the first
   * enrolment of the same key; any other signer by its key alone (a first enrolment's polls may
   * come under a fresh self-signed certificate of the same key).
   */
  async #signerOf(caller: ScepCaller): Promise<ScepSignerOf> {
    const certificate = parseCertificate(caller.signerCertificateDer);
    const stored = await this.#o.certificates.get(certificate.serialNumberHex);
    const ours = stored !== undefined && Buffer.from(parseCertificate(stored.pem).der).equals(Buffer.from(certificate.der)) ? stored : undefined;
    const key = { keySha256: sha256Hex(certificate.publicKeyDer), certificateSha256: ours === undefined ? '' : sha256Hex(certificate.der) };
    return { certificate, key, ours };
  }

  #isOurs(issuerDer: Uint8Array): boolean {
    return Buffer.from(issuerDer).equals(Buffer.from(this.#o.ca.certificate.subjectDer));
  }

  /** Records the transaction of a stored request (issued or held) and answers it; a refusal stores nothing. */
  async #recorded(caller: ScepCaller, signer: ScepSignerKey, outcome: Awaited<ReturnType<RequestService['submit']>>): Promise<ScepAnswer> {
    if (isRefusal(outcome)) {
      this.#o.logger.info('scep request refused', { transactionId: caller.transactionId, reason: outcome.reason });
      return failure('badRequest');
    }
    if (outcome.requestId === undefined) throw new Error('a SCEP request was issued without a request record');
    // Two copies of one transaction racing: the first recorded stands and both answer its state.
    // The losing copy's pending request is withdrawn (no notice: it was never the transaction's),
    // so no one is asked to decide a request that no CertPoll can reach.
    const standing = await this.#o.transactions.record(caller.transactionId, signer, outcome.requestId, this.#now());
    if (standing !== outcome.requestId) {
      if (outcome.status === 'pending') {
        await this.#o.requests.transition(caller.accountId, outcome.requestId, 'pending', 'discarded', 'a copy of a SCEP transaction already stored');
        this.#o.logger.info('scep request copy withdrawn', { transactionId: caller.transactionId, requestId: outcome.requestId, standing });
      }
      return this.#answerOf(standing);
    }
    if (outcome.status === 'pending') return { status: 'PENDING' };
    return { status: 'SUCCESS', certificatesDer: [parseCertificate(outcome.certificatePem).der, this.#o.ca.certificate.der] };
  }

  /** A stored request's state as a CertRep says it. */
  async #answerOf(requestId: string): Promise<ScepAnswer> {
    const record = await this.#o.requests.get(requestId);
    if (record === undefined) return failure('badRequest');
    if (record.status === 'pending' || record.status === 'approved') return { status: 'PENDING' };
    if (record.status !== 'issued' || record.certificateSerial === undefined) return failure('badRequest');
    const stored = await this.#o.certificates.get(record.certificateSerial);
    if (stored === undefined) throw new Error('the certificate of an issued request is missing');
    return { status: 'SUCCESS', certificatesDer: [parseCertificate(stored.pem).der, this.#o.ca.certificate.der] };
  }
}

function sha256Hex(der: Uint8Array): string {
  return createHash('sha256').update(der).digest('hex');
}

function parsedOrUndefined(der: Uint8Array): CertificateRequest | undefined {
  try {
    return parseCsr(der);
  } catch {
    return undefined;
  }
}

/** Whose a certificate is, from its recorded requester: an account, no account (SCEP), or another channel's client. */
function ownerOf(requester: string): number | undefined | 'other' {
  if (requester === SCEP_REQUESTER) return undefined;
  const match = /^account:(\d+)$/.exec(requester);
  return match ? Number(match[1]) : 'other';
}
