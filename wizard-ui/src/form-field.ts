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
  return {
    wrapper,
    input,
    setError(message) {
      error.textContent = message ?? '';
      error.hidden = message === undefined;
      if (message === undefined) input.removeAttribute('aria-invalid');
      else input.setAttribute('aria-invalid', 'true');
    },
  };
}
