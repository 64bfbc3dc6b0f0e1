/**
 * The ssl_api client hash, for `enroll --method ssl-api` (and `revoke` of such an enrollment).
 * It is all an ssl_api CA asks of its caller, so it is a secret: taken from the environment
 * (`CERTWIZARD_SSL_API_CLIENT`) or a file (`--client-file FILE`, its first line), never from
 * argv, where every user of the machine can read it (`ps`, /proc/PID/cmdline).
 */
import { secretOf } from './secret-input.js';
import type { CliIo } from './terminal.js';

/** The environment variable that may hold the client hash. */
export const SSL_API_CLIENT_ENV = 'CERTWIZARD_SSL_API_CLIENT';

/** What the ssl_api wire allows as a client hash (docs/protocol.md): 1 to 128 ASCII letters or digits. */
const CLIENT = /^[A-Za-z0-9]{1,128}$/;

/**
 * The client hash from `--client-file` (its first line, surrounding blanks dropped) or the
 * environment, `undefined` when neither gives one. The file wins over the environment.
 * @throws {UsageError} for a file that cannot be read or a value that is not a client hash (never echoed).
 */
export function sslApiClientOf(file: string | undefined, io: CliIo): string | undefined {
  return secretOf(
    { file, fileFlag: '--client-file', env: SSL_API_CLIENT_ENV, pattern: CLIENT, malformed: 'the client hash must be 1 to 128 ASCII letters or digits' },
    io,
  );
}
