/**
 * The only code of the nonce book that touches the file system: a private folder (0700), small
 * private files (0600), and atomic replacement that survives a crash or power loss at any point
 * (the old file or the new one is there, never a mix).
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open, readdir, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';

const TEMPORARY_SUFFIX = '.tmp';

/**
 * Creates `directory` (and its parents) when missing, and leaves it mode 0700: an existing
 * folder that others can read or enter is narrowed to its owner.
 * @throws the file-system error when it cannot be created, is not a folder, or cannot be narrowed.
 */
export async function ensurePrivateDirectory(directory: string): Promise<void> {
  await mkdir(directory, { recursive: true, mode: 0o700 });
  const info = await stat(directory);
  if (!info.isDirectory()) throw Object.assign(new Error(`${directory} is not a directory`), { code: 'ENOTDIR' });
  if (process.platform !== 'win32' && (info.mode & 0o777) !== 0o700) await chmod(directory, 0o700);
}

/**
 * The bytes of `path`, `undefined` when it does not exist, or `'too-large'` when it holds more
 * than `maxBytes`. A file readable by others is narrowed to 0600 first.
 */
export async function readPrivateFile(path: string, maxBytes: number): Promise<Buffer | 'too-large' | undefined> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const info = await handle.stat();
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
