/**
 * Step 1: who is asking, what will happen, and a Start button.
 */
import type { DomainVerificationPlan } from '@certwizard/wizard';
import { h } from '../dom.js';
import { certificatePurpose } from '../purpose.js';
import { caHost, stepSection, type StepContext, type StepView } from '../step-view.js';

/** The welcome step. */
export function welcomeStep({ config, actions }: StepContext): StepView {
  const vendor = config.vendor.name;
  const server = config.certificate.server;
  const { section, heading } = stepSection(
    `Welcome to the ${vendor} certificate wizard`,
    config.vendor.logoUrl === undefined ? undefined : h('img', { class: 'welcome-logo', src: config.vendor.logoUrl, alt: `${vendor} logo` }),
    h(
      'p',
      {},
      `${vendor} needs ${certificatePurpose(config, config.defaults.hostNames ?? [], config.defaults.email)}. This wizard gets it for you from the certificate authority (CA) at ${caHost(config)} and installs it. It takes a few minutes:`,
    ),
    h(
      'ol',
      { class: 'plan' },
      h('li', {}, server === undefined ? 'Check your name and email address.' : "Check your name, your email address and the server's host names."),
      h('li', {}, 'Choose a key (the default is right for almost everyone).'),
      h('li', {}, `Register at ${caHost(config)} in a new tab.`),
      h(
        'li',
        {},
        config.addressConfirmation === 'automatic'
          ? 'Your mail server confirms your address by itself.'
          : 'Confirm your address from the mail the CA sends you.',
      ),
      server === undefined ? undefined : h('li', {}, domainPlan(vendor, server.domainVerification)),
      h('li', {}, 'Wait for the CA to issue the certificate; the wizard installs it.'),
    ),
    config.earlierRun === undefined
      ? undefined
      : h('p', { class: 'notice' }, 'An earlier run of this wizard stopped before it finished. It goes on from where it stopped: keep the same email address.'),
    h('div', { class: 'actions' }, h('button', { type: 'button', onclick: () => actions.goTo('details') }, 'Start')),
  );
  return { element: section, heading, update: () => undefined };
}

/** The plan's line about the domain check. */
function domainPlan(vendor: string, plan: DomainVerificationPlan): string {
  switch (plan.method) {
    case 'email':
      return plan.automatic
        ? `The CA checks that the server's domain is yours by mailing its ${plan.localPart ?? 'postmaster'}@ address; ${vendor} answers that mail by itself.`
        : `The CA checks that the server's domain is yours by mailing its ${plan.localPart ?? 'postmaster'}@ address; you click the link in that mail.`;
    case 'dns':
      return `The CA checks that the server's domain is yours by a DNS record ${vendor} publishes.`;
    case 'http':
      return `The CA checks that the server's domain is yours by a file ${vendor} serves over HTTP.`;
  }
}
