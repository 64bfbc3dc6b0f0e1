/**
 * Runs the SDK's `enroll()` for the browser: with the vendor's settings, the person's details
 * and key type, and the wizard's own opener (the wizard is the browser: the CA's page becomes a
 * button). Every progress event goes to the history; a failure is described for the person and
 * the next start (the Retry button) simply calls `enroll()` again, which resumes.
 */
import type { KeyType } from '@certwizard/pki';
import { enroll, isValidInstallationLabel, type EnrollFlowEvent, type EnrollOptions, type EnrollResult, type InstalledCertificate } from '@certwizard/sdk';
import { describeFailure } from './describe-failure.js';
import type { WizardError } from './errors.js';
import type { EventHistory } from './event-history.js';
import type { WizardSettings } from './options.js';
import type { ShownInstalled, WizardDetails } from './wire.js';

/** What {@link EnrollmentRunner.start} did. */
export type StartOutcome = 'started' | 'busy' | 'installed' | 'no-details';

/** One enrollment, run as often as the person presses Retry, until the certificate is installed. */
export class EnrollmentRunner {
  readonly #settings: WizardSettings;
  readonly #history: EventHistory;
  readonly #stop = new AbortController();
  #details: WizardDetails | undefined;
  #runs = 0;
  #running: Promise<void> | undefined;
  #result: EnrollResult | undefined;
  #lastFailure: unknown;
  readonly #done: Promise<EnrollResult>;
  #resolveDone!: (result: EnrollResult) => void;
  #rejectDone!: (error: unknown) => void;

  constructor(settings: WizardSettings, history: EventHistory) {
    this.#settings = settings;
    this.#history = history;
    this.#done = new Promise<EnrollResult>((resolve, reject) => {
      this.#resolveDone = resolve;
      this.#rejectDone = reject;
    });
    // Marked as handled: a vendor that never awaits `done` must not get an unhandled rejection.
    this.#done.catch(() => undefined);
  }

  /** Settles with `enroll()`'s result; rejects only through {@link EnrollmentRunner.stop}. */
  get done(): Promise<EnrollResult> {
    return this.#done;
  }

  /** The live certificate, once `enroll()` resolved. */
  get installed(): InstalledCertificate | undefined {
    return this.#result?.installed;
  }

  /** Whether an `enroll()` call is under way. */
  get busy(): boolean {
    return this.#running !== undefined;
  }

  /** Takes checked details for the next run; refused while a run is under way or once installed. */
  saveDetails(details: WizardDetails): 'saved' | 'busy' | 'installed' {
    if (this.#result !== undefined) return 'installed';
    if (this.#running !== undefined) return 'busy';
    this.#details = details;
    this.#history.append({ type: 'details-saved', details });
    return 'saved';
  }

  /** Calls `enroll()` (first time, or again after a failure) unless one is running or it is done. */
  start(keyType: KeyType): StartOutcome {
    if (this.#result !== undefined) return 'installed';
    if (this.#running !== undefined) return 'busy';
    const details = this.#details;
    if (details === undefined) return 'no-details';
    if (this.#stop.signal.aborted) return 'busy';
    const run = ++this.#runs;
    this.#history.append({ type: 'run-started', run, keyType });
    this.#settings.logger.info('enrollment started', { run, keyType });
    this.#running = this.#run(run, keyType, details).finally(() => {
      this.#running = undefined;
    });
    return 'started';
  }

  /**
   * Aborts a run under way, waits for it to end, and, when nothing was installed, rejects `done`
   * with the error `reason` makes of the last failure (undefined when no run failed).
   */
  async stop(reason: (lastFailure: unknown) => WizardError): Promise<void> {
    this.#stop.abort();
    await this.#running;
    if (this.#result === undefined) this.#rejectDone(reason(this.#lastFailure));
  }

  async #run(run: number, keyType: KeyType, details: WizardDetails): Promise<void> {
    const s = this.#settings;
    try {
      const result = await enroll(this.#options(run, keyType, details));
      this.#result = result;
      this.#history.append({
        type: 'installed',
        run,
        installed: shownInstalled(result.installed),
        ...(result.accountEmail === undefined ? {} : { accountEmail: result.accountEmail }),
        resumed: result.resumed,
      });
      s.logger.info('certificate installed', {
        run,
        name: result.installed.name,
        version: result.installed.version,
        fingerprintSha256: result.installed.fingerprintSha256,
      });
      this.#resolveDone(result);
    } catch (error) {
      if (this.#stop.signal.aborted) {
        s.logger.info('enrollment stopped', { run });
        return;
      }
      this.#lastFailure = error;
      const code = (error as { code?: unknown } | null)?.code;
      s.logger.warn('enrollment failed', { run, ...(typeof code === 'string' ? { code } : {}), name: (error as Error | null)?.name });
      this.#history.append({ type: 'run-failed', run, failure: describeFailure(error, { caOrigin: s.caOrigin, vendorName: s.vendor.name }) });
    }
  }

  #options(run: number, keyType: KeyType, details: WizardDetails): EnrollOptions {
    const s = this.#settings;
    const vendor = s.enroll;
    const registration = vendor.registration ?? {};
    const showPage = (url: string) => {
      // The only secret-bearing value the browser gets: the page the person must open.
      this.#history.append({ type: 'registration-page', run, url });
    };
    const signal = vendor.signal === undefined ? this.#stop.signal : AbortSignal.any([this.#stop.signal, vendor.signal]);
    return {
      ...vendor,
      // A server certificate carries the host names the person confirmed, and the address only
      // when the vendor asked for both; the address is the CA account's in any case (prefill).
      names: {
        ...(s.certificate.address ? { email: [details.email] } : {}),
        ...(s.certificate.server === undefined ? {} : { dns: details.hostNames ?? s.defaults.hostNames ?? [] }),
      },
      keyType,
      registration: {
        ...registration,
        prefill: {
          ...registration.prefill,
          firstName: { value: details.firstName, sure: true },
          lastName: { value: details.lastName, sure: true },
          emailAddress: { value: details.email, sure: true },
        },
        // The vendor's own label, else "<vendor> installer" when that is a valid label (a
        // 100-character vendor name is not): the CA's account page names the installation by it.
        ...(registration.installationLabel !== undefined
          ? { installationLabel: registration.installationLabel }
          : isValidInstallationLabel(`${s.vendor.name} installer`)
            ? { installationLabel: `${s.vendor.name} installer` }
            : {}),
        noBrowser: false,
        opener: async (url) => showPage(url),
        display: ({ url }) => showPage(url),
      },
      signal,
      onEvent: (event: EnrollFlowEvent) => {
        this.#history.append({ type: 'flow', run, event }, coalesceKey(event));
        try {
          vendor.onEvent?.(event);
        } catch {
          // The vendor's observer must not break the wizard's display.
        }
      },
    };
  }
}

/** Repeated waiting events replace the previous one in the history: a replay needs the latest only. */
function coalesceKey(event: EnrollFlowEvent): string | undefined {
  if (event.type === 'registration' && event.event.type === 'ticket-state') return 'ticket-state';
  if (event.type === 'enrollment' && (event.event.type === 'waiting' || event.event.type === 'polling' || event.event.type === 'pending'))
    return `enrollment-${event.event.type}`;
  if (event.type === 'address' && event.event.type === 'waiting') return 'address-waiting';
  return undefined;
}

/** The installed certificate as JSON for the browser. */
export function shownInstalled(installed: InstalledCertificate): ShownInstalled {
  return {
    name: installed.name,
    version: installed.version,
    paths: { ...installed.paths },
    fingerprintSha256: installed.fingerprintSha256,
    notAfter: installed.notAfter.toISOString(),
    names: [...installed.names],
  };
}
