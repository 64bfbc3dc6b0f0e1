/**
 * Verifying a domain for the account (the `verify-email` step, for DNS names; docs/protocol.md,
 * "Domains of an account"): ask the CA whether the account holds it verified already, else have
 * it verified by the vendor's chosen method (an email ping to an administrative address, a DNS TXT
 * record or an HTTP file) and wait until the CA says so. Every step asks the CA first, so a run
 * killed anywhere in it simply runs it again: a verified domain costs one question, an email ping
 * is sent again (a new nonce; the older ping still works), a dns/http challenge is answered again
 * with the same values until it is used.
 */
import {
  CACERT_API_REQUEST_MEDIA_TYPE,
  CaRejectedError,
  decodeDomainAnswer,
  decodeDomainList,
  decodeDomainVerifiedAnswer,
  DOMAIN_CHECK_PATH,
  DOMAINS_PATH,
  type DomainAnswer,
  type DomainMethod,
  encodeDomainCheckRequest,
  encodeDomainRequest,
  MalformedResponseError,
  normalizeDomainName,
} from '@certwizard/protocol';
import { DomainRefusedError, DomainUnverifiedError } from '../../enroll/errors.js';
import { methodTransport, type MethodTransportOptions } from '../../enroll/method-context.js';
import type { DomainVerificationEvent } from '../../enroll/method-event.js';
import { CaProtocolError, RegistrationAbortedError } from '../../errors.js';
import { parseJsonAnswer, sendCaRequest, type CaAnswer } from '../../transport/ca-request.js';
import { poll, waitLimits } from '../../transport/poll.js';
import { checkDomainVerification, type DomainVerification } from './domain-verification.js';
import { DEFAULT_VERIFY_ADDRESS_MAX_POLL_INTERVAL_MS, DEFAULT_VERIFY_ADDRESS_POLL_INTERVAL_MS, DEFAULT_VERIFY_ADDRESS_TIMEOUT_MS } from './verify-address.js';

/** Spread of the waits between dns/http checks (±10%): many installers that published together do not all come back together. */
const CHECK_JITTER = 0.1;

/** Options of {@link verifyDomain}. */
export interface VerifyDomainOptions extends MethodTransportOptions {
  /** Base URL of the CA. */
  readonly caUrl: string;
  /** The installation token from `register()`: a secret, sent only as `Authorization: Bearer`. */
  readonly installationToken: string;
  /** The domain to verify (ASCII or Unicode form; a trailing dot is dropped). */
  readonly domain: string;
  /** How to verify it. Default `{ method: 'email' }` (a ping to `postmaster@<domain>`). */
  readonly verification?: DomainVerification;
  /**
   * For `email`: makes a nonce of the vendor's mail hook for the ping's address (`NonceBook.expect`),
   * called only when a ping is really sent; the ping then carries it and the mail server answers by
   * itself. Without it a person clicks the mail's link.
   */
  readonly pingNonce?: (address: string, signal: AbortSignal) => Promise<string>;
  /** Longest time to wait for the verification, in ms (publishing included). Default 24 h, as for an address. */
  readonly timeoutMs?: number;
  /** First wait between checks, in ms, growing 1.5 times. Default 2 000. */
  readonly pollIntervalMs?: number;
  /** Longest wait between checks, in ms. Default 30 000. */
  readonly maxPollIntervalMs?: number;
  readonly signal?: AbortSignal;
  /** Progress; what it throws is ignored. */
  readonly onEvent?: (event: DomainVerificationEvent) => void;
}

/** What {@link verifyDomain} resolves with. */
export interface VerifiedDomain {
  /** ASCII form. */
  readonly domain: string;
  readonly method: DomainMethod;
  /** Whether the account held it verified before this call asked for anything. */
  readonly alreadyVerified: boolean;
  /** When the verification lapses (ISO 8601). */
  readonly lapsesAt?: string;
}

/**
 * Verifies `domain` for the account of `installationToken`.
 *
 * 1. `GET /api/domains`: listed `verified` (not lapsed), nothing is sent.
 * 2. `POST /api/domains` with the method: for `email` the CA pings the administrative address
 *    (with the nonce of `pingNonce`), and `GET /api/domains` is asked again, at once and then
 *    after 2 s growing ×1.5 up to 30 s, until the domain is verified; for `dns`/`http` the
 *    vendor's `publish` puts the record or file in place, then `POST /api/domains/check` asks the
 *    CA to look, again with the same waits (±10% jitter) while it answers `challenge_failed`
 *    (the record has not propagated yet).
 * 3. Ends at the time limit (measured on `clock` too), or when the signal aborts. The CA's
 *    `Retry-After` (429) is honoured by every request.
 *
 * @throws {TypeError} for bad options, or a `domain` that is not one an account may hold (`InvalidDomainNameError`).
 * @throws {DomainRefusedError} `ERR_SDK_DOMAIN_REFUSED` when the CA refuses the domain or the
 *   verification (`invalid_domain`, `domain_taken`, `invalid_address`, `nonce_in_use`,
 *   `mail_not_sent`, `unauthorized`, `no_challenge`), with its code.
 * @throws {DomainUnverifiedError} `ERR_SDK_DOMAIN_UNVERIFIED` when the domain is still unverified at the limit.
 * @throws {RegistrationAbortedError} `ERR_SDK_ABORTED` when `signal` aborts; what `publish` throws, as it is.
 * @throws {CaUnreachableError} `ERR_SDK_CA_UNREACHABLE`, {@link CaProtocolError} `ERR_SDK_CA_PROTOCOL`.
 * @example
 * await verifyDomain({ caUrl, installationToken, domain: 'example.org', pingNonce: (address) => book.expect(address, { ttlMs: 86_400_000 }) });
 */
export async function verifyDomain(options: VerifyDomainOptions): Promise<VerifiedDomain> {
  if (options === null || typeof options !== 'object') throw new TypeError('options must be an object');
  const { base, transport } = methodTransport(options.caUrl, options);
  const { installationToken, signal, pingNonce } = options;
  if (typeof installationToken !== 'string' || !/^[A-Za-z0-9\-._~+/]+=*$/.test(installationToken))
    throw new TypeError('installationToken must be a bearer token');
  const { ascii: domain, unicode } = normalizeDomainName(options.domain);
  const verification = checkDomainVerification(options.verification);
  if (pingNonce !== undefined && typeof pingNonce !== 'function') throw new TypeError('pingNonce must be a function');
  const { timeoutMs, pollIntervalMs, maxPollIntervalMs } = waitLimits(options, {
    timeoutMs: DEFAULT_VERIFY_ADDRESS_TIMEOUT_MS,
    pollIntervalMs: DEFAULT_VERIFY_ADDRESS_POLL_INTERVAL_MS,
    maxPollIntervalMs: DEFAULT_VERIFY_ADDRESS_MAX_POLL_INTERVAL_MS,
  });
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw new TypeError('signal must be an AbortSignal');
  const emit = (event: DomainVerificationEvent) => {
    try {
      options.onEvent?.(event);
    } catch {
      // A broken display must not break the flow.
    }
  };
  const authorization = { authorization: `Bearer ${installationToken}` };
  const send = (what: string, path: string, signal: AbortSignal, body?: URLSearchParams): Promise<CaAnswer> =>
    sendCaRequest(
      {
        what,
        url: `${base}${path}`,
        method: body === undefined ? 'GET' : 'POST',
        headers: body === undefined ? authorization : { ...authorization, 'content-type': CACERT_API_REQUEST_MEDIA_TYPE },
        ...(body === undefined ? {} : { body: body.toString() }),
        initialDelayMs: transport.retryDelayMs,
        // The CA's own "could not send the mail": surfaced with its code, not as unreachable.
        documentedStatuses: [502],
      },
      transport.context(signal),
    );
  /** The domain as `GET /api/domains` lists it now, when verified (and not lapsed). */
  const listedVerified = async (signal: AbortSignal) => {
    const answer = await send('domain list', DOMAINS_PATH, signal);
    const listed = decodeOrThrow('domain list', domain, answer, () => decodeDomainList(answer.status, parseJsonAnswer('domain list', answer)));
    return listed.find((d) => d.domain === domain && d.status === 'verified');
  };
  /** Asks for the verification: the ping is sent, or the challenge is published. */
  const start = async (signal: AbortSignal): Promise<void> => {
    const address = verification.method === 'email' ? `${verification.localPart ?? 'postmaster'}@${domain}` : undefined;
    const nonce = address === undefined || pingNonce === undefined ? undefined : await pingNonce(address, signal);
    const request =
      address === undefined
        ? { domain, method: verification.method as 'dns' | 'http' }
        : { domain, method: 'email' as const, address, ...(nonce === undefined ? {} : { pingNonce: nonce }) };
    const answer = await send('domain request', DOMAINS_PATH, signal, encodeDomainRequest(request));
    const asked: DomainAnswer = decodeOrThrow('domain request', domain, answer, () =>
      decodeDomainAnswer(answer.status, parseJsonAnswer('domain request', answer)),
    );
    const base = { type: 'verifying', domain, unicode, method: verification.method } as const;
    if (asked.status === 'ping_sent') return emit({ ...base, address: asked.address, automatic: nonce !== undefined });
    if (asked.method !== verification.method)
      throw new CaProtocolError(`domain request: the CA answered a ${asked.method} challenge to a ${verification.method} request`, answer.status);
    if (asked.method === 'dns' && verification.method === 'dns') {
      const record = { name: asked.name, value: asked.value };
      emit({ ...base, record });
      await verification.publish(record, signal);
    } else if (asked.method === 'http' && verification.method === 'http') {
      emit({ ...base, url: asked.url });
      await verification.publish({ url: asked.url, content: asked.content }, signal);
    }
  };
  let lastCheck: string | undefined;
  /** Asks the CA to look at the published record or file now: its answer, or undefined while it is not there. */
  const check = async (signal: AbortSignal, method: 'dns' | 'http') => {
    const answer = await send('domain check', DOMAIN_CHECK_PATH, signal, encodeDomainCheckRequest({ domain, method }));
    try {
      return decodeOrThrow('domain check', domain, answer, () => decodeDomainVerifiedAnswer(answer.status, parseJsonAnswer('domain check', answer)));
    } catch (error) {
      // Not there (yet): DNS propagation, a web server being reloaded. The challenge stays live.
      if (!(error instanceof DomainRefusedError) || error.caCode !== 'challenge_failed') throw error;
      lastCheck = error.message;
      return undefined;
    }
  };
  const finished = (alreadyVerified: boolean, method: DomainMethod, lapsesAt: string | undefined) => {
    emit({ type: 'verified', domain, method, alreadyVerified, ...(lapsesAt === undefined ? {} : { lapsesAt }) });
    return { done: true, value: { domain, method, alreadyVerified, ...(lapsesAt === undefined ? {} : { lapsesAt }) } } as const;
  };
  const method = verification.method;
  return poll<VerifiedDomain>(
    async (signal, { attempt }) => {
      if (attempt === 1) {
        const before = await listedVerified(signal);
        if (before !== undefined) return finished(true, before.method ?? method, before.lapsesAt);
        await start(signal);
      }
      if (method === 'email') {
        const now = await listedVerified(signal);
        return now === undefined ? { done: false } : finished(false, now.method ?? method, now.lapsesAt);
      }
      const verified = await check(signal, method);
      return verified === undefined ? { done: false } : finished(false, verified.method, verified.lapsesAt);
    },
    {
      clock: transport.clock,
      signal,
      initialDelayMs: pollIntervalMs,
      maxDelayMs: maxPollIntervalMs,
      ...(method === 'email' ? {} : { jitter: CHECK_JITTER }),
      timeoutMs,
      timeoutError: () =>
        new DomainUnverifiedError(`${domain} was not verified within ${timeoutMs} ms${lastCheck === undefined ? '' : `: ${lastCheck}`}`, {
          domain,
          method,
          timeoutMs,
          ...(lastCheck === undefined ? {} : { lastCheck }),
        }),
      abortError: (reason) => new RegistrationAbortedError('the domain verification was aborted', { cause: reason }),
      onWait: (delayMs) => emit({ type: 'waiting', domain, delayMs }),
    },
  );
}

/** Runs a decoder: a documented refusal becomes {@link DomainRefusedError}, a breach of the contract `ERR_SDK_CA_PROTOCOL`. */
function decodeOrThrow<T>(what: string, domain: string, answer: CaAnswer, decoder: () => T): T {
  try {
    return decoder();
  } catch (error) {
    if (error instanceof CaRejectedError)
      throw new DomainRefusedError(`${what} for ${domain}: ${error.message}`, { domain, caCode: error.caCode, status: answer.status });
    if (error instanceof MalformedResponseError) throw new CaProtocolError(`${what}: ${error.message}`, answer.status, { cause: error });
    throw error;
  }
}
