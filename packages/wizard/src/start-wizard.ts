/**
 * `startWizard()`: the browser wizard of an installer. Wires the pieces by hand: options ->
 * history -> runner -> HTTP front end -> loopback server.
 */
import { listEnrollments, type EnrollResult } from '@certwizard/sdk';
import { EnrollmentRunner } from './enrollment-runner.js';
import { WizardAbortedError } from './errors.js';
import { EventHistory } from './event-history.js';
import { defaultUiDir, loadStaticUi } from './http/static-ui.js';
import { createWizardApp } from './http/wizard-app.js';
import { checkWizardOptions, type StartWizardOptions, type WizardSettings } from './options.js';
import { loadVendorLogo } from './vendor-logo.js';
import { PKCS12_PASSPHRASE_MIN_LENGTH, type WizardConfig } from './wire.js';
import { startWizardServer } from './wizard-server.js';

/** A running wizard; see {@link startWizard}. */
export interface RunningWizard extends AsyncDisposable {
  /**
   * `http://127.0.0.1:PORT/?t=<one-time token>`: open it in the person's browser. It works
   * once, in one browser. Holds a secret: do not log it.
   */
  readonly url: string;
  /** The bound TCP port. */
  readonly port: number;
  /**
   * Resolves with `enroll()`'s result once the certificate is installed (the wizard keeps
   * serving: the person still sees the result and may download the PKCS #12 file). Failures on
   * the way do not reject it, since the person may press Retry; it rejects only when the wizard
   * is closed first: `ERR_WIZARD_CLOSED` (`close()`) or `ERR_WIZARD_ABORTED` (`signal`), with the
   * last failure of `enroll()` as `cause`.
   */
  readonly done: Promise<EnrollResult>;
  /** Resolves when the person pressed Finish on the last page, or the wizard closed. */
  readonly finished: Promise<void>;
  /** Stops a run under way, ends the event streams and stops listening; idempotent. */
  close(): Promise<void>;
  /** Same as {@link RunningWizard.close}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Starts the browser wizard on 127.0.0.1: serves the built app (`@certwizard/wizard-ui`) and the
 * API it talks to, and runs `enroll()` for it when the person has given their details and chosen
 * a key. Open {@link RunningWizard.url} in the person's browser (the `open` package, or print it).
 *
 * Protection: the one-time token of the URL becomes an HttpOnly SameSite=Strict session cookie
 * and is then dead; every other request needs the cookie; Host must be the server's own
 * `127.0.0.1:PORT` or `localhost:PORT`; POSTs need the server's own Origin; a strict CSP and
 * `no-store` on every answer. The browser never gets the token again, the installation token or
 * the key, only the CA's registration page URL (docs/wizard.md).
 *
 * @throws {TypeError} for bad options (naming the option).
 * @throws {WizardUiMissingError} `ERR_WIZARD_UI_MISSING` when the browser app is not built.
 * @throws {WizardListenError} `ERR_WIZARD_LISTEN` when a fixed `port` is taken.
 * @throws {WizardAbortedError} `ERR_WIZARD_ABORTED` when `signal` is already aborted.
 * @example
 * const wizard = await startWizard({
 *   vendor: { name: 'ExampleMail', logo: '/usr/share/examplemail/logo.svg' },
 *   details: { email: 'postmaster@example.org' },
 *   caUrl: 'https://ca.example', trustAnchorsPem: readFileSync('/usr/share/examplemail/ca.pem', 'utf8'),
 *   baseDir: '/etc/examplemail/certs', name: 'mail',
 *   credentials: await openCredentialStore({ service: 'examplemail' }),
 *   postInstall: { argv: ['/usr/sbin/examplemail', 'reload'] },
 * });
 * await openWithSystemBrowser(wizard.url);
 * const { installed } = await wizard.done;
 * await Promise.race([wizard.finished, setTimeout(10 * 60_000)]);
 * await wizard.close();
 */
export async function startWizard(options: StartWizardOptions): Promise<RunningWizard> {
  const settings = checkWizardOptions(options);
  const { signal, logger } = settings;
  if (signal?.aborted) throw new WizardAbortedError('the wizard was aborted before it started', { cause: signal.reason });
  const [ui, logo, earlier] = await Promise.all([loadStaticUi(settings.uiDir ?? defaultUiDir()), loadVendorLogo(settings.vendor.logo), earlierRun(settings)]);

  const history = new EventHistory();
  const runner = new EnrollmentRunner(settings, history);
  const config: WizardConfig = {
    vendor: { name: settings.vendor.name, ...(logo === undefined ? {} : { logoUrl: '/api/logo' }) },
    defaults: earlierDefaults(settings, earlier),
    certificate: settings.certificate,
    ...(settings.proof === undefined ? {} : { proof: settings.proof }),
    keyTypes: settings.keyTypes,
    defaultKeyType: settings.defaultKeyType,
    ...(settings.scep === undefined ? {} : { scep: settings.scep }),
    caOrigin: settings.caOrigin,
    caAccountUrl: settings.caAccountUrl,
    ...(settings.pkcs12Download ? { pkcs12Download: { minPassphraseLength: PKCS12_PASSPHRASE_MIN_LENGTH } } : {}),
    addressConfirmation: settings.addressConfirmation,
    ...(earlier === undefined || earlier.step === 'done' ? {} : { earlierRun: { step: earlier.step } }),
    ...(earlier?.step === 'done' ? { installedEarlier: true } : {}),
  };

  // Installed by an earlier run: enroll() with that run's address finds the state "done" and
  // answers the live certificate without a request, so the page opens on the installed step.
  if (earlier?.step === 'done' && earlier.email !== undefined) {
    runner.saveDetails(earlierDefaults(settings, earlier));
    runner.start(settings.defaultKeyType);
  }

  return startWizardServer({
    settings,
    history,
    runner,
    createApp: ({ port, session, streams, onFinish }) => createWizardApp({ port, session, config, streams, runner, ui, logo, logger, onFinish }),
    logName: 'wizard',
    awaited: 'a certificate was installed',
    announceClosing: 'before-stop',
  });
}

/** The details an earlier run's state file holds: a different address or other host names could not continue it. */
function earlierDefaults(settings: WizardSettings, earlier: EarlierRun | undefined): WizardConfig['defaults'] {
  if (earlier === undefined) return settings.defaults;
  return {
    ...settings.defaults,
    ...(earlier.email === undefined ? {} : { email: earlier.email }),
    ...(settings.certificate.server === undefined || earlier.hostNames.length === 0 ? {} : { hostNames: earlier.hostNames }),
  };
}

/** What {@link earlierRun} found. */
interface EarlierRun {
  readonly email: string | undefined;
  readonly hostNames: readonly string[];
  readonly step: Exclude<WizardConfig['earlierRun'], undefined>['step'];
}

/** The enrollment of the same name and CA that the next `enroll()` continues (or, when `done`, answers at once): its names and step. */
async function earlierRun(settings: WizardSettings): Promise<EarlierRun | undefined> {
  const stateDir = settings.enroll.stateDir;
  const found = (await listEnrollments({ baseDir: settings.baseDir, ...(stateDir === undefined ? {} : { stateDir }) }).catch(() => [])).find(
    (e) => e.name === settings.name && e.problem === undefined && e.caOrigin === settings.caOrigin,
  );
  // A server certificate's state names no address: the account's address is the one registered.
  return found === undefined ? undefined : { email: found.names.email[0] ?? found.accountEmail, hostNames: found.names.dns, step: found.step };
}
