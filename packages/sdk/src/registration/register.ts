/**
 * The registration hand-off: open the CA's registration page, learn the outcome from the agent's
 * callback or the ticket (whichever comes first), and redeem the one-time code server-side.
 */
import { startCallbackAgent, type CallbackAgent, type CallbackResult } from '@certwizard/agent';
import {
  createPkcePair,
  isRegistrationErrorReason,
  ISITDONE_MAX_WAIT_SECONDS,
  isValidInstallationLabel,
  isValidPingNonce,
  isValidUserCode,
  isValidVerifier,
  s256Challenge,
  TICKET_PATTERN,
  WIZARD_CODE_PATTERN,
} from '@certwizard/protocol';
import { CaProtocolError, RegistrationAbortedError, RegistrationRefusedError, RegistrationTimeoutError, type RegistrationChannel } from '../errors.js';
import type { CaRequestContext } from '../transport/ca-request.js';
import { withDeadline } from '../transport/deadline.js';
import { openWithSystemBrowser, type BrowserOpener } from '../transport/default-opener.js';
import { displayOnStderr, type DisplayInfo } from '../transport/stderr-display.js';
import { systemClock, type Clock } from './clock.js';
import { redeemCode } from './redeem-code.js';
import type { RegistrationEvent } from './registration-event.js';
import { buildRegistrationUrl, type RegistrationPrefill } from './registration-url.js';
import { terminalQr } from './terminal-qr.js';
import { DEFAULT_TICKET_WAIT_SECONDS, pollTicket, requestTicket } from './ticket-client.js';

/** Default overall limit of {@link register}: 15 minutes. */
export const DEFAULT_REGISTRATION_TIMEOUT_MS = 15 * 60_000;
/** Default first wait between ticket polls: 2 s. */
export const DEFAULT_POLL_INTERVAL_MS = 2_000;
/** Default longest wait between ticket polls: 15 s. */
export const DEFAULT_MAX_POLL_INTERVAL_MS = 15_000;
/** Default number of further attempts of one request after a network failure (or 502/504). */
export const DEFAULT_RETRIES = 4;

/** Longest delay a timer can hold (2^31 - 1 ms, about 24.8 days). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Options of {@link register}. */
export interface RegisterOptions {
  /** The CA's base URL, e.g. `https://ca.example` (no query, fragment or user info). Required. */
  readonly caUrl: string;
  /** Fields to prefill on the registration page; only `sure: true` ones are sent. Default: none. */
  readonly prefill?: RegistrationPrefill;
  /**
   * Opens the registration URL in a browser; a rejection makes the flow display the URL and go on.
   * Default: the `open` package ({@link openWithSystemBrowser}), which only notices an opener
   * program that cannot start. The SDK does not look at `DISPLAY` or any other environment
   * variable: a caller that knows the machine is headless passes `noBrowser: true`.
   */
  readonly opener?: BrowserOpener;
  /**
   * Do not try a browser: display the URL and rely on the ticket. No agent is started and the URL
   * carries no `continue`/`error` targets, since a browser elsewhere (a phone scanning the QR
   * code) could not reach this machine's loopback anyway. Default `false`.
   */
  readonly noBrowser?: boolean;
  /**
   * Shows the URL and its terminal QR code when no browser opens (`noBrowser`, or the opener
   * rejected). What it throws fails the flow. Default: {@link displayOnStderr}, which writes to
   * `process.stderr`.
   */
  readonly display?: (info: DisplayInfo) => void | Promise<void>;
  /** Overall limit, in ms, from the call to the result (integer 1 to 2^31 - 1). Default 900000 (15 minutes). */
  readonly timeoutMs?: number;
  /** First wait before a ticket poll, in ms (also the first wait between retried requests). Default 2000. */
  readonly pollIntervalMs?: number;
  /** Longest wait between ticket polls, in ms; a longer `Retry-After` from the CA still wins. Default 15000. */
  readonly maxPollIntervalMs?: number;
  /**
   * How long the CA may hold a `pending` ticket answer, in whole seconds 0 to 30 (`isitdone`'s
   * `wait`, a long poll): the CA answers the moment the registration ends. Default 25; 0 never
   * asks (e.g. behind a proxy that cuts idle requests sooner).
   */
  readonly ticketWaitSeconds?: number;
  /** Further attempts of one request after a network failure or a 502/504, integer 0 to 100. Default 4. */
  readonly retries?: number;
  /** Aborting it ends the flow with `ERR_SDK_ABORTED` (its reason as `cause`). */
  readonly signal?: AbortSignal;
  /** TCP port of the callback agent on 127.0.0.1. Default 0 (the system picks one). */
  readonly agentPort?: number;
  /**
   * What the installer calls itself ("ExampleMail installer"): the title of the page the agent
   * answers the browser with, and the name the CA's account page shows next to the installation
   * token this registration gets (`installation_label` of the token request). 1 to 100
   * characters without control or bidi-control characters. Default: the page says "Certificate
   * wizard" and the CA names the installation itself.
   */
  readonly installationLabel?: string;
  /** The `fetch` used for every request to the CA. Default: the global `fetch`. */
  readonly fetch?: typeof fetch;
  /** The clock the polling waits use (not the overall timeout). Default: the system clock. Inject one in tests. */
  readonly clock?: Clock;
  /** Called synchronously with each {@link RegistrationEvent}; what it throws is ignored. */
  readonly onEvent?: (event: RegistrationEvent) => void;
  /**
   * A PEM certificate request to send with the registration (the page's `CSR` field; see
   * docs/protocol.md, "A certificate request sent with the registration"). The CA issues it once
   * the address is confirmed if it names exactly that address, and otherwise keeps it pending for
   * the owner. Find it afterwards with `GET /api/requests?source=registration`. Default: none.
   */
  readonly csrPem?: string;
  /**
   * Called once the ticket and the PKCE verifier exist, before the page is shown, so that an
   * installer that may be killed can keep them and continue later with `resume`. Both are secrets
   * (the verifier redeems the code; the ticket reveals the address): keep them in a credential
   * store, never in a state file or a log. The flow waits for it; a rejection ends the flow.
   */
  readonly onPending?: (pending: PendingRegistration) => void | Promise<void>;
  /**
   * Continue a registration an earlier run started (what `onPending` received): no new ticket,
   * no agent; the registration URL with the same ticket and challenge goes to `display` (for a
   * person who closed the page before submitting it) while the ticket is polled, and the code is
   * redeemed with the same verifier.
   */
  readonly resume?: PendingRegistration;
  /**
   * A nonce from the vendor's mail hook for the prefilled address (`PingNonce`): the CA's
   * confirmation mail then carries it, and that mail server confirms the address by itself. If the
   * person types another address, the nonce does not fit and they confirm by hand as usual.
   * It goes to the CA with the ticket request (`POST givemeaticket`), never in the page's URL:
   * whoever presents a nonce can have the address confirmed, so it must not pass the browser.
   * Ignored with `resume` (the ticket has it already).
   */
  readonly pingNonce?: string;
  /**
   * Called with the one-time code just before it is redeemed, so that an installer that may be
   * killed can keep it (in its credential store, with what `onPending` received) and pass it back
   * in `resume.code`: a run killed after the CA answered but before the token was kept redeems the
   * same code with the same verifier again, and the CA then issues a fresh token and revokes the
   * lost one (docs/protocol.md, `POST /api/wizard/token`). The flow waits for it; a rejection ends
   * the flow before anything is redeemed. A secret.
   */
  readonly onCode?: (code: string) => void | Promise<void>;
}

/** A registration under way, as {@link RegisterOptions.onPending} hands it out: keep it as a secret. */
export interface PendingRegistration {
  /** The ticket from `givemeaticket`. A secret. */
  readonly ticket: string;
  /** The PKCE verifier (RFC 7636 §4.1) whose S256 challenge the registration URL carries. A secret. */
  readonly codeVerifier: string;
  /** The ticket's user code, shown again by a resumed run (not a secret: the person compares it). */
  readonly userCode?: string;
  /** The one-time code, once the registration finished (what `onCode` received). A secret. */
  readonly code?: string;
}

/** What {@link register} resolves with: all from the CA's token endpoint, nothing from the browser. */
export interface RegistrationResult {
  /** The address the CA confirmed. */
  readonly emailAddress: string;
  /** May be empty. */
  readonly firstName: string;
  /** Absent when the account has none. */
  readonly middleName?: string;
  /** May be empty. */
  readonly lastName: string;
  /** Bearer token for the CA's API, scoped to this account. A secret: store it like a password, never log it. */
  readonly installationToken: string;
  /** Which channel delivered the one-time code that was redeemed. */
  readonly via: RegistrationChannel;
}

/** The code to redeem and where it came from. */
interface Outcome {
  readonly via: RegistrationChannel;
  readonly code: string;
}

/**
 * Registers the user with the CA through the browser and returns the confirmed account.
 *
 * 1. Makes a PKCE pair (RFC 7636 §4.1, §4.2, S256) and asks the CA for a ticket.
 * 2. Starts the callback agent on 127.0.0.1 (unless `noBrowser`) and builds the registration URL
 *    with the sure prefill, the agent's `continue`/`error` URLs, the ticket and the challenge.
 * 3. Opens the URL with `opener`; without a browser it shows the URL and a QR code via `display`.
 * 4. Races the agent's callback against ticket polling (backoff ×1.5 up to `maxPollIntervalMs`,
 *    `Retry-After` honoured). The first outcome wins; the other channel is stopped at once.
 * 5. Redeems the one-time code, exactly once, at `POST /api/wizard/token` with the verifier
 *    (RFC 7636 §4.5). The address the browser delivered in the callback is never used: the result
 *    comes only from the CA's answer.
 *
 * Whatever happens, the agent is closed and every timer cleared before the promise settles.
 *
 * @param options - see {@link RegisterOptions}.
 * @throws {TypeError} for invalid options (caller misuse), including password-like prefill keys.
 * @throws {RegistrationRefusedError} `ERR_SDK_REGISTRATION_REFUSED`, with the CA's `reason`, from the error callback or an `isitdone` error answer.
 * @throws {TicketExpiredError} `ERR_SDK_TICKET_EXPIRED` when `isitdone` answers `expired`.
 * @throws {RegistrationTimeoutError} `ERR_SDK_REGISTRATION_TIMEOUT` after `timeoutMs`.
 * @throws {RegistrationAbortedError} `ERR_SDK_ABORTED` when `signal` aborts; `cause` is its reason.
 * @throws {RedemptionRefusedError} `ERR_SDK_REDEMPTION_REFUSED` with the CA's `caCode` (e.g. `invalid_grant`) and `status`.
 * @throws {CaUnreachableError} `ERR_SDK_CA_UNREACHABLE` when one request failed on the network `retries + 1` times.
 * @throws {CaProtocolError} `ERR_SDK_CA_PROTOCOL` for an answer outside the wire contract.
 * @throws {AgentListenError} `ERR_AGENT_LISTEN` (from `@certwizard/agent`) when a fixed `agentPort` is taken.
 * @example
 * const account = await register({
 *   caUrl: 'https://ca.example',
 *   prefill: { emailAddress: { value: 'postmaster@example.org', sure: true } },
 *   installationLabel: 'ExampleMail installer',
 *   onEvent: (event) => console.error(event.type),
 * });
 * console.log(`registered ${account.emailAddress}`); // never log account.installationToken
 */
export async function register(options: RegisterOptions): Promise<RegistrationResult> {
  const settings = checkOptions(options);
  const { timeoutMs } = settings;
  // One signal for the whole flow: its reason is the typed error the flow ends with.
  return withDeadline(
    async (signal) => {
      const run = new RegistrationRun(settings, signal);
      try {
        return await run.execute();
      } finally {
        await run.dispose();
      }
    },
    {
      signal: settings.signal,
      timeoutMs,
      timeoutError: () => new RegistrationTimeoutError(`the registration did not finish within ${timeoutMs} ms`, timeoutMs),
      abortError: (reason) => new RegistrationAbortedError('the registration was aborted', { cause: reason }),
    },
  );
}

/** Validated options with defaults applied. */
interface Settings {
  readonly caUrl: string;
  readonly prefill: RegistrationPrefill | undefined;
  readonly opener: BrowserOpener;
  readonly noBrowser: boolean;
  readonly display: (info: DisplayInfo) => void | Promise<void>;
  readonly timeoutMs: number;
  readonly pollIntervalMs: number;
  readonly maxPollIntervalMs: number;
  readonly ticketWaitSeconds: number;
  readonly retries: number;
  readonly signal: AbortSignal | undefined;
  readonly agentPort: number;
  readonly installationLabel: string | undefined;
  readonly csrPem: string | undefined;
  readonly pingNonce: string | undefined;
  readonly onCode: ((code: string) => void | Promise<void>) | undefined;
  readonly resume: PendingRegistration | undefined;
  readonly onPending: ((pending: PendingRegistration) => void | Promise<void>) | undefined;
  readonly fetch: typeof fetch;
  readonly clock: Clock;
  readonly emit: (event: RegistrationEvent) => void;
}

/** One run of the flow: holds what must be cleaned up. */
class RegistrationRun {
  readonly #settings: Settings;
  readonly #signal: AbortSignal;
  /** Rejects with the flow's reason when it is stopped; every step is raced against it. */
  readonly #stopped: Promise<never>;
  #agentStart: Promise<CallbackAgent> | undefined;
  /** The ticket's user code, for `display`. */
  #userCode: string | undefined;

  constructor(settings: Settings, signal: AbortSignal) {
    this.#settings = settings;
    this.#signal = signal;
    this.#stopped = new Promise<never>((_, reject) => {
      if (signal.aborted) reject(signal.reason);
      else signal.addEventListener('abort', () => reject(signal.reason), { once: true });
    });
    this.#stopped.catch(() => undefined);
  }

  async execute(): Promise<RegistrationResult> {
    const s = this.#settings;
    const ctx: CaRequestContext = {
      fetch: s.fetch,
      clock: s.clock,
      signal: this.#signal,
      retries: s.retries,
      maxDelayMs: s.maxPollIntervalMs,
      onRetry: (attempt) => s.emit({ type: 'ca-retrying', attempt }),
    };
    // RFC 7636 §4.1/§4.2: only the verifier's S256 challenge goes in the URL; the verifier stays
    // with the installer (in memory, or in its credential store through onPending).
    const { resume } = s;
    const pkce = resume === undefined ? createPkcePair() : { verifier: resume.codeVerifier, challenge: s256Challenge(resume.codeVerifier) };
    let ticket: string;
    let userCode: string | undefined;
    if (resume === undefined) {
      ({ ticket, userCode } = await this.#within(requestTicket(s.caUrl, s.pollIntervalMs, ctx, s.pingNonce)));
      s.emit(userCode === undefined ? { type: 'ticket-issued' } : { type: 'ticket-issued', userCode });
      if (s.onPending !== undefined) {
        await this.#within(
          Promise.resolve(s.onPending(Object.freeze({ ticket, codeVerifier: pkce.verifier, ...(userCode === undefined ? {} : { userCode }) }))),
        );
      }
    } else {
      ({ ticket, userCode } = resume);
      s.emit(userCode === undefined ? { type: 'resumed' } : { type: 'resumed', userCode });
      // Killed after the registration finished: the code is known, only its redemption is left.
      if (resume.code !== undefined) return this.#redeem({ via: 'ticket', code: resume.code }, pkce.verifier, ctx);
    }
    this.#userCode = userCode;

    let agent: CallbackAgent | undefined;
    // A resumed registration has no agent: the page already shown points at the earlier one.
    if (!s.noBrowser && resume === undefined) {
      this.#agentStart = startCallbackAgent({
        port: s.agentPort,
        signal: this.#signal,
        ...(s.installationLabel === undefined ? {} : { page: { title: s.installationLabel } }),
      });
      agent = await this.#within(this.#agentStart);
    }
    const url = buildRegistrationUrl(s.caUrl, {
      ...(s.prefill === undefined ? {} : { prefill: s.prefill }),
      ...(agent === undefined ? {} : { continueUrl: agent.continueUrl, errorUrl: agent.errorUrl }),
      ticket,
      codeChallenge: pkce.challenge,
      ...(s.csrPem === undefined ? {} : { csrPem: s.csrPem }),
    });

    // The losing channel is stopped through this controller as soon as one outcome is in.
    const channels = new AbortController();
    const onFlowAbort = () => channels.abort(this.#signal.reason);
    this.#signal.addEventListener('abort', onFlowAbort, { once: true });
    let outcome: Outcome;
    try {
      const candidates: Array<Promise<Outcome>> = [
        pollTicket(
          s.caUrl,
          ticket,
          {
            pollIntervalMs: s.pollIntervalMs,
            maxPollIntervalMs: s.maxPollIntervalMs,
            waitSeconds: s.ticketWaitSeconds,
            onStatus: (status) => s.emit({ type: 'ticket-state', status }),
          },
          { ...ctx, signal: channels.signal },
        ).then((done): Outcome => {
          if (done.code === undefined) throw new CaProtocolError('isitdone: the registration finished without the one-time code the challenge asks for', 200);
          return { via: 'ticket', code: done.code };
        }),
      ];
      if (agent !== undefined) candidates.push(agent.waitForCallback({ signal: channels.signal }).then((result) => this.#fromCallback(result)));
      s.emit({ type: 'waiting', via: agent === undefined ? ['ticket'] : ['callback', 'ticket'] });
      // Showing the page never decides the race; a display that throws fails the flow.
      const showing = this.#showPage(url, channels.signal).then(() => new Promise<never>(() => undefined));
      outcome = await this.#within(Promise.race([...candidates, showing]));
    } finally {
      channels.abort(new RegistrationAbortedError('another channel won'));
      this.#signal.removeEventListener('abort', onFlowAbort);
    }
    // The browser has its page; nothing more may arrive on the loopback.
    await agent?.close();

    if (s.onCode !== undefined) await this.#within(Promise.resolve(s.onCode(outcome.code)));
    return this.#redeem(outcome, pkce.verifier, ctx);
  }

  /** Redeems the one-time code (RFC 7636 §4.5) and makes the result from the CA's answer only. */
  async #redeem(outcome: Outcome, verifier: string, ctx: CaRequestContext): Promise<RegistrationResult> {
    const s = this.#settings;
    s.emit({ type: 'redeeming', via: outcome.via });
    const account = await this.#within(redeemCode(s.caUrl, outcome.code, verifier, s.pollIntervalMs, ctx, s.installationLabel));
    s.emit({ type: 'registered', via: outcome.via, emailAddress: account.EmailAddress });
    return Object.freeze({
      emailAddress: account.EmailAddress,
      firstName: account.FirstName,
      ...(account.MiddleName === undefined ? {} : { middleName: account.MiddleName }),
      lastName: account.LastName,
      installationToken: account.installation_token,
      via: outcome.via,
    });
  }

  /** Closes the agent, also one that was still starting when the flow stopped. */
  async dispose(): Promise<void> {
    const agent = await this.#agentStart?.catch(() => undefined);
    await agent?.close();
  }

  /** Opens the browser, or displays the URL when there is none or the opener fails. */
  async #showPage(url: string, channels: AbortSignal): Promise<void> {
    const s = this.#settings;
    if (s.noBrowser || s.resume !== undefined) {
      await this.#display(url, s.resume === undefined ? 'no-browser' : 'resumed');
      return;
    }
    try {
      await s.opener(url, { signal: this.#signal });
    } catch (error) {
      if (channels.aborted) return;
      const errorCode = (error as { code?: unknown } | null)?.code;
      s.emit(typeof errorCode === 'string' ? { type: 'browser-failed', errorCode } : { type: 'browser-failed' });
      await this.#display(url, 'browser-failed');
      return;
    }
    if (!channels.aborted) s.emit({ type: 'browser-opened' });
  }

  async #display(url: string, reason: 'no-browser' | 'browser-failed' | 'resumed'): Promise<void> {
    const qr = await terminalQr(url);
    await this.#settings.display({ url, qr, ...(this.#userCode === undefined ? {} : { userCode: this.#userCode }) });
    this.#settings.emit({ type: 'url-displayed', reason });
  }

  #fromCallback(result: CallbackResult): Outcome {
    this.#settings.emit({ type: 'callback-received', kind: result.kind });
    if (result.kind === 'error') {
      const reason = result.params.reason;
      throw new RegistrationRefusedError(
        `the CA reports that the registration failed: ${isRegistrationErrorReason(reason) ? reason : 'no documented reason'}`,
        isRegistrationErrorReason(reason) ? reason : undefined,
        'callback',
      );
    }
    // Only the code is taken from the browser; EmailAddress is ignored: the token endpoint says who registered.
    const code = result.params.code;
    if (code === undefined || !WIZARD_CODE_PATTERN.test(code)) throw new CaProtocolError('the continue callback carries no valid one-time code');
    return { via: 'callback', code };
  }

  /** Races a step against the flow's stop; a step that loses may still reject later, harmlessly. */
  #within<T>(step: Promise<T>): Promise<T> {
    step.catch(() => undefined);
    return Promise.race([step, this.#stopped]);
  }
}

function checkOptions(options: RegisterOptions): Settings {
  if (options === null || typeof options !== 'object') throw new TypeError('options must be an object');
  const { caUrl, prefill, signal, onEvent, csrPem, resume, onPending, pingNonce, onCode } = options;
  if (onCode !== undefined && typeof onCode !== 'function') throw new TypeError('onCode must be a function');
  if (typeof caUrl !== 'string') throw new TypeError('caUrl must be a string');
  // Validates caUrl, prefill (password-like keys included) and the request before anything touches the network.
  buildRegistrationUrl(caUrl, {
    ...(prefill === undefined ? {} : { prefill }),
    ...(csrPem === undefined ? {} : { csrPem }),
  });
  if (pingNonce !== undefined && !isValidPingNonce(pingNonce)) throw new TypeError('pingNonce must be 22 to 128 base64url characters');
  if (onPending !== undefined && typeof onPending !== 'function') throw new TypeError('onPending must be a function');
  if (resume !== undefined) {
    if (resume === null || typeof resume !== 'object') throw new TypeError('resume must be an object');
    // Neither value is echoed: both are secrets.
    if (typeof resume.ticket !== 'string' || !TICKET_PATTERN.test(resume.ticket)) throw new TypeError('resume.ticket must be a ticket');
    if (!isValidVerifier(resume.codeVerifier)) throw new TypeError('resume.codeVerifier must be an RFC 7636 verifier');
    if (resume.userCode !== undefined && !isValidUserCode(resume.userCode)) throw new TypeError('resume.userCode must be a user code');
    if (resume.code !== undefined && (typeof resume.code !== 'string' || !WIZARD_CODE_PATTERN.test(resume.code)))
      throw new TypeError('resume.code must be a one-time code');
  }
  const opener = options.opener ?? openWithSystemBrowser;
  const display = options.display ?? displayOnStderr;
  const fetchImpl = options.fetch ?? globalThis.fetch;
  for (const [name, value] of [
    ['opener', opener],
    ['display', display],
    ['fetch', fetchImpl],
  ] as const) {
    if (typeof value !== 'function') throw new TypeError(`${name} must be a function`);
  }
  if (onEvent !== undefined && typeof onEvent !== 'function') throw new TypeError('onEvent must be a function');
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw new TypeError('signal must be an AbortSignal');
  if (options.noBrowser !== undefined && typeof options.noBrowser !== 'boolean') throw new TypeError('noBrowser must be a boolean');
  if (options.installationLabel !== undefined && !isValidInstallationLabel(options.installationLabel)) {
    throw new TypeError('installationLabel must be 1 to 100 characters without control or bidi-control characters');
  }
  const timeoutMs = checkInteger('timeoutMs', options.timeoutMs ?? DEFAULT_REGISTRATION_TIMEOUT_MS, 1, MAX_TIMER_MS);
  const pollIntervalMs = checkInteger('pollIntervalMs', options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS, 1, MAX_TIMER_MS);
  const maxPollIntervalMs = checkInteger(
    'maxPollIntervalMs',
    options.maxPollIntervalMs ?? Math.max(DEFAULT_MAX_POLL_INTERVAL_MS, pollIntervalMs),
    pollIntervalMs,
    MAX_TIMER_MS,
  );
  const clock = options.clock ?? systemClock;
  if (clock === null || typeof clock !== 'object' || typeof clock.now !== 'function' || typeof clock.sleep !== 'function')
    throw new TypeError('clock must have now() and sleep()');
  return {
    caUrl,
    prefill,
    opener,
    noBrowser: options.noBrowser ?? false,
    display,
    timeoutMs,
    pollIntervalMs,
    maxPollIntervalMs,
    ticketWaitSeconds: checkInteger('ticketWaitSeconds', options.ticketWaitSeconds ?? DEFAULT_TICKET_WAIT_SECONDS, 0, ISITDONE_MAX_WAIT_SECONDS),
    retries: checkInteger('retries', options.retries ?? DEFAULT_RETRIES, 0, 100),
    signal,
    agentPort: checkInteger('agentPort', options.agentPort ?? 0, 0, 65535),
    installationLabel: options.installationLabel,
    csrPem,
    pingNonce,
    onCode,
    resume,
    onPending,
    fetch: fetchImpl,
    clock,
    emit: (event) => {
      try {
        onEvent?.(event);
      } catch {
        // An observer must not be able to break the flow.
      }
    },
  };
}

function checkInteger(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new TypeError(`${name} must be an integer from ${min} to ${max}`);
  }
  return value;
}
