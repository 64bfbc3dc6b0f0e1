/**
 * The check of the services' numeric options (lifetimes in ms, limits): a mistyped configuration
 * must fail at start, not mint secrets that expire at once or never.
 */

/**
 * Returns `value` when it is a positive safe integer.
 * @param name - the option's name, for the message.
 * @throws {TypeError} otherwise (caller misuse).
 * @example
 * this.#lifetimeMs = positiveInteger(options.lifetimeMs ?? DEFAULT, 'lifetimeMs');
 */
export function positiveInteger(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value <= 0) throw new TypeError(`${name} must be a positive integer`);
  return value;
}
