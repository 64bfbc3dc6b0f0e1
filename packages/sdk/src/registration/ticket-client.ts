/**
 * The ticket side of the hand-off: `givemeaticket` once, then `isitdone` until the registration
 * tied to the ticket ends (docs/protocol.md, "The registration hand-off").
 */
import {
  decodeNewTicketAnswer,
  type NewTicket,
  decodeTicketAnswerJson,
  REGISTRATION_IDS,
  REGISTRATION_PARAMS,
  REGISTRATION_PATH,
  type TicketAnswer,
  type TicketStatus,
} from '@certwizard/protocol';
import { CaProtocolError, RegistrationRefusedError, TicketExpiredError } from '../errors.js';
import { sendCaRequest, type CaRequestContext } from '../transport/ca-request.js';
import { poll } from '../transport/poll.js';

const ACCEPT_JSON = { Accept: 'application/json' } as const;

/** The URL of an `/index.php?id=...` endpoint under the CA's base URL. */
function endpointUrl(caUrl: string, id: string, extra: Record<string, string> = {}): string {
  const base = new URL(caUrl);
  const query = new URLSearchParams({ [REGISTRATION_PARAMS.id]: id, ...extra });
  return `${base.origin}${base.pathname.replace(/\/+$/, '')}${REGISTRATION_PATH}?${query.toString()}`;
}

/** Parses a JSON body, or says that the CA broke the contract. */
function parseJson(what: string, status: number, body: string): unknown {
  try {
    return JSON.parse(body);
  } catch (error) {
    throw new CaProtocolError(`${what}: the CA answered ${status} with a body that is not JSON`, status, { cause: error });
  }
}

/**
 * Asks the CA for a new ticket: `GET /index.php?id=givemeaticket`, JSON answer: the ticket and,
 * from a current CA, its user code.
 * @param firstDelayMs - first wait between retried attempts, in ms.
 * @throws {CaProtocolError} `ERR_SDK_CA_PROTOCOL` for a status other than 200 or a body without a valid ticket.
 * @throws {CaUnreachableError} `ERR_SDK_CA_UNREACHABLE` after the bounded retries.
 * @example
 * const { ticket, userCode } = await requestTicket('https://ca.example', 2000, ctx);
 */
export async function requestTicket(caUrl: string, firstDelayMs: number, ctx: CaRequestContext, pingNonce?: string): Promise<NewTicket> {
  const what = 'givemeaticket';
  const url = endpointUrl(caUrl, REGISTRATION_IDS.giveMeATicket);
  // With a mail-hook nonce: POST, so the nonce goes to the CA over this back channel, bound to
  // the ticket, and never through the browser (a nonce others saw could confirm the address
  // for their own account). Without one: the plain GET of CAcert's protocol.
  const request =
    pingNonce === undefined
      ? ({ what, url, method: 'GET', headers: ACCEPT_JSON, initialDelayMs: firstDelayMs } as const)
      : ({
          what,
          url,
          method: 'POST',
          headers: { ...ACCEPT_JSON, 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ [REGISTRATION_PARAMS.pingNonce]: pingNonce }).toString(),
          initialDelayMs: firstDelayMs,
        } as const);
  const { status, body } = await sendCaRequest(request, ctx);
  if (status !== 200) throw new CaProtocolError(`${what}: the CA answered ${status}`, status);
  try {
    return decodeNewTicketAnswer(parseJson(what, status, body), status);
  } catch (error) {
    if (error instanceof CaProtocolError) throw error;
    throw new CaProtocolError(`${what}: the answer holds no valid ticket`, status, { cause: error });
  }
}

/** Options of {@link pollTicket}. */
export interface PollTicketOptions {
  /** First wait before a poll, in ms; each later wait is 1.5 times longer. */
  readonly pollIntervalMs: number;
  /** Longest wait between polls, in ms (a longer `Retry-After` still wins). */
  readonly maxPollIntervalMs: number;
  /** Called with the status of every answer (never its address or code). */
  readonly onStatus: (status: TicketStatus) => void;
  /**
   * Asks the CA to hold a `pending` answer this many seconds (1 to 30) and answer as soon as the
   * registration ends (the `wait` parameter, a long poll). Default {@link DEFAULT_TICKET_WAIT_SECONDS};
   * 0 never asks.
   */
  readonly waitSeconds?: number;
}

/**
 * Default of `waitSeconds`: long enough to make a waiting installer cost one request every 25 s
 * instead of one every few seconds, short enough for proxies' idle timeouts.
 */
export const DEFAULT_TICKET_WAIT_SECONDS = 25;

/** How a finished ticket ended well: the address the CA reports and the one-time code. */
export interface TicketDone {
  readonly emailAddress: string;
  readonly code: string | undefined;
}

/**
 * Polls `GET /index.php?id=isitdone&ticket=T&wait=S` (JSON) until the registration ends, waiting
 * `pollIntervalMs` before the first poll and 1.5 times longer before each next one, up to
 * `maxPollIntervalMs`; a 429 or 503 waits for `Retry-After` when that is longer. A CA that held
 * a `pending` answer for the `wait` asked (a long poll) is asked again at once: it answers the
 * moment the registration ends, so the installer learns of it within a fraction of a second. A
 * CA that answers at once (an older one) is polled on the interval.
 * @throws {RegistrationRefusedError} `ERR_SDK_REGISTRATION_REFUSED` with the CA's `reason` for status `error`.
 * @throws {TicketExpiredError} `ERR_SDK_TICKET_EXPIRED` for status `expired`.
 * @throws {CaProtocolError} `ERR_SDK_CA_PROTOCOL` for `unknown`, a status other than 200, a malformed answer.
 * @throws {CaUnreachableError} `ERR_SDK_CA_UNREACHABLE` after the bounded retries of one poll.
 * @throws whatever `ctx.signal.reason` is, once it aborts (this is how polling is stopped).
 * @example
 * const { code } = await pollTicket('https://ca.example', ticket, { pollIntervalMs: 2000, maxPollIntervalMs: 15000, onStatus }, ctx);
 */
export async function pollTicket(caUrl: string, ticket: string, options: PollTicketOptions, ctx: CaRequestContext): Promise<TicketDone> {
  const what = 'isitdone';
  const waitSeconds = options.waitSeconds ?? DEFAULT_TICKET_WAIT_SECONDS;
  const url = endpointUrl(caUrl, REGISTRATION_IDS.isItDone, {
    [REGISTRATION_PARAMS.ticket]: ticket,
    ...(waitSeconds === 0 ? {} : { [REGISTRATION_PARAMS.wait]: String(waitSeconds) }),
  });
  // No deadline of its own: register()'s overall one is in ctx.signal.
  return poll<TicketDone>(
    async (signal, { backoffMs }) => {
      const sentAt = ctx.clock.now();
      // A failed poll is retried from the current poll interval, not from the first one.
      const { status, body } = await sendCaRequest({ what, url, method: 'GET', headers: ACCEPT_JSON, initialDelayMs: backoffMs }, { ...ctx, signal });
      if (status !== 200) throw new CaProtocolError(`${what}: the CA answered ${status}`, status);
      let answer: TicketAnswer;
      try {
        answer = decodeTicketAnswerJson(parseJson(what, status, body), status);
      } catch (error) {
        if (error instanceof CaProtocolError) throw error;
        throw new CaProtocolError(`${what}: malformed answer`, status, { cause: error });
      }
      options.onStatus(answer.status);
      switch (answer.status) {
        case 'done':
          return { done: true, value: { emailAddress: answer.emailAddress, code: answer.code } };
        case 'error':
          throw new RegistrationRefusedError(`the CA reports that the registration failed: ${answer.reason}`, answer.reason, 'ticket');
        case 'expired':
          throw new TicketExpiredError('the ticket expired before the registration finished');
        case 'unknown':
          throw new CaProtocolError(`${what}: the CA does not know the ticket it handed out`, status);
        case 'pending':
          // Held for (nearly) the whole wait: the CA long-polls, so ask again at once.
          return waitSeconds > 0 && ctx.clock.now() - sentAt >= (waitSeconds - 1) * 1000 ? { done: false, retryAfterMs: 0 } : { done: false };
      }
    },
    {
      clock: ctx.clock,
      signal: ctx.signal,
      waitFirst: true,
      initialDelayMs: options.pollIntervalMs,
      maxDelayMs: options.maxPollIntervalMs,
      retryAfter: 'instead',
    },
  );
}
