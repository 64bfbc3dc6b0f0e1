/**
 * The CAcert-style API as an {@link EnrollmentMethod} (docs/protocol.md, "CAcert-style request
 * API"), the whole protocol: the browser registration as its account step, address confirmation
 * by email ping as its verification, `POST /api/ccsr.php` to certify the key of a CSR for one of
 * the account's addresses, `GET /api/requests/:id` to follow a request that waits for the owner's
 * approval, `GET /api/requests?fingerprint=` to find one, and `POST /api/crevoke.php` to revoke
 * one of the account's certificates.
 */
import {
  CACERT_API_PARAMS,
  CACERT_API_REQUEST_MEDIA_TYPE,
  CaRejectedError,
  CCSR_PATH,
  CEMAILS_PATH,
  decodeCcsrAnswer,
  decodeCemailsAnswer,
  decodeCrevokeAnswer,
  decodeRequestList,
  decodeRequestStatus,
  encodeCcsrRequest,
  encodeCrevokeRequest,
  CREVOKE_PATH,
  MalformedResponseError,
  isNameWithinDomain,
  namesNotCoveredOf,
  normalizeDomainName,
  REQUEST_LIST_PATH,
  registrableDomainOf,
  requestListPath,
  requestStatusPath,
  REVOCATION_SECRET_PATTERN,
} from '@certwizard/protocol';
import { parseCsr } from '@certwizard/pki';
import { CredentialStoreError } from '../../credentials/errors.js';
import type {
  CertificateValidity,
  EnrollmentMethod,
  EnrollmentRequest,
  MethodContext,
  PendingRequest,
  RejectedResult,
  RenewalWindow,
  RevocationRequest,
  RevocationResult,
  SubmitResult,
} from '../../enroll/enrollment-method.js';
import { methodTransport, type MethodTransportOptions } from '../../enroll/method-context.js';
import { revocationFields, revocationResult } from '../../enroll/revocation.js';
import { fetchRenewalWindow } from '../../enroll/renewal-window.js';
import { splitChain } from '../../enroll/split-chain.js';
import { EnrollmentRejectedError, NameNotAllowedError } from '../../enroll/errors.js';
import { CaProtocolError } from '../../errors.js';
import { retryAfterMs } from '../../registration/retry-after.js';
import { type CaAnswer as Answer, parseJsonAnswer, sendCaRequest, type CaRequest } from '../../transport/ca-request.js';
import { registerAccount, type CacertRegistrationOptions, type CheckedEmailPing, type PingNonceSource } from './cacert-account.js';
import { CACERT_STATE_VERSION, parseCacertState, type CacertState } from './cacert-state.js';
import { installationTokenKey } from './credential-keys.js';
import { verifyAddress, type VerifyAddressOptions } from './verify-address.js';
import { checkDomainVerification, type DomainVerification } from './domain-verification.js';
import { verifyDomain } from './verify-domain.js';

/**
 * How the method authenticates: the installation token from `register()` (its requests wait for
 * the owner's approval), or the account's address and password (issued at once: the person is there).
 * Both are secrets: they go in a header or the form body, never in a URL, an error or an event.
 */
export type CacertCredentials = { readonly installationToken: string } | { readonly username: string; readonly password: string };

/** Options of {@link cacertMethod}. */
export interface CacertMethodOptions extends MethodTransportOptions {
  /** Base URL of the CA, e.g. `https://ca.example`. */
  readonly caUrl: string;
  /**
   * Fixed credentials, for driving the method alone (`submit()`). Default: none; the account step
   * registers in the browser and keeps the installation token in the context's credential store
   * (`installation-token:<CA origin>`), where every later call reads it (what `enroll()` does).
   */
  readonly credentials?: CacertCredentials;
  /**
   * The address to certify (one of the account's `EMAIL=` values). Default: the request's first
   * `names.email`, else the account's first confirmed address (asked with `/api/cemails.php`).
   */
  readonly email?: string;
  /** The name form to certify (one of the `NAME=` values). Default: the account's first one. */
  readonly name?: string;
  /** Ask for code signing too (the account needs `CS=1`). Default: false. */
  readonly codesign?: boolean;
  /** The account step's browser registration: prefill, opener, noBrowser, display, timeouts, label. */
  readonly registration?: CacertRegistrationOptions;
  /**
   * Send the request with the registration (the CA issues it once the address is confirmed).
   * Default: true when the request's names are exactly one address, the case the CA can issue that way.
   */
  readonly sendCsrWithRegistration?: boolean;
  /**
   * The vendor's mail hook, when the product is a mail server for the addresses to certify: its
   * nonce book (`openNonceBook` of @certwizard/mail-hook fits) gives a nonce for each email ping,
   * and the mail server answers the pings by itself. Without it a person clicks the links.
   */
  readonly emailPing?: { readonly nonces: PingNonceSource; /** Nonce lifetime, in ms. Default 24 h. */ readonly ttlMs?: number };
  /**
   * Waiting for an address to be confirmed or a domain verified (the verify step): time limit and
   * poll intervals (see `verifyAddress()`, `verifyDomain()`), per address and per domain.
   */
  readonly verification?: Pick<VerifyAddressOptions, 'timeoutMs' | 'pollIntervalMs' | 'maxPollIntervalMs'>;
  /**
   * How the domains of the request's DNS names are verified when the account does not hold them
   * verified yet. Default `{ method: 'email' }`: a ping to `postmaster@<domain>`, with a nonce of
   * `emailPing.nonces` when given (the mail server answers by itself).
   */
  readonly domainVerification?: DomainVerification;
  /**
   * The domains to verify for the DNS names (e.g. `['example.org']` for `mail.example.org`): each
   * DNS name must lie within one (the longest that covers it is used). Default: each name's
   * registrable domain (`registrableDomainOf`: `mail.example.co.uk` → `example.co.uk`).
   */
  readonly domains?: readonly string[];
}

/** Default lifetime of an email-ping nonce: 24 hours, as long as the CA keeps a ping valid. */
const DEFAULT_PING_NONCE_TTL_MS = 24 * 60 * 60 * 1000;

/**
 * An enrollment method for the CAcert-style API; `enroll()`'s default.
 *
 * - `ensureAccount`: the browser registration (`register()`), resumable through the credential
 *   store, unless the store has this CA's installation token already (or `credentials` are fixed).
 * - `verify`: confirms each address to certify with `verifyAddress()` (an email ping, answered by
 *   the vendor's mail hook or a person), unless the request went with the registration.
 * - `submit` posts `/api/ccsr.php` (form fields `email`, `name`, `codesign`, `optionalCSR`; the
 *   password in the form or the token as `Authorization: Bearer`): `200,Issued` is `issued`,
 *   `202,Pending <id>` is `pending`, a documented failure line is `rejected` with its code.
 * - `poll` (installation token only: the status endpoint takes no password) asks
 *   `GET /api/requests/:id`: pending with the CA's `Retry-After`, issued, or `rejected` with code
 *   `rejected` (an approver's reason) or `discarded`; `find` asks `GET /api/requests?fingerprint=`.
 * - `revoke` (installation token only: the endpoint takes no password) posts `/api/crevoke.php`
 *   (form fields `serial`, `reason`): `200,Revoked` is `revoked`, `200,Already revoked` is
 *   `already_revoked`, a documented failure line is `ERR_SDK_REVOKE_REFUSED` with its code
 *   (`unknown_certificate` for a serial that is not one of the account's certificates).
 * - `renewalWindow` asks `GET /api/renewal-info/:certId` (no credentials, so with either kind):
 *   the CA's window, or `undefined` when it answers 404 (a CA without the endpoint).
 * - `namesNoLongerAllowed` asks `GET /api/cemails.php` (either kind) before a renewal: the
 *   addresses the account's confirmed ones no longer list.
 *
 * Its state (the state file's slot `cacert`, version {@link CACERT_STATE_VERSION}) is only
 * whether the request went with the registration; the token lives in the credential store.
 *
 * @throws {TypeError} for a bad `caUrl`, credentials other than exactly one of the two kinds, or bad options.
 * @example
 * const method = cacertMethod({ caUrl: 'https://ca.example', credentials: { installationToken } });
 * const certificate = await submit(method, { csrPem, names: { email: ['ada@example.org'] } });
 * // or the whole flow, registration included (what enroll() does without a method):
 * await enroll({ ...options, method: cacertMethod({ caUrl: 'https://ca.example', registration: { prefill } }) });
 */
export function cacertMethod(options: CacertMethodOptions): EnrollmentMethod<CacertState> {
  if (options === null || typeof options !== 'object') throw new TypeError('options must be an object');
  const { base, transport } = methodTransport(options.caUrl, options);
  const caOrigin = new URL(options.caUrl).origin;
  const fixed = options.credentials === undefined ? undefined : checkCredentials(options.credentials);
  for (const key of ['email', 'name'] as const) {
    if (options[key] !== undefined && (typeof options[key] !== 'string' || options[key] === '')) throw new TypeError(`${key} must be a non-empty string`);
  }
  if (options.codesign !== undefined && typeof options.codesign !== 'boolean') throw new TypeError('codesign must be a boolean');
  if (options.sendCsrWithRegistration !== undefined && typeof options.sendCsrWithRegistration !== 'boolean')
    throw new TypeError('sendCsrWithRegistration must be a boolean');
  if (options.registration !== undefined && (options.registration === null || typeof options.registration !== 'object'))
    throw new TypeError('registration must be an object');
  const emailPing = checkEmailPing(options.emailPing);
  const domainVerification = checkDomainVerification(options.domainVerification);
  const namedDomains = checkDomains(options.domains);

  /** The credentials of one call: the fixed ones, or the token the account step stored. */
  const authOf = async (context: MethodContext<CacertState>): Promise<Auth> => {
    if (fixed !== undefined) return fixed;
    if (context.credentials === undefined)
      throw new TypeError('cacertMethod without credentials needs a credential store in its context (enroll() passes one)');
    const token = await context.credentials.get(installationTokenKey(caOrigin), { signal: context.signal });
    // hasAccount() said it was there a moment ago: it was removed meanwhile, behind our back.
    if (token === undefined) throw new CredentialStoreError('the installation token disappeared from the credential store; run again to register', 'get');
    return checkCredentials({ installationToken: token });
  };

  const send = (auth: Auth, what: string, path: string, fields: URLSearchParams | undefined, context: MethodContext<CacertState>) => {
    const headers: Record<string, string> = { ...auth.headers };
    let body: string | undefined;
    if (fields !== undefined) {
      for (const [k, v] of auth.fields) fields.set(k, v);
      headers['content-type'] = CACERT_API_REQUEST_MEDIA_TYPE;
      body = fields.toString();
    }
    const request: CaRequest = {
      what,
      url: `${base}${path}`,
      method: fields === undefined ? 'GET' : 'POST',
      headers,
      ...(body === undefined ? {} : { body }),
      initialDelayMs: transport.retryDelayMs,
    };
    return sendCaRequest(
      request,
      transport.forCall(context).context(context.signal, (attempt) => context.onEvent?.({ type: 'ca-retrying', attempt })),
    );
  };

  const submit = async (request: EnrollmentRequest, context: MethodContext<CacertState> = {}): Promise<SubmitResult> => {
    if (typeof request?.csrPem !== 'string' || request.csrPem === '') throw new TypeError('request.csrPem must be a non-empty string');
    const auth = await authOf(context);
    const requested = parseCsr(request.csrPem).subjectAltNames;
    if (requested.dns.length > 0 && requested.email.length === 0) {
      // A server certificate: POST /api/requests (docs/protocol.md), issued at once inside the
      // account's verified domains.
      const answer = await send(auth, 'server request', REQUEST_LIST_PATH, new URLSearchParams({ csr: request.csrPem }), context);
      return ccsrResult('server request', answer, requested.dns, context);
    }
    let email = options.email ?? request.names?.email?.[0];
    let name = options.name;
    if (email === undefined || name === undefined) {
      // Ask the account what it may certify rather than guess: a wrong name is a refusal.
      const answer = await send(auth, 'cemails', CEMAILS_PATH, new URLSearchParams(), context);
      const allowed = decode('cemails', answer, () => decodeCemailsAnswer(answer.status, answer.body));
      if ('status' in allowed) return allowed;
      email ??= allowed.emails[0] as string;
      name ??= allowed.names[0] as string;
    }
    const fields = encodeCcsrRequest({ email, name, codeSigning: options.codesign ?? false, csrPem: request.csrPem });
    return ccsrResult('ccsr', await send(auth, 'ccsr', CCSR_PATH, fields, context), requested.dns, context);
  };

  /**
   * A ccsr-style answer (ccsr, `POST /api/requests`) as a result; `name_not_allowed` naming DNS
   * names carries them as `refusedNames`.
   */
  const ccsrResult = (what: string, answer: Answer, dns: readonly string[], context: MethodContext<CacertState>): SubmitResult => {
    const ccsr = decode(what, answer, () => decodeCcsrAnswer(answer.status, answer.body));
    if (ccsr.status === 'rejected') return withRefusedNames(ccsr, dns);
    const secret = revocationSecretOf(what, answer);
    if (ccsr.status === 'issued') return { status: 'issued', requestId: ccsr.requestId, ...splitChain(ccsr.chainPem, what, answer.status), ...secret };
    const wait = retryAfterMs(answer.retryAfter, transport.forCall(context).clock.now());
    return { status: 'pending', requestId: ccsr.requestId, ...(wait === undefined ? {} : { retryAfterMs: wait }), ...secret };
  };

  const poll = async (pending: PendingRequest, context: MethodContext<CacertState> = {}): Promise<SubmitResult> => {
    const path = requestStatusPath(pending?.requestId);
    const answer = await send(await authOf(context), 'request status', path, undefined, context);
    const json = parseJsonAnswer('request status', answer);
    const decoded = decode('request status', answer, () => decodeRequestStatus(answer.status, json, answer.retryAfter));
    if ('status' in decoded) return decoded;
    const state = decoded.answer;
    if (state.id !== pending.requestId) throw new CaProtocolError('request status: the answer is about another request', answer.status);
    switch (state.status) {
      case 'pending':
        return { status: 'pending', requestId: state.id, retryAfterMs: (decoded.retryAfterSeconds ?? 0) * 1000 };
      case 'issued':
        return { status: 'issued', requestId: state.id, ...splitChain(`${state.certificate}\n${state.chain}`, 'request status', answer.status) };
      case 'rejected':
        return { status: 'rejected', caCode: 'rejected', reason: state.reason };
      case 'discarded':
        return { status: 'rejected', caCode: 'discarded', reason: 'the account owner discarded the request' };
    }
  };

  const find = async (request: EnrollmentRequest, context: MethodContext<CacertState> = {}): Promise<SubmitResult | undefined> => {
    if (typeof request?.csrPem !== 'string' || request.csrPem === '') throw new TypeError('request.csrPem must be a non-empty string');
    const fingerprint = parseCsr(request.csrPem).fingerprintSha256;
    const answer = await send(await authOf(context), 'request list', requestListPath({ fingerprint }), undefined, context);
    const json = parseJsonAnswer('request list', answer);
    const listed = decode('request list', answer, () => decodeRequestList(answer.status, json));
    if ('status' in listed) return listed;
    // Newest first: the request that counts is the latest one made from this CSR.
    const latest = listed.find((entry) => entry.fingerprint === fingerprint);
    if (latest === undefined) return undefined;
    return poll({ status: 'pending', requestId: latest.id }, context);
  };

  const revoke = async (request: RevocationRequest, context: MethodContext<CacertState> = {}): Promise<RevocationResult> => {
    const fields = revocationFields(request);
    const answer = await send(await authOf(context), 'crevoke', CREVOKE_PATH, encodeCrevokeRequest(fields), context);
    return revocationResult('crevoke', answer.status, fields.serialHex, () => decodeCrevokeAnswer(answer.status, answer.body));
  };

  /**
   * The addresses of `names` the account's confirmed addresses (`GET /api/cemails.php`) no
   * longer list, compared case-insensitively as the CA does: asked before a renewal, so that a
   * lost address is left out rather than pinged again. DNS names: the CA's refusals tell.
   */
  const namesNoLongerAllowed = async (
    names: { readonly email: readonly string[]; readonly dns: readonly string[] },
    context: MethodContext<CacertState> = {},
  ): Promise<readonly string[]> => {
    if (names.email.length === 0) return [];
    const answer = await send(await authOf(context), 'cemails', CEMAILS_PATH, new URLSearchParams(), context);
    const allowed = decode('cemails', answer, () => decodeCemailsAnswer(answer.status, answer.body));
    if ('status' in allowed)
      throw new EnrollmentRejectedError(`cemails: the CA refused to list the account's addresses: ${allowed.reason}`, {
        caCode: allowed.caCode,
        reason: allowed.reason,
        ...(allowed.httpStatus === undefined ? {} : { status: allowed.httpStatus }),
      });
    const listed = new Set(allowed.emails.map((e) => e.toLowerCase()));
    return names.email.filter((e) => !listed.has(e.toLowerCase()));
  };

  /** The CA's advice on when to renew: a public GET, the same with either kind of credentials. */
  const renewalWindow = (certificate: CertificateValidity, context: MethodContext<CacertState> = {}): Promise<RenewalWindow | undefined> =>
    fetchRenewalWindow(base, transport, certificate, context);

  // With a password the request is issued at once, and only the token can read requests back
  // or revoke.
  if (fixed?.kind === 'password') return Object.freeze({ name: 'cacert', submit, renewalWindow, namesNoLongerAllowed });

  const verify = async (request: EnrollmentRequest, context: MethodContext<CacertState>): Promise<CacertState> => {
    const state = context.state ?? { csrSentWithRegistration: false };
    // The request went with the registration: the CA decides what it certifies.
    if (state.csrSentWithRegistration) return state;
    const { installationToken } = await tokenOf(context);
    const transportOptions = { ...pickTransportOptions(options), ...transportOf(context) };
    for (const address of request.names?.email ?? []) {
      await verifyAddress({
        ...options.verification,
        ...transportOptions,
        caUrl: options.caUrl,
        installationToken,
        address,
        ...(emailPing === undefined
          ? {}
          : { pingNonce: () => emailPing.nonces.expect(address, { ttlMs: emailPing.ttlMs, ...(context.signal ? { signal: context.signal } : {}) }) }),
        ...(context.signal === undefined ? {} : { signal: context.signal }),
        onEvent: (event) => context.onEvent?.({ type: 'address', event }),
      });
    }
    for (const domain of domainsToVerify(request.names?.dns ?? [], namedDomains)) {
      await verifyDomain({
        ...options.verification,
        ...transportOptions,
        caUrl: options.caUrl,
        installationToken,
        domain,
        verification: domainVerification,
        ...(emailPing === undefined
          ? {}
          : { pingNonce: (address: string, signal: AbortSignal) => emailPing.nonces.expect(address, { ttlMs: emailPing.ttlMs, signal }) }),
        ...(context.signal === undefined ? {} : { signal: context.signal }),
        onEvent: (event) => context.onEvent?.({ type: 'domain', event }),
      });
    }
    return state;
  };

  /** The installation token of one call (verifyAddress takes it, not the headers). */
  const tokenOf = async (context: MethodContext<CacertState>): Promise<{ installationToken: string }> => {
    const auth = await authOf(context);
    if (auth.kind !== 'token') throw new TypeError('address verification needs an installation token');
    return { installationToken: auth.token };
  };

  /** The caller's fetch and clock, where the method's own options leave them open. */
  const transportOf = (context: MethodContext<CacertState>) => {
    const call = transport.forCall(context);
    return { fetch: call.fetch, clock: call.clock };
  };

  return Object.freeze({
    name: 'cacert',
    stateVersion: CACERT_STATE_VERSION,
    parseState: parseCacertState,
    ensureAccount: async (context) => {
      if (fixed !== undefined) return { state: { csrSentWithRegistration: false } };
      return registerAccount(
        {
          caUrl: options.caUrl,
          caOrigin,
          registration: options.registration ?? {},
          sendCsrWithRegistration: options.sendCsrWithRegistration,
          emailPing,
          fetch: options.fetch,
          clock: options.clock,
        },
        context,
      );
    },
    hasAccount: async (context) =>
      fixed !== undefined ||
      (context.credentials !== undefined && (await context.credentials.get(installationTokenKey(caOrigin), { signal: context.signal })) !== undefined),
    verify,
    submit,
    poll,
    find,
    revoke,
    renewalWindow,
    namesNoLongerAllowed,
  } satisfies EnrollmentMethod<CacertState>);
}

/** The transport options a method passes on to `verifyAddress()`. */
function pickTransportOptions(options: MethodTransportOptions): MethodTransportOptions {
  const { retries, retryDelayMs, maxRetryDelayMs } = options;
  return {
    ...(retries === undefined ? {} : { retries }),
    ...(retryDelayMs === undefined ? {} : { retryDelayMs }),
    ...(maxRetryDelayMs === undefined ? {} : { maxRetryDelayMs }),
  };
}

function checkEmailPing(emailPing: CacertMethodOptions['emailPing']): CheckedEmailPing | undefined {
  if (emailPing === undefined) return undefined;
  if (emailPing === null || typeof emailPing !== 'object' || typeof emailPing.nonces?.expect !== 'function')
    throw new TypeError('emailPing.nonces must have expect()');
  const ttlMs = emailPing.ttlMs ?? DEFAULT_PING_NONCE_TTL_MS;
  if (!Number.isSafeInteger(ttlMs) || ttlMs <= 0) throw new TypeError('emailPing.ttlMs must be a positive integer of ms');
  return { nonces: emailPing.nonces, ttlMs };
}

/** Runs a decoder: documented refusals become a `rejected` result, contract breaches `ERR_SDK_CA_PROTOCOL`. */
function decode<T>(what: string, answer: Answer, decoder: () => T): T | RejectedResult {
  try {
    return decoder();
  } catch (error) {
    if (error instanceof CaRejectedError) return { status: 'rejected', caCode: error.caCode, reason: error.message, httpStatus: answer.status };
    if (error instanceof MalformedResponseError) throw new CaProtocolError(`${what}: ${error.message}`, answer.status, { cause: error });
    throw error;
  }
}

/** Checked credentials: the headers and form fields that carry them. */
type Auth =
  | { readonly kind: 'token'; readonly token: string; readonly headers: Record<string, string>; readonly fields: Array<[string, string]> }
  | { readonly kind: 'password'; readonly headers: Record<string, string>; readonly fields: Array<[string, string]> };

/** The headers and form fields that carry the credentials. */
function checkCredentials(credentials: CacertCredentials): Auth {
  if (credentials === null || typeof credentials !== 'object') throw new TypeError('credentials must be an object');
  const hasToken = 'installationToken' in credentials;
  const hasPassword = 'username' in credentials || 'password' in credentials;
  if (hasToken === hasPassword) throw new TypeError('credentials must hold either installationToken or username and password');
  if (hasToken) {
    const token = credentials.installationToken;
    // RFC 6750 §2.1 b64token characters only: anything else could split the header.
    if (typeof token !== 'string' || !/^[A-Za-z0-9\-._~+/]+=*$/.test(token)) throw new TypeError('installationToken must be a bearer token');
    return { kind: 'token', token, headers: { authorization: `Bearer ${token}` }, fields: [] };
  }
  const { username, password } = credentials as { username: unknown; password: unknown };
  if (typeof username !== 'string' || username === '' || typeof password !== 'string' || password === '') {
    throw new TypeError('username and password must be non-empty strings');
  }
  return {
    kind: 'password',
    headers: {},
    fields: [
      [CACERT_API_PARAMS.username, username],
      [CACERT_API_PARAMS.password, password],
    ],
  };
}

/** The vendor's `domains`, normalised (ASCII form). */
function checkDomains(domains: readonly string[] | undefined): readonly string[] | undefined {
  if (domains === undefined) return undefined;
  if (!Array.isArray(domains) || domains.length === 0) throw new TypeError('domains must be a non-empty array of domain names');
  return domains.map((domain: unknown) => {
    if (typeof domain !== 'string') throw new TypeError('domains must hold strings');
    try {
      return normalizeDomainName(domain).ascii;
    } catch (error) {
      throw new TypeError(`domains: ${domain} is not a domain an account may hold`, { cause: error });
    }
  });
}

/**
 * The domains to verify for `dns`, each once, in the order of the names: the longest of `named`
 * that covers a name, or else its registrable domain.
 * @throws {NameNotAllowedError} `ERR_SDK_NAME_NOT_ALLOWED` naming every name no domain covers
 *   (outside `named`, or without a registrable domain: `localhost`, an IP address, a public suffix).
 */
function domainsToVerify(dns: readonly string[], named: readonly string[] | undefined): string[] {
  const domains = new Set<string>();
  const outside: string[] = [];
  for (const name of dns) {
    const domain = named === undefined ? registrableDomainOf(name) : named.filter((d) => isNameWithinDomain(name, d)).sort((a, b) => b.length - a.length)[0];
    if (domain === undefined) outside.push(name);
    else domains.add(domain);
  }
  if (outside.length > 0) {
    throw new NameNotAllowedError(
      `${outside.join(', ')}: not within ${named === undefined ? 'a domain an account may hold' : `the domains ${named.join(', ')}`}; nothing was sent to the CA`,
      { names: outside },
    );
  }
  return [...domains];
}

/**
 * The CA's `name_not_allowed` for DNS names (`namesNotCoveredDetail`, docs/protocol.md) carries
 * the names it named; ccsr's other `name_not_allowed` (a NAME= value) is left as it is.
 */
function withRefusedNames(rejected: RejectedResult, dns: readonly string[]): RejectedResult {
  if (rejected.caCode !== 'name_not_allowed' || dns.length === 0) return rejected;
  const named = namesNotCoveredOf(rejected.reason);
  return named === undefined ? rejected : { ...rejected, refusedNames: named };
}

/**
 * The `Revocation-Secret` header of a ccsr-style answer, as a result field (none when absent).
 * @throws {CaProtocolError} `ERR_SDK_CA_PROTOCOL` for a header that is not a secret's shape.
 */
function revocationSecretOf(what: string, answer: Answer): { revocationSecret?: string } {
  if (answer.revocationSecret === undefined) return {};
  if (!REVOCATION_SECRET_PATTERN.test(answer.revocationSecret)) throw new CaProtocolError(`${what}: the Revocation-Secret header is malformed`, answer.status);
  return { revocationSecret: answer.revocationSecret };
}
