/**
 * Step 1: who is asking, what will happen, and a Start button.
 */
import { h } from '../dom.js';
import { caHost, stepSection, type StepContext, type StepView } from '../step-view.js';

/** The welcome step. */
export function welcomeStep({ config, actions }: StepContext): StepView {
  const vendor = config.vendor.name;
  const { section, heading } = stepSection(
    `Welcome to the ${vendor} certificate wizard`,
    config.vendor.logoUrl === undefined ? undefined : h('img', { class: 'welcome-logo', src: config.vendor.logoUrl, alt: `${vendor} logo` }),
    h(
      'p',
      {},
      `${vendor} needs a certificate for your email address. This wizard gets one for you from the certificate authority (CA) at ${caHost(config)} and installs it. It takes a few minutes:`,
    ),
    h(
      'ol',
      { class: 'plan' },
      h('li', {}, 'Check your name and email address.'),
      h('li', {}, 'Choose a key (the default is right for almost everyone).'),
      h('li', {}, `Register at ${caHost(config)} in a new tab.`),
      h(
        'li',
        {},
        config.addressConfirmation === 'automatic'
          ? 'Your mail server confirms your address by itself.'
          : 'Confirm your address from the mail the CA sends you.',
      ),
      h('li', {}, 'Wait for the CA to issue the certificate; the wizard installs it.'),
    ),
    config.earlierRun === undefined
      ? undefined
      : h('p', { class: 'notice' }, 'An earlier run of this wizard stopped before it finished. It goes on from where it stopped: keep the same email address.'),
    h('div', { class: 'actions' }, h('button', { type: 'button', onclick: () => actions.goTo('details') }, 'Start')),
  );
  return { element: section, heading, update: () => undefined };
}
