/**
 * What the page knows, folded from the server's events, and which step it shows. Pure: no DOM,
 * no network, so it is tested in Node (progress.test.ts) and a replay after a reload rebuilds
 * exactly the state the page had.
 */
import type { EnrollFlowEvent, EnrollStep, KeyType, ShownFailure, ShownInstalled, WizardDetails, WizardEventRecord } from '@certwizard/wizard';

/** The wizard's steps, in order. */
export const STEPS = ['welcome', 'details', 'key', 'register', 'confirm', 'approval', 'installed', 'done'] as const;

/** One of {@link STEPS}. */
export type Step = (typeof STEPS)[number];

/** The steps before `enroll()` runs: the page alone decides which one shows. */
export type LocalStep = 'welcome' | 'details' | 'key';

/** Everything the events said so far. */
export interface Progress {
  readonly details?: WizardDetails;
  /** The latest run of `enroll()`. */
  readonly run?: { readonly id: number; readonly keyType: KeyType };
  /** Whether that run is still going. */
  readonly running: boolean;
  /** The latest step `enroll()` announced, and whether it continued an earlier run's. */
  readonly flowStep?: EnrollStep;
  readonly flowStepResumed: boolean;
  /** The CA's registration page to open. */
  readonly registrationUrl?: string;
  readonly registration: {
    /** Polling or waiting for the callback. */
    readonly waiting: boolean;
    /** The latest `isitdone` status, and when it came. */
    readonly ticketStatus?: string;
    readonly checkedAt?: string;
    /** The CA's page sent the browser back to the installer. */
    readonly callbackReceived: boolean;
    /** The address the CA confirmed. */
    readonly registeredAs?: string;
    /** The code the CA's pages show for this registration (RFC 8628 §5.4): the person compares them. */
    readonly userCode?: string;
  };
  /** Confirming the address: how (as the flow reported it), and the `verify-email` step's ping. */
  readonly address: {
    /** The vendor's mail hook answers the CA's mail; undefined until the flow says. */
    readonly automatic?: boolean;
    /** The `verify-email` step had the CA mail this address to confirm it. */
    readonly pingSentTo?: string;
    readonly confirmed: boolean;
    readonly checkedAt?: string;
  };
  readonly request: {
    readonly submitting: boolean;
    /** The CA keeps the request for approval under this id. */
    readonly pendingId?: string;
    readonly issued: boolean;
    /** When it was last asked about, and the wait before the next time (ms). */
    readonly checkedAt?: string;
    readonly nextCheckMs?: number;
  };
  readonly failure?: ShownFailure;
  readonly installed?: { readonly certificate: ShownInstalled; readonly accountEmail?: string; readonly resumed: boolean };
  readonly finished: boolean;
  /** The installer is closing the wizard. */
  readonly closing: boolean;
}

/** Before any event. */
export const INITIAL_PROGRESS: Progress = {
  running: false,
  flowStepResumed: false,
  registration: { waiting: false, callbackReceived: false },
  address: { confirmed: false },
  request: { submitting: false, issued: false },
  finished: false,
  closing: false,
};

/**
 * Folds one record into the progress.
 * @example
 * const progress = records.reduce(reduceProgress, INITIAL_PROGRESS);
 */
export function reduceProgress(progress: Progress, record: WizardEventRecord): Progress {
  const event = record.event;
  switch (event.type) {
    case 'details-saved':
      return { ...progress, details: event.details };
    case 'run-started': {
      // The step, the registration page and the registration's outcome stay, so a retried run
      // does not flash back to earlier steps; what the new run reports again (the request, the
      // address's ping) starts over, so that nothing stale is shown as current.
      const { failure: _gone, ...rest } = progress;
      return {
        ...rest,
        run: { id: event.run, keyType: event.keyType },
        running: true,
        request: INITIAL_PROGRESS.request,
        address: progress.address.automatic === undefined ? INITIAL_PROGRESS.address : { ...INITIAL_PROGRESS.address, automatic: progress.address.automatic },
      };
    }
    case 'registration-page':
      return { ...progress, registrationUrl: event.url };
    case 'flow':
      return event.run === progress.run?.id ? reduceFlow(progress, event.event, record.at) : progress;
    case 'run-failed':
      return event.run === progress.run?.id ? { ...progress, running: false, failure: event.failure } : progress;
    case 'installed':
      return {
        ...progress,
        running: false,
        installed: { certificate: event.installed, resumed: event.resumed, ...(event.accountEmail === undefined ? {} : { accountEmail: event.accountEmail }) },
      };
    case 'finished':
      return { ...progress, finished: true };
    case 'closing':
      return { ...progress, closing: true };
    default:
      return progress;
  }
}

function reduceFlow(progress: Progress, event: EnrollFlowEvent, at: string): Progress {
  const { registration, request, address } = progress;
  switch (event.type) {
    case 'step':
      return { ...progress, flowStep: event.step, flowStepResumed: event.resumed };
    case 'registration': {
      const e = event.event;
      switch (e.type) {
        case 'ticket-issued':
        case 'resumed':
          return e.userCode === undefined ? progress : { ...progress, registration: { ...registration, userCode: e.userCode } };
        case 'waiting':
          return { ...progress, registration: { ...registration, waiting: true } };
        case 'ticket-state':
          return { ...progress, registration: { ...registration, ticketStatus: e.status, checkedAt: at } };
        case 'callback-received':
          return { ...progress, registration: { ...registration, callbackReceived: true } };
        case 'registered':
          return { ...progress, registration: { ...registration, waiting: false, registeredAs: e.emailAddress } };
        default:
          return progress;
      }
    }
    case 'enrollment': {
      const e = event.event;
      switch (e.type) {
        case 'submitting':
          return { ...progress, request: { ...request, submitting: true } };
        case 'pending':
          return { ...progress, request: { ...request, submitting: false, pendingId: e.requestId } };
        case 'waiting':
          return { ...progress, request: { ...request, nextCheckMs: e.delayMs } };
        case 'polling':
          return { ...progress, request: { ...request, checkedAt: at } };
        case 'issued':
          return { ...progress, request: { ...request, submitting: false, issued: true } };
        default:
          return progress;
      }
    }
    case 'address-confirmation':
      return { ...progress, address: { ...address, automatic: event.automatic } };
    case 'address': {
      const e = event.event;
      switch (e.type) {
        case 'ping-sent':
          return { ...progress, address: { ...address, automatic: e.automatic, pingSentTo: e.address, confirmed: false } };
        case 'waiting':
          return { ...progress, address: { ...address, checkedAt: at } };
        case 'confirmed':
          return { ...progress, address: { ...address, confirmed: true } };
        default:
          return progress;
      }
    }
    case 'request-found':
      if (event.status === 'issued') return { ...progress, request: { ...request, issued: true } };
      return progress;
    default:
      // 'already-installed', and events of a newer SDK the page has no words for yet.
      return progress;
  }
}

/** What the page alone knows: the step before `enroll()` runs, and whether the CA's page was opened. */
export interface LocalState {
  readonly step: LocalStep;
  readonly pageOpened: boolean;
}

/**
 * The step to show. Before a run the page decides (welcome, details, key); after that the flow's
 * progress does: the key step while the key is made, then registration, the address
 * confirmation once the person opened the CA's page (or when `verify-email` had the CA mail an
 * address to confirm), approval once registered, and so on.
 * @example
 * stepOf(INITIAL_PROGRESS, { step: 'welcome', pageOpened: false }) // 'welcome'
 */
export function stepOf(progress: Progress, local: LocalState): Step {
  if (progress.finished) return 'done';
  if (progress.installed !== undefined) return 'installed';
  if (progress.run === undefined) return local.step;
  const step = progress.flowStep;
  if (step === 'verify-email' && progress.address.pingSentTo !== undefined && !progress.address.confirmed) return 'confirm';
  if (
    step === 'verify-email' ||
    step === 'submit' ||
    step === 'await-issue' ||
    step === 'install' ||
    step === 'done' ||
    progress.registration.registeredAs !== undefined
  )
    return 'approval';
  if (step === undefined || step === 'prepare-key') return 'key';
  if (progress.registrationUrl !== undefined && (local.pageOpened || progress.registration.callbackReceived)) return 'confirm';
  return 'register';
}
