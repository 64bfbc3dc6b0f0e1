/**
 * Starting and stopping the long-lived child processes of a bench (the CA, the hello-world
 * server) with a bound on every wait: a bench that hangs tells nobody anything, and a child
 * left behind would load the machine during the next measurement.
 */
import { spawn } from 'node:child_process';
import { setTimeout as delay } from 'node:timers/promises';

/** How much of a child's stderr is kept for error messages, in characters. */
const STDERR_TAIL_CHARS = 4096;

/** Children still running, so that a Ctrl-C on the bench can stop them all. */
const live = new Set();

/**
 * A running child started by {@link startChild}.
 * @typedef {object} RunningChild
 * @property {import('node:child_process').ChildProcess} process
 * @property {RegExpMatchArray} ready the match of the ready pattern on a stdout line
 * @property {() => string} stderrTail the last few KB the child wrote to stderr
 * @property {(options?: { signal?: NodeJS.Signals, timeoutMs?: number }) => Promise<{ code: number | null, signal: string | null }>} stop
 *   sends `signal` (default SIGTERM), waits up to `timeoutMs` (default 20 000) for the exit, then
 *   SIGKILLs; rejects when the child had to be killed, because a CA that does not stop on
 *   SIGTERM is itself a finding
 */

/**
 * Starts a program and resolves once one of its stdout lines matches `ready`.
 *
 * @param {string} command
 * @param {string[]} args
 * @param {{ name: string, ready: RegExp, env?: NodeJS.ProcessEnv, cwd?: string, timeoutMs?: number }} options
 *   `name` labels error messages; `timeoutMs` bounds the wait for the ready line (default 20 000)
 * @returns {Promise<RunningChild>}
 * @throws {Error} when the child exits, fails to start or stays silent past `timeoutMs`
 *   (it is then killed), with the tail of its stderr in the message
 */
export function startChild(command, args, { name, ready, env = process.env, cwd, timeoutMs = 20_000 }) {
  const child = trackChild(spawn(command, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] }));
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk) => {
    stderr = (stderr + chunk).slice(-STDERR_TAIL_CHARS);
  });
  const exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  // Keep reading stdout after the ready line: a full pipe would block the child mid-benchmark.
  child.stdout.setEncoding('utf8');

  const stop = async ({ signal = 'SIGTERM', timeoutMs: stopMs = 20_000 } = {}) => {
    if (child.exitCode !== null || child.signalCode !== null) return exited;
    child.kill(signal);
    // Unreferenced timers: a pending one would keep the bench alive after its last child exits.
    const outcome = await Promise.race([exited, delay(stopMs, null, { ref: false })]);
    if (outcome) return outcome;
    child.kill('SIGKILL');
    await Promise.race([exited, delay(5_000, null, { ref: false })]);
    throw new Error(`${name} did not exit within ${stopMs} ms of ${signal}; killed`);
  };

  return new Promise((resolve, reject) => {
    let buffered = '';
    let settled = false;
    const fail = (message) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.kill('SIGKILL');
      const tail = stderr.trim();
      reject(new Error(`${name}: ${message}${tail ? `\n--- ${name} stderr ---\n${tail}` : ''}`));
    };
    const timer = setTimeout(() => fail(`no line matching ${ready} within ${timeoutMs} ms`), timeoutMs);
    child.once('error', (error) => fail(`could not start ${command}: ${error.message}`));
    child.once('exit', (code, signal) => fail(`exited (${signal ?? `status ${code}`}) before it was ready`));
    child.stdout.on('data', (chunk) => {
      if (settled) return;
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        const match = line.match(ready);
        if (!match) continue;
        settled = true;
        clearTimeout(timer);
        resolve({ process: child, ready: match, stderrTail: () => stderr, stop });
        return;
      }
    });
  });
}

/**
 * Registers a short-lived child (wrk, openssl) so that {@link killAllChildren} reaches it too.
 * @param {import('node:child_process').ChildProcess} child
 * @returns {import('node:child_process').ChildProcess} the same child
 */
export function trackChild(child) {
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

/**
 * SIGKILLs every child still running. For the bench's own SIGINT/SIGTERM handler only, where
 * there is no time left for a graceful stop.
 */
export function killAllChildren() {
  for (const child of live) child.kill('SIGKILL');
}
