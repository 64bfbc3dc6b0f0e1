/**
 * The SCEP PIN (challengePassword, RFC 8894 §3.3.1), for `enroll --method scep`. A one-time
 * secret: taken from a file (`--pin-file FILE`, its first line), the environment
 * (`CERTWIZARD_SCEP_PIN`) or a hidden terminal prompt, never from argv, where every user of the
 * machine can read it (`ps`, /proc/PID/cmdline). Without one the CA holds the request for approval.
 */
import { secretOf } from './secret-input.js';
import type { CliIo } from './terminal.js';

/** The environment variable that may hold the PIN. */
export const SCEP_PIN_ENV = 'CERTWIZARD_SCEP_PIN';

/** Printable ASCII, 1 to 255 characters: what a challengePassword (PrintableString/UTF8String) carries here. */
const PIN = /^[\x21-\x7e]{1,255}$/;

/** Why `--pin VALUE` is refused: said in full, since the person typed a secret where others can read it. */
export const PIN_IN_ARGV_MESSAGE = `--pin is refused: a PIN on the command line is visible to every user of this machine (ps, /proc). Put it in a file only you can read and pass --pin-file FILE, or set ${SCEP_PIN_ENV}, or leave both out to be asked on the terminal`;

/**
 * The PIN from `--pin-file` (its first line, surrounding blanks dropped) or the environment,
 * `undefined` when neither gives one. The file wins over the environment.
 * @throws {UsageError} for a file that cannot be read or a value that is not a PIN (never echoed).
 */
export function scepPinOf(file: string | undefined, io: CliIo): string | undefined {
  return secretOf(
    { file, fileFlag: '--pin-file', env: SCEP_PIN_ENV, pattern: PIN, malformed: 'the PIN must be 1 to 255 printable ASCII characters without spaces' },
    io,
  );
}
