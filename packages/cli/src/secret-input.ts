/**
 * A secret the CLI takes from a file or the environment, never from argv, where every user of
 * the machine can read it (`ps`, /proc/PID/cmdline): the ssl_api client hash, the SCEP PIN.
 */
import { readFileSync } from 'node:fs';
import { UsageError } from './exit-codes.js';
import type { CliIo } from './terminal.js';

/** Where a secret may come from, and what it must look like. */
export interface SecretSource {
  /** The file flag's value (`--client-file FILE`), when given. */
  readonly file: string | undefined;
  /** The flag's name, for messages (`--client-file`). */
  readonly fileFlag: string;
  /** The environment variable that may hold it. */
  readonly env: string;
  readonly pattern: RegExp;
  /** What is wrong with a value that fails `pattern` (`the PIN must be ...`): never the value. */
  readonly malformed: string;
}

/**
 * The secret from the file (its first line, surrounding blanks dropped) or the environment,
 * `undefined` when neither gives one. The file wins over the environment.
 * @throws {UsageError} for a file that cannot be read or a value that does not match (never echoed).
 */
export function secretOf(source: SecretSource, io: CliIo): string | undefined {
  let value: string | undefined;
  let from: string;
  if (source.file !== undefined) {
    from = `${source.fileFlag} ${source.file}`;
    try {
      value = (readFileSync(source.file, 'utf8').split(/\r?\n/, 1)[0] ?? '').trim();
    } catch (error) {
      throw new UsageError(`${from}: cannot be read (${(error as { code?: string }).code ?? 'error'})`);
    }
  } else {
    from = source.env;
    value = io.env[source.env] || undefined;
  }
  if (value === undefined) return undefined;
  // The value is a secret: the message says what is wrong with it, never what it is.
  if (!source.pattern.test(value)) throw new UsageError(`${from}: ${source.malformed}`);
  return value;
}
