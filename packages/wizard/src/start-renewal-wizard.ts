/**
 * `startRenewalWizard()`: the browser wizard of a renewal. The same server as `startWizard()`
 * (guard, session, events, the built app), running `renew()` instead of `enroll()`, with the
 * names-dropped question as a step of the page.
 */
import { listEnrollments, type RenewOutcome } from '@certwizard/sdk';
import { WizardAbortedError } from './errors.js';
import { EventHistory } from './event-history.js';
import { createRenewalApp } from './http/renewal-app.js';
import { defaultUiDir, loadStaticUi } from './http/static-ui.js';
import { checkRenewalWizardOptions, type StartRenewalWizardOptions } from './renewal-options.js';
import { RenewalRunner } from './renewal-runner.js';
import { loadVendorLogo } from './vendor-logo.js';
import type { RenewalWizardConfig } from './wire.js';
import { startWizardServer } from './wizard-server.js';

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
  const runner = new RenewalRunner(settings, history);
  const config: RenewalWizardConfig = {
    action: 'renew',
    vendor: { name: settings.vendor.name, ...(logo === undefined ? {} : { logoUrl: '/api/logo' }) },
    name: settings.renew.name,
    caOrigin,
    namesDroppedTimeoutMs: settings.namesDroppedTimeoutMs,
  };

  const wizard = await startWizardServer({
    settings,
    history,
    runner,
    createApp: ({ port, session, streams, onFinish }) => createRenewalApp({ port, session, config, streams, runner, ui, logo, logger, onFinish }),
    logName: 'renewal wizard',
    awaited: 'the renewal ended',
    // Stopping answers an open question `keep` (by `closed`): the page must get that before it stops listening.
    announceClosing: 'after-stop',
  });
  if (settings.autoStart) runner.start();
  return wizard;
}

/** The CA's origin to name on the page: the vendor's `caUrl`, else the one the enrollment recorded, else empty. */
async function recordedCaOrigin(settings: ReturnType<typeof checkRenewalWizardOptions>): Promise<string> {
  const { caUrl, baseDir, stateDir, name } = settings.renew;
  if (caUrl !== undefined) return new URL(caUrl).origin;
  const found = (await listEnrollments({ baseDir, ...(stateDir === undefined ? {} : { stateDir }) }).catch(() => [])).find((e) => e.name === name);
  return found?.caOrigin ?? '';
}
