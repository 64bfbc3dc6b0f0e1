/**
 * `certwizard`: the command line. Dispatches to `enroll`, `list` and `status`; turns bad usage
 * into exit code 2 with the command's usage, and every expected failure into a message (the
 * commands do that) rather than a stack trace.
 *
 * Commands are imported only when run: the SDK and the PKI codecs take most of a second to
 * load, which `certwizard --help` and `--version` should not pay.
 */
import { readFileSync } from 'node:fs';
import { EXIT, UsageError } from './exit-codes.js';
import { type CliIo, type Terminal, terminal } from './terminal.js';

/** Top-level usage, with the exit codes. */
export const USAGE = `usage: certwizard <command> [options]

commands:
  enroll      get a certificate: register at the CA, request, wait for approval, install
  list        every tracked certificate, its state, names, expiry and days left
  status      one tracked certificate in detail
  renew       renew every tracked certificate that is due (or one: renew NAME)
  revoke      have the CA revoke a certificate and move its live files aside
  timer       install or remove the systemd timer (or print the cron line) that runs renew twice a day
  scep-proxy  answer SCEP for devices that speak only SCEP, forwarding their requests with this installation's token

Run certwizard <command> --help for its options; certwizard --version prints the version.

exit codes:
  0    done
  1    failed (the message says why and what to do next)
  2    bad usage
  3    status, revoke, renew: no such certificate
  130  interrupted (Ctrl-C); run the same command again to continue

Colours only on a terminal, never when NO_COLOR is set.`;

/** A command, loaded when it runs. */
interface Command {
  readonly run: (argv: string[], term: Terminal) => Promise<number>;
  readonly usage: string;
}

const COMMANDS: Record<string, () => Promise<Command>> = {
  enroll: async () => {
    const m = await import('./enroll-command.js');
    return { run: m.enrollCommand, usage: m.ENROLL_USAGE };
  },
  list: async () => {
    const m = await import('./list-commands.js');
    return { run: m.listCommand, usage: m.LIST_USAGE };
  },
  status: async () => {
    const m = await import('./list-commands.js');
    return { run: m.statusCommand, usage: m.STATUS_USAGE };
  },
  renew: async () => {
    const m = await import('./renew-command.js');
    return { run: m.renewCommand, usage: m.RENEW_USAGE };
  },
  revoke: async () => {
    const m = await import('./revoke-command.js');
    return { run: m.revokeCommand, usage: m.REVOKE_USAGE };
  },
  timer: async () => {
    const m = await import('./timer-command.js');
    return { run: m.timerCommand, usage: m.TIMER_USAGE };
  },
  'scep-proxy': async () => {
    const m = await import('./scep-proxy-command.js');
    return { run: m.scepProxyCommand, usage: m.SCEP_PROXY_USAGE };
  },
};

/** The stable `code` of a usage error in `--json` output. */
export const USAGE_ERROR_CODE = 'ERR_CLI_USAGE';

/** `@certwizard/cli`'s version, from its package.json (next to dist/ and src/). */
export function version(): string {
  const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return manifest.version;
}

/** Whether `error` is bad usage: ours, or parseArgs' unknown options and missing values. */
function isUsageError(error: unknown): error is Error {
  const code = (error as { code?: unknown } | undefined)?.code;
  return (
    error instanceof UsageError ||
    code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ||
    code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' ||
    code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL'
  );
}

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
  if (name === '--version' || name === '-V') {
    io.stdout.write(`certwizard ${version()}\n`);
    return EXIT.ok;
  }
  const load = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (load === undefined) {
    io.stderr.write(`certwizard: unknown command ${JSON.stringify(name)}\n\n${USAGE}\n`);
    return EXIT.usage;
  }
  const command = await load();
  const term = terminal(io);
  try {
    return await command.run(rest, term);
  } catch (error) {
    term.stop();
    if (isUsageError(error)) {
      io.stderr.write(`certwizard ${name}: ${error.message}\n\n${command.usage}\n`);
      // A script reading --json output learns of the mistake on the stream it reads.
      if (rest.includes('--json')) {
        const hint = `certwizard ${name} --help lists the options.`;
        io.stdout.write(`${JSON.stringify({ type: 'error', code: USAGE_ERROR_CODE, message: error.message, hint })}\n`);
      }
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
