/**
 * Step 4: registering at the CA. The SDK's opener, inside the wizard, hands over the CA's
 * registration page; it becomes this step's button, which opens it in a new tab.
 */
import { h } from '../dom.js';
import type { Progress } from '../progress.js';
import { caHost, newTabLink, STOPPED, stepSection, statusLine, type StepContext, type StepView } from '../step-view.js';

/** The register step. */
export function registerStep({ config, actions, progress }: StepContext): StepView {
  const status = statusLine();
  // The CA's registration and confirmation pages show the same code: a page with another code
  // (or none) was not started by this installer (RFC 8628 §5.4, remote phishing).
  const code = h('strong', { class: 'user-code' });
  const codeNote = h(
    'p',
    { class: 'user-code-note' },
    "The CA's pages show this code: ",
    code,
    '. Go on only if they show the same; confirm nothing that shows another code.',
  );
  const link = newTabLink('Open the registration page', undefined, { button: true, onOpen: () => actions.pageOpened(link.href) });
  const { section, heading } = stepSection(
    `Register at ${caHost(config)}`,
    h(
      'p',
      {},
      `Your certificate comes from the CA at ${caHost(config)}. The button opens its registration page in a new tab, with your name and address filled in. Choose a password, answer the questions and send the form.`,
    ),
    codeNote,
    status,
    h('div', { class: 'actions' }, link),
  );
  const update = (p: Progress) => {
    codeNote.hidden = p.registration.userCode === undefined;
    code.textContent = p.registration.userCode ?? '';
    if (p.failure !== undefined) {
      status.say(STOPPED);
      return;
    }
    if (p.registrationUrl === undefined) {
      link.hidden = true;
      link.removeAttribute('href');
      if (p.running) status.say(p.flowStepResumed ? 'Going on with the registration you started earlier…' : 'Preparing your registration at the CA…');
      return;
    }
    link.href = p.registrationUrl;
    link.hidden = false;
    status.say(
      p.flowStepResumed
        ? 'Your earlier registration page is ready again: open it to finish the form, or confirm your address from the mail if you already sent it.'
        : 'The registration page is ready.',
    );
  };
  update(progress);
  return { element: section, heading, update };
}
