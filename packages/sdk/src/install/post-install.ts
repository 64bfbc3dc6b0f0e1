/**
 * Runs the post-install command (e.g. a mail server's reload) with execFile semantics: the
 * first element of `argv` is the program, the others its arguments, and no shell ever sees
 * them, so a name or path cannot be interpreted as shell syntax.
 */
import { spawn } from 'node:child_process';

/** The command {@link install} runs once the new set is live. */
export interface PostInstallCommand {
  /** Program and arguments, e.g. `['/usr/sbin/postfix', 'reload']`. Non-empty; no shell is involved. */
  readonly argv: readonly string[];
  /** Limit in ms before the command is sent SIGTERM (SIGKILL 2 s later). Integer 1 to 2^31 - 1. Default 60000. */
  readonly timeoutMs?: number;
  /** Working directory of the command. Default: the current one. */
  readonly cwd?: string;
}

/** Default {@link PostInstallCommand.timeoutMs}: 60 s. */
export const DEFAULT_POST_INSTALL_TIMEOUT_MS = 60_000;

/** How long a command has between SIGTERM and SIGKILL, in ms. */
const KILL_GRACE_MS = 2_000;

/** Bytes of standard error kept for the error report. */
const STDERR_TAIL_BYTES = 4096;

/** How the command ended. */
export interface CommandOutcome {
  readonly ok: boolean;
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly timedOut: boolean;
  /** The last 4 KiB of standard error. */
  readonly stderr: string;
  /** Why the command could not start (e.g. `ENOENT`), or the abort reason. */
  readonly error?: unknown;
}

/**
 * Checks a {@link PostInstallCommand} for caller mistakes.
 * @throws {TypeError} for an empty argv, non-string or NUL-containing elements, or a bad timeout.
 */
export function checkPostInstallCommand(command: PostInstallCommand): void {
  const { argv, timeoutMs, cwd } = command;
  if (!Array.isArray(argv) || argv.length === 0) throw new TypeError('postInstall.argv must be a non-empty array');
  if (!argv.every((a) => typeof a === 'string' && !a.includes('\0'))) {
    throw new TypeError('postInstall.argv must hold strings without NUL characters');
  }
  if ((argv[0] as string).length === 0) throw new TypeError('postInstall.argv[0] (the program) must not be empty');
  if (timeoutMs !== undefined && (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > 2 ** 31 - 1)) {
    throw new TypeError('postInstall.timeoutMs must be an integer from 1 to 2^31 - 1');
  }
  if (cwd !== undefined && typeof cwd !== 'string') throw new TypeError('postInstall.cwd must be a string');
}

/**
 * Runs the command to its end. Never rejects: how it ended is the answer. The child's standard
 * input and output are closed; standard error is kept (its tail) for the report.
 */
export function runPostInstallCommand(command: PostInstallCommand, signal?: AbortSignal): Promise<CommandOutcome> {
  const [program, ...args] = command.argv as [string, ...string[]];
  const timeoutMs = command.timeoutMs ?? DEFAULT_POST_INSTALL_TIMEOUT_MS;
  return new Promise((resolve) => {
    let stderr = Buffer.alloc(0);
    let timedOut = false;
    let startError: unknown;
    let killTimer: NodeJS.Timeout | undefined;
    const child = spawn(program, args, {
      shell: false,
      cwd: command.cwd,
      stdio: ['ignore', 'ignore', 'pipe'],
      windowsHide: true,
    });
    const terminate = () => {
      child.kill('SIGTERM');
      // A reload that ignores SIGTERM must not hold the installer forever.
      killTimer ??= setTimeout(() => child.kill('SIGKILL'), KILL_GRACE_MS);
    };
    const timer = setTimeout(() => {
      timedOut = true;
      terminate();
    }, timeoutMs);
    const onAbort = () => {
      startError = signal?.reason;
      terminate();
    };
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });

    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = Buffer.concat([stderr, chunk]);
      if (stderr.length > STDERR_TAIL_BYTES) stderr = stderr.subarray(stderr.length - STDERR_TAIL_BYTES);
    });
    const finish = (exitCode: number | null, exitSignal: NodeJS.Signals | null) => {
      clearTimeout(timer);
      if (killTimer) clearTimeout(killTimer);
      signal?.removeEventListener('abort', onAbort);
      // A grandchild may keep the pipe open: the command's own exit is what counts.
      child.stderr?.destroy();
      const ok = startError === undefined && !timedOut && exitCode === 0;
      resolve({
        ok,
        exitCode,
        signal: exitSignal,
        timedOut,
        stderr: stderr.toString('utf8'),
        ...(startError !== undefined ? { error: startError } : {}),
      });
    };
    child.once('error', (err) => {
      // 'error' without 'exit' means the program never started (ENOENT, EACCES).
      startError ??= err;
      if (child.pid === undefined) finish(null, null);
    });
    child.once('exit', (code, sig) => finish(code, sig));
  });
}
