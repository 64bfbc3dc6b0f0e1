/**
 * What every browser wizard does around its runner: listen on 127.0.0.1, build its app once the
 * port is known, hand out the one-time URL, and close (on `close()` or `signal`) by stopping the
 * runner, ending the event streams and the server. `startWizard()` and `startRenewalWizard()`
 * differ only in their runner, their app and their words.
 */
import type { RequestListener } from 'node:http';
import { WizardAbortedError, WizardClosedError, type WizardError } from './errors.js';
import type { EventHistory } from './event-history.js';
import { EventStreams } from './http/event-streams.js';
import { listenOnLoopback, LOOPBACK_ADDRESS } from './http/loopback-server.js';
import { WizardSession } from './http/session.js';
import type { WizardLogger } from './options.js';

/** Caps of the HTTP server. */
const LIMITS = { maxHeaderBytes: 16 * 1024, requestTimeoutMs: 30_000, maxConnections: 64 } as const;

/** The runner a wizard serves: its result, and how to stop it. */
export interface WizardServerRunner<Result> {
  /** Settles with the run's result; rejects only through {@link WizardServerRunner.stop}. */
  readonly done: Promise<Result>;
  /** Stops a run under way; when no result came, rejects `done` with the error `reason` makes of the last failure. */
  stop(reason: (lastFailure: unknown) => WizardError): Promise<void>;
}

/** What the app of a wizard is built from, once listening. */
export interface WizardAppContext {
  readonly port: number;
  readonly session: WizardSession;
  readonly streams: EventStreams;
  /** The person pressed Finish: records it once and resolves `finished`. */
  readonly onFinish: () => void;
}

/** Options of {@link startWizardServer}. */
export interface WizardServerOptions<Result> {
  /** The checked options' TCP port (0: a free one), abort signal and logger. */
  readonly settings: { readonly port: number; readonly signal: AbortSignal | undefined; readonly logger: WizardLogger };
  readonly history: EventHistory;
  readonly runner: WizardServerRunner<Result>;
  /** Builds the request handler; the port is known only once listening (Host check, cookie name). */
  readonly createApp: (context: WizardAppContext) => RequestListener;
  /** How the logs name the wizard: `wizard` or `renewal wizard`. */
  readonly logName: string;
  /** What `done` waits for, in the errors of a wizard closed first: "before <it>". */
  readonly awaited: string;
  /**
   * When the `closing` event goes out: `before-stop`, or `after-stop` when stopping the runner
   * still has something to show (the page stops listening at `closing`).
   */
  readonly announceClosing: 'before-stop' | 'after-stop';
}

/** A listening wizard: `startWizard()`'s `RunningWizard` and `startRenewalWizard()`'s `RunningRenewalWizard` are this. */
export interface RunningWizardServer<Result> extends AsyncDisposable {
  /** `http://127.0.0.1:PORT/?t=<one-time token>`. Holds a secret: do not log it. */
  readonly url: string;
  /** The bound TCP port. */
  readonly port: number;
  /** The runner's `done`. */
  readonly done: Promise<Result>;
  /** Resolves when the person pressed Finish, or the wizard closed. */
  readonly finished: Promise<void>;
  /** Stops the runner, ends the event streams and stops listening; idempotent. */
  close(): Promise<void>;
  /** Same as {@link RunningWizardServer.close}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Listens on 127.0.0.1 and serves `createApp`'s handler with a fresh session; closing (by
 * `close()` or by `signal`) rejects the runner's `done` with `ERR_WIZARD_CLOSED` or
 * `ERR_WIZARD_ABORTED`.
 * @throws {WizardListenError} `ERR_WIZARD_LISTEN` when a fixed `port` is taken.
 * @throws {WizardAbortedError} `ERR_WIZARD_ABORTED` when `signal` aborted while it started (the server is closed again).
 * @example
 * const server = await startWizardServer({ settings, history, runner, createApp: (c) => createRenewalApp({ ...c, config, runner, ui, logo, logger }),
 *   logName: 'renewal wizard', awaited: 'the renewal ended', announceClosing: 'after-stop' });
 */
export async function startWizardServer<Result>(options: WizardServerOptions<Result>): Promise<RunningWizardServer<Result>> {
  const { settings, history, runner, logName, awaited, announceClosing } = options;
  const { signal, logger } = settings;
  const streams = new EventStreams(history);

  let resolveFinished!: () => void;
  const finished = new Promise<void>((resolve) => {
    resolveFinished = resolve;
  });
  let finishedOnce = false;
  const onFinish = () => {
    if (finishedOnce) return;
    finishedOnce = true;
    history.append({ type: 'finished' });
    logger.info('the person finished');
    resolveFinished();
  };

  // The app needs the port (Host check, cookie name), known only once listening.
  const route: { app?: RequestListener } = {};
  const server = await listenOnLoopback((req, res) => (route.app === undefined ? res.destroy() : route.app(req, res)), settings.port, LIMITS);
  const session = new WizardSession(server.port);
  route.app = options.createApp({ port: server.port, session, streams, onFinish });
  logger.info(`${logName} listening`, { address: LOOPBACK_ADDRESS, port: server.port });

  let closing: Promise<void> | undefined;
  const shutdown = (reason: (lastFailure: unknown) => WizardError): Promise<void> =>
    (closing ??= (async () => {
      signal?.removeEventListener('abort', onAbort);
      if (announceClosing === 'before-stop') history.append({ type: 'closing' });
      await runner.stop(reason);
      if (announceClosing === 'after-stop') history.append({ type: 'closing' });
      streams.closeAll();
      await server.close();
      resolveFinished();
      logger.info(`${logName} closed`);
    })());
  const onAbort = () => void shutdown((cause) => new WizardAbortedError(`the wizard was aborted before ${awaited}`, { cause: cause ?? signal?.reason }));
  signal?.addEventListener('abort', onAbort, { once: true });
  const close = () => shutdown((cause) => new WizardClosedError(`the wizard was closed before ${awaited}`, cause === undefined ? undefined : { cause }));
  // Aborted while the UI loaded or the server started: an abort event that fired before the
  // listener existed is not fired again, so look, and do not hand out a wizard that is closing.
  if (signal?.aborted) {
    runner.done.catch(() => undefined); // nobody will hold this wizard's `done`
    await shutdown((cause) => new WizardAbortedError('the wizard was aborted while it started', { cause: cause ?? signal.reason }));
    throw new WizardAbortedError('the wizard was aborted while it started', { cause: signal.reason });
  }

  return Object.freeze({
    url: `http://${LOOPBACK_ADDRESS}:${server.port}/?t=${session.token}`,
    port: server.port,
    done: runner.done,
    finished,
    close,
    [Symbol.asyncDispose]: close,
  });
}
