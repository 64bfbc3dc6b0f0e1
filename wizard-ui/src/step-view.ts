/**
 * What every step is made of: a section with a heading the page moves focus to, a live status
 * line, and the hooks the page gives it.
 */
import type { CheckedHostName, KeyType, WizardConfig, WizardDetails } from '@certwizard/wizard';
import { h, type Child } from './dom.js';
import type { LocalStep, Progress } from './progress.js';

/** What a step can ask the page to do. Each promise rejects with an `ApiError` when the server refuses. */
export interface WizardActions {
  goTo(step: LocalStep): void;
  saveDetails(details: WizardDetails): Promise<void>;
  /** The host names as the CA will read them, each with the domain it verifies (a preview; saving checks again). */
  checkHostNames(hostNames: readonly string[]): Promise<readonly CheckedHostName[]>;
  enroll(keyType: KeyType): Promise<void>;
  retry(): Promise<void>;
  /** The person opened the CA's registration page (the link was followed). */
  pageOpened(url: string): void;
  downloadPkcs12(passphrase: string): Promise<string>;
  finish(): Promise<void>;
}

/** What a waiting step's status says once the run failed (the failure panel below says the rest). */
export const STOPPED = 'Stopped: see below what went wrong and what to do.';

/** What a step gets when it is made. */
export interface StepContext {
  readonly config: WizardConfig;
  readonly actions: WizardActions;
  readonly progress: Progress;
}

/** A step on the page. */
export interface StepView {
  readonly element: HTMLElement;
  /** Gets the focus when the step appears. */
  readonly heading: HTMLElement;
  /** New events arrived while the step shows. */
  update(progress: Progress): void;
}

/** A step's section: its heading (focusable by script only) and its content. */
export function stepSection(title: string, ...children: Child[]): { section: HTMLElement; heading: HTMLHeadingElement } {
  const heading = h('h1', { tabindex: '-1', class: 'step-heading' }, title);
  const section = h('section', { class: 'step' }, heading, ...children);
  return { section, heading };
}

/**
 * A polite live region: screen readers read out what changes in it. Its text is set only when the
 * meaning changes, never on every poll, so it does not chatter.
 */
export function statusLine(): HTMLParagraphElement & { say(text: string): void } {
  const line = h('p', { role: 'status', class: 'status' }) as HTMLParagraphElement & { say(text: string): void };
  line.say = (text: string) => {
    if (line.textContent !== text) line.textContent = text;
  };
  return line;
}

/** A link that opens in a new tab and says so (for sighted and screen-reader users alike). */
export function newTabLink(text: string, href: string | undefined, options: { button?: boolean; onOpen?: () => void } = {}): HTMLAnchorElement {
  return h(
    'a',
    {
      href,
      target: '_blank',
      rel: 'noopener noreferrer',
      class: options.button ? 'button' : undefined,
      onclick: options.onOpen === undefined ? undefined : () => options.onOpen?.(),
    },
    text,
    h('span', { class: 'visually-hidden' }, ' (opens in a new tab)'),
  );
}

/** The host of the CA, as people read it (`ca.example`). */
export function caHost(config: WizardConfig): string {
  return new URL(config.caOrigin).host;
}
