/**
 * The file-system calls {@link install} makes, behind a small interface: the real one is
 * node:fs/promises, and tests wrap it to fail (or "crash": fail every later call) at a chosen
 * step, which is how crash consistency is proven without killing processes at random.
 */
import { constants, type Stats } from 'node:fs';
import * as fsp from 'node:fs/promises';

/** An open file, as far as {@link install} uses one. */
export interface InstallFileHandle {
  /** Writes all of `data` from the current position. */
  writeFile(data: Uint8Array | string): Promise<void>;
  /** Sets the mode exactly (the `open` mode is reduced by the umask). */
  chmod(mode: number): Promise<void>;
  /** fsync(2): the data (or, for a directory, its entries) reach the disk. */
  sync(): Promise<void>;
  close(): Promise<void>;
}

/** What `lstat` answers, as far as {@link install} uses it: `uid` and `mode` decide whether a folder is safe to write into. */
export type InstallStats = Pick<Stats, 'isFile' | 'isDirectory' | 'isSymbolicLink' | 'mode' | 'uid'>;

/**
 * The file-system operations of {@link install} and {@link readInstalled}. Every method has the
 * semantics of its node:fs/promises namesake; errors are the node ones (with `code`, e.g.
 * `EEXIST`, `ENOENT`, `ELOOP`).
 */
export interface InstallFileSystem {
  /** open(2) with numeric `flags` (e.g. `O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW`) and `mode`. */
  open(path: string, flags: number, mode?: number): Promise<InstallFileHandle>;
  /** Reads a whole file, following symbolic links (used on the live set, which is made of them). */
  readFile(path: string): Promise<Buffer>;
  /** mkdir(2), not recursive: fails with `EEXIST` when something is there. */
  mkdir(path: string, mode: number): Promise<void>;
  chmod(path: string, mode: number): Promise<void>;
  lstat(path: string): Promise<InstallStats>;
  readdir(path: string): Promise<string[]>;
  readlink(path: string): Promise<string>;
  /** Creates the symbolic link `path` holding `target`; fails with `EEXIST` when `path` exists. */
  symlink(target: string, path: string): Promise<void>;
  /** rename(2): atomically replaces `to` (a file or a symbolic link) with `from`. */
  rename(from: string, to: string): Promise<void>;
  /** Removes a file or a symbolic link (never follows it). */
  unlink(path: string): Promise<void>;
  /** Removes an empty directory. */
  rmdir(path: string): Promise<void>;
}

/** The real file system: node:fs/promises. */
export const nodeFileSystem: InstallFileSystem = Object.freeze({
  open: async (path: string, flags: number, mode?: number): Promise<InstallFileHandle> => {
    const handle = await fsp.open(path, flags, mode);
    return {
      writeFile: (data: Uint8Array | string) => handle.writeFile(data),
      chmod: (m: number) => handle.chmod(m),
      sync: () => handle.sync(),
      close: () => handle.close(),
    };
  },
  readFile: (path: string) => fsp.readFile(path),
  mkdir: async (path: string, mode: number) => {
    await fsp.mkdir(path, { mode });
  },
  chmod: (path: string, mode: number) => fsp.chmod(path, mode),
  lstat: (path: string) => fsp.lstat(path),
  readdir: (path: string) => fsp.readdir(path),
  readlink: (path: string) => fsp.readlink(path),
  symlink: (target: string, path: string) => fsp.symlink(target, path),
  rename: (from: string, to: string) => fsp.rename(from, to),
  unlink: (path: string) => fsp.unlink(path),
  rmdir: (path: string) => fsp.rmdir(path),
});

/** Flags of a new file: never reuse a name (`O_EXCL`), never write through a symbolic link (`O_NOFOLLOW`). */
export const CREATE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/**
 * Flags to open a directory for fsync(2). `O_DIRECTORY` makes a planted file fail instead of
 * being synced; no `O_NOFOLLOW`, since `baseDir` itself may be a link (it is trusted), and every
 * directory below it was checked with lstat before.
 */
export const DIRECTORY_FLAGS = constants.O_RDONLY | constants.O_DIRECTORY;
