/**
 * Reads back what is live under a name, for `certwizard list` and for checks after a crash.
 */
import { join } from 'node:path';
import { certificateMatchesKey, importPrivateKeyPem, parseCertificate } from '@certwizard/pki';
import { InstallError, InstallIoError, InstallKeyMismatchError, InvalidCertificateError } from './errors.js';
import { nodeFileSystem, type InstallFileSystem } from './file-system.js';
import { describeInstalled, type InstalledCertificate } from './installed-certificate.js';
import { checkDirectory, hasCode, installLayout, liveFileName, readLiveVersion, versionDir } from './layout.js';

/** Options of {@link readInstalled}. */
export interface ReadInstalledOptions {
  /** The file system. Default {@link nodeFileSystem}. */
  readonly fs?: InstallFileSystem;
}

/**
 * What `live/<name>` under `baseDir` holds now, or `undefined` when nothing was installed under
 * that name. The files are read through `archive/<name>/vN/` (N read once from the live link), so
 * that an install switching versions meanwhile cannot make this read a mixed set.
 *
 * @throws {TypeError} for a bad `name` or `baseDir`.
 * @throws {SymlinkRefusedError} `ERR_SDK_INSTALL_SYMLINK` when `live/<name>` links outside `archive/<name>/`.
 * @throws {SymlinkRefusedError} `ERR_SDK_INSTALL_SYMLINK` also when `archive/<name>/vN` is a link.
 * @throws {UnexpectedFileError} `ERR_SDK_INSTALL_LAYOUT` when `live/<name>` is not a link, or `vN` not a directory.
 * @throws {InvalidCertificateError} `ERR_SDK_INSTALL_CERTIFICATE` when the live certificate does not parse.
 * @throws {InstallKeyMismatchError} `ERR_SDK_INSTALL_KEY_MISMATCH` when the live key is not the certificate's.
 * @throws {InstallIoError} `ERR_SDK_INSTALL_IO` (step `inspect`) when a file cannot be read.
 * @example
 * const live = await readInstalled('/etc/certwizard', 'mail.example.org');
 * if (live) console.log(live.version, live.notAfter.toISOString(), live.names.join(', '));
 */
export async function readInstalled(baseDir: string, name: string, options: ReadInstalledOptions = {}): Promise<InstalledCertificate | undefined> {
  const layout = installLayout(baseDir, name);
  const fs = options.fs ?? nodeFileSystem;
  let version: number | undefined;
  try {
    version = await readLiveVersion(fs, layout);
    if (version === undefined) return undefined;
    const dir = versionDir(layout, version);
    // The live link was checked; the version directory it names must be ours too, not a planted link.
    await checkDirectory(fs, dir);
    const certPem = (await fs.readFile(join(dir, liveFileName('cert')))).toString('utf8');
    const keyPem = (await fs.readFile(join(dir, liveFileName('privkey')))).toString('utf8');
    const hasPkcs12 = await fs.lstat(join(dir, liveFileName('bundle'))).then(
      () => true,
      (err: unknown) => {
        if (hasCode(err, 'ENOENT')) return false;
        throw err;
      },
    );
    let leaf;
    try {
      leaf = parseCertificate(certPem);
    } catch (err) {
      throw new InvalidCertificateError(`the live certificate of "${name}" (version ${version}) does not parse`, { cause: err });
    }
    let key;
    try {
      key = importPrivateKeyPem(keyPem);
    } catch (err) {
      throw new InstallKeyMismatchError(`the live private key of "${name}" (version ${version}) does not parse`, { cause: err });
    }
    if (!certificateMatchesKey(leaf, key)) {
      throw new InstallKeyMismatchError(`the live private key of "${name}" (version ${version}) does not belong to its certificate`);
    }
    return describeInstalled(layout, version, leaf, hasPkcs12);
  } catch (err) {
    if (err instanceof InstallError || err instanceof TypeError) throw err;
    throw new InstallIoError(`reading the live set of "${name}" failed`, 'inspect', layout.liveLink, version, { cause: err });
  }
}
