/**
 * The localhost callback agent: the one HTTP endpoint the CA's registration page sends the user's
 * browser back to when registration ends (`continue`) or fails (`error`).
 */
import { randomBytes } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import { resolvePageTexts, renderCallbackPage, SECURITY_HEADERS, type CallbackPageTexts } from './callback-page.js';
import { classifyCallbackRequest, type CallbackKind, type RefusalReason } from './callback-request.js';
import { AgentAbortedError, AgentClosedError, AgentTimeoutError, type AgentError } from './errors.js';
import { listenOnLoopback, LOOPBACK_ADDRESS, type LoopbackServer } from './transport/loopback-server.js';

/** Default cap on the request line plus headers: 8 KiB. */
export const DEFAULT_MAX_HEADER_BYTES = 8 * 1024;
/** Default cap on socket inactivity: 10 s. */
export const DEFAULT_IDLE_TIMEOUT_MS = 10_000;
/** Default cap on the time from connecting to the end of the request headers: 2 s. */
export const DEFAULT_HEADERS_TIMEOUT_MS = 2000;
/** Default cap on simultaneous connections. */
export const DEFAULT_MAX_CONNECTIONS = 64;

/** Longest `timeoutMs` a timer can hold (2^31 - 1 ms, about 24.8 days). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** What {@link CallbackAgent.waitForCallback} resolves with. */
export interface CallbackResult {
  /** `continue` when registration finished, `error` when the CA reports a failure. */
  readonly kind: CallbackKind;
  /**
   * The query parameters of the callback, decoded, first value of each name (at most 64 names,
   * each name and value at most 4096 characters; `state`, `EmailAddress`, `code` and `reason`
   * never repeated: such a callback is refused). Not interpreted otherwise: their values are the
   * SDK's business. A frozen object with own properties only.
   */
  readonly params: Readonly<Record<string, string>>;
  /** When the agent received the callback. */
  readonly receivedAt: Date;
}

/**
 * Something that happened in the agent, for a wizard to show or a log to record. Events carry no
 * secret, no URL and no parameter value.
 */
export type CallbackAgentEvent =
  /** A request was refused; the flow goes on. */
  | { readonly type: 'refused'; readonly reason: RefusalReason; readonly status: number }
  /** The first valid callback arrived; it is the result. */
  | { readonly type: 'callback'; readonly kind: CallbackKind }
  /** A later valid callback arrived and was ignored (answered 409). */
  | { readonly type: 'callback-ignored'; readonly kind: CallbackKind }
  /** The agent closed. */
  | { readonly type: 'closed' };

/** Options of {@link startCallbackAgent}. */
export interface CallbackAgentOptions {
  /** TCP port on 127.0.0.1, an integer from 0 to 65535. Default 0: the system picks a free port. */
  readonly port?: number;
  /** Aborting it closes the agent; pending and later waits reject with `ERR_AGENT_ABORTED`. */
  readonly signal?: AbortSignal;
  /** Texts of the page shown to the user (plain text, at most 1000 characters each, escaped). */
  readonly page?: Partial<CallbackPageTexts>;
  /** Cap on the request line plus headers, in bytes, 1024 to 65536. Default 8192; larger requests get 431. */
  readonly maxHeaderBytes?: number;
  /**
   * Cap on the time from connecting to the end of the request headers (the whole request: a
   * callback has no body), in milliseconds, 1 to 600000. Default 2000. A browser sends its
   * request at once; a socket that trickles its headers is closed when this passes, however
   * active it keeps itself. Capped by `idleTimeoutMs`.
   */
  readonly headersTimeoutMs?: number;
  /** Cap on socket inactivity, in milliseconds, 1 to 600000. Default 10000. */
  readonly idleTimeoutMs?: number;
  /**
   * Cap on simultaneous connections, 1 to 1024. Default 64. At the cap a new connection is let
   * in and the one that has waited longest for its request headers is closed instead, so that
   * sockets that never finish a request cannot lock the callback out. A connection that has not
   * sent anything yet is spared for its first 250 ms (it may be the browser's, not read yet), so
   * a burst can take the count over the cap by those, at most 512 more.
   */
  readonly maxConnections?: number;
  /** Called synchronously for each {@link CallbackAgentEvent}; what it throws is ignored. */
  readonly onEvent?: (event: CallbackAgentEvent) => void;
}

/** Options of {@link CallbackAgent.waitForCallback}. */
export interface WaitForCallbackOptions {
  /** Aborting it rejects this wait (only) with `ERR_AGENT_ABORTED`; the agent keeps listening. */
  readonly signal?: AbortSignal;
  /** Give up after this many milliseconds (0 to 2^31 - 1) with `ERR_AGENT_TIMEOUT`. Default: no limit. */
  readonly timeoutMs?: number;
}

/** A running agent; see {@link startCallbackAgent}. */
export interface CallbackAgent extends AsyncDisposable {
  /** The bound TCP port. */
  readonly port: number;
  /**
   * `http://127.0.0.1:PORT/wizard/<secret>/continue`: the `continue` target to give the CA. Holds
   * the flow's secret: pass it to the CA, never log it.
   */
  readonly continueUrl: string;
  /** `http://127.0.0.1:PORT/wizard/<secret>/error`: the `error` target. Holds the secret too. */
  readonly errorUrl: string;
  /**
   * Waits for the first valid callback. May be called any number of times; every call gets the
   * same result, also after the agent was closed once a result had arrived. Resolves once the
   * browser's page has been handed to the network, so closing right after does not cut it off.
   * @throws {AgentTimeoutError} `ERR_AGENT_TIMEOUT` when `timeoutMs` passes first.
   * @throws {AgentAbortedError} `ERR_AGENT_ABORTED` when this wait's signal or the agent's aborts first.
   * @throws {AgentClosedError} `ERR_AGENT_CLOSED` when the agent is closed first.
   * @throws {TypeError} when `timeoutMs` is not an integer from 0 to 2^31 - 1.
   */
  waitForCallback(options?: WaitForCallbackOptions): Promise<CallbackResult>;
  /** Stops listening and closes every connection; idempotent. Pending waits reject with `ERR_AGENT_CLOSED`. */
  close(): Promise<void>;
  /** Same as {@link CallbackAgent.close}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Starts the callback agent of one enrollment flow on 127.0.0.1.
 *
 * The agent answers exactly two URLs, {@link CallbackAgent.continueUrl} and
 * {@link CallbackAgent.errorUrl}, whose path carries a fresh 256-bit secret, and only to GET with
 * `Host: 127.0.0.1:PORT`. Anything else is refused (421 wrong Host, 404 unknown path or wrong
 * secret, 405 other method, 400 a repeated `state`, `EmailAddress`, `code` or `reason`, 414 too
 * many or too long parameters, 431 headers too large) and does not end the flow. The first valid
 * callback is the result; later ones get a "already received" page (409) and change nothing.
 * Every answer carries a CSP that allows nothing, `nosniff`, `no-referrer`, `no-store` and
 * `X-Frame-Options: DENY`. The agent logs nothing.
 *
 * @param options - see {@link CallbackAgentOptions}.
 * @throws {TypeError} when an option is out of range (a port that is not an integer from 0 to 65535, ...).
 * @throws {AgentListenError} `ERR_AGENT_LISTEN` when the port cannot be bound (a fixed port in use).
 * @throws {AgentAbortedError} `ERR_AGENT_ABORTED` when `signal` is aborted before the agent listens.
 * @example
 * await using agent = await startCallbackAgent({ signal });
 * const url = registrationUrl({ continue: agent.continueUrl, error: agent.errorUrl });
 * await openBrowser(url);
 * const result = await agent.waitForCallback({ timeoutMs: 15 * 60_000 });
 * if (result.kind === 'continue') console.log('registered', result.params.EmailAddress);
 */
export async function startCallbackAgent(options: CallbackAgentOptions = {}): Promise<CallbackAgent> {
  if (typeof options !== 'object' || options === null) throw new TypeError('options must be an object');
  const port = checkInteger('port', options.port ?? 0, 0, 65535);
  const maxHeaderBytes = checkInteger('maxHeaderBytes', options.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES, 1024, 65536);
  const idleTimeoutMs = checkInteger('idleTimeoutMs', options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS, 1, 600_000);
  const headersTimeoutMs = Math.min(idleTimeoutMs, checkInteger('headersTimeoutMs', options.headersTimeoutMs ?? DEFAULT_HEADERS_TIMEOUT_MS, 1, 600_000));
  const maxConnections = checkInteger('maxConnections', options.maxConnections ?? DEFAULT_MAX_CONNECTIONS, 1, 1024);
  const texts = resolvePageTexts(options.page);
  const { signal, onEvent } = options;
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw new TypeError('signal must be an AbortSignal');
  if (onEvent !== undefined && typeof onEvent !== 'function') throw new TypeError('onEvent must be a function');

  // 32 random bytes: 256 bits, far beyond guessing even at the rate a flood could reach.
  const secretText = randomBytes(32).toString('base64url');
  const secret = Buffer.from(secretText, 'utf8');
  const emit = (event: CallbackAgentEvent) => {
    if (onEvent === undefined) return;
    try {
      onEvent(event);
    } catch {
      // An observer must not be able to break the flow.
    }
  };

  const flow = new CallbackFlowState();
  let authority = '';
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', false);
  app.use((req: Request, res: Response) => {
    const decision = classifyCallbackRequest({ method: req.method, target: req.originalUrl, hosts: req.headersDistinct.host ?? [] }, { authority, secret });
    if (decision.action === 'refuse') {
      emit({ type: 'refused', reason: decision.reason, status: decision.status });
      const extra: Record<string, string> = decision.reason === 'method-not-allowed' ? { Allow: 'GET' } : {};
      sendText(res, decision.status, extra);
      return;
    }
    if (!flow.claim(decision.kind, decision.params)) {
      emit({ type: 'callback-ignored', kind: decision.kind });
      sendPage(res, 409, texts.title, texts.alreadyReceivedText);
      return;
    }
    emit({ type: 'callback', kind: decision.kind });
    // Waiters learn the result once the page is out (or the browser went away).
    res.once('close', () => flow.deliver());
    sendPage(res, 200, texts.title, decision.kind === 'continue' ? texts.continueText : texts.errorText);
  });
  // The handler above does not throw; should it ever, answer without Express's default handler,
  // which prints the stack to stderr.
  app.use((_error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    if (!res.headersSent) sendText(res, 500, {});
    else res.destroy();
  });

  const server: LoopbackServer = await listenOnLoopback(app, {
    port,
    maxHeaderBytes,
    headersTimeoutMs,
    idleTimeoutMs,
    maxConnections,
    signal,
  });
  authority = `${LOOPBACK_ADDRESS}:${server.port}`;
  const base = `http://${authority}/wizard/${secretText}`;

  let closing: Promise<void> | undefined;
  const shutdown = (reason: AgentError): Promise<void> =>
    (closing ??= (async () => {
      signal?.removeEventListener('abort', onAbort);
      flow.end(reason);
      await server.close();
      emit({ type: 'closed' });
    })());
  const onAbort = () => void shutdown(new AgentAbortedError('the agent was aborted', { cause: signal?.reason }));
  if (signal?.aborted) onAbort();
  else signal?.addEventListener('abort', onAbort, { once: true });

  const close = () => shutdown(new AgentClosedError('the agent was closed before a callback arrived'));
  return Object.freeze({
    port: server.port,
    continueUrl: `${base}/continue`,
    errorUrl: `${base}/error`,
    waitForCallback: (waitOptions?: WaitForCallbackOptions) => flow.wait(waitOptions ?? {}),
    close,
    [Symbol.asyncDispose]: close,
  });
}

/** The one-result state of a flow: claimed by the first valid callback, then delivered to waiters. */
class CallbackFlowState {
  #claimed: { kind: CallbackKind; params: Readonly<Record<string, string>>; at: number } | undefined;
  #delivered = false;
  #ended: AgentError | undefined;
  readonly #waiters = new Set<{ resolve: () => void; reject: (error: AgentError) => void }>();

  /** Records the first valid callback; false when one was already recorded. */
  claim(kind: CallbackKind, params: Readonly<Record<string, string>>): boolean {
    if (this.#claimed !== undefined || this.#ended !== undefined) return false;
    this.#claimed = { kind, params, at: Date.now() };
    return true;
  }

  /** Wakes every waiter with the claimed result. */
  deliver(): void {
    if (this.#claimed === undefined || this.#delivered) return;
    this.#delivered = true;
    for (const waiter of this.#waiters) waiter.resolve();
    this.#waiters.clear();
  }

  /** The agent is closing: deliver a claimed result, else fail every waiter with `reason`. */
  end(reason: AgentError): void {
    this.#ended ??= reason;
    this.deliver();
    for (const waiter of this.#waiters) waiter.reject(reason);
    this.#waiters.clear();
  }

  wait(options: WaitForCallbackOptions): Promise<CallbackResult> {
    if (typeof options !== 'object' || options === null) return Promise.reject(new TypeError('options must be an object'));
    const { signal, timeoutMs } = options;
    if (signal !== undefined && !(signal instanceof AbortSignal)) return Promise.reject(new TypeError('signal must be an AbortSignal'));
    if (timeoutMs !== undefined && (!Number.isInteger(timeoutMs) || timeoutMs < 0 || timeoutMs > MAX_TIMER_MS)) {
      return Promise.reject(new TypeError(`timeoutMs must be an integer from 0 to ${MAX_TIMER_MS}`));
    }
    if (signal?.aborted) return Promise.reject(new AgentAbortedError('the wait was aborted', { cause: signal.reason }));
    if (this.#delivered) return Promise.resolve(this.#result());
    if (this.#ended !== undefined) return Promise.reject(this.#ended);

    return new Promise<CallbackResult>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const settle = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.#waiters.delete(waiter);
      };
      const waiter = {
        resolve: () => {
          settle();
          resolve(this.#result());
        },
        reject: (error: AgentError) => {
          settle();
          reject(error);
        },
      };
      const onAbort = () => waiter.reject(new AgentAbortedError('the wait was aborted', { cause: signal?.reason }));
      this.#waiters.add(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
      if (timeoutMs !== undefined) {
        timer = setTimeout(() => waiter.reject(new AgentTimeoutError(`no callback arrived within ${timeoutMs} ms`)), timeoutMs);
      }
    });
  }

  /** A fresh frozen result per caller, so that no caller can change another's `receivedAt`. */
  #result(): CallbackResult {
    const claimed = this.#claimed;
    if (claimed === undefined) throw new Error('unreachable: no result claimed');
    return Object.freeze({ kind: claimed.kind, params: claimed.params, receivedAt: new Date(claimed.at) });
  }
}

function checkInteger(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new TypeError(`${name} must be an integer from ${min} to ${max}`);
  }
  return value;
}

function setCommonHeaders(res: Response, status: number): void {
  res.status(status);
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
  // One request per connection: a browser needs one, and a peer cannot park idle keep-alive
  // sockets against the connection cap.
  res.setHeader('Connection', 'close');
}

function sendPage(res: Response, status: number, title: string, message: string): void {
  setCommonHeaders(res, status);
  const body = renderCallbackPage(title, message);
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(body);
}

/** Refusals: the status line as plain text, never anything from the request. */
function sendText(res: Response, status: number, extra: Readonly<Record<string, string>>): void {
  setCommonHeaders(res, status);
  for (const [name, value] of Object.entries(extra)) res.setHeader(name, value);
  const body = `${status} ${STATUS_TEXT[status] ?? 'Error'}\n`;
  res.setHeader('Content-Type', 'text/plain; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(body);
}

const STATUS_TEXT: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  404: 'Not Found',
  405: 'Method Not Allowed',
  414: 'URI Too Long',
  421: 'Misdirected Request',
  500: 'Internal Server Error',
};
