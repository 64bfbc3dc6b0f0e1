/**
 * Test support: runs the built `certwizard-ca` binary as a real process, the way operators do.
 * `npm test` builds before it tests, so dist/ is current.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Path of the built binary. */
export const BIN = fileURLToPath(new URL('../../dist/bin.js', import.meta.url));

/** Repository root. */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** Outcome of a finished command. */
export interface BinResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function assertBuilt(): void {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run "npm run build" (npm test does it first)`);
}

/** Starts the binary with only PATH and `env` in its environment, and no terminal on stdin. */
function spawnBin(args: string[], options: { env?: Record<string, string>; cwd?: string }) {
  assertBuilt();
  return spawn(process.execPath, [BIN, ...args], {
    cwd: options.cwd ?? REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Runs the binary to completion with no terminal on stdin. Bounded by `timeoutMs`. */
export function runBin(args: string[], options: { env?: Record<string, string>; cwd?: string; timeoutMs?: number } = {}): Promise<BinResult> {
  return collect(spawnBin(args, options), options.timeoutMs ?? 30_000);
}

/** Collects output until exit; kills the process if it outlives `timeoutMs`. */
export function collect(child: ChildProcess, timeoutMs: number): Promise<BinResult> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d) => {
    stdout += d;
  });
  child.stderr?.on('data', (d) => {
    stderr += d;
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`process did not finish in ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, timeoutMs);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** A long-running `serve` process, stopped with {@link ServeProcess.stop}. */
export interface ServeProcess {
  readonly child: ChildProcess;
  readonly url: string;
  /** Output so far. */
  output(): { stdout: string; stderr: string };
  /** Resolves once stdout contains `text` (the banner comes after the `listening on` line); rejects after `timeoutMs` or at exit. */
  waitForStdout(text: string, timeoutMs?: number): Promise<void>;
  /** Sends SIGTERM and waits for exit (SIGKILL after `timeoutMs`). */
  stop(timeoutMs?: number): Promise<BinResult>;
}

/** Starts `serve`/`dev` and resolves once it prints `listening on URL`. */
export function startServe(args: string[], options: { env?: Record<string, string>; cwd?: string } = {}): Promise<ServeProcess> {
  const child = spawnBin(args, options);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => {
    stdout += d;
  });
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  const exited = new Promise<BinResult>((resolve) => {
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`serve did not start in time\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, 20_000);
    const onData = () => {
      const m = /listening on (http:\/\/\S+)/.exec(stdout);
      if (!m) return;
      clearTimeout(timer);
      child.stdout.off('data', onData);
      resolve({
        child,
        url: m[1] as string,
        output: () => ({ stdout, stderr }),
        waitForStdout: (text, timeoutMs = 15_000) =>
          new Promise<void>((done, fail) => {
            const check = () => {
              if (!stdout.includes(text)) return false;
              clearTimeout(giveUp);
              child.stdout.off('data', check);
              done();
              return true;
            };
            const giveUp = setTimeout(() => {
              child.stdout.off('data', check);
              fail(new Error(`no ${JSON.stringify(text)} on stdout in ${timeoutMs} ms\nstdout: ${stdout}`));
            }, timeoutMs);
            void exited.then(() => {
              if (!check()) fail(new Error(`exited before printing ${JSON.stringify(text)}\nstdout: ${stdout}`));
            });
            if (!check()) child.stdout.on('data', check);
          }),
        stop: async (timeoutMs = 15_000) => {
          child.kill('SIGTERM');
          const kill = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
          const result = await exited;
          clearTimeout(kill);
          return result;
        },
      });
    };
    child.stdout.on('data', onData);
    void exited.then((r) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${r.code} before listening\nstdout: ${r.stdout}\nstderr: ${r.stderr}`));
    });
  });
}
