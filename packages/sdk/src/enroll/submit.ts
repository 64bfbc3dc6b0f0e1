/**
 * Enrollment: send a CSR with an {@link EnrollmentMethod}, and while the CA keeps it pending,
 * poll until it is issued or rejected, within a time limit and an abort signal.
 */
import { RegistrationAbortedError } from '../errors.js';
import { systemClock, type Clock } from '../registration/clock.js';
import { poll, waitLimits } from '../transport/poll.js';
import type { EnrollmentEvent } from './enrollment-event.js';
import type { EnrollmentMethod, EnrollmentRequest, IssuedResult, MethodContext, SubmitResult } from './enrollment-method.js';
import { EnrollmentRejectedError, EnrollmentTimeoutError } from './errors.js';

/**
 * Default of `timeoutMs`: 24 hours. A pending request waits for a person (the account owner gets
 * a mail and approves on the account page), which can take a night; a day covers that and still
 * ends. Installers that cannot wait that long pass less and resume later with the request id.
 */
export const DEFAULT_ENROLLMENT_TIMEOUT_MS = 24 * 60 * 60 * 1000;

/** Default of `pollIntervalMs`: 30 s, the reference CA's own `Retry-After` for pending requests. */
export const DEFAULT_ENROLLMENT_POLL_INTERVAL_MS = 30_000;

/** Shortest wait between polls, in ms, whatever the CA's `Retry-After` says. */
export const MIN_POLL_DELAY_MS = 1000;

/** Default of `maxPollIntervalMs`: 5 minutes, so an approval is noticed within minutes. */
export const DEFAULT_ENROLLMENT_MAX_POLL_INTERVAL_MS = 5 * 60 * 1000;

/** Options of {@link submit}. */
export interface SubmitOptions {
  /** Aborts the enrollment: the promise rejects with `ERR_SDK_ABORTED`, whose `cause` is the signal's reason. */
  readonly signal?: AbortSignal;
  /** Longest time from the call to the end, pending included, in ms. Default: {@link DEFAULT_ENROLLMENT_TIMEOUT_MS}. */
  readonly timeoutMs?: number;
  /**
   * First wait before a poll when the CA gives no `Retry-After`, in ms; each later one is 1.5
   * times longer. A `Retry-After` from the CA is followed instead (at least {@link MIN_POLL_DELAY_MS}).
   * Default: {@link DEFAULT_ENROLLMENT_POLL_INTERVAL_MS}.
   */
  readonly pollIntervalMs?: number;
  /** Longest wait of the backoff, in ms (a longer `Retry-After` from the CA still wins). Default: {@link DEFAULT_ENROLLMENT_MAX_POLL_INTERVAL_MS}. */
  readonly maxPollIntervalMs?: number;
  /** Clock of the waits and of the time limit. Default: the real one. */
  readonly clock?: Clock;
  /** Progress, for a wizard or a log; never carries a secret. Exceptions it throws are ignored. */
  readonly onEvent?: (event: EnrollmentEvent) => void;
  /**
   * The id of a request the CA already has (from an earlier run): nothing is sent, the request is
   * polled from the start. Needs a method with `poll`.
   */
  readonly requestId?: string;
  /**
   * What the method's calls get besides the signal: its state, a credential store, fetch and
   * clock (`enroll()` passes its own). Default: nothing, for a method configured by its factory.
   */
  readonly context?: Omit<MethodContext, 'signal'>;
}

/** The certificate `submit()` obtained. */
export type EnrolledCertificate = Omit<IssuedResult, 'status'>;

/**
 * Sends `request` with `method` and returns the issued certificate.
 *
 * While the CA answers pending, waits and polls (`method.poll`): as long as the CA's
 * `Retry-After` says (RFC 9110 §10.2.3; at least 1 s), or without one, `pollIntervalMs` growing
 * 1.5 times per poll up to `maxPollIntervalMs`. Every wait is cut at the time limit (on `clock`;
 * a real timer also ends a request that hangs), and no poll follows a cut wait; the loop ends
 * with the certificate or a typed error, never silently.
 *
 * @param method - how to reach the CA (`sslApiMethod`, `cacertMethod`, or your own).
 * @param request - the CSR and its names (see `createKeyAndCsr`).
 * @throws {TypeError} for bad options, or a method that answers pending without a `poll`.
 * @throws {EnrollmentRejectedError} `ERR_SDK_ENROLL_REJECTED` with the CA's `caCode` and `reason`.
 * @throws {EnrollmentTimeoutError} `ERR_SDK_ENROLL_TIMEOUT` after `timeoutMs`, with the pending `requestId`.
 * @throws {RegistrationAbortedError} `ERR_SDK_ABORTED` when `signal` aborts; `cause` is its reason.
 * @throws {CaUnreachableError} `ERR_SDK_CA_UNREACHABLE` when one request failed on the network every time.
 * @throws {CaProtocolError} `ERR_SDK_CA_PROTOCOL` for an answer outside the wire contract.
 * @example
 * const { csrPem, privateKey } = await createKeyAndCsr({ names: { email: ['ada@example.org'] } });
 * const method = cacertMethod({ caUrl: 'https://ca.example', credentials: { installationToken } });
 * const { certificatePem, chainPem } = await submit(method, { csrPem }, { onEvent: (e) => console.error(e.type) });
 */
export async function submit(method: EnrollmentMethod, request: EnrollmentRequest, options: SubmitOptions = {}): Promise<EnrolledCertificate> {
  const s = checkOptions(method, options);
  let requestId = options.requestId;
  // A held request's revocation secret comes with the answer that stored it, never with a poll.
  let pendingSecret: string | undefined;
  // The first attempt sends the request (or, resuming, asks at once: the CA may have decided while
  // nobody was polling); each later one polls it.
  return poll<EnrolledCertificate>(
    async (signal, { attempt }) => {
      let result: SubmitResult;
      if (attempt === 1 && requestId === undefined) {
        s.emit({ type: 'submitting', method: method.name });
        result = await method.submit(request, { ...options.context, signal });
      } else {
        s.emit({ type: 'polling', requestId: requestId as string });
        result = await (method.poll as NonNullable<EnrollmentMethod['poll']>)(
          { status: 'pending', requestId: requestId as string },
          { ...options.context, request, signal },
        );
      }
      if (result.status === 'pending') {
        requestId = result.requestId;
        pendingSecret ??= result.revocationSecret;
        s.emit({ type: 'pending', requestId });
        if (method.poll === undefined) throw new TypeError(`method ${method.name} answered pending but has no poll`);
        return { done: false, retryAfterMs: result.retryAfterMs };
      }
      if (result.status === 'rejected') {
        throw new EnrollmentRejectedError(`the CA refused the request: ${result.reason}`, {
          caCode: result.caCode,
          reason: result.reason,
          ...(result.httpStatus === undefined ? {} : { status: result.httpStatus }),
        });
      }
      s.emit({ type: 'issued' });
      const { status: _status, ...certificate } = result;
      const secret = certificate.revocationSecret ?? pendingSecret;
      return { done: true, value: secret === undefined ? certificate : { ...certificate, revocationSecret: secret } };
    },
    {
      clock: s.clock,
      signal: options.signal,
      initialDelayMs: s.pollIntervalMs,
      maxDelayMs: s.maxPollIntervalMs,
      // RFC 9110 §10.2.3: the CA says when to ask again; its word is taken, shorter or longer
      // than our backoff (not below a floor, so that `Retry-After: 0` cannot make a hot loop).
      retryAfter: 'instead',
      minRetryAfterMs: MIN_POLL_DELAY_MS,
      timeoutMs: s.timeoutMs,
      timeoutError: () => new EnrollmentTimeoutError(`the enrollment did not finish within ${s.timeoutMs} ms`, s.timeoutMs, requestId),
      abortError: (reason) => new RegistrationAbortedError('the enrollment was aborted', { cause: reason }),
      onWait: (delayMs) => s.emit({ type: 'waiting', delayMs }),
    },
  );
}

interface Settings {
  readonly timeoutMs: number;
  readonly pollIntervalMs: number;
  readonly maxPollIntervalMs: number;
  readonly clock: Clock;
  readonly emit: (event: EnrollmentEvent) => void;
}

function checkOptions(method: EnrollmentMethod, options: SubmitOptions): Settings {
  if (method === null || typeof method !== 'object' || typeof method.submit !== 'function') throw new TypeError('method must be an EnrollmentMethod');
  if (options === null || typeof options !== 'object') throw new TypeError('options must be an object');
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) throw new TypeError('signal must be an AbortSignal');
  const { timeoutMs, pollIntervalMs, maxPollIntervalMs } = waitLimits(options, {
    timeoutMs: DEFAULT_ENROLLMENT_TIMEOUT_MS,
    pollIntervalMs: DEFAULT_ENROLLMENT_POLL_INTERVAL_MS,
    maxPollIntervalMs: DEFAULT_ENROLLMENT_MAX_POLL_INTERVAL_MS,
  });
  if (maxPollIntervalMs < pollIntervalMs) throw new TypeError('maxPollIntervalMs must not be below pollIntervalMs');
  if (options.requestId !== undefined) {
    if (typeof options.requestId !== 'string' || options.requestId === '') throw new TypeError('requestId must be a non-empty string');
    if (typeof method.poll !== 'function') throw new TypeError(`method ${method.name} cannot poll a request by id`);
  }
  if (options.context !== undefined && (options.context === null || typeof options.context !== 'object')) throw new TypeError('context must be an object');
  const { onEvent } = options;
  if (onEvent !== undefined && typeof onEvent !== 'function') throw new TypeError('onEvent must be a function');
  const emit = (event: EnrollmentEvent) => {
    try {
      onEvent?.(event);
    } catch {
      // A broken progress display must not break the enrollment.
    }
  };
  return { timeoutMs, pollIntervalMs, maxPollIntervalMs, clock: options.clock ?? systemClock, emit };
}
