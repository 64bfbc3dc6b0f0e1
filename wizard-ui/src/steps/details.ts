/**
 * Step 2: first name, last name and email address, prefilled from the vendor's configuration,
 * checked here as the server checks them and then by the server.
 */
import type { WizardDetails } from '@certwizard/wizard';
import { ApiError } from '../api.js';
import { h } from '../dom.js';
import { formField } from '../form-field.js';
import { stepSection, statusLine, type StepContext, type StepView } from '../step-view.js';

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
      hint: 'The certificate is for this address. The CA sends a mail there to check it is yours.',
      validate: (v) => checkEmail(v.trim()),
    }),
  };
  const status = statusLine();
  const form = h(
    'form',
    { novalidate: true, class: 'form' },
    fields.firstName.wrapper,
    fields.lastName.wrapper,
    fields.email.wrapper,
    h(
      'div',
      { class: 'actions' },
      h('button', { type: 'submit' }, 'Continue'),
      h('button', { type: 'button', class: 'secondary', onclick: () => actions.goTo('welcome') }, 'Back'),
    ),
    status,
  );
  const showErrors = (errors: Partial<Record<keyof WizardDetails, string>>): boolean => {
    let first: HTMLInputElement | undefined;
    for (const key of Object.keys(fields) as (keyof WizardDetails)[]) {
      fields[key].setError(errors[key]);
      if (errors[key] !== undefined) first ??= fields[key].input;
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
  const { section, heading } = stepSection('Your details', h('p', {}, 'The CA registers you with these. Change them if they are not right.'), form);
  return { element: section, heading, update: () => undefined };
}

function check(details: WizardDetails): Partial<Record<keyof WizardDetails, string>> {
  const errors: Partial<Record<keyof WizardDetails, string>> = {};
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
