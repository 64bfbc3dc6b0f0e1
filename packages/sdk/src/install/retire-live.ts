/**
 * Moving a revoked certificate's live set aside: `live/<name>` (ONE relative link to
 * `../archive/<name>/vN`, see install.ts) is renamed to `revoked/<name>-<serial>`. `revoked/` is
 * a sibling of `live/`, so the moved link still leads to the same archived files
 * (`revoked/<name>-<serial>/cert.pem` reads `archive/<name>/certN.pem`): nothing is copied and
 * nothing is deleted, and the move is one rename(2), so a server reading `live/<name>/` sees the
 * whole set or nothing, never half of one.
 */
import { join } from 'node:path';
import { UnexpectedFileError } from './errors.js';
import { DIRECTORY_FLAGS, nodeFileSystem, type InstallFileSystem } from './file-system.js';
import { installerUid, judgeFolder, writableFolderError } from './folder-safety.js';
import { checkDirectory, hasCode, installLayout, liveLinkTarget, readLiveVersion } from './layout.js';

/** Mode of `revoked/`: as `archive/` and `live/`, only the owner may list or enter it. */
const DIRECTORY_MODE = 0o700;

/** Options of {@link retireLive}. */
export interface RetireLiveOptions {
  /** The installation root, as given to `install()`. */
  readonly baseDir: string;
  /** The certificate name. */
  readonly name: string;
  /** The live certificate's serial number, lower-case hex: it names the moved link. */
  readonly serialHex: string;
  /** The file system. Default {@link nodeFileSystem}. */
  readonly fs?: InstallFileSystem;
}

/** What {@link retireLive} found and did. */
export interface RetireLiveResult {
  /** Where the live set is now, relative to `baseDir`: `revoked/<name>-<serial>`. */
  readonly movedTo: string;
  /** `true` when this call moved it; `false` when `live/<name>` was already gone (an earlier run moved it). */
  readonly moved: boolean;
}

/**
 * The place a revoked live set goes, relative to `baseDir`.
 * @example
 * retiredPath('mail', '0a1b'); // 'revoked/mail-0a1b'
 */
export function retiredPath(name: string, serialHex: string): string {
  return `revoked/${name}-${serialHex}`;
}

/**
 * Renames `live/<name>` to `revoked/<name>-<serial>` (creating `revoked/`, 0700, when missing)
 * and makes it durable (fsync of both folders). Harmless to repeat: when `live/<name>` is gone
 * already it only answers where the set went. `revoked/` is checked as install checks its
 * folders: a link or a file there is refused, a folder of another user is refused, one of ours
 * that group or others may write is narrowed first. A `revoked/<name>-<serial>` that exists
 * already is never replaced: when it is the same link (the same version moved before and
 * installed again) the live link is only removed, anything else is refused.
 *
 * @throws {TypeError} for a bad `name`, `baseDir` or `serialHex`.
 * @throws {SymlinkRefusedError} `ERR_SDK_INSTALL_SYMLINK` when `live/<name>` or `revoked/` is a link install did not write.
 * @throws {UnexpectedFileError} `ERR_SDK_INSTALL_LAYOUT` when something else is in the way.
 * @throws {UnsafeFolderError} `ERR_SDK_INSTALL_UNSAFE_FOLDER` when `revoked/` belongs to another user, or stays writable by others.
 * @example
 * const { movedTo } = await retireLive({ baseDir: '/etc/certwizard', name: 'mail', serialHex: '0a1b' });
 */
export async function retireLive(options: RetireLiveOptions): Promise<RetireLiveResult> {
  const layout = installLayout(options.baseDir, options.name);
  if (typeof options.serialHex !== 'string' || !/^[0-9a-f]{1,40}$/.test(options.serialHex)) throw new TypeError('serialHex must be lower-case hex');
  const fs = options.fs ?? nodeFileSystem;
  const movedTo = retiredPath(layout.name, options.serialHex);
  const revokedRoot = join(layout.baseDir, 'revoked');
  const destination = join(layout.baseDir, movedTo);
  const version = await readLiveVersion(fs, layout);
  if (version === undefined) return { movedTo, moved: false };
  await prepareRevokedRoot(fs, layout.baseDir, revokedRoot);
  const existing = await fs.lstat(destination).catch((error: unknown) => {
    if (hasCode(error, 'ENOENT')) return undefined;
    throw error;
  });
  if (existing === undefined) {
    // rename(2) would silently replace a link planted meanwhile; the lock of the enrollment keeps
    // our own runs apart, and revoked/ is ours alone (checked above), so nobody else plants one.
    await fs.rename(layout.liveLink, destination);
  } else if (existing.isSymbolicLink() && (await fs.readlink(destination)) === liveLinkTarget(layout.name, version)) {
    // The same version was moved here before: the live link is a duplicate of the moved one.
    await fs.unlink(layout.liveLink);
  } else {
    throw new UnexpectedFileError(`refusing to move ${layout.liveLink} aside: ${destination} exists and is not the same live set`, destination);
  }
  await syncFolder(fs, layout.liveRoot);
  await syncFolder(fs, revokedRoot);
  return { movedTo, moved: true };
}

/** `revoked/` as install makes its folders: created 0700, or an existing one of ours that only we can write. */
async function prepareRevokedRoot(fs: InstallFileSystem, baseDir: string, path: string): Promise<void> {
  const uid = installerUid();
  let stats = await checkDirectory(fs, path);
  if (stats === undefined) {
    try {
      await fs.mkdir(path, DIRECTORY_MODE);
      await fs.chmod(path, DIRECTORY_MODE);
      await syncFolder(fs, baseDir);
      return;
    } catch (error) {
      if (!hasCode(error, 'EEXIST')) throw error;
      stats = await checkDirectory(fs, path);
      if (stats === undefined) throw error;
    }
  }
  const narrowing = judgeFolder(path, stats, uid);
  if (narrowing === undefined) return;
  await fs.chmod(path, narrowing.modeAfter);
  const again = await checkDirectory(fs, path);
  if (again === undefined || judgeFolder(path, again, uid) !== undefined) throw writableFolderError(narrowing, 'after its write bits for others were removed');
}

/** fsync(2) of a folder, so that the rename survives a power cut. */
async function syncFolder(fs: InstallFileSystem, path: string): Promise<void> {
  const handle = await fs.open(path, DIRECTORY_FLAGS);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
