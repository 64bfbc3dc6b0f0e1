/**
 * SCEP (RFC 8894) as an {@link EnrollmentMethod}: the account step is GetCACaps and GetCACert
 * with the CA's and RA's fingerprints pinned; the request carries the PIN as its
 * challengePassword; submit is PKCSReq (or RenewalReq for a renewal), poll is CertPoll. Every
 * CertRep is checked against the pinned RA certificate (`parseCertRep` of @certwizard/scep).
 */
import type { KeyObject } from 'node:crypto';
import { decodePem, describeKey, encodePem, formatName, parseCertificate, parseCsr, publicKeyDer } from '@certwizard/pki';
import {
  buildIssuerAndSubject,
  buildScepRequest,
  createTransientSigner,
  parseCaCaps,
  parseCaCertResponse,
  parseCertRep,
  ScepError,
  transactionIdOf,
  type ScepReply,
  type ScepSigner,
} from '@certwizard/scep';
import type {
  AccountContext,
  AccountOutcome,
  EnrollmentMethod,
  EnrollmentRequest,
  MethodContext,
  PendingRequest,
  SubmitResult,
} from '../../enroll/enrollment-method.js';
import { methodTransport, type MethodTransportOptions } from '../../enroll/method-context.js';
import { CaProtocolError } from '../../errors.js';
import { retryAfterMs } from '../../registration/retry-after.js';
import { ScepCaUntrustedError, ScepKeyError } from './errors.js';
import { scepHttp, type ScepAnswer } from './scep-http.js';
import { parseScepState, SCEP_STATE_VERSION, sha256Hex, type ScepState } from './scep-state.js';

/** The fingerprints the installer is shown before the CA is trusted: SHA-256 of each DER, lower-case hex. */
export interface ScepCaFingerprints {
  /** The CA certificate's. */
  readonly caSha256: string;
  /** The RA certificate's (the CA's own when the CA has no separate RA). */
  readonly raSha256: string;
  /** The CA certificate's subject, for people (`CN=...`). */
  readonly caSubject: string;
}

/** The SCEP method: an {@link EnrollmentMethod} that says which CA fingerprint its vendor pinned (the wizard's key step shows it). */
export interface ScepEnrollmentMethod extends EnrollmentMethod<ScepState> {
  /** `pinnedCaFingerprintSha256` as given, lower-case hex without colons; absent when the installer confirms the fingerprints. */
  readonly pinnedCaFingerprintSha256?: string;
}

/** Options of {@link scepMethod}. */
export interface ScepMethodOptions extends MethodTransportOptions {
  /** The SCEP URL, e.g. `https://ca.example/scep` or a personal `https://ca.example/scep/u/<handle>`. */
  readonly url: string;
  /**
   * The SCEP PIN (challengePassword, RFC 8894 §3.3.1): one-time, from the CA's operator or the
   * account page. Without it the CA keeps the request pending for approval.
   */
  readonly pin?: string;
  /**
   * The CA certificate's SHA-256 (hex, colons and case ignored) as the vendor knows it: the CA's
   * answer must match it (else `ERR_SDK_SCEP_CA_UNTRUSTED`, nothing sent). Without it,
   * {@link onCaFingerprints} decides.
   */
  readonly pinnedCaFingerprintSha256?: string;
  /**
   * Shows the fingerprints to a person (the CLI prints them, the wizard's key step shows them)
   * and returns whether they match what the CA's operator published; `false` is
   * `ERR_SDK_SCEP_CA_UNTRUSTED`. Required unless {@link pinnedCaFingerprintSha256} is given.
   * Whatever was accepted is pinned in the method's state for every later call.
   */
  readonly onCaFingerprints?: (fingerprints: ScepCaFingerprints, options: { readonly signal?: AbortSignal }) => boolean | Promise<boolean>;
}

/** The PKCS #10 CertificationRequest's subject Name, DER (RFC 2986 §4.1): the transient signer's and CertPoll's subject. */
function csrSubjectDer(csrDer: Uint8Array): Uint8Array {
  // SEQUENCE { SEQUENCE { INTEGER version, Name subject, ... } ... }: walk two headers and the version.
  let offset = 0;
  const header = (expectTag: number): { start: number; end: number } => {
    if (csrDer[offset] !== expectTag) throw new TypeError('the request is not a PKCS #10 CertificationRequest');
    let length = csrDer[offset + 1] ?? 0;
    let start = offset + 2;
    if (length & 0x80) {
      const count = length & 0x7f;
      length = 0;
      for (let i = 0; i < count; i += 1) length = length * 256 + (csrDer[start + i] ?? 0);
      start += count;
    }
    return { start, end: start + length };
  };
  offset = header(0x30).start;
  offset = header(0x30).start;
  offset = header(0x02).end;
  const name = header(0x30);
  return csrDer.slice(offset, name.end);
}

/** A fingerprint as the vendor may write it (`AB:CD:...` or hex), lower-case hex. */
function normalizeFingerprint(value: string): string {
  const hex = value.replace(/:/g, '').toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(hex)) throw new TypeError('pinnedCaFingerprintSha256 must be a SHA-256 fingerprint (64 hex digits, colons allowed)');
  return hex;
}

/**
 * The request's key as a SCEP signer's: RSA only, since the CA encrypts its CertRep to this
 * key by key transport (RFC 8894 §3.2.2).
 * @throws {ScepKeyError} `ERR_SDK_SCEP_KEY` for an EC key or none.
 */
function rsaKeyOf(key: KeyObject | undefined, what: string): KeyObject {
  if (key === undefined) throw new ScepKeyError(`${what}: the scep method needs the request's private key (enroll() passes it)`);
  const description = describeKey(key);
  if (description.algorithm !== 'rsa')
    throw new ScepKeyError(`${what}: SCEP needs an RSA key (the CA encrypts its answer to it); this one is EC ${description.curve}: use keyType 'rsa2048'`);
  return key;
}

/**
 * An enrollment method for a SCEP service (RFC 8894).
 *
 * - `ensureAccount`: GetCACaps (§3.5.1) and GetCACert (§4.2); the CA's and RA's SHA-256
 *   fingerprints are checked against `pinnedCaFingerprintSha256`, or shown through
 *   `onCaFingerprints` and accepted by the installer, before anything else is sent; they are
 *   then pinned in the state (slot `scep`, version {@link SCEP_STATE_VERSION}) with `url`. A
 *   state that has them already is kept (its URL becomes `url`): the CA is never asked to
 *   replace a pinned certificate.
 * - `csrAttributes`: the PIN as challengePassword (§3.3.1).
 * - `submit`: PKCSReq (§3.3.1) signed by a self-signed certificate of the request's key (§2.3),
 *   or RenewalReq (§3.3.1.2) signed by the certificate it renews and its key; POST when the CA
 *   lists `POSTPKIOperation`, else GET. SUCCESS is `issued`, PENDING is `pending` with the
 *   transactionID as the request id, FAILURE is `rejected` with the failInfo as the code.
 * - `poll`: CertPoll (§3.3.3) with the same transactionID, signed again by the request's key:
 *   nothing but the state file and the key file is needed, so a run resumed after a crash polls on.
 *
 * @throws {TypeError} for a bad `url`, `pin`, fingerprint, or neither a pin nor `onCaFingerprints`.
 * @example
 * const method = scepMethod({ url: 'https://ca.example/scep', pin, pinnedCaFingerprintSha256: 'ab12...' });
 * await enroll({ ...options, keyType: 'rsa2048', method });
 */
export function scepMethod(options: ScepMethodOptions): ScepEnrollmentMethod {
  if (options === null || typeof options !== 'object') throw new TypeError('options must be an object');
  if (typeof options.url !== 'string') throw new TypeError('url must be the SCEP URL');
  const { transport } = methodTransport(new URL(options.url).origin, options);
  const url = new URL(options.url);
  if (url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '')
    throw new TypeError('url must not carry credentials, a query or a fragment');
  const pin = options.pin;
  if (pin !== undefined && (typeof pin !== 'string' || pin === '' || pin.length > 255 || /[\u0000-\u001f\u007f]/.test(pin)))
    throw new TypeError('pin must be a non-empty string of at most 255 printable characters');
  const pinned = options.pinnedCaFingerprintSha256 === undefined ? undefined : normalizeFingerprint(options.pinnedCaFingerprintSha256);
  if (pinned === undefined && typeof options.onCaFingerprints !== 'function')
    throw new TypeError('scepMethod needs pinnedCaFingerprintSha256 or onCaFingerprints: the CA must be trusted by someone before a request goes to it');

  const fetchOf = (context: MethodContext<ScepState>) => transport.forCall(context).fetch;
  const send = (operation: 'GetCACaps' | 'GetCACert' | 'PKIOperation', context: MethodContext<ScepState>, message?: Uint8Array, post?: boolean) =>
    scepHttp({
      url: url.href,
      operation,
      fetch: fetchOf(context),
      signal: context.signal,
      ...(message === undefined ? {} : { message }),
      ...(post ? { post } : {}),
    });

  /** The pinned state, or a clear error when the account step did not run. */
  const stateOf = (context: MethodContext<ScepState>): ScepState => {
    if (context.state === undefined) throw new TypeError('the scep method needs its state (the CA certificates pinned by ensureAccount)');
    const state = context.state;
    // The vendor's pin wins over what an earlier run accepted: a state of another CA is not used.
    if (pinned !== undefined && state.caFingerprintSha256 !== pinned)
      throw new ScepCaUntrustedError(
        `the SCEP CA pinned in the state (SHA-256 ${state.caFingerprintSha256}) is not the pinned one (${pinned}); nothing was sent`,
        {
          caSha256: state.caFingerprintSha256,
          raSha256: state.raFingerprintSha256,
        },
      );
    return state;
  };

  // RFC 8894 §3.5.1 GetCACaps, §4.2 GetCACert: what the CA can do, and who it is.
  const ensureAccount = async (context: AccountContext<ScepState>): Promise<AccountOutcome<ScepState>> => {
    // The URL this run uses is recorded: a renewal without a method goes there again.
    if (context.state !== undefined) return { state: { ...stateOf(context), url: url.href } };
    const certs = await send('GetCACert', context);
    if (certs.status !== 200) throw new CaProtocolError(`SCEP GetCACert: the CA answered ${certs.status}`, certs.status);
    let parsed: ReturnType<typeof parseCaCertResponse>;
    try {
      parsed = parseCaCertResponse(certs.body, certs.contentType);
    } catch (error) {
      throw new CaProtocolError(`SCEP GetCACert: ${error instanceof Error ? error.message : 'not a CA certificate answer'}`, certs.status, { cause: error });
    }
    const fingerprints: ScepCaFingerprints = {
      caSha256: sha256Hex(parsed.caCertificateDer),
      raSha256: sha256Hex(parsed.raCertificateDer),
      caSubject: formatName(parseCertificate(parsed.caCertificateDer).subject),
    };
    context.onEvent?.({ type: 'scep-ca-fingerprints', ...fingerprints });
    if (pinned !== undefined) {
      if (fingerprints.caSha256 !== pinned)
        throw new ScepCaUntrustedError(
          `the SCEP CA's certificate (SHA-256 ${fingerprints.caSha256}) is not the pinned one (${pinned}); nothing was sent`,
          fingerprints,
        );
    } else {
      const accepted = await options.onCaFingerprints?.(fingerprints, context.signal === undefined ? {} : { signal: context.signal });
      if (accepted !== true) throw new ScepCaUntrustedError("the SCEP CA's fingerprints were not confirmed; nothing was sent", fingerprints);
    }
    // Asked once the CA is trusted: its capabilities decide how every later message goes.
    const caps = await send('GetCACaps', context);
    if (caps.status !== 200) throw new CaProtocolError(`SCEP GetCACaps: the CA answered ${caps.status}`, caps.status);
    const capabilities = parseCaCaps(Buffer.from(caps.body).toString('utf8'));
    const state: ScepState = {
      url: url.href,
      caCertificateDerBase64: Buffer.from(parsed.caCertificateDer).toString('base64'),
      raCertificateDerBase64: Buffer.from(parsed.raCertificateDer).toString('base64'),
      caFingerprintSha256: fingerprints.caSha256,
      raFingerprintSha256: fingerprints.raSha256,
      capabilities,
    };
    return { state };
  };

  /**
   * Sends one pkiMessage and checks the CertRep against the pinned RA (RFC 8894 §3.3.2):
   * signer, transactionID, recipientNonce = our senderNonce.
   */
  const operate = async (
    what: string,
    messageType: 'PKCSReq' | 'RenewalReq' | 'CertPoll',
    content: Uint8Array,
    transactionId: string,
    signer: ScepSigner,
    recipient: ScepSigner,
    context: MethodContext<ScepState>,
  ): Promise<SubmitResult> => {
    const state = stateOf(context);
    const raCertificateDer = new Uint8Array(Buffer.from(state.raCertificateDerBase64, 'base64'));
    const caps = new Set(state.capabilities.map((c) => c.toLowerCase()));
    const digest = caps.has('sha-512') && !caps.has('sha-256') ? 'sha512' : 'sha256';
    const message = buildScepRequest({
      messageType,
      transactionId,
      content,
      recipientCertificateDer: raCertificateDer,
      signer,
      digest,
    });
    const answer: ScepAnswer = await send('PKIOperation', context, message.der, caps.has('postpkioperation'));
    if (answer.status !== 200 || answer.contentType !== 'application/x-pki-message')
      throw new CaProtocolError(
        `SCEP ${what}: the CA answered ${answer.status} ${answer.contentType || 'without a content type'}, not a CertRep`,
        answer.status,
      );
    let reply: ScepReply;
    try {
      reply = parseCertRep(answer.body, {
        raCertificateDer,
        transactionId,
        senderNonce: message.senderNonce,
        recipient,
      });
    } catch (error) {
      if (error instanceof ScepError)
        throw new CaProtocolError(`SCEP ${what}: the CertRep was refused (${error.code}): ${error.message}`, answer.status, { cause: error });
      throw error;
    }
    switch (reply.status) {
      case 'SUCCESS': {
        if (!('certificatesDer' in reply) || reply.certificatesDer.length === 0)
          throw new CaProtocolError(`SCEP ${what}: the CertRep holds no certificate`, answer.status);
        const [leaf, ...chain] = reply.certificatesDer as [Uint8Array, ...Uint8Array[]];
        return {
          status: 'issued',
          requestId: transactionId,
          certificatePem: encodePem('CERTIFICATE', leaf),
          chainPem: chain.map((der) => encodePem('CERTIFICATE', der)).join(''),
        };
      }
      case 'PENDING': {
        const wait = retryAfterMs(answer.retryAfter, transport.forCall(context).clock.now());
        return {
          status: 'pending',
          requestId: transactionId,
          ...(wait === undefined ? {} : { retryAfterMs: wait }),
        };
      }
      case 'FAILURE':
        return {
          status: 'rejected',
          caCode: reply.failInfo,
          reason: `the SCEP CA answered FAILURE (${reply.failInfo})`,
        };
    }
  };

  /** The request's key, transactionID and transient signer (RFC 8894 §2.3, §3.2.1.1). */
  const requester = (request: EnrollmentRequest, context: MethodContext<ScepState>) => {
    if (typeof request?.csrPem !== 'string' || request.csrPem === '') throw new TypeError('request.csrPem must be a non-empty string');
    const privateKey = rsaKeyOf(request.privateKey, 'scep');
    const csrDer = decodePem(request.csrPem, 'CERTIFICATE REQUEST');
    const subjectDer = csrSubjectDer(csrDer);
    const transactionId = transactionIdOf(publicKeyDer(privateKey));
    if (transactionIdOf(parseCsr(csrDer).publicKeyDer) !== transactionId) throw new ScepKeyError('scep: the request was not made from the key given with it');
    const signer = createTransientSigner({
      privateKey,
      subjectDer,
      now: new Date(transport.forCall(context).clock.now()),
    });
    return { csrDer, subjectDer, transactionId, signer };
  };

  const submit = async (request: EnrollmentRequest, context: MethodContext<ScepState> = {}): Promise<SubmitResult> => {
    const { csrDer, transactionId, signer } = requester(request, context);
    const renewing = request.renewing;
    if (renewing !== undefined) {
      // RFC 8894 §3.3.1.2: RenewalReq, signed by the certificate being renewed and its key; the
      // CA encrypts its CertRep to the certificate that signed the request (§3.3.2), the old one.
      const oldSigner: ScepSigner = {
        certificateDer: decodePem(renewing.certificatePem, 'CERTIFICATE'),
        privateKey: rsaKeyOf(renewing.privateKey, 'scep renewal'),
      };
      return operate('RenewalReq', 'RenewalReq', csrDer, transactionId, oldSigner, oldSigner, context);
    }
    // RFC 8894 §3.3.1: PKCSReq, signed by a self-signed certificate of the request's key.
    return operate('PKCSReq', 'PKCSReq', csrDer, transactionId, signer, signer, context);
  };

  // RFC 8894 §3.3.3 CertPoll: IssuerAndSubject of the request, same transactionID.
  const poll = async (pending: PendingRequest, context: MethodContext<ScepState> = {}): Promise<SubmitResult> => {
    const request = context.request;
    if (request === undefined) throw new TypeError('scep poll needs the request (enroll() and submit() pass it)');
    const { subjectDer, transactionId, signer } = requester(request, context);
    if (pending?.requestId !== transactionId) throw new TypeError("scep poll: the pending request is not this request's transaction");
    const caDer = new Uint8Array(Buffer.from(stateOf(context).caCertificateDerBase64, 'base64'));
    const content = buildIssuerAndSubject(parseCertificate(caDer).subjectDer, subjectDer);
    return operate('CertPoll', 'CertPoll', content, transactionId, signer, signer, context);
  };

  return Object.freeze({
    name: 'scep',
    ...(pinned === undefined ? {} : { pinnedCaFingerprintSha256: pinned }),
    stateVersion: SCEP_STATE_VERSION,
    defaultKeyType: 'rsa2048',
    // The recorded URL must be on this method's CA (a version 1 slot's was `<origin>/scep`).
    parseState: (state: unknown, version: number) => parseScepState(state, version, url.origin),
    ensureAccount,
    csrAttributes: () => (pin === undefined ? {} : { challengePassword: pin }),
    submit,
    poll,
  } satisfies ScepEnrollmentMethod);
}
