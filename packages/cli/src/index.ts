/**
 * The terminal wizard and commands of certwizard (`certwizard enroll`, `list`, `status`), for
 * embedding or testing: {@link main} runs a command line against given streams.
 * @packageDocumentation
 */
export { main, USAGE, USAGE_ERROR_CODE, version } from './main.js';
export { EXIT, UsageError } from './exit-codes.js';
export type { CliIo } from './terminal.js';
export { CaSchemeMismatchError } from './errors.js';
