/**
 * What the renewal page knows, folded from the server's events, and which screen it shows. Pure:
 * no DOM, no network (tested in Node, renewal-progress.test.ts); a reload's replay rebuilds the
 * same screen, including a question still open.
 */
import type { EnrollStep, NamesDroppedAnswer, ShownInstalled, ShownNamesDroppedQuestion, ShownRenewOutcome, WizardEventRecord } from '@certwizard/wizard';

/** Everything the renewal's events said so far. */
export interface RenewalProgress {
  /** The latest run of `renew()`. */
  readonly run?: number;
  readonly running: boolean;
  /** The certificate was due (or forced) and a renewal started. */
  readonly due?: { readonly dueAt: string; readonly forced: boolean; readonly resumed: boolean };
  /** The latest step of the enrollment flow the renewal runs through. */
  readonly flowStep?: EnrollStep;
  /** The names-dropped question waiting for the person's answer. */
  readonly question?: ShownNamesDroppedQuestion;
  /** How the last question was answered, with its names. */
  readonly answered?: {
    readonly answer: NamesDroppedAnswer;
    readonly by: 'person' | 'timeout' | 'closed';
    readonly droppedNames: readonly string[];
    readonly serialHex: string;
  };
  readonly renewed?: { readonly installed: ShownInstalled; readonly previousSerialHex: string };
  /** The replaced certificate was revoked (`already`: it was before). */
  readonly revoked?: { readonly serialHex: string; readonly already: boolean };
  /** What `renew()` resolved with. */
  readonly outcome?: ShownRenewOutcome;
  readonly finished: boolean;
  readonly closing: boolean;
}

/** Before any event. */
export const INITIAL_RENEWAL: RenewalProgress = { running: false, finished: false, closing: false };

/** The renewal page's screens. */
export type RenewalScreen = 'start' | 'progress' | 'question' | 'result' | 'done';

/**
 * Folds one record into the progress; the enrollment wizard's events leave it as it is.
 * @example
 * const progress = records.reduce(reduceRenewal, INITIAL_RENEWAL);
 */
export function reduceRenewal(progress: RenewalProgress, record: WizardEventRecord): RenewalProgress {
  const event = record.event;
  switch (event.type) {
    case 'renewal-started': {
      // A Retry starts over, but what the person answered stays: renew() does not ask twice.
      const { outcome: _outcome, question: _question, ...rest } = progress;
      return { ...rest, run: event.run, running: true };
    }
    case 'renewal': {
      if (event.run !== progress.run) return progress;
      const e = event.event;
      switch (e.type) {
        case 'renewal-due':
          return { ...progress, due: { dueAt: e.dueAt, forced: e.forced, resumed: e.resumed } };
        case 'flow':
          return e.event.type === 'step' ? { ...progress, flowStep: e.event.step } : progress;
        case 'renewed':
          return { ...progress, renewed: { installed: e.installed, previousSerialHex: e.previousSerialHex } };
        case 'dropped-revoked':
          return { ...progress, revoked: { serialHex: e.serialHex, already: e.already } };
        default:
          return progress;
      }
    }
    case 'names-dropped-question':
      return event.run === progress.run ? { ...progress, question: event.question } : progress;
    case 'names-dropped-answered': {
      const question = progress.question;
      if (question === undefined || question.id !== event.questionId) return progress;
      const { question: _answered, ...rest } = progress;
      return { ...rest, answered: { answer: event.answer, by: event.by, droppedNames: question.droppedNames, serialHex: question.serialHex } };
    }
    case 'renewal-outcome':
      return event.run === progress.run ? { ...progress, running: false, outcome: event.outcome } : progress;
    case 'finished':
      return { ...progress, finished: true };
    case 'closing': {
      const { question: _gone, ...rest } = progress;
      return { ...rest, closing: true };
    }
    default:
      return progress;
  }
}

/**
 * The screen to show: the question while one is open (it comes before anything else, since the
 * renewal waits on it), the result once `renew()` resolved, the progress while it runs.
 * @example
 * renewalScreen(INITIAL_RENEWAL); // 'start'
 */
export function renewalScreen(progress: RenewalProgress): RenewalScreen {
  if (progress.finished) return 'done';
  if (progress.question !== undefined) return 'question';
  if (progress.outcome !== undefined) return 'result';
  if (progress.run !== undefined) return 'progress';
  return 'start';
}

/** What the renewal is doing, in a sentence, for the progress screen's status line. */
export function renewalStatus(progress: RenewalProgress): string {
  if (progress.renewed !== undefined) return 'The renewed certificate is installed; finishing…';
  switch (progress.flowStep) {
    case 'prepare-key':
      return 'Making a new key…';
    case 'submit':
      return 'Sending the certificate request to the CA…';
    case 'verify-email':
      return 'The CA is checking the names…';
    case 'await-issue':
      return 'Waiting for the CA to issue the certificate…';
    case 'install':
      return 'Installing the renewed certificate…';
    default:
      return progress.due === undefined ? 'Checking whether the certificate is due…' : 'Renewing the certificate…';
  }
}
