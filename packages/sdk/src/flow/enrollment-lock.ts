/**
 * One run per enrollment at a time. Two runs of `enroll()` on the same state file would take up
 * the same registration ticket, race for the key file (O_EXCL: one of them meets EEXIST) and
 * replace each other's state; the later one could drop a token the earlier one was storing.
 *
 * The lock is the file `<stateDir>/<name>.lock`, created with O_EXCL and holding the pid of the
 * run and when it started (`{"pid":1234,"startedAt":"2025-01-01T00:00:00.000Z"}`). It is
 * removed when the run ends, however it ends. A run killed with SIGKILL cannot remove it, so a
 * lock is stale, and is taken over, when its process is gone, when it was taken before this
 * machine booted, or when it names this very process but predates it (a pid reused after a
 * container restart). Otherwise the next run waits up to `waitMs`, then is refused with
 * {@link EnrollmentLockedError}.
 *
 * The lock goes through node:fs, not the `fs` seam of `enroll()`: it is about live processes,
 * and the seam's injected crashes leave this process alive (a lock they left would look held).
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { link, mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { uptime } from 'node:os';
import { join } from 'node:path';
import { RegistrationAbortedError } from '../errors.js';
import { isInstallName } from '../install/layout.js';
import { systemClock, type Clock } from '../registration/clock.js';
import { poll } from '../transport/poll.js';
import { EnrollmentLockedError, StateFileError } from './errors.js';

/** Default time between two looks at a lock held by a live run, in ms. */
export const DEFAULT_LOCK_POLL_INTERVAL_MS = 250;

/** Options of {@link acquireEnrollmentLock}. */
export interface EnrollmentLockOptions {
  /** How long to wait for a live run to finish, in ms, rounded up to whole `pollIntervalMs`. Default 0: refuse at once. */
  readonly waitMs?: number | undefined;
  /** Time between two looks at the lock while waiting, in ms. Default {@link DEFAULT_LOCK_POLL_INTERVAL_MS}. */
  readonly pollIntervalMs?: number | undefined;
  /**
   * Folders to create first when missing (0700, one level each, in this order; their parents
   * must exist), e.g. `[baseDir, stateDir]`. Default: none, the lock's folder must exist.
   */
  readonly folders?: readonly string[];
  /** Clock of the wait. Default: the system clock. */
  readonly clock?: Clock;
  /** Aborts the wait: rejects with `ERR_SDK_ABORTED`. */
  readonly signal?: AbortSignal | undefined;
  /** Whether a process runs. Default: `process.kill(pid, 0)` (EPERM counts as running: another user's). */
  readonly isRunning?: (pid: number) => boolean;
}

/** A held lock. */
export interface EnrollmentLock {
  /** The lock file. */
  readonly path: string;
  /**
   * Removes the lock file if it is still this run's. Never rejects: a lock it could not remove
   * names this process, and is taken over once the process is gone.
   */
  release(): Promise<void>;
}

/** What a lock file says. */
interface Holder {
  readonly pid: number;
  readonly startedAt: string;
}

/** Extra looks per timed one: a lock that vanishes or is stale is looked at again at once. */
const IMMEDIATE_RETRIES = 8;

/**
 * Takes the lock of enrollment `name` in folder `dir`, waiting up to `waitMs` for a live run.
 *
 * @throws {TypeError} when `name` is not an install name or an option is malformed.
 * @throws {EnrollmentLockedError} `ERR_SDK_ENROLLMENT_LOCKED` when another run holds it after `waitMs`.
 * @throws {RegistrationAbortedError} `ERR_SDK_ABORTED` when `signal` aborts (before the first look, or while waiting).
 * @throws {StateFileError} `ERR_SDK_STATE_FILE` when a folder or the lock file cannot be created.
 * @example
 * const lock = await acquireEnrollmentLock('/etc/product/enrollments', 'mail', { waitMs: 30_000 });
 * try {
 *   // ... the run ...
 * } finally {
 *   await lock.release();
 * }
 */
export async function acquireEnrollmentLock(dir: string, name: string, options: EnrollmentLockOptions = {}): Promise<EnrollmentLock> {
  // The name becomes a file name here, before enroll() writes anything else.
  if (!isInstallName(name))
    throw new TypeError(`name "${name}" cannot name an enrollment: lower-case letters, digits, dots and dashes, and not a Windows device name`);
  const waitMs = options.waitMs ?? 0;
  const pollIntervalMs = options.pollIntervalMs ?? DEFAULT_LOCK_POLL_INTERVAL_MS;
  if (!Number.isSafeInteger(waitMs) || waitMs < 0) throw new TypeError('lockWaitMs must be a whole number of ms, 0 or more');
  if (!Number.isSafeInteger(pollIntervalMs) || pollIntervalMs <= 0) throw new TypeError('pollIntervalMs must be a positive whole number of ms');
  const clock = options.clock ?? systemClock;
  const isRunning = options.isRunning ?? processRuns;
  const { signal } = options;

  for (const folder of options.folders ?? []) {
    // Missing parents are made too, 0700 like the folder, as certbot does: a fresh server (root
    // included) has no ~/.local/state yet.
    await mkdir(folder, { recursive: true, mode: 0o700 }).catch((error: unknown) => {
      throw new StateFileError(`cannot create ${folder}`, { cause: error, folder });
    });
  }
  const path = join(dir, `${name}.lock`);
  const mine: Holder = { pid: process.pid, startedAt: new Date().toISOString() };
  let holder: Holder | undefined;
  return poll<EnrollmentLock>(
    async () => {
      // A lock that vanished or was stale is looked at again at once, a few times.
      for (let look = 0; look <= IMMEDIATE_RETRIES; look++) {
        if (await create(path, mine)) return { done: true, value: { path, release: () => release(path, mine) } };
        const found = await readHolder(path);
        if (found === 'gone') continue;
        holder = found === 'unreadable' ? undefined : found;
        if (holder === undefined || !isStale(holder, isRunning)) return { done: false };
        await takeOver(path, holder);
      }
      return { done: false };
    },
    {
      clock,
      signal,
      initialDelayMs: pollIntervalMs,
      maxDelayMs: pollIntervalMs,
      factor: 1,
      // One look now and one after each whole interval: waitMs rounded up to whole intervals.
      maxAttempts: Math.ceil(waitMs / pollIntervalMs) + 1,
      exhaustedError: () => lockedError(path, name, holder),
      abortError: (reason) => new RegistrationAbortedError('the enrollment was aborted while it waited for another run', { cause: reason }),
    },
  );
}

/** Creates the lock file with our holder in it; `false` when one exists. */
async function create(path: string, mine: Holder): Promise<boolean> {
  let handle;
  try {
    handle = await open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new StateFileError(`cannot create the lock ${path}`, { cause: error });
  }
  try {
    // One write right after the create: a reader sees the whole holder or an empty file (unreadable, so held).
    await handle.writeFile(`${JSON.stringify(mine)}\n`);
  } finally {
    await handle.close();
  }
  return true;
}

/** The holder a lock file names; `unreadable` for one being written or damaged, `gone` when it vanished. */
async function readHolder(path: string): Promise<Holder | 'unreadable' | 'gone'> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'gone';
    throw error;
  }
  return parseHolder(text) ?? 'unreadable';
}

function parseHolder(text: string): Holder | undefined {
  try {
    const value = JSON.parse(text) as Partial<Record<keyof Holder, unknown>> | null;
    if (Number.isSafeInteger(value?.pid) && (value?.pid as number) > 0 && typeof value?.startedAt === 'string' && !Number.isNaN(Date.parse(value.startedAt))) {
      return { pid: value.pid as number, startedAt: value.startedAt };
    }
  } catch {
    // Not JSON: a lock cut short, or not ours; treated as held (the message says how to clear it).
  }
  return undefined;
}

/** `process.kill(pid, 0)` sends nothing: it only asks whether the process exists. */
function processRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether the lock's run cannot be running any more (see the file's header). */
function isStale(holder: Holder, isRunning: (pid: number) => boolean): boolean {
  const startedAt = Date.parse(holder.startedAt);
  const bootedAt = Date.now() - uptime() * 1000;
  if (startedAt < bootedAt) return true;
  if (holder.pid === process.pid) return startedAt < Date.now() - process.uptime() * 1000;
  return !isRunning(holder.pid);
}

/**
 * Removes a stale lock. It is first renamed to a name of our own, which only one of several
 * runs taking it over at once can do; what was renamed is checked to be the stale lock, and a
 * lock another run took meanwhile is put back (link(2) fails rather than replace a newer one).
 */
async function takeOver(path: string, stale: Holder): Promise<void> {
  const aside = `${path}.stale-${randomBytes(6).toString('hex')}`;
  try {
    await rename(path, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  const moved = parseHolder(await readFile(aside, 'utf8').catch(() => ''));
  if (moved !== undefined && (moved.pid !== stale.pid || moved.startedAt !== stale.startedAt)) {
    await link(aside, path).catch(() => undefined);
  }
  await unlink(aside).catch(() => undefined);
}

/** Removes the lock if it still names this run. */
async function release(path: string, mine: Holder): Promise<void> {
  try {
    const holder = parseHolder(await readFile(path, 'utf8'));
    if (holder?.pid === mine.pid && holder.startedAt === mine.startedAt) await unlink(path);
  } catch {
    // Gone already, or unreadable: nothing of ours to remove.
  }
}

function lockedError(path: string, name: string, holder: Holder | undefined): EnrollmentLockedError {
  const who = holder === undefined ? 'another run' : `another run (pid ${holder.pid}, started ${holder.startedAt})`;
  const clear =
    holder === undefined
      ? `${path} cannot be read; remove it if no other run is working on "${name}"`
      : `if no such process is working on "${name}", remove ${path}`;
  return new EnrollmentLockedError(`${who} is working on the enrollment "${name}" (lock ${path}); wait for it to finish, or ${clear}`, {
    lockPath: path,
    holderPid: holder?.pid,
    ...(holder === undefined ? {} : { since: new Date(holder.startedAt) }),
  });
}
