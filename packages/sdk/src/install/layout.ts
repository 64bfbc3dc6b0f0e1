/**
 * Where {@link install} puts things under `baseDir`, and how it reads back what is there. Pure
 * path arithmetic plus the lstat-based inspection that runs before anything is written.
 */
import { join } from 'node:path';
import { SymlinkRefusedError, UnexpectedFileError } from './errors.js';
import type { InstallFileSystem, InstallStats } from './file-system.js';

/**
 * What a certificate name may look like: it becomes a path segment, so no `/`, no leading dot
 * (`..`, hidden files, our own temporary links all start with one), at most 64 characters.
 * A name must also not be a Windows device name ({@link isInstallName} checks both).
 */
export const INSTALL_NAME_PATTERN = /^[a-z0-9][a-z0-9.-]{0,63}$/;

/** The device names of Windows; ¹²³ count as digits there (Microsoft, "Naming Files, Paths, and Namespaces"). */
const WINDOWS_DEVICE_NAME = /^(?:con|prn|aux|nul|com[0-9\u00b9\u00b2\u00b3]|lpt[0-9\u00b9\u00b2\u00b3])$/i;

/**
 * Whether Windows takes `name` for a device (`CON`, `PRN`, `AUX`, `NUL`, `COM0`-`COM9`,
 * `LPT0`-`LPT9`): in any case, with any extension (`nul.pem`, `com1.tar.gz`) and with trailing
 * dots or spaces, which Windows drops. A file or folder of that name there is the device, so a
 * certificate installed under it would go nowhere, or to a port.
 */
export function isWindowsDeviceName(name: string): boolean {
  const stem = name.replace(/[. ]+$/, '').split('.', 1)[0] ?? '';
  return WINDOWS_DEVICE_NAME.test(stem.replace(/ +$/, ''));
}

/**
 * Whether `name` may name a certificate: it matches {@link INSTALL_NAME_PATTERN} and is not a
 * Windows device name, refused on every platform so that a name stays usable wherever the
 * installer runs.
 * @example
 * isInstallName('mail.example.org'); // true
 * isInstallName('nul.pem'); // false
 */
export function isInstallName(name: string): boolean {
  return typeof name === 'string' && INSTALL_NAME_PATTERN.test(name) && !isWindowsDeviceName(name);
}

/** The files of one version, by their certbot names. */
export const PEM_KINDS = ['privkey', 'cert', 'chain', 'fullchain'] as const;
/** One of {@link PEM_KINDS}. */
export type PemKind = (typeof PEM_KINDS)[number];

/** Archive entries that carry a version number: certbot's flat files, our bundle, our link directories. */
const VERSIONED_ENTRY = /^(?:(?:privkey|cert|chain|fullchain)(\d+)\.pem|bundle(\d+)\.p12|v(\d+))$/;

/** The paths of one name under one base directory. */
export interface InstallLayout {
  readonly baseDir: string;
  readonly name: string;
  /** `baseDir/archive` */
  readonly archiveRoot: string;
  /** `baseDir/live` */
  readonly liveRoot: string;
  /** `baseDir/archive/<name>` */
  readonly archiveDir: string;
  /** `baseDir/live/<name>`: the symbolic link that is switched. */
  readonly liveLink: string;
}

/**
 * @throws {TypeError} when `name` is not an install name ({@link isInstallName}) or `baseDir` is not an absolute path.
 */
export function installLayout(baseDir: string, name: string): InstallLayout {
  if (typeof baseDir !== 'string' || !baseDir.startsWith('/')) throw new TypeError('baseDir must be an absolute path');
  if (typeof name !== 'string' || !INSTALL_NAME_PATTERN.test(name)) {
    throw new TypeError('name must match [a-z0-9][a-z0-9.-]{0,63}: it becomes a directory name');
  }
  if (isWindowsDeviceName(name)) {
    throw new TypeError(`name "${name}" is a device name on Windows (CON, PRN, AUX, NUL, COM0-9, LPT0-9, with any extension): choose another one`);
  }
  const archiveRoot = join(baseDir, 'archive');
  const liveRoot = join(baseDir, 'live');
  return { baseDir, name, archiveRoot, liveRoot, archiveDir: join(archiveRoot, name), liveLink: join(liveRoot, name) };
}

/** File name of version `n` of a kind in `archive/<name>/`, e.g. `privkey3.pem`, `bundle3.p12`. */
export function archiveFileName(kind: PemKind | 'bundle', n: number): string {
  return kind === 'bundle' ? `bundle${n}.p12` : `${kind}${n}.pem`;
}

/** File name of a kind inside a version directory (and so under `live/<name>/`). */
export function liveFileName(kind: PemKind | 'bundle'): string {
  return kind === 'bundle' ? 'bundle.p12' : `${kind}.pem`;
}

/** `archive/<name>/vN`, the directory of links that `live/<name>` points at. */
export function versionDir(layout: InstallLayout, n: number): string {
  return join(layout.archiveDir, `v${n}`);
}

/** The content of the `live/<name>` link for version `n`: relative, so `baseDir` can move. */
export function liveLinkTarget(name: string, n: number): string {
  return `../archive/${name}/v${n}`;
}

/** The version a `live/<name>` link content names, or `undefined` if install did not write it. */
export function parseLiveLinkTarget(name: string, target: string): number | undefined {
  const prefix = `../archive/${name}/v`;
  if (!target.startsWith(prefix)) return undefined;
  const digits = target.slice(prefix.length);
  if (!/^[1-9]\d{0,8}$/.test(digits)) return undefined;
  return Number(digits);
}

/** Whether `err` is a node error with that `code`. */
export function hasCode(err: unknown, code: string): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === code;
}

/** lstat that answers `undefined` for a missing path. */
async function lstatOrUndefined(fs: InstallFileSystem, path: string) {
  try {
    return await fs.lstat(path);
  } catch (err) {
    if (hasCode(err, 'ENOENT')) return undefined;
    throw err;
  }
}

/**
 * Checks that `path` is a real directory or absent; answers its lstat, `undefined` when absent.
 * @throws {SymlinkRefusedError} when it is a symbolic link.
 * @throws {UnexpectedFileError} when it is something else than a directory.
 */
export async function checkDirectory(fs: InstallFileSystem, path: string): Promise<InstallStats | undefined> {
  const stats = await lstatOrUndefined(fs, path);
  if (!stats) return undefined;
  if (stats.isSymbolicLink()) throw new SymlinkRefusedError(`refusing to use ${path}: it is a symbolic link`, path);
  if (!stats.isDirectory()) throw new UnexpectedFileError(`refusing to use ${path}: it is not a directory`, path);
  return stats;
}

/**
 * The version `live/<name>` points at, `undefined` when there is no live link.
 * @throws {SymlinkRefusedError} when it is a link install did not write (it points elsewhere).
 * @throws {UnexpectedFileError} when it is a file or a real directory (e.g. a certbot tree).
 */
export async function readLiveVersion(fs: InstallFileSystem, layout: InstallLayout): Promise<number | undefined> {
  const stats = await lstatOrUndefined(fs, layout.liveLink);
  if (!stats) return undefined;
  if (!stats.isSymbolicLink()) {
    throw new UnexpectedFileError(`refusing to replace ${layout.liveLink}: it is not the link install manages`, layout.liveLink);
  }
  const target = await fs.readlink(layout.liveLink);
  const version = parseLiveLinkTarget(layout.name, target);
  if (version === undefined) {
    throw new SymlinkRefusedError(`refusing to replace ${layout.liveLink}: it links outside archive/${layout.name}/`, layout.liveLink);
  }
  return version;
}

/**
 * The highest version number present in `archive/<name>/` (0 when none), counting leftovers of
 * interrupted runs so that a version number is never reused.
 * @throws {SymlinkRefusedError} when an entry with a versioned name is a symbolic link.
 * @throws {UnexpectedFileError} when a `vN` entry is not a directory.
 */
export async function highestArchivedVersion(fs: InstallFileSystem, archiveDir: string): Promise<number> {
  let entries: string[];
  try {
    entries = await fs.readdir(archiveDir);
  } catch (err) {
    if (hasCode(err, 'ENOENT')) return 0;
    throw err;
  }
  let highest = 0;
  for (const entry of entries) {
    const match = VERSIONED_ENTRY.exec(entry);
    if (!match) continue;
    const path = join(archiveDir, entry);
    const stats = await fs.lstat(path);
    if (stats.isSymbolicLink()) throw new SymlinkRefusedError(`refusing to install: ${path} is a symbolic link`, path);
    if (match[3] !== undefined && !stats.isDirectory()) {
      throw new UnexpectedFileError(`refusing to install: ${path} is not a directory`, path);
    }
    highest = Math.max(highest, Number(match[1] ?? match[2] ?? match[3]));
  }
  return highest;
}

/** Names of temporary live links a killed run may have left in `live/` for this name. */
export function isTemporaryLiveLink(name: string, entry: string): boolean {
  const prefix = `.${name}.tmp-`;
  return entry.startsWith(prefix) && /^[0-9a-f]{16}$/.test(entry.slice(prefix.length));
}

/** `live/.<name>.tmp-<16 hex>`: never a valid name (those start with a letter or digit), so it cannot collide. */
export function temporaryLiveLinkName(name: string, random: string): string {
  return `.${name}.tmp-${random}`;
}
