/**
 * `certwizard`: the command line. Dispatches to `enroll`, `list` and `status`; turns bad usage
 * into exit code 2 with the command's usage, and every expected failure into a message (the
 * commands do that) rather than a stack trace.
 */
import { enrollCommand, ENROLL_USAGE } from './enroll-command.js';
import { EXIT, UsageError } from './exit-codes.js';
import { listCommand, LIST_USAGE, statusCommand, STATUS_USAGE } from './list-commands.js';
import { type CliIo, terminal } from './terminal.js';

/** Top-level usage, with the exit codes. */
export const USAGE = `usage: certwizard <command> [options]

commands:
  enroll    get a certificate: register at the CA, request, wait for approval, install
  list      every tracked certificate, its state, names, expiry and days left
  status    one tracked certificate in detail

Run certwizard <command> --help for its options.

exit codes:
  0    done
  1    failed (the message says why and what to do next)
  2    bad usage
  3    status: no such certificate
  130  interrupted (Ctrl-C); run the same command again to continue

Colours only on a terminal, never when NO_COLOR is set.`;

const COMMANDS: Record<string, { run: (argv: string[], term: ReturnType<typeof terminal>) => Promise<number>; usage: string }> = {
  enroll: { run: enrollCommand, usage: ENROLL_USAGE },
  list: { run: listCommand, usage: LIST_USAGE },
  status: { run: statusCommand, usage: STATUS_USAGE },
};

/**
 * Runs the command line `argv` (without node and the script) and resolves with the exit code.
 * @example
 * process.exitCode = await main(process.argv.slice(2));
 */
export async function main(
  argv: string[],
  io: CliIo = { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env },
): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(`${USAGE}\n`);
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  const command = COMMANDS[name];
  if (command === undefined) {
    io.stderr.write(`certwizard: unknown command ${JSON.stringify(name)}\n\n${USAGE}\n`);
    return EXIT.usage;
  }
  const term = terminal(io);
  try {
    return await command.run(rest, term);
  } catch (error) {
    term.stop();
    // parseArgs reports unknown options and missing values with these codes.
    const code = (error as { code?: unknown }).code;
    if (
      error instanceof UsageError ||
      code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ||
      code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' ||
      code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL'
    ) {
      io.stderr.write(`certwizard ${name}: ${(error as Error).message}\n\n${command.usage}\n`);
      return EXIT.usage;
    }
    // A prompt closed with Ctrl-C or Ctrl-D.
    if ((error as Error).name === 'ExitPromptError') {
      io.stderr.write('Stopped.\n');
      return EXIT.interrupted;
    }
    throw error;
  }
}
