/**
 * The only code of the nonce book that touches the file system: a private folder (0700), small
 * private files (0600), and atomic replacement that survives a crash or power loss at any point
 * (the old file or the new one is there, never a mix).
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { chmod, lstat, mkdir, open, readdir, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';

const TEMPORARY_SUFFIX = '.tmp';

/** This process's user, or `undefined` where there is none (Windows). */
const ownUid = typeof process.getuid === 'function' ? process.getuid() : undefined;

/** Refuses what is not ours: another user's folder or file is not narrowed, read or replaced. */
function checkOwner(path: string, uid: number): void {
  if (ownUid !== undefined && uid !== ownUid) throw Object.assign(new Error(`${path} belongs to another user`), { code: 'EPERM' });
}

/**
 * Creates `directory` (and its parents) when missing, and leaves it mode 0700: an existing
 * folder of this user that others can read or enter is narrowed to its owner. A symbolic link in
 * its place, or another user's folder, is refused (never followed, never changed).
 * @throws the file-system error when it cannot be created, is not a folder, or cannot be narrowed.
 */
export async function ensurePrivateDirectory(directory: string): Promise<void> {
  await mkdir(directory, { recursive: true, mode: 0o700 });
  const info = await lstat(directory);
  if (info.isSymbolicLink()) throw Object.assign(new Error(`${directory} is a symbolic link`), { code: 'ELOOP' });
  if (!info.isDirectory()) throw Object.assign(new Error(`${directory} is not a directory`), { code: 'ENOTDIR' });
  checkOwner(directory, info.uid);
  if (process.platform !== 'win32' && (info.mode & 0o777) !== 0o700) await chmod(directory, 0o700);
}

/**
 * The bytes of `path`, `undefined` when it does not exist, or `'too-large'` when it holds more
 * than `maxBytes`. A file of this user readable by others is narrowed to 0600 first; a symbolic
 * link (not followed: O_NOFOLLOW), something else than a regular file, or another user's file
 * is refused and left as it is.
 */
export async function readPrivateFile(path: string, maxBytes: number): Promise<Buffer | 'too-large' | undefined> {
  let handle;
  try {
    handle = await open(path, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw Object.assign(new Error(`${path} is not a regular file`), { code: 'EINVAL' });
    checkOwner(path, info.uid);
    if (process.platform !== 'win32' && (info.mode & 0o777) !== 0o600) await handle.chmod(0o600);
    if (info.size > maxBytes) return 'too-large';
    const buffer = Buffer.alloc(info.size);
    const { bytesRead } = await handle.read(buffer, 0, info.size, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/**
 * Replaces `directory/name` with `text` atomically: write a new temporary file (mode 0600, never
 * an existing one), fsync it, rename it over the old file, then fsync the folder so that the
 * rename itself is on disk. On failure the temporary file is removed and the old file stays.
 */
export async function writePrivateFileAtomically(directory: string, name: string, text: string): Promise<void> {
  const temporary = join(directory, `.${name}.${randomBytes(6).toString('hex')}${TEMPORARY_SUFFIX}`);
  try {
    const handle = await open(temporary, 'wx', 0o600);
    try {
      await handle.writeFile(text, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, join(directory, name));
  } catch (error) {
    await unlink(temporary).catch(() => {});
    throw error;
  }
  await syncDirectory(directory);
}

/** Removes temporary files a crashed write of `name` left in `directory`. */
export async function removeStaleTemporaries(directory: string, name: string): Promise<void> {
  const prefix = `.${name}.`;
  for (const entry of await readdir(directory)) {
    if (entry.startsWith(prefix) && entry.endsWith(TEMPORARY_SUFFIX)) await unlink(join(directory, entry)).catch(() => {});
  }
}

async function syncDirectory(directory: string): Promise<void> {
  // Windows cannot open a folder for fsync; there the rename is as durable as it gets.
  if (process.platform === 'win32') return;
  const handle = await open(directory, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Takes the lock `directory/name`: a file created with O_EXCL holding this process's id. A lock
 * whose process no longer runs (a crash, a kill) is taken over.
 * @returns a function that releases it (idempotent).
 * @throws `{ code: 'ELOCKED', pid }` when a running process holds it; file-system errors otherwise.
 */
export async function takeProcessLock(directory: string, name: string): Promise<() => Promise<void>> {
  const path = join(directory, name);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0), 0o600);
      try {
        await handle.writeFile(`${process.pid}\n`, 'utf8');
      } finally {
        await handle.close();
      }
      let released = false;
      return async () => {
        if (released) return;
        released = true;
        await unlink(path).catch(() => {});
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = Number.parseInt((await readPrivateFile(path, 64).catch(() => undefined))?.toString('utf8') ?? '', 10);
    if (Number.isSafeInteger(holder) && holder > 0 && holder !== process.pid && processRuns(holder)) {
      throw Object.assign(new Error(`${path} is held by process ${holder}`), { code: 'ELOCKED', pid: holder });
    }
    if (holder === process.pid) throw Object.assign(new Error(`${path} is already held by this process`), { code: 'ELOCKED', pid: holder });
    // Stale (its process is gone) or unreadable: take it over.
    await unlink(path).catch(() => {});
  }
  throw Object.assign(new Error(`${path} could not be taken`), { code: 'ELOCKED' });
}

/** Whether a process with this id runs (signal 0 checks without sending anything). */
function processRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, as another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
