/**
 * The HTML of the registration form (`/index.php?id=1`). Every value is escaped; passwords and
 * lost-password answers are never echoed back.
 */
import type { AccountField } from '../../accounts/errors.js';
import type { HandoffOrigin } from '../../accounts/handoff-store.js';
import { requestSummary, userCodeNotice } from './consent.js';
import { escapeHtml, sentence } from './html.js';
import { type CheckedHandoff, hiddenEntries } from './handoff-params.js';

/** Form fields whose value is shown again (never a password or an answer). */
export const ECHOED_FIELDS = ['FirstName', 'MiddleName', 'LastName', 'EmailAddress', 'DateOfBirth', 'Question1', 'Question2'] as const;

/** Which form field an {@link AccountField} error belongs next to. */
export const FIELD_OF_ERROR: Readonly<Record<AccountField, string>> = {
  firstName: 'FirstName',
  middleName: 'MiddleName',
  lastName: 'LastName',
  email: 'EmailAddress',
  dateOfBirth: 'DateOfBirth',
  password: 'Password',
  passwordConfirmation: 'PasswordConfirmation',
  questions: 'Question1',
};

interface FieldSpec {
  readonly name: string;
  readonly label: string;
  readonly type: string;
  readonly required: boolean;
  readonly autocomplete?: string;
}

const FIELDS: readonly FieldSpec[] = [
  { name: 'FirstName', label: 'First name', type: 'text', required: true, autocomplete: 'given-name' },
  { name: 'MiddleName', label: 'Middle name (optional)', type: 'text', required: false, autocomplete: 'additional-name' },
  { name: 'LastName', label: 'Last name', type: 'text', required: true, autocomplete: 'family-name' },
  { name: 'EmailAddress', label: 'Email address', type: 'email', required: true, autocomplete: 'email' },
  { name: 'DateOfBirth', label: 'Date of birth', type: 'date', required: true, autocomplete: 'bday' },
  { name: 'Password', label: 'Password (at least 10 characters)', type: 'password', required: true, autocomplete: 'new-password' },
  { name: 'PasswordConfirmation', label: 'Password again', type: 'password', required: true, autocomplete: 'new-password' },
  { name: 'Question1', label: 'First lost-password question', type: 'text', required: true },
  { name: 'Answer1', label: 'Answer to the first question', type: 'password', required: true, autocomplete: 'off' },
  { name: 'Question2', label: 'Second lost-password question', type: 'text', required: true },
  { name: 'Answer2', label: 'Answer to the second question', type: 'password', required: true, autocomplete: 'off' },
];

/**
 * Renders the form.
 * @param values - values to show, by form field name (only {@link ECHOED_FIELDS} are used).
 * @param errors - messages by form field name, shown next to the field as sentences.
 * @param handoff - the checked hand-off, carried in hidden fields; its problems are listed on top.
 * @param csrPem - the installer's certificate request, carried in the hidden field `CSR`.
 * @param origin - the hand-off ticket's user code and when and where it was asked for, shown on
 *   top (RFC 8628 §5.4).
 */
export function renderRegistrationForm(
  values: Readonly<Record<string, string>>,
  errors: Readonly<Record<string, string>>,
  handoff: CheckedHandoff,
  csrPem?: string,
  origin?: HandoffOrigin,
): string {
  const parts: string[] = [];
  if (origin?.userCode !== undefined) parts.push(userCodeNotice({ ...origin, userCode: origin.userCode }));
  if (handoff.problems.length > 0) {
    parts.push(
      `<div class="problems" role="alert"><h2>Problems with the installer's request</h2><ul>${handoff.problems
        .map((p) => `<li>${escapeHtml(sentence(p))}</li>`)
        .join('')}</ul>${
        handoff.ticketExpiredLink !== undefined
          ? `<p><a href="${escapeHtml(handoff.ticketExpiredLink)}">Please click here to return to the Installation Wizard</a></p>`
          : ''
      }<p>You can still register without it.</p></div>`,
    );
  }
  parts.push('<form method="post" action="/index.php?id=1">');
  for (const [name, value] of hiddenEntries(handoff)) {
    parts.push(`<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`);
  }
  if (csrPem !== undefined) {
    parts.push(`<input type="hidden" name="CSR" value="${escapeHtml(csrPem)}">`);
    parts.push(
      '<p>The installer sent a certificate request: its certificate is issued once you confirm your address, if you register the address it names (for another address, it waits for your approval on your account page).</p>',
    );
    parts.push(requestSummary(csrPem));
  }
  if (handoff.pingNonce !== undefined) {
    parts.push('<p>The installer set up your mail server to answer our confirmation mail: it may confirm your address by itself.</p>');
  }
  for (const f of FIELDS) {
    const echoed = (ECHOED_FIELDS as readonly string[]).includes(f.name) ? (values[f.name] ?? '') : '';
    const error = errors[f.name];
    const errorId = `${f.name}-error`;
    parts.push(
      `<label for="${f.name}">${escapeHtml(f.label)}</label>` +
        `<input id="${f.name}" name="${f.name}" type="${f.type}"${f.required ? ' required' : ''}` +
        `${f.autocomplete ? ` autocomplete="${f.autocomplete}"` : ''}${echoed !== '' ? ` value="${escapeHtml(echoed)}"` : ''}` +
        `${error !== undefined ? ` aria-invalid="true" aria-describedby="${errorId}"` : ''}>` +
        (error !== undefined ? `<p class="error" id="${errorId}">${escapeHtml(sentence(error))}</p>` : ''),
    );
  }
  parts.push('<button type="submit">Register</button>');
  // formnovalidate: cancelling must not require filling in the form first.
  parts.push('<button type="submit" name="cancel" value="1" class="secondary" formnovalidate>Cancel</button>');
  parts.push('</form>');
  return parts.join('\n');
}
