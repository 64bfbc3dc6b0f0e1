/**
 * Test support: the built CLI (`bin/certwizard.js`, running dist/) as a script runs it: stdin
 * closed (no terminal), bounded in time, its output collected. Not part of the package's build.
 */
import { spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../bin/certwizard.js', import.meta.url));

/** What one run printed and how it ended. */
export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Throws unless dist/ holds each module newer than its source (`npx tsc -b packages/cli` builds them). */
export function expectBuilt(modules: readonly string[]): void {
  for (const name of modules) {
    const src = fileURLToPath(new URL(`../${name}.ts`, import.meta.url));
    const built = fileURLToPath(new URL(`../../dist/${name}.js`, import.meta.url));
    if (!existsSync(built) || statSync(src).mtimeMs > statSync(built).mtimeMs)
      throw new Error(`packages/cli/dist/${name}.js is missing or old: run \`npx tsc -b packages/cli\``);
  }
}

/** What a run's output handler may do: type into its stdin, send it a signal. */
export type OnOutput = (all: string, write: (text: string) => void, signal: (name: NodeJS.Signals) => void) => void;

/** Options of {@link runCommand}. */
export interface RunCommandOptions {
  /** Fed the output so far (stdout then stderr) each time some comes. */
  readonly onOutput?: OnOutput;
  /** Added to this process's environment (`NO_COLOR` is set unless given). */
  readonly env?: NodeJS.ProcessEnv;
  /** Killed with SIGKILL after this. Default 40 s. */
  readonly timeoutMs?: number;
  /** Close stdin at once, as a script's run has nothing to type. Default false (open for `write`). */
  readonly closeStdin?: boolean;
}

/** Runs `command` (argv[0] is the program), its output collected, bounded in time. */
export function runCommand(command: readonly string[], options: RunCommandOptions = {}): Promise<CliRun> {
  const { onOutput = () => {}, env = {}, timeoutMs = 40_000 } = options;
  return new Promise((resolve, reject) => {
    const child = spawn(command[0] as string, command.slice(1), { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '', ...env } });
    if (options.closeStdin === true) child.stdin.end();
    let stdout = '';
    let stderr = '';
    const write = (text: string) => void child.stdin.write(text);
    const signal = (name: NodeJS.Signals) => void child.kill(name);
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      onOutput(stdout + stderr, write, signal);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      onOutput(stdout + stderr, write, signal);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      child.stdin.destroy();
      resolve({ code, stdout, stderr });
    });
  });
}

/** The argv that runs the built CLI with `args`. */
export const cliCommand = (...args: string[]): string[] => [process.execPath, BIN, ...args];

/** `command` on a pseudo-terminal: util-linux `script` runs it and relays this process's pipes (npm test installs bsdutils). */
export const onTerminal = (command: readonly string[]): string[] => ['script', '-qfec', command.map((a) => `'${a}'`).join(' '), '/dev/null'];

/** Runs the built CLI with `args` and `env` added, stdin closed (no terminal); killed after `timeoutMs`. */
export function runCli(args: readonly string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 40_000): Promise<CliRun> {
  return runCommand(cliCommand(...args), { env, timeoutMs, closeStdin: true });
}

/** The JSON lines of a `--json` run's stdout. */
export function jsonLines(stdout: string): Array<Record<string, unknown>> {
  return stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}
