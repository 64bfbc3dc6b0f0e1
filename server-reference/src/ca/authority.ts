/**
 * The signing core: turns a request into a stored certificate through a chain of steps
 * (parse and verify, authorize, draft, presign, reserve a serial, sign, save, postsign), in the
 * manner of micromdm/scep's CSR signer chain.
 */
import {
  type Certificate,
  type CertificateRequest,
  countNames,
  createCrl,
  formatName,
  InvalidNameError,
  issueCertificate,
  parseCsr,
  publicKeySha1Hex,
  requestedNames,
  type RevocationReason,
} from '@certwizard/pki';
import type { KeyObject } from 'node:crypto';
import { RefusedError } from '../errors.js';
import type { Logger } from '../log.js';
import type { CertificateRepository, IssuedRequest, StoredCertificate } from '../store/certificate-store.js';
import type { DecidedProfile } from '../store/certificate-requests.js';
import type { CaHooks, CertificateDraft, HookContext } from './hooks.js';
import { issueWithUniqueSerial } from './issuance.js';
import { loggedRequester } from './logged-requester.js';
import { answerOcspRequest, type OcspAnswer } from './ocsp-responder.js';
import { normalizeSerial, randomSerialHex, serialBytes } from './serial.js';

/** The CA's certificate and key. */
export interface CaIdentity {
  readonly certificate: Certificate;
  readonly privateKey: KeyObject;
  /** The SCEP RA (RFC 8894 §2.1) beside the CA: loaded or made by identity.ts's loadIdentity. */
  readonly ra?: RaIdentity;
}

/** The SCEP RA identity: an RSA-2048 key and its certificate issued by the CA (ra.cert.pem, ra.private_key.pem). */
export interface RaIdentity {
  readonly certificate: Certificate;
  /** DER of the certificate (the same bytes as `certificate.der`). */
  readonly certificateDer: Uint8Array;
  readonly certificatePem: string;
  readonly privateKey: KeyObject;
}

/** Options of {@link CertificateAuthority}. */
export interface CertificateAuthorityOptions {
  readonly identity: CaIdentity;
  readonly store: CertificateRepository;
  readonly hooks: CaHooks;
  readonly logger: Logger;
  /**
   * Base URL the CA is reached at; the CRL distribution point is `${publicUrl}/crl`, the OCSP
   * responder (authorityInfoAccess) `${publicUrl}/ocsp`.
   */
  readonly publicUrl: string;
  /** Lifetime of issued certificates, in ms; clamped to the CA's own expiry. */
  readonly validityMs: number;
  /** How far notBefore is backdated, in ms, for clients with slow clocks. Default 5 minutes. */
  readonly backdateMs?: number;
  /** How long a CRL is valid (nextUpdate - thisUpdate), in ms. Default 24 hours. */
  readonly crlValidityMs?: number;
  /** How long an OCSP answer is valid (nextUpdate - thisUpdate), in ms. Default 1 hour. */
  readonly ocspValidityMs?: number;
  /** Clock, for tests. */
  readonly now?: () => Date;
}

/** What the CA returns for an issued certificate. */
export interface IssuedCertificate {
  readonly serialHex: string;
  /** The end-entity certificate, PEM. */
  readonly certificatePem: string;
  /** The end-entity certificate followed by the CA certificate, PEM. */
  readonly chainPem: string;
  /** True when this is the certificate signed earlier for the same request (see {@link IssueRequest.replay}). */
  readonly replayed: boolean;
}

/** Per-request input of {@link CertificateAuthority.issue}. */
export interface IssueRequest {
  /** Who asked: the ssl_api client hash, or `account:<id>`. Stored as the requester. */
  readonly client: string;
  /** Aborted when the client goes away; passed on to the hooks. */
  readonly signal?: AbortSignal;
  /**
   * What to certify, decided by the CA from an authenticated account (the CAcert-style API):
   * subject, names and extended key usages replace what the request itself asks for, and the
   * request only contributes its key. Without it, the request's own names are certified
   * (ssl_api semantics). The request's self-signature is verified either way.
   */
  readonly profile?: DecidedProfile;
  /**
   * Answer a request this client already sent with the certificate signed for it then (while
   * that certificate is valid and unexpired), without signing again: an installer that lost
   * the answer in a crash resends the same request. The authorize hook still decides first.
   */
  readonly replay?: boolean;
  /**
   * The recorded request this certificate answers, written in the transaction that saves the
   * certificate: an approved request to mark issued, or a new request recorded as issued.
   */
  readonly record?: IssuedRequest;
  /**
   * SHA-256 (hex) of the one-time revocation secret to store with the certificate, in the
   * transaction that saves it (see `RevocationSecrets.prepare`); not stored for a replay.
   */
  readonly revocationSecretDigest?: string;
}

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

/** The CRL a process made, and the revocations in the database it lists. */
interface CachedCrl {
  readonly der: Uint8Array;
  readonly producedAt: number;
  readonly revocations: { readonly count: number; readonly lastRevokedAtMs: number };
}

/** The certificate authority: issues, stores, and publishes the status of its certificates (CRL, OCSP). */
export class CertificateAuthority {
  readonly #o: CertificateAuthorityOptions;
  readonly #now: () => Date;
  #crl?: CachedCrl;
  /** The CRL being made, so that concurrent requests wait for one instead of taking CRL numbers each. */
  #making?: Promise<CachedCrl>;
  /** The last CRL number this process used: the next one is larger even within one millisecond. */
  #lastCrlNumber = 0n;

  constructor(options: CertificateAuthorityOptions) {
    this.#o = options;
    this.#now = options.now ?? (() => new Date());
  }

  /** The CA certificate. */
  get certificate(): Certificate {
    return this.#o.identity.certificate;
  }

  /**
   * Issues a certificate for a PEM or DER request, or one already parsed by `parseCsr` (which
   * verified it; the request service parses first, so that the policy can look at it).
   *
   * ssl_api semantics: without hooks every valid request is signed for every name it asks.
   * @throws every `@certwizard/pki` refusal of the request (codes `ERR_PKI_*`).
   * @throws {InvalidNameError} `ERR_PKI_INVALID_NAME` when the request names nothing.
   * @throws {RefusedError} `ERR_CA_REFUSED` when the authorize hook says no.
   * @throws {SerialNumberError} `ERR_CA_SERIAL` when a hook's serial is unusable or taken.
   */
  async issue(csrInput: string | Uint8Array | CertificateRequest, request: IssueRequest): Promise<IssuedCertificate> {
    const { hooks, identity, store, logger } = this.#o;
    const parsed = typeof csrInput === 'string' || csrInput instanceof Uint8Array ? parseCsr(csrInput) : csrInput;
    // issueCertificate certifies only names its request asks for; with a decided profile the
    // CA, not the requester, names the subject, so the profile stands in for the request's own.
    const csr = request.profile ? { ...parsed, subject: request.profile.subject, subjectAltNames: request.profile.subjectAltNames } : parsed;
    const names = requestedNames(csr);
    if (countNames(names) === 0) throw new InvalidNameError('the request names no DNS name, address or IP to certify');
    const ctx: HookContext = {
      clientHash: request.client,
      publicKeyHash: publicKeySha1Hex(csr.publicKeyDer),
      csr: parsed,
      signal: request.signal ?? new AbortController().signal,
    };
    if (hooks.authorize && !(await hooks.authorize(names, ctx))) {
      throw new RefusedError('the CA policy refused this request');
    }
    const replayOf = request.replay ? parsed.fingerprintSha256 : undefined;
    // Before presign and the serial hook, so that a replay runs none of the signing hooks again.
    // Without such hooks the save transaction's own check suffices (a replay is then signed once
    // more and that signature dropped unseen), and a new request, by far the usual case, saves
    // a query.
    const signingHooks = hooks.presign !== undefined || hooks.serialNumber !== undefined || hooks.postsign !== undefined;
    const earlier = replayOf === undefined || !signingHooks ? undefined : await store.findReplay(request.client, replayOf);
    if (earlier !== undefined) return this.#replayed(earlier);
    const now = this.#now().getTime();
    const caNotAfter = identity.certificate.notAfter.getTime();
    let draft: CertificateDraft = {
      subjectAltNames: names,
      notBefore: new Date(now - (this.#o.backdateMs ?? 5 * 60_000)),
      notAfter: new Date(Math.min(now + this.#o.validityMs, caNotAfter)),
      ...(request.profile ? { extendedKeyUsage: [...request.profile.extendedKeyUsage] } : {}),
      extensions: [],
    };
    if (hooks.presign) draft = (await hooks.presign(draft, ctx)) ?? draft;
    const fixedSerial = hooks.serialNumber ? normalizeSerial(await hooks.serialNumber()) : undefined;
    ctx.signal.throwIfAborted();

    const base = this.#o.publicUrl.replace(/\/$/, '');
    const crlUrl = `${base}/crl`;
    const ocspUrl = `${base}/ocsp`;
    const stored = await issueWithUniqueSerial(
      store,
      () => fixedSerial ?? randomSerialHex(),
      (serialHex) => {
        const issued = issueCertificate({
          request: csr,
          issuer: identity,
          serialNumber: serialBytes(serialHex),
          profile: {
            notBefore: draft.notBefore,
            notAfter: draft.notAfter,
            subjectAltNames: draft.subjectAltNames,
            ...(draft.keyUsage ? { keyUsage: draft.keyUsage } : {}),
            ...(draft.extendedKeyUsage ? { extendedKeyUsage: draft.extendedKeyUsage } : {}),
            crlDistributionPoints: [crlUrl],
            ocspUrls: [ocspUrl],
            extraExtensions: draft.extensions,
          },
        });
        return {
          pem: issued.pem,
          subject: formatName(issued.subject),
          subjectAltNames: issued.subjectAltNames,
          notBefore: issued.notBefore,
          notAfter: issued.notAfter,
          fingerprintSha256: issued.fingerprintSha256,
        };
      },
      {
        requester: request.client,
        publicKeySha1: ctx.publicKeyHash,
        fixedSerial: fixedSerial !== undefined,
        csrSha256: parsed.fingerprintSha256,
        ...(replayOf === undefined ? {} : { replayOf }),
        ...(request.revocationSecretDigest === undefined ? {} : { revocationSecretDigest: request.revocationSecretDigest }),
      },
      request.record,
    );
    if (stored.replayed) return this.#replayed(stored);
    logger.info('certificate issued', {
      serial: stored.serialHex,
      requester: loggedRequester(request.client),
      names: stored.subjectAltNames,
      notAfter: stored.notAfter.toISOString(),
    });
    if (hooks.postsign) {
      try {
        await hooks.postsign({ serialHex: stored.serialHex, pem: stored.pem, notAfter: stored.notAfter }, ctx);
      } catch (err) {
        // The certificate is signed and stored; the client gets it. The hook's failure is the
        // operator's to see, not the client's.
        logger.error('postsign hook failed', { serial: stored.serialHex, error: err });
      }
    }
    return {
      serialHex: stored.serialHex,
      certificatePem: stored.pem,
      chainPem: stored.pem + identity.certificate.pem,
      replayed: false,
    };
  }

  #replayed(earlier: StoredCertificate): IssuedCertificate {
    this.#o.logger.info('certificate replayed', { serial: earlier.serialHex, requester: loggedRequester(earlier.requester) });
    return { serialHex: earlier.serialHex, certificatePem: earlier.pem, chainPem: earlier.pem + this.#o.identity.certificate.pem, replayed: true };
  }

  /**
   * The current CRL (RFC 5280 §5), DER. A new one, with the next CRL number (§5.2.3), is made
   * when none exists, when half its validity has passed, after {@link invalidateCrl}, or when the
   * revocations in the database changed since it was made: one cheap query per call, so a
   * revocation made by another CA process on the same database is listed at once here too.
   */
  async currentCrl(): Promise<Uint8Array> {
    const revocations = await this.#o.store.revocationState();
    const cached = this.#crl;
    const now = this.#now().getTime();
    const validity = this.#o.crlValidityMs ?? DAY_MS;
    const fresh =
      cached !== undefined &&
      now < cached.producedAt + validity / 2 &&
      cached.revocations.count === revocations.count &&
      cached.revocations.lastRevokedAtMs === revocations.lastRevokedAtMs;
    if (fresh) return cached.der;
    this.#making ??= this.#makeCrl(revocations).finally(() => {
      this.#making = undefined;
    });
    return (await this.#making).der;
  }

  async #makeCrl(revocations: CachedCrl['revocations']): Promise<CachedCrl> {
    // The state was read before the list: a revocation in between is listed and only makes the
    // next call build once more, never a CRL that misses it.
    const revoked = await this.#o.store.listRevoked();
    const now = this.#now().getTime();
    // RFC 5280 §5.2.3 asks for monotonically increasing numbers. They come from the time (as
    // Boulder's do), in thousandths of a millisecond, so that making a CRL writes nothing (a
    // GET /crl changes no state) and every CA process on the database counts upward together.
    const crlNumber = this.#lastCrlNumber >= BigInt(now) * 1000n ? this.#lastCrlNumber + 1n : BigInt(now) * 1000n;
    this.#lastCrlNumber = crlNumber;
    const { der } = createCrl({
      issuer: this.#o.identity,
      thisUpdate: new Date(now),
      nextUpdate: new Date(now + (this.#o.crlValidityMs ?? DAY_MS)),
      crlNumber,
      revoked: revoked.map((r) => ({
        serialNumberHex: r.serialHex,
        revokedAt: r.revokedAt,
        ...(r.reason ? { reason: r.reason as RevocationReason } : {}),
      })),
    });
    this.#crl = { der, producedAt: now, revocations };
    return this.#crl;
  }

  /** Drops the cached CRL so that the next {@link currentCrl} reflects new revocations. */
  invalidateCrl(): void {
    this.#crl = undefined;
  }

  /**
   * Answers a DER OCSPRequest (RFC 6960 §4.1-4.2) from the database, signed by the CA key: see
   * `ocsp-responder.ts` for what each certificate's answer is. Reads only.
   * @throws whatever the store throws (the caller answers `internalError`).
   */
  ocsp(requestDer: Uint8Array): Promise<OcspAnswer> {
    return answerOcspRequest({ identity: this.#o.identity, store: this.#o.store, now: this.#now, validityMs: this.#o.ocspValidityMs ?? HOUR_MS }, requestDer);
  }
}
