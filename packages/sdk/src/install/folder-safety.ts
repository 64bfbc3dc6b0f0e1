/**
 * Who may write into the folders {@link install} writes into. Whoever can write a folder can
 * rename entries in it: swap `live/<name>`, move `archive/<name>` away, replace `certN.pem`. So
 * every such folder must belong to the user install runs as (its effective uid) and be writable
 * by that user alone. A folder of another user is refused, never changed (chmod would not be
 * ours to do, and it would stay theirs anyway); a folder of ours that group or others may write
 * is narrowed (g-w, o-w), the other bits kept.
 */
import { UnsafeFolderError } from './errors.js';
import type { InstallStats } from './file-system.js';

/** Write permission for the group and for others. */
const GROUP_OTHER_WRITE = 0o022;

/**
 * The effective uid install runs as, or `undefined` where there is none (Windows): there,
 * folders are protected by ACLs that mode bits do not describe, so ownership and modes are not
 * checked at all.
 */
export function installerUid(): number | undefined {
  return typeof process.geteuid === 'function' ? process.geteuid() : undefined;
}

/** A folder of the installer to narrow, with its permission bits before and after. */
export interface FolderNarrowing {
  readonly path: string;
  /** The installer's uid, which owns it. */
  readonly ownerUid: number;
  readonly modeBefore: number;
  readonly modeAfter: number;
}

const octal = (mode: number) => mode.toString(8).padStart(4, '0');

/**
 * Judges an existing folder from its lstat: `undefined` when install may write into it as it
 * is, the narrowing it needs when it is ours but group/other-writable.
 * @throws {UnsafeFolderError} `ERR_SDK_INSTALL_UNSAFE_FOLDER` (reason `owner`) when another user owns it.
 */
export function judgeFolder(path: string, stats: InstallStats, uid: number | undefined): FolderNarrowing | undefined {
  if (uid === undefined) return undefined;
  const mode = stats.mode & 0o7777;
  if (stats.uid !== uid) {
    throw new UnsafeFolderError(
      `refusing to install into ${path}: it belongs to uid ${stats.uid}, not to uid ${uid} that install runs as (mode ${octal(mode)}); its owner could swap the live certificate`,
      { path, ownerUid: stats.uid, mode, reason: 'owner' },
    );
  }
  if ((mode & GROUP_OTHER_WRITE) === 0) return undefined;
  return { path, ownerUid: uid, modeBefore: mode, modeAfter: mode & ~GROUP_OTHER_WRITE };
}

/**
 * The refusal of a folder of ours that group or others can write and that install may not
 * narrow: it stays so after install removed those bits (a file system that does not keep modes,
 * or someone widening it again), or it appeared while install was creating it.
 */
export function writableFolderError(narrowing: FolderNarrowing, why: string): UnsafeFolderError {
  const { path, ownerUid, modeBefore } = narrowing;
  return new UnsafeFolderError(`refusing to install into ${path}: group or others can write it (mode ${octal(modeBefore)}, owner uid ${ownerUid}) ${why}`, {
    path,
    ownerUid,
    mode: modeBefore,
    reason: 'writable',
  });
}
