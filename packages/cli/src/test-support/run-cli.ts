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

/** Runs the built CLI with `args` and `env` added, stdin closed; killed after `timeoutMs`. */
export function runCli(args: readonly string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 40_000): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '', ...env } });
    child.stdin.end();
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The JSON lines of a `--json` run's stdout. */
export function jsonLines(stdout: string): Array<Record<string, unknown>> {
  return stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}
