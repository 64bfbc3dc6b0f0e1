/**
 * Confirming an address for the account (the `verify-email` step): ask the CA to ping it, with
 * the vendor's mail-hook nonce when there is one, and wait until the CA lists it as confirmed.
 * With a mail hook the mail server answers the ping by itself; without one, a person opens the
 * mail and clicks its link. Either way the SDK learns it the same way: by asking the CA.
 */
import {
  ADDRESS_PING_PATH,
  CaRejectedError,
  CEMAILS_PATH,
  decodeAddressPingAnswer,
  decodeCemailsAnswer,
  encodeAddressPingRequest,
  MalformedResponseError,
  PING_REQUEST_MEDIA_TYPE,
} from '@certwizard/protocol';
import { CaProtocolError, RegistrationAbortedError } from '../../errors.js';
import { sendCaRequest, type CaAnswer } from '../../transport/ca-request.js';
import { poll, waitLimits } from '../../transport/poll.js';
import { AddressVerificationError, AddressVerificationTimeoutError } from '../../enroll/errors.js';
import { methodTransport, type MethodTransportOptions } from '../../enroll/method-context.js';
import type { AddressVerificationEvent } from '../../enroll/method-event.js';

/** Default of `timeoutMs`: 24 hours, as long as the CA keeps a ping valid. */
export const DEFAULT_VERIFY_ADDRESS_TIMEOUT_MS = 24 * 60 * 60 * 1000;
/** Default first wait between checks: 2 s (a mail hook answers within seconds). */
export const DEFAULT_VERIFY_ADDRESS_POLL_INTERVAL_MS = 2000;
/** Default longest wait between checks: 30 s (a person clicking is noticed within half a minute). */
export const DEFAULT_VERIFY_ADDRESS_MAX_POLL_INTERVAL_MS = 30_000;

/** Options of {@link verifyAddress}. */
export interface VerifyAddressOptions extends MethodTransportOptions {
  /** Base URL of the CA. */
  readonly caUrl: string;
  /** The installation token from `register()`: a secret, sent only as `Authorization: Bearer`. */
  readonly installationToken: string;
  /** The address to confirm for the account. */
  readonly address: string;
  /**
   * A nonce from the vendor's mail hook for exactly this address (`NonceBook.expect`), or a
   * function that makes one (called only when a ping is really sent): the ping then carries it and
   * the mail server confirms it by itself. Without it a person clicks.
   */
  readonly pingNonce?: string | (() => Promise<string>);
  /** Longest time to wait for the confirmation, in ms. Default {@link DEFAULT_VERIFY_ADDRESS_TIMEOUT_MS}. */
  readonly timeoutMs?: number;
  /** First wait between checks, in ms, growing 1.5 times. Default {@link DEFAULT_VERIFY_ADDRESS_POLL_INTERVAL_MS}. */
  readonly pollIntervalMs?: number;
  /** Longest wait between checks, in ms. Default {@link DEFAULT_VERIFY_ADDRESS_MAX_POLL_INTERVAL_MS}. */
  readonly maxPollIntervalMs?: number;
  readonly signal?: AbortSignal;
  /** Progress; what it throws is ignored. */
  readonly onEvent?: (event: AddressVerificationEvent) => void;
}

/**
 * Confirms `address` for the account of `installationToken`.
 *
 * 1. Asks `/api/cemails.php` whether the account already has it: then nothing is sent.
 * 2. `POST /api/addresses` with `email` and `PingNonce` (docs/protocol.md, "The email ping"): the
 *    CA mails the ping.
 * 3. Asks `/api/cemails.php` again, at once and then after 2 s growing ×1.5 up to 30 s, until
 *    the address is listed (`EMAIL=`), the time limit passes (measured on `clock` too: the last
 *    wait is cut at it), or the signal aborts.
 *
 * @throws {TypeError} for bad options.
 * @throws {AddressVerificationError} `ERR_SDK_ADDRESS_VERIFICATION` when the CA refuses the ping
 *   request (its `caCode`, e.g. `invalid_request`, `unauthorized`).
 * @throws {AddressVerificationTimeoutError} `ERR_SDK_ADDRESS_TIMEOUT` when the address is still
 *   unconfirmed at the limit (a person may still click later: call again).
 * @throws {RegistrationAbortedError} `ERR_SDK_ABORTED` when `signal` aborts.
 * @throws {CaUnreachableError} `ERR_SDK_CA_UNREACHABLE`, {@link CaProtocolError} `ERR_SDK_CA_PROTOCOL`.
 * @example
 * const nonce = await book.expect('postmaster@example.org', { ttlMs: 86_400_000 });
 * await verifyAddress({ caUrl, installationToken, address: 'postmaster@example.org', pingNonce: nonce });
 */
export async function verifyAddress(options: VerifyAddressOptions): Promise<{ readonly address: string; readonly alreadyConfirmed: boolean }> {
  if (options === null || typeof options !== 'object') throw new TypeError('options must be an object');
  const { base, transport } = methodTransport(options.caUrl, options);
  const { installationToken, address, pingNonce, signal } = options;
  if (typeof installationToken !== 'string' || !/^[A-Za-z0-9\-._~+/]+=*$/.test(installationToken))
    throw new TypeError('installationToken must be a bearer token');
  // Validates the address (and a given nonce) the way the wire does, before anything is sent.
  encodeAddressPingRequest({ email: address, ...(typeof pingNonce === 'string' ? { pingNonce } : {}) });
  if (pingNonce !== undefined && typeof pingNonce !== 'string' && typeof pingNonce !== 'function')
    throw new TypeError('pingNonce must be a string or a function');
  const { timeoutMs, pollIntervalMs, maxPollIntervalMs } = waitLimits(options, {
    timeoutMs: DEFAULT_VERIFY_ADDRESS_TIMEOUT_MS,
    pollIntervalMs: DEFAULT_VERIFY_ADDRESS_POLL_INTERVAL_MS,
    maxPollIntervalMs: DEFAULT_VERIFY_ADDRESS_MAX_POLL_INTERVAL_MS,
  });
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw new TypeError('signal must be an AbortSignal');
  const emit = (event: AddressVerificationEvent) => {
    try {
      options.onEvent?.(event);
    } catch {
      // A broken display must not break the flow.
    }
  };
  const wanted = address.toLowerCase();
  const authorization = { authorization: `Bearer ${installationToken}` };
  const confirmed = async (signal: AbortSignal): Promise<boolean> => {
    const answer = await sendCaRequest(
      { what: 'cemails', url: `${base}${CEMAILS_PATH}`, method: 'GET', headers: authorization, initialDelayMs: transport.retryDelayMs },
      transport.context(signal),
    );
    const allowed = decodeOrThrow('cemails', answer, () => decodeCemailsAnswer(answer.status, answer.body));
    return allowed.emails.some((e) => e.toLowerCase() === wanted);
  };
  /** Asks the CA to ping the address; `true` when it answers that the address is confirmed already. */
  const ping = async (signal: AbortSignal): Promise<boolean> => {
    const nonce = typeof pingNonce === 'function' ? await pingNonce() : pingNonce;
    const body = encodeAddressPingRequest({ email: address, ...(nonce === undefined ? {} : { pingNonce: nonce }) });
    const answer = await sendCaRequest(
      {
        what: 'address ping',
        url: `${base}${ADDRESS_PING_PATH}`,
        method: 'POST',
        headers: { ...authorization, 'content-type': PING_REQUEST_MEDIA_TYPE },
        body,
        initialDelayMs: transport.retryDelayMs,
        // The CA's own "could not send the mail": surfaced with its code, not as unreachable.
        documentedStatuses: [502],
      },
      transport.context(signal),
    );
    let json: unknown;
    try {
      json = JSON.parse(answer.body);
    } catch (error) {
      throw new CaProtocolError(`address ping: the CA answered ${answer.status} with a body that is not JSON`, answer.status, { cause: error });
    }
    try {
      decodeOrThrow('address ping', answer, () => decodeAddressPingAnswer(answer.status, json));
    } catch (error) {
      // Confirmed between the two requests (a person was quicker): that is the goal reached.
      if (!(error instanceof AddressVerificationError) || error.caCode !== 'address_confirmed') throw error;
      return true;
    }
    return false;
  };
  const finished = (alreadyConfirmed: boolean) => {
    emit({ type: 'confirmed', address, alreadyConfirmed });
    return { done: true, value: { address, alreadyConfirmed } } as const;
  };
  // The first attempt looks, pings and looks again; each later one only looks.
  return poll(
    async (signal, { attempt }) => {
      if (attempt === 1) {
        if ((await confirmed(signal)) || (await ping(signal))) return finished(true);
        emit({ type: 'ping-sent', address, automatic: pingNonce !== undefined });
      }
      return (await confirmed(signal)) ? finished(false) : { done: false };
    },
    {
      clock: transport.clock,
      signal,
      initialDelayMs: pollIntervalMs,
      maxDelayMs: maxPollIntervalMs,
      timeoutMs,
      timeoutError: () => new AddressVerificationTimeoutError(`${address} was not confirmed within ${timeoutMs} ms`, address),
      abortError: (reason) => new RegistrationAbortedError('the address verification was aborted', { cause: reason }),
      onWait: (delayMs) => emit({ type: 'waiting', address, delayMs }),
    },
  );
}

/** Runs a decoder: a documented refusal becomes {@link AddressVerificationError}, a breach of the contract `ERR_SDK_CA_PROTOCOL`. */
function decodeOrThrow<T>(what: string, answer: CaAnswer, decoder: () => T): T {
  try {
    return decoder();
  } catch (error) {
    if (error instanceof CaRejectedError) throw new AddressVerificationError(`${what}: the CA refused: ${error.message}`, error.caCode, answer.status);
    if (error instanceof MalformedResponseError) throw new CaProtocolError(`${what}: ${error.message}`, answer.status, { cause: error });
    throw error;
  }
}
