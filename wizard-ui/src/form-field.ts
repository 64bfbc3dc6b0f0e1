/**
 * A labelled input with its error message tied to it (`aria-describedby`, `aria-invalid`), as
 * the details and PKCS #12 forms use it.
 */
import { h } from './dom.js';

/** A field of a form. */
export interface FormField {
  readonly wrapper: HTMLDivElement;
  readonly input: HTMLInputElement;
  /** Shows `message` under the field (or clears it with undefined). */
  setError(message: string | undefined): void;
}

/** Options of {@link formField}. */
export interface FormFieldOptions {
  readonly id: string;
  readonly label: string;
  readonly type?: string;
  readonly autocomplete?: string;
  readonly value?: string;
  readonly hint?: string;
  readonly maxLength?: number;
  /**
   * The field's own check, run as the person types once an error is shown: the message goes as
   * soon as the value is right (or changes to the new problem), without waiting for the submit.
   */
  readonly validate?: (value: string) => string | undefined;
}

/**
 * Makes a field.
 * @example
 * const email = formField({ id: 'email', label: 'Email address', type: 'email', autocomplete: 'email' });
 */
export function formField(options: FormFieldOptions): FormField {
  const errorId = `${options.id}-error`;
  const hintId = `${options.id}-hint`;
  const error = h('p', { id: errorId, class: 'field-error', hidden: true });
  const input = h('input', {
    id: options.id,
    name: options.id,
    type: options.type ?? 'text',
    autocomplete: options.autocomplete,
    maxlength: options.maxLength === undefined ? undefined : String(options.maxLength),
    required: true,
    'aria-describedby': [options.hint === undefined ? undefined : hintId, errorId].filter(Boolean).join(' '),
  });
  input.value = options.value ?? '';
  const wrapper = h(
    'div',
    { class: 'field' },
    h('label', { for: options.id }, options.label),
    options.hint === undefined ? undefined : h('p', { id: hintId, class: 'field-hint' }, options.hint),
    input,
    error,
  );
  const setError = (message: string | undefined): void => {
    error.textContent = message ?? '';
    error.hidden = message === undefined;
    if (message === undefined) input.removeAttribute('aria-invalid');
    else input.setAttribute('aria-invalid', 'true');
  };
  const { validate } = options;
  if (validate !== undefined) {
    // Only while an error shows: a field being typed for the first time is not scolded.
    input.addEventListener('input', () => {
      if (!error.hidden) setError(validate(input.value));
    });
  }
  return { wrapper, input, setError };
}
