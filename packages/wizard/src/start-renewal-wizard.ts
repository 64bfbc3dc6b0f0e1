/**
 * `startRenewalWizard()`: the browser wizard of a renewal. The same server as `startWizard()`
 * (guard, session, events, the built app), running `renew()` instead of `enroll()`, with the
 * names-dropped question as a step of the page.
 */
import { listEnrollments, type RenewOutcome } from '@certwizard/sdk';
import { WizardAbortedError, WizardClosedError, type WizardError } from './errors.js';
import { EventHistory } from './event-history.js';
import { EventStreams } from './http/event-streams.js';
import { listenOnLoopback, LOOPBACK_ADDRESS } from './http/loopback-server.js';
import { createRenewalApp } from './http/renewal-app.js';
import { WizardSession } from './http/session.js';
import { defaultUiDir, loadStaticUi } from './http/static-ui.js';
import { checkRenewalWizardOptions, type StartRenewalWizardOptions } from './renewal-options.js';
import { RenewalRunner } from './renewal-runner.js';
import { loadVendorLogo } from './vendor-logo.js';
import type { RenewalWizardConfig } from './wire.js';

/** A running renewal wizard; see {@link startRenewalWizard}. */
export interface RunningRenewalWizard extends AsyncDisposable {
  /** `http://127.0.0.1:PORT/?t=<one-time token>`: works once, in one browser. Holds a secret: do not log it. */
  readonly url: string;
  /** The bound TCP port. */
  readonly port: number;
  /**
   * Resolves with `renew()`'s outcome once it is final (`renewed`, `not-due`, `pending`,
   * `backing-off`, `skipped`); a `failed` one is shown with Retry and does not settle it. Rejects
   * only when the wizard is closed first: `ERR_WIZARD_CLOSED` or `ERR_WIZARD_ABORTED`, with the
   * last failure as `cause`.
   */
  readonly done: Promise<RenewOutcome>;
  /** Resolves when the person pressed Finish, or the wizard closed. */
  readonly finished: Promise<void>;
  /** Answers an open names-dropped question `keep`, stops a run under way, ends the streams, stops listening; idempotent. */
  close(): Promise<void>;
  /** Same as {@link RunningRenewalWizard.close}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void>;
}

/** Caps of the HTTP server, as `startWizard()`'s. */
const LIMITS = { maxHeaderBytes: 16 * 1024, requestTimeoutMs: 30_000, maxConnections: 64 } as const;

/**
 * Starts the renewal wizard on 127.0.0.1 for the tracked certificate `name`: the page shows
 * `renew()`'s progress (started by its Renew button, or at once with `autoStart`), and when the
 * CA no longer certifies some of the names (`onNamesDropped`) it asks the person whether the
 * certificate that still carries them is revoked: Keep (the default) or Revoke. The answer comes
 * back as a POST with the wizard's session; a GET never answers. Closing the page, closing the
 * wizard and `namesDroppedTimeoutMs` all answer `keep`. Protection as `startWizard()`'s
 * (docs/wizard.md).
 *
 * @throws {TypeError} for bad options (naming the option).
 * @throws {WizardUiMissingError} `ERR_WIZARD_UI_MISSING` when the browser app is not built.
 * @throws {WizardListenError} `ERR_WIZARD_LISTEN` when a fixed `port` is taken.
 * @throws {WizardAbortedError} `ERR_WIZARD_ABORTED` when `signal` is already aborted.
 * @example
 * const wizard = await startRenewalWizard({
 *   vendor: { name: 'ExampleMail' }, name: 'mail', baseDir: '/etc/examplemail/certs',
 *   trustAnchorsPem: readFileSync('/usr/share/examplemail/ca.pem', 'utf8'),
 *   credentials: await openCredentialStore({ service: 'examplemail' }),
 *   postInstall: { argv: ['/usr/sbin/examplemail', 'reload'] }, renew: { force: true },
 * });
 * await openWithSystemBrowser(wizard.url);
 * const outcome = await wizard.done;
 * await wizard.close();
 */
export async function startRenewalWizard(options: StartRenewalWizardOptions): Promise<RunningRenewalWizard> {
  const checked = checkRenewalWizardOptions(options);
  const { signal, logger } = checked;
  if (signal?.aborted) throw new WizardAbortedError('the wizard was aborted before it started', { cause: signal.reason });
  const [ui, logo, caOrigin] = await Promise.all([
    loadStaticUi(checked.uiDir ?? defaultUiDir()),
    loadVendorLogo(checked.vendor.logo),
    recordedCaOrigin(checked),
  ]);
  const settings = { ...checked, caOrigin };

  const history = new EventHistory();
  const streams = new EventStreams(history);
  const runner = new RenewalRunner(settings, history);
  const config: RenewalWizardConfig = {
    action: 'renew',
    vendor: { name: settings.vendor.name, ...(logo === undefined ? {} : { logoUrl: '/api/logo' }) },
    name: settings.renew.name,
    caOrigin,
    namesDroppedTimeoutMs: settings.namesDroppedTimeoutMs,
  };

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

  const route: { app?: ReturnType<typeof createRenewalApp> } = {};
  const server = await listenOnLoopback((req, res) => (route.app === undefined ? res.destroy() : route.app(req, res)), settings.port, LIMITS);
  const session = new WizardSession(server.port);
  route.app = createRenewalApp({ port: server.port, session, config, streams, runner, ui, logo, logger, onFinish });
  logger.info('renewal wizard listening', { address: LOOPBACK_ADDRESS, port: server.port });

  let closing: Promise<void> | undefined;
  const shutdown = (reason: (lastFailure: unknown) => WizardError): Promise<void> =>
    (closing ??= (async () => {
      signal?.removeEventListener('abort', onAbort);
      await runner.stop(reason);
      history.append({ type: 'closing' });
      streams.closeAll();
      await server.close();
      resolveFinished();
      logger.info('renewal wizard closed');
    })());
  const onAbort = () => void shutdown((cause) => new WizardAbortedError('the wizard was aborted before the renewal ended', { cause: cause ?? signal?.reason }));
  signal?.addEventListener('abort', onAbort, { once: true });
  const close = () => shutdown((cause) => new WizardClosedError('the wizard was closed before the renewal ended', cause === undefined ? undefined : { cause }));
  if (signal?.aborted) {
    await shutdown((cause) => new WizardAbortedError('the wizard was aborted while it started', { cause: cause ?? signal.reason }));
    throw new WizardAbortedError('the wizard was aborted while it started', { cause: signal.reason });
  }
  if (settings.autoStart) runner.start();

  return Object.freeze({
    url: `http://${LOOPBACK_ADDRESS}:${server.port}/?t=${session.token}`,
    port: server.port,
    done: runner.done,
    finished,
    close,
    [Symbol.asyncDispose]: close,
  });
}

/** The CA's origin to name on the page: the vendor's `caUrl`, else the one the enrollment recorded, else empty. */
async function recordedCaOrigin(settings: ReturnType<typeof checkRenewalWizardOptions>): Promise<string> {
  const { caUrl, baseDir, stateDir, name } = settings.renew;
  if (caUrl !== undefined) return new URL(caUrl).origin;
  const found = (await listEnrollments({ baseDir, ...(stateDir === undefined ? {} : { stateDir }) }).catch(() => [])).find((e) => e.name === name);
  return found?.caOrigin ?? '';
}
