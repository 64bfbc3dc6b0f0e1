/**
 * The renewal page (`startRenewalWizard()`): start, progress, the names-dropped question, the
 * result, done. The focus moves to each new screen's heading, and on the question to Keep, the
 * default: Enter keeps, a deliberate Tab and Enter revokes. While a question is open, leaving the
 * page answers Keep (a keepalive POST), as the server's timeout does.
 */
import type { NamesDroppedAnswer, RenewalWizardConfig, ShownNamesDroppedQuestion, ShownRenewOutcome, WizardEventRecord } from '@certwizard/wizard';
import { fingerprintCode, h, replaceChildren, type Child } from './dom.js';
import { clockTime, expiry } from './format.js';
import { INITIAL_RENEWAL, reduceRenewal, renewalScreen, renewalStatus, type RenewalProgress, type RenewalScreen } from './renewal-progress.js';
import { statusLine, stepSection } from './step-view.js';

/** The calls the renewal page makes on the server; each rejects with an `ApiError` when refused. */
export interface RenewalActions {
  renew(): Promise<void>;
  answer(questionId: string, answer: NamesDroppedAnswer): Promise<void>;
  /** Sends Keep as the page goes away; must not wait (keepalive). */
  answerKeepOnClose(questionId: string): void;
  finish(): Promise<void>;
}

/** Where the renewal page draws. */
export interface RenewalPageParts {
  readonly main: HTMLElement;
  readonly position: HTMLElement;
}

const TITLES: Readonly<Record<RenewalScreen, string>> = {
  start: 'Renew the certificate',
  progress: 'Renewing the certificate',
  question: 'Some names are no longer yours at the CA',
  result: 'Renewal',
  done: 'Done',
};

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** The renewal page's controller. */
export class RenewalView {
  readonly #config: RenewalWizardConfig;
  readonly #parts: RenewalPageParts;
  readonly #actions: RenewalActions;
  #progress: RenewalProgress = INITIAL_RENEWAL;
  #shown: { key: string; update: (p: RenewalProgress) => void } | undefined;

  constructor(config: RenewalWizardConfig, parts: RenewalPageParts, actions: RenewalActions) {
    this.#config = config;
    this.#parts = parts;
    this.#actions = actions;
    // Closing the tab (or navigating away) while asked answers Keep: never revoked by default.
    window.addEventListener('pagehide', () => {
      const open = this.#progress.question;
      if (open !== undefined) actions.answerKeepOnClose(open.id);
    });
  }

  /** Draws the page as it is before any event. */
  show(): void {
    this.#render();
  }

  /** Folds in one server event and redraws what changed. */
  receive(record: WizardEventRecord): void {
    this.#progress = reduceRenewal(this.#progress, record);
    this.#render();
  }

  #render(): void {
    const p = this.#progress;
    const screen = renewalScreen(p);
    // A new question, or a new outcome, is a new screen even when the screen's kind is the same.
    const key = `${screen}:${p.question?.id ?? ''}:${p.outcome === undefined ? '' : p.run}`;
    if (this.#shown?.key === key) {
      this.#shown.update(p);
      return;
    }
    const { element, focus, update } = this.#make(screen, p);
    replaceChildren(this.#parts.main, element);
    this.#shown = { key, update };
    this.#parts.position.textContent = TITLES[screen];
    document.title = `${TITLES[screen]} – ${this.#config.vendor.name} certificate wizard`;
    focus.focus();
  }

  #make(screen: RenewalScreen, p: RenewalProgress): { element: HTMLElement; focus: HTMLElement; update: (p: RenewalProgress) => void } {
    switch (screen) {
      case 'start':
        return this.#start();
      case 'progress': {
        const status = statusLine();
        const { section, heading } = stepSection(TITLES.progress, h('p', {}, `Certificate “${this.#config.name}”${this.#caPart()}.`), status);
        const update = (q: RenewalProgress) => status.say(q.closing ? 'The installer has closed the wizard.' : renewalStatus(q));
        update(p);
        return { element: section, focus: heading, update };
      }
      case 'question':
        return this.#question(p.question as ShownNamesDroppedQuestion);
      case 'result':
        return this.#result(p);
      case 'done': {
        const { section, heading } = stepSection('All done', h('p', {}, 'You can close this tab; the installer goes on by itself.'));
        return { element: section, focus: heading, update: () => undefined };
      }
    }
  }

  #caPart(): string {
    return this.#config.caOrigin === '' ? '' : ` from ${new URL(this.#config.caOrigin).host}`;
  }

  #start(): { element: HTMLElement; focus: HTMLElement; update: (p: RenewalProgress) => void } {
    const status = statusLine();
    const renew = h('button', { type: 'button' }, 'Renew now');
    renew.addEventListener('click', () => {
      renew.disabled = true;
      this.#actions.renew().catch((error: unknown) => {
        renew.disabled = false;
        status.say(`The installer did not start the renewal: ${message(error)}.`);
      });
    });
    const { section, heading } = stepSection(
      TITLES.start,
      h(
        'p',
        {},
        `${this.#config.vendor.name} renews its certificate “${this.#config.name}”${this.#caPart()}: a new key, a new certificate for the same names, and the old one stays in place until the new one works.`,
      ),
      h('div', { class: 'actions' }, renew),
      status,
    );
    return { element: section, focus: heading, update: () => undefined };
  }

  #question(q: ShownNamesDroppedQuestion): { element: HTMLElement; focus: HTMLElement; update: (p: RenewalProgress) => void } {
    const status = statusLine();
    const keep = h('button', { type: 'button', 'aria-describedby': 'keep-means' }, 'Keep the old certificate');
    const revoke = h('button', { type: 'button', class: 'secondary', 'aria-describedby': 'revoke-means' }, 'Revoke the old certificate');
    const send = (answer: NamesDroppedAnswer) => {
      keep.disabled = true;
      revoke.disabled = true;
      status.say(answer === 'keep' ? 'Keeping it…' : 'Revoking it once the renewed certificate is installed…');
      this.#actions.answer(q.id, answer).catch((error: unknown) => {
        keep.disabled = false;
        revoke.disabled = false;
        status.say(`The installer did not take the answer: ${message(error)}.`);
      });
    };
    keep.addEventListener('click', () => send('keep'));
    revoke.addEventListener('click', () => send('revoke'));
    const row = (term: string, ...value: Child[]) => [h('dt', {}, term), h('dd', {}, ...value)];
    const { section } = stepSection(
      TITLES.question,
      h(
        'p',
        {},
        `The CA no longer certifies ${q.droppedNames.length === 1 ? 'this name' : 'these names'} for your account, so the renewed certificate leaves ${q.droppedNames.length === 1 ? 'it' : 'them'} out:`,
      ),
      h('ul', { class: 'dropped-names' }, ...q.droppedNames.map((n) => h('li', {}, h('code', {}, n)))),
      h('p', {}, `Your current certificate still carries ${q.droppedNames.length === 1 ? 'it' : 'them'}:`),
      h(
        'dl',
        { class: 'facts' },
        ...row('Serial number', h('code', {}, q.serialHex)),
        ...row('Expires', expiry(q.notAfter)),
        ...row('Names', q.certificateNames.join(', ')),
      ),
      h(
        'p',
        { id: 'keep-means' },
        h('strong', {}, 'Keep: '),
        'the old certificate stays valid until it expires, still naming what the CA no longer certifies for you.',
      ),
      h(
        'p',
        { id: 'revoke-means' },
        h('strong', {}, 'Revoke: '),
        'once the renewed certificate is installed, the CA revokes the old one (reason: cessation of operation). Anything still using it stops trusting it. This cannot be undone.',
      ),
      h('p', { class: 'quiet' }, `Without an answer by ${clockTime(q.keepAt)}, or if you close this page, the old certificate is kept.`),
      h('div', { class: 'actions' }, keep, revoke),
      status,
    );
    return { element: section, focus: keep, update: () => undefined };
  }

  #result(p: RenewalProgress): { element: HTMLElement; focus: HTMLElement; update: (p: RenewalProgress) => void } {
    const outcome = p.outcome as ShownRenewOutcome;
    const status = statusLine();
    const button = (label: string, action: () => Promise<void>) => {
      const b = h('button', { type: 'button' }, label);
      b.addEventListener('click', () => {
        b.disabled = true;
        action().catch((error: unknown) => {
          b.disabled = false;
          status.say(`The installer did not answer: ${message(error)}. Try again.`);
        });
      });
      return b;
    };
    const finish = () => button('Finish', () => this.#actions.finish());
    let title = 'Renewal';
    let body: Child[] = [];
    switch (outcome.status) {
      case 'renewed': {
        title = 'Certificate renewed';
        const cert = outcome.installed;
        const row = (term: string, ...value: Child[]) => [h('dt', {}, term), h('dd', {}, ...value)];
        const dropped = outcome.droppedNames ?? [];
        body = [
          h('p', {}, `${this.#config.vendor.name} uses the renewed certificate now.`),
          h(
            'dl',
            { class: 'facts' },
            ...row('For', cert.names.join(', ')),
            ...row('Expires', expiry(cert.notAfter)),
            ...row('SHA-256 fingerprint', fingerprintCode(cert.fingerprintSha256)),
          ),
          dropped.length === 0
            ? undefined
            : h(
                'p',
                { class: 'dropped-result' },
                `Left out: ${dropped.join(', ')}. `,
                outcome.revokedSerialHex !== undefined
                  ? `The old certificate (serial ${outcome.revokedSerialHex}) is revoked.`
                  : `The old certificate (serial ${outcome.previousSerialHex}) was kept; it stays valid until it expires.`,
              ),
          h('div', { class: 'actions' }, finish()),
        ];
        break;
      }
      case 'failed':
        title = 'The renewal failed';
        body = [
          h(
            'div',
            { role: 'alert' },
            h('p', {}, outcome.failure.message, outcome.failure.code === undefined ? undefined : h('span', { class: 'quiet' }, ` (${outcome.failure.code})`)),
          ),
          h('p', {}, h('strong', {}, 'What to do: '), outcome.failure.hint),
          h('p', {}, 'The old certificate stays in place.'),
          h(
            'div',
            { class: 'actions' },
            button('Retry', () => this.#actions.renew()),
          ),
        ];
        break;
      case 'not-due':
        title = 'Not due yet';
        body = [
          h('p', {}, `The certificate is not due for renewal before ${new Date(outcome.dueAt).toLocaleString()}. Nothing was changed.`),
          h('div', { class: 'actions' }, finish()),
        ];
        break;
      case 'pending':
        title = 'Waiting for approval';
        body = [
          h(
            'p',
            {},
            `The new request${outcome.requestId === undefined ? '' : ` ${outcome.requestId}`} waits for the account owner's approval at the CA. The next renewal run continues it; the old certificate stays in place.`,
          ),
          h('div', { class: 'actions' }, finish()),
        ];
        break;
      case 'backing-off':
        title = 'Not now';
        body = [
          h('p', {}, `An earlier attempt failed; the next one is due at ${new Date(outcome.nextAttemptAt).toLocaleString()}.`),
          h('div', { class: 'actions' }, finish()),
        ];
        break;
      case 'skipped':
        title = 'Nothing to renew';
        body = [h('p', {}, outcome.message), h('div', { class: 'actions' }, finish())];
        break;
    }
    const { section, heading } = stepSection(title, ...body, status);
    return { element: section, focus: heading, update: (q) => (q.closing ? status.say('The installer has closed the wizard.') : undefined) };
  }
}
