/**
 * The page: folds the server's events into the progress, shows the step it calls for, moves the
 * focus to each new step's heading, keeps the step list and the title in step, and shows a
 * failure with what to do next and a Retry button under whichever step it happened in.
 */
import type { WizardConfig, WizardEventRecord } from '@certwizard/wizard';
import { h, replaceChildren } from './dom.js';
import { INITIAL_PROGRESS, reduceProgress, stepOf, stepsFor, type LocalState, type LocalStep, type Progress, type Step } from './progress.js';
import type { StepContext, StepView, WizardActions } from './step-view.js';
import { approvalStep } from './steps/approval.js';
import { confirmStep } from './steps/confirm.js';
import { detailsStep } from './steps/details.js';
import { domainStep } from './steps/domain.js';
import { doneStep } from './steps/done.js';
import { installedStep } from './steps/installed.js';
import { keyStep } from './steps/key.js';
import { registerStep } from './steps/register.js';
import { welcomeStep } from './steps/welcome.js';

/** The name of each step in the step list and the title. */
export const STEP_TITLES: Readonly<Record<Step, string>> = {
  welcome: 'Welcome',
  details: 'Your details',
  key: 'Your key',
  register: 'Register at the CA',
  confirm: 'Confirm your address',
  domain: 'Verify your domain',
  approval: 'Approval and issuance',
  installed: 'Certificate installed',
  done: 'Done',
};

const MAKERS: Readonly<Record<Step, (context: StepContext) => StepView>> = {
  welcome: welcomeStep,
  details: detailsStep,
  key: keyStep,
  register: registerStep,
  confirm: confirmStep,
  domain: domainStep,
  approval: approvalStep,
  installed: installedStep,
  done: doneStep,
};

/** Where the page draws. */
export interface PageParts {
  readonly main: HTMLElement;
  readonly position: HTMLElement;
  readonly list: HTMLOListElement;
}

/** The hooks the page calls on the server; see main.ts. */
export type ServerActions = Omit<WizardActions, 'goTo' | 'pageOpened'>;

/** Session storage key of the registration page the person opened (not a secret to this tab: it shows the link). */
const OPENED_KEY = 'certwizard.openedRegistrationPage';

/** The page's controller. */
export class WizardView {
  readonly #config: WizardConfig;
  readonly #parts: PageParts;
  readonly #actions: WizardActions;
  #progress: Progress = INITIAL_PROGRESS;
  #localStep: LocalStep = 'welcome';
  #shown: { step: Step; view: StepView; failure: FailurePanel } | undefined;

  constructor(config: WizardConfig, parts: PageParts, server: ServerActions) {
    this.#config = config;
    this.#parts = parts;
    this.#actions = {
      ...server,
      goTo: (step) => {
        this.#localStep = step;
        this.#render();
      },
      pageOpened: (url) => {
        sessionStorage.setItem(OPENED_KEY, url);
        // After the click has opened the new tab: the page then shows what to do meanwhile.
        setTimeout(() => this.#render(), 0);
      },
      retry: () => server.retry(),
    };
  }

  /** The progress so far (for the Retry button: the key type of the last run). */
  get progress(): Progress {
    return this.#progress;
  }

  /** Draws the page as it is before any event (the welcome step, on a fresh start). */
  show(): void {
    this.#render();
  }

  /** Folds in one server event and redraws what changed. */
  receive(record: WizardEventRecord): void {
    this.#progress = reduceProgress(this.#progress, record);
    this.#render();
  }

  /** Draws the current step (the first call draws the page). */
  #render(): void {
    const local: LocalState = {
      step: this.#localStep,
      pageOpened: this.#progress.registrationUrl !== undefined && sessionStorage.getItem(OPENED_KEY) === this.#progress.registrationUrl,
      scep: this.#config.scep !== undefined,
    };
    const step = stepOf(this.#progress, local);
    if (this.#shown?.step !== step) {
      const view = MAKERS[step]({ config: this.#config, actions: this.#actions, progress: this.#progress });
      const failure = failurePanel(this.#actions);
      replaceChildren(this.#parts.main, view.element, failure.element);
      this.#shown = { step, view, failure };
      this.#showPosition(step);
      view.heading.focus();
    } else {
      this.#shown.view.update(this.#progress);
    }
    this.#shown.failure.update(this.#progress);
  }

  #showPosition(step: Step): void {
    const steps = stepsFor(this.#config);
    const index = steps.indexOf(step);
    this.#parts.position.textContent = `Step ${index + 1} of ${steps.length}: ${STEP_TITLES[step]}`;
    document.title = `${STEP_TITLES[step]} – ${this.#config.vendor.name} certificate wizard`;
    replaceChildren(
      this.#parts.list,
      ...steps.map((s, i) =>
        h(
          'li',
          { class: i < index ? 'step-done' : i === index ? 'step-current' : 'step-later', 'aria-current': i === index ? 'step' : undefined },
          STEP_TITLES[s],
          i < index ? h('span', { class: 'visually-hidden' }, ' (done)') : undefined,
        ),
      ),
    );
  }
}

interface FailurePanel {
  readonly element: HTMLElement;
  update(progress: Progress): void;
}

/**
 * The failure of the last run, under the step: what happened, what to do, and Retry. The alert
 * region exists before anything is put in it, so screen readers announce the failure; the focus
 * moves to its heading, so the next Tab reaches Retry.
 */
function failurePanel(actions: WizardActions): FailurePanel {
  const region = h('div', { role: 'alert', class: 'failure-region' });
  let shownFor: object | undefined;
  return {
    element: region,
    update(progress) {
      const failure = progress.failure;
      if (failure === shownFor) return;
      shownFor = failure;
      if (failure === undefined) {
        region.replaceChildren();
        region.classList.remove('failure');
        return;
      }
      const heading = h('h2', { tabindex: '-1' }, 'Something went wrong');
      const status = h('p', { role: 'status', class: 'status' });
      const retry = h('button', { type: 'button' }, 'Retry');
      retry.addEventListener('click', () => {
        retry.disabled = true;
        status.textContent = 'Trying again…';
        actions.retry().catch((error: unknown) => {
          retry.disabled = false;
          status.textContent = `The installer did not start again: ${error instanceof Error ? error.message : String(error)}.`;
        });
      });
      region.classList.add('failure');
      replaceChildren(
        region,
        heading,
        h('p', {}, failure.message, failure.code === undefined ? undefined : h('span', { class: 'quiet' }, ` (${failure.code})`)),
        h('p', {}, h('strong', {}, 'What to do: '), failure.hint),
        h('div', { class: 'actions' }, retry),
        status,
      );
      heading.focus();
    },
  };
}
