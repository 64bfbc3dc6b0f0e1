/**
 * What the page knows, folded from the server's events, and which step it shows. Pure: no DOM,
 * no network, so it is tested in Node (progress.test.ts) and a replay after a reload rebuilds
 * exactly the state the page had.
 */
import type {
  DomainVerificationEvent,
  EnrollFlowEvent,
  EnrollStep,
  KeyType,
  ShownFailure,
  ShownInstalled,
  WizardConfig,
  WizardDetails,
  WizardEventRecord,
} from '@certwizard/wizard';

/** The wizard's steps, in order; `domain` only for a server certificate ({@link stepsFor}). */
export const STEPS = ['welcome', 'details', 'key', 'register', 'confirm', 'domain', 'approval', 'installed', 'done'] as const;

/** One of {@link STEPS}. */
export type Step = (typeof STEPS)[number];

/**
 * The steps this wizard goes through: a certificate for an address has no domain to verify.
 * @example
 * stepsFor({ certificate: { address: true } }); // every step but 'domain'
 */
export function stepsFor(config: Pick<WizardConfig, 'certificate'>): readonly Step[] {
  return config.certificate.server === undefined ? STEPS.filter((s) => s !== 'domain') : STEPS;
}

/** One domain of the host names, as its verification went so far (the flow's `domain` events). */
export interface DomainProgress {
  /** ASCII form. */
  readonly domain: string;
  readonly unicode: string;
  readonly method: 'email' | 'dns' | 'http';
  /** email: the administrative address the CA mailed, and whether the mail server answers by itself. */
  readonly address?: string;
  readonly automatic?: boolean;
  /** dns: the TXT record to publish; http: the file's URL. Public values. */
  readonly record?: { readonly name: string; readonly value: string };
  readonly url?: string;
  readonly verified: boolean;
  /** The CA had it verified before this run asked. */
  readonly alreadyVerified: boolean;
  readonly lapsesAt?: string;
  /** When the flow last waited for it, and how long. */
  readonly checkedAt?: string;
  readonly nextCheckMs?: number;
}

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
  /** The domains of the host names, in the order their verification started. */
  readonly domains: readonly DomainProgress[];
  readonly request: {
    readonly submitting: boolean;
    /** The CA keeps the request for approval under this id. */
    readonly pendingId?: string;
    readonly issued: boolean;
    /** When it was last asked about, and the wait before the next time (ms). */
    readonly checkedAt?: string;
    readonly nextCheckMs?: number;
  };
  /**
   * The SHA-256 fingerprints (lower-case hex) a SCEP CA presented in this run's account step
   * (the method's `scep-ca-fingerprints` event): the key step shows them to the person.
   */
  readonly scepCa?: ScepCaPresented;
  readonly failure?: ShownFailure;
  readonly installed?: { readonly certificate: ShownInstalled; readonly accountEmail?: string; readonly resumed: boolean };
  readonly finished: boolean;
  /** The installer is closing the wizard. */
  readonly closing: boolean;
}

/** What a SCEP CA presented (GetCACert, RFC 8894 §4.2): its certificate's and its RA's SHA-256, lower-case hex, and its subject. */
export interface ScepCaPresented {
  readonly caSha256: string;
  readonly raSha256: string;
  readonly caSubject: string;
}

/** Before any event. */
export const INITIAL_PROGRESS: Progress = {
  running: false,
  flowStepResumed: false,
  registration: { waiting: false, callbackReceived: false },
  address: { confirmed: false },
  domains: [],
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
        domains: INITIAL_PROGRESS.domains,
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
    case 'domain':
      return { ...progress, domains: reduceDomain(progress.domains, event.event, at) };
    case 'request-found':
      if (event.status === 'issued') return { ...progress, request: { ...request, issued: true } };
      return progress;
    // The key step shows them; the vendor's pin or onCaFingerprints (not the page) decides.
    case 'scep-ca-fingerprints':
      return { ...progress, scepCa: { caSha256: event.caSha256, raSha256: event.raSha256, caSubject: event.caSubject } };
    case 'already-installed':
    case 'ca-retrying':
      return progress;
    default: {
      // The compiler names a new event of the SDK here; at run time an unknown one changes nothing.
      const _unknown: never = event;
      return progress;
    }
  }
}

/** Folds one domain event into the list: a new `verifying` starts the domain over (a Retry asks again). */
function reduceDomain(domains: readonly DomainProgress[], e: DomainVerificationEvent, at: string): readonly DomainProgress[] {
  const update = (domain: string, change: (d: DomainProgress) => DomainProgress) => domains.map((d) => (d.domain === domain ? change(d) : d));
  switch (e.type) {
    case 'verifying': {
      const entry: DomainProgress = {
        domain: e.domain,
        unicode: e.unicode,
        method: e.method,
        ...(e.address === undefined ? {} : { address: e.address }),
        ...(e.automatic === undefined ? {} : { automatic: e.automatic }),
        ...(e.record === undefined ? {} : { record: e.record }),
        ...(e.url === undefined ? {} : { url: e.url }),
        verified: false,
        alreadyVerified: false,
      };
      return domains.some((d) => d.domain === e.domain) ? update(e.domain, () => entry) : [...domains, entry];
    }
    case 'waiting':
      return update(e.domain, (d) => ({ ...d, checkedAt: at, nextCheckMs: e.delayMs }));
    case 'verified': {
      const done = (d: DomainProgress): DomainProgress => ({
        ...d,
        method: e.method,
        verified: true,
        alreadyVerified: e.alreadyVerified,
        ...(e.lapsesAt === undefined ? {} : { lapsesAt: e.lapsesAt }),
      });
      // Already verified: no 'verifying' came first.
      if (!domains.some((d) => d.domain === e.domain))
        return [...domains, done({ domain: e.domain, unicode: e.domain, method: e.method, verified: true, alreadyVerified: true })];
      return update(e.domain, done);
    }
    default: {
      const _unknown: never = e;
      return domains;
    }
  }
}

/** What the page alone knows: the step before `enroll()` runs, and whether the CA's page was opened. */
export interface LocalState {
  readonly step: LocalStep;
  readonly pageOpened: boolean;
  /** The CA is reached over SCEP (the config's `scep`): it has no registration page to show. */
  readonly scep?: boolean;
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
  if (step === 'verify-email' && progress.domains.some((d) => !d.verified)) return 'domain';
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
  // A SCEP CA's account step (GetCACert) stays on the key step, which shows the CA's fingerprints.
  if (step === 'register' && (local.scep === true || progress.scepCa !== undefined)) return 'key';
  if (progress.registrationUrl !== undefined && (local.pageOpened || progress.registration.callbackReceived)) return 'confirm';
  return 'register';
}
