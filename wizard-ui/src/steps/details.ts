/**
 * Step 2: first name, last name and email address, and for a server certificate the server's
 * host names, prefilled from the vendor's configuration, checked here as far as the page can and
 * then by the server (the host names as the CA will read them, each shown with the domain the CA
 * verifies for it).
 */
import type { CheckedHostName, DomainVerificationPlan, WizardConfig, WizardDetails } from '@certwizard/wizard';
import { ApiError } from '../api.js';
import { h, replaceChildren } from '../dom.js';
import { formField } from '../form-field.js';
import { certificatePurpose } from '../purpose.js';
import { stepSection, statusLine, type StepContext, type StepView, type WizardActions } from '../step-view.js';

/** Longest name the CA accepts (the server checks the same). */
const NAME_MAX = 64;
/** The rough shape of an address; the server checks it exactly (it must fit in a certificate). */
const EMAIL_SHAPE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** The details step. */
export function detailsStep({ config, actions, progress }: StepContext): StepView {
  const start = progress.details ?? config.defaults;
  const fields = {
    firstName: formField({
      id: 'firstName',
      label: 'First name',
      autocomplete: 'given-name',
      value: start.firstName,
      maxLength: NAME_MAX,
      validate: (v) => checkName(v.trim(), 'first name'),
    }),
    lastName: formField({
      id: 'lastName',
      label: 'Last name',
      autocomplete: 'family-name',
      value: start.lastName,
      maxLength: NAME_MAX,
      validate: (v) => checkName(v.trim(), 'last name'),
    }),
    email: formField({
      id: 'email',
      label: 'Email address',
      type: 'email',
      autocomplete: 'email',
      value: start.email,
      hint:
        config.certificate.server === undefined
          ? 'The certificate is for this address. The CA sends a mail there to check it is yours.'
          : config.certificate.address
            ? 'Your account at the CA, and the certificate carries it too. The CA sends a mail there to check it is yours.'
            : 'Your account at the CA is registered with this address (the certificate is for the host names below). The CA sends a mail there to check it is yours.',
      validate: (v) => checkEmail(v.trim()),
    }),
  };
  const hostNames =
    config.certificate.server === undefined
      ? undefined
      : hostNamesField(config, config.certificate.server.domainVerification, start.hostNames ?? config.defaults.hostNames ?? [], actions.checkHostNames);
  const status = statusLine();
  const form = h(
    'form',
    { novalidate: true, class: 'form' },
    fields.firstName.wrapper,
    fields.lastName.wrapper,
    fields.email.wrapper,
    hostNames?.wrapper,
    h(
      'div',
      { class: 'actions' },
      h('button', { type: 'submit' }, 'Continue'),
      h('button', { type: 'button', class: 'secondary', onclick: () => actions.goTo('welcome') }, 'Back'),
    ),
    status,
  );
  const showErrors = (errors: Partial<Record<keyof WizardDetails, string>>): boolean => {
    let first: HTMLInputElement | HTMLTextAreaElement | undefined;
    for (const key of Object.keys(fields) as (keyof typeof fields)[]) {
      fields[key].setError(errors[key]);
      if (errors[key] !== undefined) first ??= fields[key].input;
    }
    if (hostNames !== undefined) {
      hostNames.setError(errors.hostNames);
      if (errors.hostNames !== undefined) first ??= hostNames.input;
    }
    first?.focus();
    return first !== undefined;
  };
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const details: WizardDetails = {
      firstName: fields.firstName.input.value.trim(),
      lastName: fields.lastName.input.value.trim(),
      email: fields.email.input.value.trim(),
      ...(hostNames === undefined ? {} : { hostNames: hostNames.names() }),
    };
    if (showErrors(check(details))) {
      status.say('Some details need changing: see the messages under the fields.');
      return;
    }
    status.say('Saving your details…');
    actions.saveDetails(details).then(
      () => actions.goTo('key'),
      (error: unknown) => {
        if (error instanceof ApiError && Object.keys(error.fields).length > 0) {
          showErrors(error.fields);
          status.say('Some details need changing: see the messages under the fields.');
        } else {
          status.say(`The installer did not take your details: ${error instanceof Error ? error.message : String(error)}. Try again.`);
        }
      },
    );
  });
  const { section, heading } = stepSection(
    'Your details',
    h(
      'p',
      {},
      config.certificate.server === undefined
        ? 'The CA registers you with these. Change them if they are not right.'
        : `The CA registers you with these, and ${config.vendor.name} gets ${certificatePurpose(config, [], start.email)}. Change them if they are not right.`,
    ),
    form,
  );
  return { element: section, heading, update: () => undefined };
}

/** How the CA checks a domain, in a few words for the list under the host names. */
function verifiedBy(vendor: string, plan: DomainVerificationPlan, domain: string): string {
  switch (plan.method) {
    case 'email':
      return plan.automatic
        ? `by a mail to ${plan.localPart ?? 'postmaster'}@${domain}, which ${vendor} answers by itself`
        : `by a mail to ${plan.localPart ?? 'postmaster'}@${domain}: you click its link`;
    case 'dns':
      return `by a DNS record ${vendor} publishes`;
    case 'http':
      return `by a file ${vendor} serves over HTTP`;
  }
}

/**
 * The host names: a text area, one name per line, and under it each name as the CA reads it with
 * the domain the CA verifies for it, refreshed from the server as the person types.
 */
function hostNamesField(
  config: WizardConfig,
  plan: DomainVerificationPlan,
  start: readonly string[],
  check: WizardActions['checkHostNames'],
): { wrapper: HTMLElement; input: HTMLTextAreaElement; names(): string[]; setError(message: string | undefined): void } {
  const vendor = config.vendor.name;
  const error = h('p', { id: 'hostNames-error', class: 'field-error', hidden: true });
  const input = h('textarea', {
    id: 'hostNames',
    name: 'hostNames',
    rows: String(Math.max(2, start.length + 1)),
    autocapitalize: 'none',
    autocomplete: 'off',
    spellcheck: 'false',
    required: true,
    'aria-describedby': 'hostNames-hint hostNames-checked hostNames-error',
  });
  input.value = start.join('\n');
  const list = h('ul', { id: 'hostNames-checked', class: 'host-names' });
  const names = () =>
    input.value
      .split(/\r?\n/)
      .map((n) => n.trim())
      .filter((n) => n !== '');
  const show = (checked: readonly CheckedHostName[]) =>
    replaceChildren(
      list,
      ...checked.map((c) =>
        c.ok
          ? h(
              'li',
              {},
              h('strong', {}, c.unicode),
              `: the CA verifies the domain `,
              h('strong', {}, c.domainUnicode),
              ` ${verifiedBy(vendor, plan, c.domain)}.`,
            )
          : h('li', { class: 'field-error' }, h('strong', {}, c.input.trim()), `: ${c.message}`),
      ),
    );
  let asked = 0;
  const refresh = () => {
    const mine = ++asked;
    check(names()).then(
      (checked) => {
        // Only the answer to the latest text counts: an older one may arrive last.
        if (mine === asked) show(checked);
      },
      () => undefined, // the list is a preview; saving checks again and says what is wrong
    );
  };
  let timer: ReturnType<typeof setTimeout> | undefined;
  input.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(refresh, 300);
  });
  refresh();
  const setError = (message: string | undefined) => {
    error.textContent = message ?? '';
    error.hidden = message === undefined;
    if (message === undefined) input.removeAttribute('aria-invalid');
    else input.setAttribute('aria-invalid', 'true');
  };
  const wrapper = h(
    'div',
    { class: 'field' },
    h('label', { for: 'hostNames' }, 'Server host names'),
    h(
      'p',
      { id: 'hostNames-hint', class: 'field-hint' },
      `One per line: the names clients and other servers reach ${vendor} by. The certificate is for these names; the CA first checks that each name's domain is yours.`,
    ),
    input,
    error,
    list,
  );
  return { wrapper, input, names, setError };
}

function check(details: WizardDetails): Partial<Record<keyof WizardDetails, string>> {
  const errors: Partial<Record<keyof WizardDetails, string>> = {};
  // The page checks only that there is a name; the server applies the CA's rules.
  if (details.hostNames !== undefined && details.hostNames.length === 0) errors.hostNames = 'Enter at least one host name.';
  const firstName = checkName(details.firstName, 'first name');
  const lastName = checkName(details.lastName, 'last name');
  const email = checkEmail(details.email);
  if (firstName !== undefined) errors.firstName = firstName;
  if (lastName !== undefined) errors.lastName = lastName;
  if (email !== undefined) errors.email = email;
  return errors;
}

function checkName(value: string, what: string): string | undefined {
  if (value === '') return `Enter your ${what}.`;
  if ([...value].length > NAME_MAX) return `Your ${what} can have at most ${NAME_MAX} characters.`;
  return undefined;
}

function checkEmail(value: string): string | undefined {
  if (value === '') return 'Enter your email address.';
  if (!EMAIL_SHAPE.test(value)) return 'Enter an email address like name@example.org.';
  return undefined;
}
