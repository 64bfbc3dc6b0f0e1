import { MailHookArgumentError } from './errors.js';

/**
 * `value` when it is an integer from `min` to `max`.
 * @throws {MailHookArgumentError} `ERR_MAIL_HOOK_INVALID_ARGUMENT` naming the option otherwise.
 */
export function checkInteger(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new MailHookArgumentError(`${name} must be an integer from ${min} to ${max}`);
  }
  return value;
}
