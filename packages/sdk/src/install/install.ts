/**
 * Certificate installation, certbot's model made atomic. Every version is kept in
 * `archive/<name>/` under certbot's names (`privkeyN.pem`, `certN.pem`, `chainN.pem`,
 * `fullchainN.pem`, and our `bundleN.p12`), next to a directory `vN/` of relative links to them
 * (`vN/privkey.pem -> ../privkeyN.pem`). `live/<name>` is ONE symbolic link to `../archive/<name>/vN`,
 * so `live/<name>/privkey.pem` is the certbot path a server is configured with, and switching
 * versions is a single rename(2) of a new link over the old one: a reader sees the old complete
 * set or the new complete set, never a mix (certbot itself relinks four files one by one).
 */
import { randomBytes, type KeyObject } from 'node:crypto';
import { join } from 'node:path';
import {
  certificateMatchesKey,
  ChainVerificationError,
  createPkcs12,
  exportPrivateKeyPem,
  importPrivateKeyPem,
  parseCertificateChain,
  verifyChain,
  type Certificate,
} from '@certwizard/pki';
import { RegistrationAbortedError } from '../errors.js';
import {
  CertificateExpiredError,
  InstallChainError,
  InstallError,
  InstallIoError,
  InstallKeyMismatchError,
  InvalidCertificateError,
  PostInstallCommandError,
  SymlinkRefusedError,
} from './errors.js';
import { CREATE_FLAGS, DIRECTORY_FLAGS, nodeFileSystem, type InstallFileHandle, type InstallFileSystem } from './file-system.js';
import { installerUid, judgeFolder, writableFolderError, type FolderNarrowing } from './folder-safety.js';
import type { InstallEvent } from './install-event.js';
import type { InstallStep } from './install-step.js';
import { describeInstalled, type InstalledCertificate } from './installed-certificate.js';
import {
  archiveFileName,
  checkDirectory,
  hasCode,
  highestArchivedVersion,
  installLayout,
  isTemporaryLiveLink,
  liveFileName,
  liveLinkTarget,
  readLiveVersion,
  temporaryLiveLinkName,
  versionDir,
  type InstallLayout,
  type PemKind,
} from './layout.js';
import { checkPostInstallCommand, DEFAULT_POST_INSTALL_TIMEOUT_MS, runPostInstallCommand, type PostInstallCommand } from './post-install.js';

/** Mode of directories install creates: only the owner may list or enter them (certbot's choice for archive/ and live/). */
const DIRECTORY_MODE = 0o700;
/** Mode of private key and PKCS#12 files. */
const SECRET_MODE = 0o600;
/** Mode of certificate files: public data, readable by a server that dropped privileges once inside the 0700 tree. */
const PUBLIC_MODE = 0o644;

/** Options of {@link install}. */
export interface InstallOptions {
  /**
   * Absolute path of the installation root, e.g. `/etc/certwizard`. It must exist. It is
   * trusted (it may itself be a link); everything install creates below it is checked. When it
   * belongs to the user install runs as and group or others may write it, it is narrowed like
   * the folders below (see {@link install}); a `baseDir` of another user is left as it is.
   */
  readonly baseDir: string;
  /** Certificate name, `[a-z0-9][a-z0-9.-]{0,63}`, e.g. `mail.example.org`: the directory under `live/` and `archive/`. */
  readonly name: string;
  /** The private key: a private KeyObject, or PEM (PKCS#8 or traditional, unencrypted). Written as PKCS#8. */
  readonly privateKey: KeyObject | string;
  /** The end-entity certificate, PEM, exactly one block. */
  readonly certificatePem: string;
  /**
   * The issuer chain, PEM, leaf excluded (a copy of the leaf is dropped), nearest issuer first.
   * May be empty when the trust anchor issued the certificate directly.
   */
  readonly chainPem: string;
  /** The CA certificate(s), PEM, that the chain must lead to (RFC 5280 §6.1 trust anchors). */
  readonly trustAnchorsPem: string;
  /** Also write a PKCS#12 bundle (`bundleN.p12`, `live/<name>/bundle.p12`), mode 0600. Default: none. */
  readonly pkcs12?: {
    /** Protects the bundle; non-empty. Never written anywhere else, never in an error. */
    readonly passphrase: string;
    /** The entry's name shown by importers. Default: `name`. */
    readonly friendlyName?: string;
    /** PBKDF2 and MAC iterations, 1,000 to 10,000,000. Default 100,000 (see `createPkcs12`). */
    readonly iterations?: number;
  };
  /**
   * Run once the new set is live, e.g. `{ argv: ['/usr/sbin/postfix', 'reload'] }`, without a
   * shell. When it fails, `live/<name>` is switched back to the previous version (if any) and
   * install rejects with `ERR_SDK_INSTALL_POST_COMMAND`. Default: none.
   */
  readonly postInstall?: PostInstallCommand;
  /**
   * Aborting before the switch removes what this attempt wrote and rejects with `ERR_SDK_ABORTED`;
   * after the switch it stops the post-install command, which counts as its failure.
   */
  readonly signal?: AbortSignal;
  /** The current time in ms since the epoch, for the validity checks. Default `Date.now`. Inject one in tests. */
  readonly now?: () => number;
  /** The file system. Default {@link nodeFileSystem}. Tests wrap it to inject failures. */
  readonly fs?: InstallFileSystem;
  /** Progress worth a log line, e.g. a folder narrowed. Never carries a secret; what it throws is ignored. */
  readonly onEvent?: (event: InstallEvent) => void;
}

/** What install writes for one version, all validated before the first byte is written. */
interface Material {
  readonly leaf: Certificate;
  readonly files: ReadonlyArray<{ kind: PemKind | 'bundle'; data: string | Uint8Array; mode: number }>;
}

/**
 * Installs a key, its certificate and chain as a new version under `baseDir`, then switches
 * `live/<name>` to it in one atomic rename(2) and runs the optional post-install command.
 *
 * Before anything is written: the certificate parses, matches the key, has not expired, and its
 * chain verifies to a trust anchor (`verifyChain`); `archive/`, `live/`, `archive/<name>/`, the
 * versioned entries in it and `live/<name>` are checked with lstat. Every folder install writes
 * into must belong to the effective uid install runs as: one of another user is refused (its
 * owner could swap the live certificate), one of ours that group or others may write loses
 * those bits first (reported as a `folder-narrowed` event), and so does `baseDir` when it is
 * ours. Where there is no uid (Windows), ownership and modes are not checked. Files are created with
 * `O_CREAT | O_EXCL | O_NOFOLLOW` (keys 0600, certificates 0644), fsynced, and their directories
 * fsynced before the switch. A failure before the switch leaves `live/<name>` untouched and
 * removes this attempt's files (best effort: leftovers only make the next version number
 * higher); a rerun takes the next number. Two installs of the same name must not run at once.
 *
 * @returns the new live version.
 * @throws {TypeError} for caller misuse: bad `name` or `baseDir`, an unreadable private key or
 *   trust anchor PEM, an empty PKCS#12 passphrase, a bad post-install command.
 * @throws {InvalidCertificateError} `ERR_SDK_INSTALL_CERTIFICATE` when the certificate or chain does not parse.
 * @throws {InstallKeyMismatchError} `ERR_SDK_INSTALL_KEY_MISMATCH` when the key is not the certificate's.
 * @throws {CertificateExpiredError} `ERR_SDK_INSTALL_EXPIRED` when the certificate has expired.
 * @throws {InstallChainError} `ERR_SDK_INSTALL_CHAIN` when the chain does not verify.
 * @throws {SymlinkRefusedError} `ERR_SDK_INSTALL_SYMLINK` when a symbolic link sits where install writes.
 * @throws {UnexpectedFileError} `ERR_SDK_INSTALL_LAYOUT` when a file or directory is in the way.
 * @throws {UnsafeFolderError} `ERR_SDK_INSTALL_UNSAFE_FOLDER` when a folder install writes into belongs to another
 *   user, or stays group/other-writable after install narrowed it; `path`, `ownerUid` and `mode` say which and why.
 * @throws {InstallIoError} `ERR_SDK_INSTALL_IO` when a file-system call fails; `step` and `liveVersion` say where and what is live.
 * @throws {PostInstallCommandError} `ERR_SDK_INSTALL_POST_COMMAND` when the command fails (rolled back when possible).
 * @throws {RegistrationAbortedError} `ERR_SDK_ABORTED` when `signal` aborts before the switch.
 * @example
 * const installed = await install({
 *   baseDir: '/etc/certwizard', name: 'mail.example.org', privateKey, certificatePem, chainPem,
 *   trustAnchorsPem: caPem, postInstall: { argv: ['/usr/sbin/postfix', 'reload'] },
 * });
 * installed.paths.fullchain; // '/etc/certwizard/live/mail.example.org/fullchain.pem'
 */
export async function install(options: InstallOptions): Promise<InstalledCertificate> {
  if (typeof options !== 'object' || options === null) throw new TypeError('install needs an options object');
  const layout = installLayout(options.baseDir, options.name);
  if (options.postInstall !== undefined) checkPostInstallCommand(options.postInstall);
  const fs = options.fs ?? nodeFileSystem;
  const { signal } = options;
  const checkAbort = () => {
    if (signal?.aborted) throw new RegistrationAbortedError('install was aborted', { cause: signal.reason });
  };
  checkAbort();
  const material = prepareMaterial(options, layout);

  let live: number | undefined;
  const guard = async <T>(step: InstallStep, path: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof InstallError) throw err;
      const errno = (err as { code?: unknown } | null)?.code;
      const code = typeof errno === 'string' ? ` (${errno})` : '';
      throw new InstallIoError(`install of "${layout.name}" failed at step ${step} on ${path}${code}`, step, path, live, { cause: err });
    }
  };

  const uid = installerUid();
  let found = await guard('inspect', layout.baseDir, () => inspect(fs, layout, uid));
  if (found.narrow.length > 0) {
    // Parents first, so that nobody else can replace a folder after it was judged; then judge
    // again, which also catches a file system that ignores chmod.
    await guard('prepare-dirs', layout.baseDir, () => narrowFolders(fs, found.narrow, options.onEvent));
    found = await guard('inspect', layout.baseDir, () => inspect(fs, layout, uid));
    const still = found.narrow[0];
    if (still !== undefined) throw writableFolderError(still, 'after install removed those bits');
  }
  live = found.liveVersion;
  const previous = live;
  const version = Math.max(found.highestArchived, previous ?? 0) + 1;
  checkAbort();

  // Created by this attempt, newest last: removed in reverse if it fails before the switch.
  const createdFiles: string[] = [];
  const createdDirs: string[] = [];
  let switched = false;
  try {
    await guard('prepare-dirs', layout.archiveDir, async () => {
      for (const [path, parent] of [
        [layout.archiveRoot, layout.baseDir],
        [layout.liveRoot, layout.baseDir],
        [layout.archiveDir, layout.archiveRoot],
      ] as const) {
        if (found.existing.has(path)) continue;
        await makeDirectory(fs, path, uid);
        await fsyncDirectory(fs, parent);
      }
    });
    await guard('clean-stale', layout.liveRoot, () => removeStaleLinks(fs, layout));

    for (const file of material.files) {
      checkAbort();
      const path = join(layout.archiveDir, archiveFileName(file.kind, version));
      await guard(`write-${file.kind === 'bundle' ? 'pkcs12' : file.kind}`, path, () =>
        writeNewFile(fs, path, file.data, file.mode, () => createdFiles.push(path)),
      );
    }

    const vDir = versionDir(layout, version);
    await guard('link-version', vDir, async () => {
      await fs.mkdir(vDir, DIRECTORY_MODE);
      createdDirs.push(vDir);
      await fs.chmod(vDir, DIRECTORY_MODE);
      for (const file of material.files) {
        const link = join(vDir, liveFileName(file.kind));
        await fs.symlink(`../${archiveFileName(file.kind, version)}`, link);
        createdFiles.push(link);
      }
    });
    await guard('fsync-archive', layout.archiveDir, async () => {
      await fsyncDirectory(fs, vDir);
      await fsyncDirectory(fs, layout.archiveDir);
    });
    checkAbort();

    const tmp = join(layout.liveRoot, temporaryLiveLinkName(layout.name, randomBytes(8).toString('hex')));
    await guard('link-tmp', tmp, async () => {
      await fs.symlink(liveLinkTarget(layout.name, version), tmp);
      createdFiles.push(tmp);
    });
    checkAbort();
    await guard('switch-live', layout.liveLink, () => fs.rename(tmp, layout.liveLink));
    switched = true;
    live = version;
  } catch (err) {
    if (!switched) await removeBestEffort(fs, createdFiles, createdDirs);
    throw err;
  }

  await guard('fsync-live', layout.liveRoot, () => fsyncDirectory(fs, layout.liveRoot));
  const installed = describeInstalled(
    layout,
    version,
    material.leaf,
    material.files.some((f) => f.kind === 'bundle'),
  );
  if (options.postInstall === undefined) return installed;

  const outcome = await runPostInstallCommand(options.postInstall, signal);
  if (outcome.ok) return installed;
  const how = outcome.timedOut
    ? `timed out after ${options.postInstall.timeoutMs ?? DEFAULT_POST_INSTALL_TIMEOUT_MS} ms`
    : outcome.error !== undefined
      ? `could not run${hasCode(outcome.error, 'ENOENT') ? ' (ENOENT)' : ''}`
      : outcome.signal !== null
        ? `was killed by ${outcome.signal}`
        : `exited with status ${outcome.exitCode}`;
  let rollbackError: unknown;
  if (previous !== undefined) {
    try {
      await guard('rollback', layout.liveLink, () => switchLive(fs, layout, previous));
      live = previous;
    } catch (err) {
      rollbackError = err;
    }
  }
  const rolledBack = previous !== undefined && rollbackError === undefined;
  const state = rolledBack
    ? `; live/${layout.name} is back on version ${previous}`
    : previous === undefined
      ? `; version ${version} stays live (there was no previous one)`
      : `; switching back to version ${previous} failed too, version ${version} stays live`;
  throw new PostInstallCommandError(
    `the post-install command ${how}${state}`,
    { exitCode: outcome.exitCode, signal: outcome.signal, timedOut: outcome.timedOut, stderr: outcome.stderr, rolledBack, liveVersion: live },
    { cause: rollbackError ?? outcome.error },
  );
}

/**
 * Validates everything and renders the files, so that a refusal happens before the first write.
 */
function prepareMaterial(options: InstallOptions, layout: InstallLayout): Material {
  const key = readPrivateKey(options.privateKey);
  const leaves = parseCertificates(options.certificatePem, 'certificatePem', 'certificate');
  if (leaves.length !== 1) {
    throw new InvalidCertificateError('certificatePem must hold exactly one certificate (the chain goes in chainPem)');
  }
  const leaf = leaves[0] as Certificate;
  // Tolerate a chain that repeats the leaf: writing it twice into fullchain.pem would confuse clients.
  const chain = parseCertificates(options.chainPem, 'chainPem', 'chain').filter((c) => !Buffer.from(c.der).equals(leaf.der));
  let anchors: Certificate[];
  try {
    anchors = parseCertificateChain(options.trustAnchorsPem);
  } catch (err) {
    throw new TypeError('trustAnchorsPem must hold one or more PEM certificates', { cause: err });
  }

  if (!certificateMatchesKey(leaf, key)) {
    throw new InstallKeyMismatchError(`the private key does not belong to the certificate for "${layout.name}"`);
  }
  const now = (options.now ?? Date.now)();
  if (now > leaf.notAfter.getTime()) {
    throw new CertificateExpiredError(`the certificate for "${layout.name}" expired at ${leaf.notAfter.toISOString()}`, leaf.notAfter);
  }
  try {
    verifyChain(leaf, { intermediates: chain, trustAnchors: anchors, at: new Date(now) });
  } catch (err) {
    if (!(err instanceof ChainVerificationError)) throw err;
    throw new InstallChainError(`the certificate for "${layout.name}" does not chain to a trust anchor: ${err.message}`, { cause: err });
  }

  const chainText = chain.map((c) => c.pem).join('');
  const files: Material['files'][number][] = [
    { kind: 'privkey', data: exportPrivateKeyPem(key), mode: SECRET_MODE },
    { kind: 'cert', data: leaf.pem, mode: PUBLIC_MODE },
    { kind: 'chain', data: chainText, mode: PUBLIC_MODE },
    { kind: 'fullchain', data: leaf.pem + chainText, mode: PUBLIC_MODE },
  ];
  if (options.pkcs12 !== undefined) {
    const { passphrase, friendlyName, iterations } = options.pkcs12;
    if (typeof passphrase !== 'string' || passphrase.length === 0) throw new TypeError('pkcs12.passphrase must be a non-empty string');
    const bundle = createPkcs12({
      privateKey: key,
      certificate: leaf.der,
      chain: chain.map((c) => c.der),
      passphrase,
      friendlyName: friendlyName ?? layout.name,
      ...(iterations !== undefined ? { iterations } : {}),
    });
    files.push({ kind: 'bundle', data: bundle, mode: SECRET_MODE });
  }
  return { leaf, files };
}

function readPrivateKey(input: KeyObject | string): KeyObject {
  if (typeof input === 'string') {
    try {
      return importPrivateKeyPem(input);
    } catch (err) {
      throw new TypeError('privateKey is not a readable unencrypted PEM private key', { cause: err });
    }
  }
  if (typeof input === 'object' && input !== null && (input as KeyObject).type === 'private') return input;
  throw new TypeError('privateKey must be a private KeyObject or PEM text');
}

/** Parses PEM certificates; the CA sent them, so a failure is a coded error, not a TypeError. */
function parseCertificates(pem: string, option: string, what: string): Certificate[] {
  if (typeof pem !== 'string') throw new TypeError(`${option} must be a string`);
  if (option === 'chainPem' && pem.trim() === '') return [];
  try {
    return parseCertificateChain(pem);
  } catch (err) {
    throw new InvalidCertificateError(`the ${what} could not be parsed`, { cause: err });
  }
}

/**
 * What is already under `baseDir`, and which folders of ours need narrowing (parents first);
 * throws the refusals. Writes nothing, so a refusal leaves every folder as it was.
 */
async function inspect(fs: InstallFileSystem, layout: InstallLayout, uid: number | undefined) {
  const existing = new Set<string>();
  const narrow: FolderNarrowing[] = [];
  const folder = async (path: string) => {
    const stats = await checkDirectory(fs, path);
    if (stats === undefined) return;
    existing.add(path);
    const narrowing = judgeFolder(path, stats, uid);
    if (narrowing !== undefined) narrow.push(narrowing);
  };
  if (uid !== undefined) {
    // baseDir may be a link (it is trusted): "/." makes lstat describe the folder it leads to.
    // Another user's baseDir is theirs to keep as it is; ours must not let others replace archive/ or live/.
    const base = await fs.lstat(`${layout.baseDir}/.`);
    const narrowing = base.uid === uid ? judgeFolder(layout.baseDir, base, uid) : undefined;
    if (narrowing !== undefined) narrow.push(narrowing);
  }
  await folder(layout.archiveRoot);
  await folder(layout.liveRoot);
  if (existing.has(layout.archiveRoot)) await folder(layout.archiveDir);
  const liveVersion = existing.has(layout.liveRoot) ? await readLiveVersion(fs, layout) : undefined;
  const highestArchived = existing.has(layout.archiveDir) ? await highestArchivedVersion(fs, layout.archiveDir) : 0;
  return { existing, narrow, liveVersion, highestArchived };
}

/** chmod of each folder, in order (parents first), reporting each one. */
async function narrowFolders(fs: InstallFileSystem, narrow: readonly FolderNarrowing[], onEvent: InstallOptions['onEvent']): Promise<void> {
  for (const { path, modeBefore, modeAfter } of narrow) {
    await fs.chmod(path, modeAfter);
    try {
      onEvent?.({ type: 'folder-narrowed', path, modeBefore, modeAfter });
    } catch {
      // A broken log must not break the installation.
    }
  }
}

/** mkdir 0700, then chmod, because mkdir's mode is reduced by the umask. */
async function makeDirectory(fs: InstallFileSystem, path: string, uid: number | undefined): Promise<void> {
  try {
    await fs.mkdir(path, DIRECTORY_MODE);
  } catch (err) {
    if (!hasCode(err, 'EEXIST')) throw err;
    // Raced by another process: accept a directory of ours that only we can write; refuse a
    // link, and a folder someone else made meanwhile.
    const stats = await checkDirectory(fs, path);
    if (stats === undefined) throw err;
    const narrowing = judgeFolder(path, stats, uid);
    if (narrowing !== undefined) throw writableFolderError(narrowing, 'and it appeared while install was creating it');
    return;
  }
  await fs.chmod(path, DIRECTORY_MODE);
}

/** Removes temporary live links of this name left by a killed run; they are harmless but clutter live/. */
async function removeStaleLinks(fs: InstallFileSystem, layout: InstallLayout): Promise<void> {
  for (const entry of await fs.readdir(layout.liveRoot)) {
    if (!isTemporaryLiveLink(layout.name, entry)) continue;
    const path = join(layout.liveRoot, entry);
    if ((await fs.lstat(path)).isSymbolicLink()) await fs.unlink(path);
  }
}

/**
 * Creates `path` (never an existing name, never through a link), writes, fixes the mode, fsyncs.
 * `onCreated` runs as soon as the name exists, so a failure later still gets it removed.
 */
async function writeNewFile(fs: InstallFileSystem, path: string, data: string | Uint8Array, mode: number, onCreated: () => void): Promise<void> {
  let handle: InstallFileHandle;
  try {
    handle = await fs.open(path, CREATE_FLAGS, mode);
  } catch (err) {
    if (
      hasCode(err, 'ELOOP') ||
      (hasCode(err, 'EEXIST') &&
        (await fs.lstat(path).then(
          (s) => s.isSymbolicLink(),
          () => false,
        )))
    ) {
      throw new SymlinkRefusedError(`refusing to write ${path}: a symbolic link is there`, path);
    }
    throw err;
  }
  onCreated();
  try {
    await handle.writeFile(data);
    await handle.chmod(mode);
    await handle.sync();
  } catch (err) {
    await handle.close().catch(() => undefined);
    throw err;
  }
  await handle.close();
}

/** fsync(2) of a directory, so that the entries just created or renamed in it are on disk. */
async function fsyncDirectory(fs: InstallFileSystem, path: string): Promise<void> {
  const handle = await fs.open(path, DIRECTORY_FLAGS);
  try {
    await handle.sync();
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/** Points `live/<name>` at version `n` with one rename(2), then makes it durable. */
async function switchLive(fs: InstallFileSystem, layout: InstallLayout, n: number): Promise<void> {
  const tmp = join(layout.liveRoot, temporaryLiveLinkName(layout.name, randomBytes(8).toString('hex')));
  await fs.symlink(liveLinkTarget(layout.name, n), tmp);
  try {
    await fs.rename(tmp, layout.liveLink);
  } catch (err) {
    await fs.unlink(tmp).catch(() => undefined);
    throw err;
  }
  await fsyncDirectory(fs, layout.liveRoot);
}

/** Undoes an attempt that failed before the switch. Failures are ignored: a leftover only raises the next version number. */
async function removeBestEffort(fs: InstallFileSystem, files: readonly string[], dirs: readonly string[]): Promise<void> {
  for (const path of [...files].reverse()) await fs.unlink(path).catch(() => undefined);
  for (const path of [...dirs].reverse()) await fs.rmdir(path).catch(() => undefined);
}
