/**
 * Test support: certmonger (0.79, the Debian package) run the way it works on a machine without a
 * D-Bus system bus, for the SCEP interop tests and `npm run bench -- scep`.
 *
 * How: one private `certmonger` daemon per test, `-S -L -P <dir>/sock -n`: `-L` serves only a
 * dedicated listening socket (no bus needed), `-n` keeps it in the foreground so that it is this
 * process's child and is stopped with it. Its state goes to a private temporary directory through
 * the `CERTMONGER_*_DIR` variables the daemon reads (requests, CAs, the local signer, its temporary
 * files, the lock file), never to /var/lib/certmonger. `getcert` finds the daemon through
 * `CERTMONGER_PVT_ADDRESS=unix:path=<dir>/sock` (without it, and without a bus, `getcert` would
 * start a temporary daemon per command that writes under /var/lib/certmonger and forgets pending
 * requests). Because the daemon lives as long as the test, it also polls pending requests itself.
 * Not for production use.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** certmonger's SCEP helper (Debian's path). */
export const SCEP_SUBMIT = '/usr/lib/certmonger/scep-submit';

/** What a finished program printed and how it exited. */
export interface ProgramResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Options of every program run: its bound (`timeoutMs`, default 60 s) and an AbortSignal. */
export interface RunProgramOptions {
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

/**
 * Runs `file args` to completion with `env`, killed after `timeoutMs` or on `signal` (then the
 * result's code is null). Never throws for a non-zero exit: the caller reads `code`.
 */
function runProgram(file: string, args: readonly string[], env: NodeJS.ProcessEnv, options: RunProgramOptions): Promise<ProgramResult> {
  return new Promise((resolve, reject) => {
    execFile(
      file,
      [...args],
      {
        env,
        encoding: 'utf8',
        timeout: options.timeoutMs ?? 60_000,
        killSignal: 'SIGKILL',
        maxBuffer: 4 * 1024 * 1024,
        ...(options.signal ? { signal: options.signal } : {}),
      },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number' && !error.killed && error.name !== 'AbortError') {
          reject(error);
          return;
        }
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr });
      },
    );
  });
}

/**
 * `scep-submit -u URL -c` (GetCACaps: one capability a line) or `-C` (GetCACert: the RA and CA
 * certificates, PEM). The helper needs no daemon; `url` is the SCEP URL (e.g. `{ca}/scep`).
 */
export function scepSubmit(url: string, what: 'capabilities' | 'certificates', options: RunProgramOptions = {}): Promise<ProgramResult> {
  return runProgram(SCEP_SUBMIT, ['-u', url, what === 'capabilities' ? '-c' : '-C'], { PATH: process.env.PATH ?? '' }, options);
}

/** A tracking request as `getcert list -i ID` shows it. */
export interface TrackedRequest {
  /** certmonger's state: MONITORING, CA_REJECTED, CA_WORKING, CA_UNREACHABLE, SUBMITTING... */
  readonly status: string;
  /** The `ca-error:` line when there is one. */
  readonly caError?: string;
  /** The whole listing, for messages. */
  readonly listing: string;
}

/** A private certmonger daemon (see the module comment). */
export interface Certmonger {
  /** The daemon's private directory (state, socket, and a place for key and certificate files). */
  readonly dir: string;
  /** Runs `getcert args` against this daemon. */
  getcert(args: readonly string[], options?: RunProgramOptions): Promise<ProgramResult>;
  /** Reads one tracking request (`getcert list -i id`); throws when certmonger does not know it. */
  tracked(id: string, options?: RunProgramOptions): Promise<TrackedRequest>;
  /**
   * Polls `tracked(id)` every `intervalMs` (default 200) until `until(status)` holds or `timeoutMs`
   * (default 30 s) passes (then throws with the last listing).
   */
  waitFor(id: string, until: (status: string) => boolean, options?: RunProgramOptions & { readonly intervalMs?: number }): Promise<TrackedRequest>;
  /** Stops the daemon (SIGTERM, SIGKILL after 5 s) and removes its directory. Idempotent. */
  stop(): Promise<void>;
}

/** Options of {@link startCertmonger}. */
export interface StartCertmongerOptions {
  /** How long to wait for the daemon's socket (default 10 s). */
  readonly startTimeoutMs?: number;
  readonly signal?: AbortSignal;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function exited(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/** Starts a private certmonger daemon in a fresh temporary directory. */
export async function startCertmonger(options: StartCertmongerOptions = {}): Promise<Certmonger> {
  options.signal?.throwIfAborted();
  const dir = mkdtempSync(join(tmpdir(), 'certwizard-certmonger-'));
  const socket = join(dir, 'sock');
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? '',
    HOME: dir,
    CERTMONGER_REQUESTS_DIR: join(dir, 'requests'),
    CERTMONGER_CAS_DIR: join(dir, 'cas'),
    CERTMONGER_LOCAL_CA_DIR: join(dir, 'local'),
    CERTMONGER_TMPDIR: join(dir, 'tmp'),
    CERTMONGER_CONFIG_DIR: join(dir, 'config'),
    CERTMONGER_SYSTEM_LOCK_FILE: join(dir, 'lock'),
  };
  for (const sub of ['requests', 'cas', 'local', 'tmp', 'config']) mkdirSync(join(dir, sub));
  const daemon = spawn('certmonger', ['-S', '-L', '-P', socket, '-n'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let daemonErr = '';
  daemon.stderr?.on('data', (d) => {
    daemonErr = (daemonErr + String(d)).slice(-4000);
  });
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    daemon.kill('SIGTERM');
    if (!(await exited(daemon, 5000))) {
      daemon.kill('SIGKILL');
      await exited(daemon, 5000);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const deadline = Date.now() + (options.startTimeoutMs ?? 10_000);
    while (!existsSync(socket)) {
      options.signal?.throwIfAborted();
      if (daemon.exitCode !== null || daemon.signalCode !== null) throw new Error(`certmonger exited before listening: ${daemonErr}`);
      if (Date.now() > deadline) throw new Error(`certmonger did not listen on ${socket} in time: ${daemonErr}`);
      await sleep(25);
    }
  } catch (err) {
    await stop();
    throw err;
  }
  const getcertEnv = { ...env, CERTMONGER_PVT_ADDRESS: `unix:path=${socket}` };
  const getcert = (args: readonly string[], runOptions: RunProgramOptions = {}) => runProgram('getcert', args, getcertEnv, runOptions);
  const tracked = async (id: string, runOptions: RunProgramOptions = {}): Promise<TrackedRequest> => {
    const listed = await getcert(['list', '-i', id], runOptions);
    const status = /^\s*status: (\S+)/m.exec(listed.stdout)?.[1];
    if (listed.code !== 0 || status === undefined) throw new Error(`getcert list -i ${id} exited ${listed.code}: ${listed.stdout}${listed.stderr}`);
    const caError = /^\s*ca-error: (.*)$/m.exec(listed.stdout)?.[1];
    return { status, listing: listed.stdout, ...(caError !== undefined ? { caError } : {}) };
  };
  return {
    dir,
    getcert,
    tracked,
    waitFor: async (id, until, waitOptions = {}) => {
      const deadline = Date.now() + (waitOptions.timeoutMs ?? 30_000);
      for (;;) {
        const now = await tracked(id, waitOptions.signal ? { signal: waitOptions.signal } : {});
        if (until(now.status)) return now;
        if (Date.now() > deadline) throw new Error(`request ${id} still ${now.status} after ${waitOptions.timeoutMs ?? 30_000} ms:\n${now.listing}`);
        await sleep(waitOptions.intervalMs ?? 200);
      }
    },
    stop,
  };
}
