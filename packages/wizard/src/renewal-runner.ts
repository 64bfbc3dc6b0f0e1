/**
 * Runs the SDK's `renew()` for the browser: every progress event goes to the history, and the
 * names-dropped question (`onNamesDropped`) becomes a question on the page that the person
 * answers through `POST /api/names-dropped`. Never revoked silently, and never by default: the
 * timeout and a wizard that closes answer `keep`, as `renew()` itself does when nobody asks.
 */
import { randomBytes } from 'node:crypto';
import { renew, type NamesDroppedQuestion, type RenewEvent, type RenewOptions, type RenewOutcome } from '@certwizard/sdk';
import { describeFailure } from './describe-failure.js';
import { shownInstalled } from './enrollment-runner.js';
import type { WizardError } from './errors.js';
import type { EventHistory } from './event-history.js';
import type { RenewalWizardSettings } from './renewal-options.js';
import type { NamesDroppedAnswer, ShownNamesDroppedQuestion, ShownRenewEvent, ShownRenewOutcome } from './wire.js';

/** What {@link RenewalRunner.start} did. */
export type RenewalStartOutcome = 'started' | 'busy' | 'finished';

/** What {@link RenewalRunner.answer} did. */
export type AnswerOutcome = 'answered' | 'no-question';

/** The question open now, and how to settle it. */
interface OpenQuestion {
  readonly run: number;
  readonly id: string;
  readonly settle: (answer: NamesDroppedAnswer, by: 'person' | 'timeout' | 'closed') => void;
}

/**
 * One renewal, run again only when the last run failed (Retry): a renewed, not-due, pending or
 * skipped outcome is final for this wizard.
 */
export class RenewalRunner {
  readonly #settings: RenewalWizardSettings;
  readonly #history: EventHistory;
  readonly #stop = new AbortController();
  #runs = 0;
  #running: Promise<void> | undefined;
  #outcome: RenewOutcome | undefined;
  #lastFailure: unknown;
  #question: OpenQuestion | undefined;
  readonly #done: Promise<RenewOutcome>;
  #resolveDone!: (outcome: RenewOutcome) => void;
  #rejectDone!: (error: unknown) => void;

  constructor(settings: RenewalWizardSettings, history: EventHistory) {
    this.#settings = settings;
    this.#history = history;
    this.#done = new Promise<RenewOutcome>((resolve, reject) => {
      this.#resolveDone = resolve;
      this.#rejectDone = reject;
    });
    // A vendor that never awaits `done` must not get an unhandled rejection.
    this.#done.catch(() => undefined);
  }

  /** Settles with `renew()`'s final outcome; rejects only through {@link RenewalRunner.stop}. */
  get done(): Promise<RenewOutcome> {
    return this.#done;
  }

  /** Whether a final outcome is in (the Finish button may be pressed). */
  get finished(): boolean {
    return this.#outcome !== undefined;
  }

  /** Calls `renew()` (first time, or again after a failure) unless one is running or it ended. */
  start(): RenewalStartOutcome {
    if (this.#outcome !== undefined) return 'finished';
    if (this.#running !== undefined || this.#stop.signal.aborted) return 'busy';
    const run = ++this.#runs;
    this.#history.append({ type: 'renewal-started', run });
    this.#settings.logger.info('renewal started', { run, name: this.#settings.renew.name });
    this.#running = this.#run(run).finally(() => {
      this.#running = undefined;
    });
    return 'started';
  }

  /**
   * The answer to the open question `questionId`, from the person or from their page as it
   * closes (`closed`); a stale or unknown id changes nothing.
   */
  answer(questionId: string, answer: NamesDroppedAnswer, by: 'person' | 'closed' = 'person'): AnswerOutcome {
    const open = this.#question;
    if (open === undefined || open.id !== questionId) return 'no-question';
    open.settle(answer, by);
    return 'answered';
  }

  /**
   * Answers an open question `keep`, aborts a run under way, waits for it to end, and, when no
   * final outcome came, rejects `done` with the error `reason` makes of the last failure.
   */
  async stop(reason: (lastFailure: unknown) => WizardError): Promise<void> {
    this.#question?.settle('keep', 'closed');
    this.#stop.abort();
    await this.#running;
    if (this.#outcome === undefined) this.#rejectDone(reason(this.#lastFailure));
  }

  async #run(run: number): Promise<void> {
    const s = this.#settings;
    const vendor = s.renew;
    try {
      const outcome = await renew({
        ...vendor,
        signal: vendor.signal === undefined ? this.#stop.signal : AbortSignal.any([this.#stop.signal, vendor.signal]),
        onNamesDropped: (question) => this.#ask(run, question),
        onEvent: (event) => {
          this.#history.append({ type: 'renewal', run, event: shownRenewEvent(event) }, coalesceKey(event));
          try {
            vendor.onEvent?.(event);
          } catch {
            // The vendor's observer must not break the wizard's display.
          }
        },
      } satisfies RenewOptions);
      const shown = shownOutcome(outcome, s);
      this.#history.append({ type: 'renewal-outcome', run, outcome: shown });
      s.logger.info('renewal ended', { run, status: outcome.status });
      if (outcome.status === 'failed') {
        this.#lastFailure = outcome.error;
        return;
      }
      this.#outcome = outcome;
      this.#resolveDone(outcome);
    } catch (error) {
      if (this.#stop.signal.aborted) {
        s.logger.info('renewal stopped', { run });
        return;
      }
      // Thrown rather than resolved `failed`: the state could not be read, or another run holds the lock.
      this.#lastFailure = error;
      const code = (error as { code?: unknown } | null)?.code;
      s.logger.warn('renewal failed', { run, ...(typeof code === 'string' ? { code } : {}), name: (error as Error | null)?.name });
      this.#history.append({ type: 'renewal-outcome', run, outcome: { status: 'failed', failure: describeFailure(error, failureContext(s)) } });
    }
  }

  /** `onNamesDropped`: publishes the question and waits for the person, the timeout, or the wizard's end. */
  #ask(run: number, question: NamesDroppedQuestion): Promise<NamesDroppedAnswer> {
    const s = this.#settings;
    if (this.#stop.signal.aborted) return Promise.resolve('keep');
    // Unguessable, so that a page cannot answer a question it was not shown.
    const id = randomBytes(16).toString('base64url');
    const keepAt = new Date(Date.now() + s.namesDroppedTimeoutMs);
    const shown: ShownNamesDroppedQuestion = {
      id,
      name: question.name,
      droppedNames: [...question.droppedNames],
      serialHex: question.serialHex,
      notAfter: question.certificate.notAfter.toISOString(),
      certificateNames: [...question.certificate.names],
      keepAt: keepAt.toISOString(),
    };
    return new Promise<NamesDroppedAnswer>((resolve) => {
      const timer = setTimeout(() => settle('keep', 'timeout'), s.namesDroppedTimeoutMs);
      const settle = (answer: NamesDroppedAnswer, by: 'person' | 'timeout' | 'closed') => {
        if (this.#question?.id !== id) return;
        clearTimeout(timer);
        this.#question = undefined;
        this.#history.append({ type: 'names-dropped-answered', run, questionId: id, answer, by });
        s.logger.info('names-dropped question answered', { run, answer, by });
        resolve(answer);
      };
      this.#question = { run, id, settle };
      this.#history.append({ type: 'names-dropped-question', run, question: shown });
      s.logger.info('names-dropped question asked', { run, droppedNames: shown.droppedNames.length });
    });
  }
}

function failureContext(s: RenewalWizardSettings): { caOrigin: string; vendorName: string } {
  return { caOrigin: s.caOrigin, vendorName: s.vendor.name };
}

/** Repeated waiting events replace the previous one in the history, as the enrollment's do. */
function coalesceKey(event: RenewEvent): string | undefined {
  if (event.type !== 'flow') return undefined;
  const e = event.event;
  if (e.type === 'enrollment' && (e.event.type === 'waiting' || e.event.type === 'polling' || e.event.type === 'pending')) return `renewal-${e.event.type}`;
  return undefined;
}

/** A progress event as JSON for the page: dates as ISO 8601, the installed certificate as the installed step shows it. */
export function shownRenewEvent(event: RenewEvent): ShownRenewEvent {
  switch (event.type) {
    case 'renewal-due':
      return { type: 'renewal-due', dueAt: event.dueAt.toISOString(), forced: event.forced, resumed: event.resumed };
    case 'flow':
      return { type: 'flow', event: event.event };
    case 'names-dropped':
      return { type: 'names-dropped', droppedNames: [...event.droppedNames], answer: event.answer };
    case 'dropped-revoked':
      return { type: 'dropped-revoked', serialHex: event.serialHex, already: event.already };
    case 'renewed':
      return { type: 'renewed', installed: shownInstalled(event.installed), previousSerialHex: event.previousSerialHex };
    case 'renewal-failed':
      return { type: 'renewal-failed', code: event.code, message: event.message, nextAttemptAt: event.nextAttemptAt.toISOString() };
  }
}

function shownOutcome(outcome: RenewOutcome, s: RenewalWizardSettings): ShownRenewOutcome {
  switch (outcome.status) {
    case 'not-due':
      return { status: 'not-due', dueAt: outcome.dueAt.toISOString() };
    case 'renewed':
      return {
        status: 'renewed',
        installed: shownInstalled(outcome.installed),
        previousSerialHex: outcome.previousSerialHex,
        ...(outcome.droppedNames === undefined ? {} : { droppedNames: [...outcome.droppedNames] }),
        ...(outcome.revokedSerialHex === undefined ? {} : { revokedSerialHex: outcome.revokedSerialHex }),
      };
    case 'backing-off':
      return { status: 'backing-off', nextAttemptAt: outcome.nextAttemptAt.toISOString() };
    case 'pending':
      return { status: 'pending', ...(outcome.requestId === undefined ? {} : { requestId: outcome.requestId }) };
    case 'failed':
      return { status: 'failed', failure: describeFailure(outcome.error, failureContext(s)) };
    case 'skipped':
      return { status: 'skipped', reason: outcome.reason, message: outcome.message };
  }
}
