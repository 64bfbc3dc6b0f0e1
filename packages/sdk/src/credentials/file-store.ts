/**
 * The file store: the fallback a vendor opts into explicitly where no OS keychain exists
 * (headless servers, containers). One `credentials.json`, mode 0600, in a folder of mode 0700.
 *
 * @packageDocumentation
 */
import { randomBytes } from 'node:crypto';
import { constants, type Stats } from 'node:fs';
import { lstat, mkdir, open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { CredentialOperationOptions, CredentialStore } from './credential-store.js';
import { CredentialsCorruptError, CredentialStoreError, CredentialsUnsafeError, type CredentialOperation } from './errors.js';
import { assertCredentialKey, assertSecret } from './validate-credential.js';

/** Name of the file inside the store's folder. */
export const CREDENTIALS_FILE_NAME = 'credentials.json';

const FILE_FORMAT_VERSION = 1;

// POSIX permission bits mean nothing on Windows (stat reports 0o666 for every file); there the
// folder's ACL, normally the user profile's, is what protects the file.
const CHECK_MODES = process.platform !== 'win32';

/** Options of {@link openFileStore}. */
export interface FileStoreOptions {
  /**
   * Folder of `credentials.json`, created with mode 0700 (parents included) when missing. It
   * must not be a symlink, must belong to the current user, and must have no group/other
   * permission bits.
   */
  dir: string;
  /** Aborts the opening: the promise rejects with `signal.reason`. */
  signal?: AbortSignal;
}

interface CredentialsFile {
  version: typeof FILE_FORMAT_VERSION;
  credentials: Record<string, string>;
}

/**
 * Opens (creating when missing) the file store in `options.dir`. Only for vendors who chose it
 * explicitly: the secrets are protected by file permissions alone, not encrypted.
 *
 * Every operation checks the folder and the file again, so a symlink or a `chmod` that appears
 * after opening is refused too. Writes are atomic: a temporary file (created exclusively, mode
 * 0600, in the same folder) is written and fsynced, renamed over `credentials.json`, and the
 * folder is fsynced, so a crash leaves either the old or the new file, never half of one.
 * Operations on one store object are serialised; two processes writing the same folder at the
 * same moment can lose one update (the file stays valid).
 *
 * @param options - folder, abort signal
 * @returns a store of kind `file`
 * @throws TypeError when `dir` is not a non-empty string
 * @throws {@link CredentialsUnsafeError} `ERR_SDK_CREDENTIALS_UNSAFE` when the folder or the file
 *   is a symlink, has group/other permission bits, belongs to another user, or is of the wrong kind
 * @throws {@link CredentialsCorruptError} `ERR_SDK_CREDENTIALS_CORRUPT` when the file is not a
 *   credentials file
 *
 * @example
 * ```ts
 * const store = await openFileStore({ dir: '/var/lib/acme-widgets/credentials' });
 * await store.set('installation-token:https://ca.example', token);
 * ```
 */
export async function openFileStore(options: FileStoreOptions): Promise<CredentialStore> {
  const { dir, signal } = options;
  if (typeof dir !== 'string' || dir.length === 0) throw new TypeError('dir must be a non-empty string');
  signal?.throwIfAborted();
  try {
    // mode applies to every folder mkdir creates here; an existing folder is checked, not changed.
    await mkdir(dir, { recursive: true, mode: 0o700 });
  } catch (error) {
    // EEXIST: something that is not a folder (a dangling symlink, a file) holds the name; the
    // check below refuses it with a precise reason.
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const store = new FileStore(dir);
  // Reading once proves the folder, the file and its content are acceptable before any secret
  // is handed over.
  await store.readAll();
  signal?.throwIfAborted();
  return store;
}

class FileStore implements CredentialStore {
  readonly kind = 'file';
  readonly #dir: string;
  readonly #file: string;
  // Tail of the queue of operations: each waits for the previous one, so a read-modify-write
  // never interleaves with another and the last `set` called is the last one written.
  #queue: Promise<unknown> = Promise.resolve();

  constructor(dir: string) {
    this.#dir = dir;
    this.#file = join(dir, CREDENTIALS_FILE_NAME);
  }

  get(key: string, options: CredentialOperationOptions = {}): Promise<string | undefined> {
    assertCredentialKey(key);
    return this.#serialise('get', options.signal, async () => {
      const { credentials } = await this.readAll();
      return Object.hasOwn(credentials, key) ? credentials[key] : undefined;
    });
  }

  set(key: string, secret: string, options: CredentialOperationOptions = {}): Promise<void> {
    assertCredentialKey(key);
    assertSecret(secret);
    return this.#serialise('set', options.signal, async () => {
      const file = await this.readAll();
      file.credentials[key] = secret;
      await this.#writeAll(file);
    });
  }

  delete(key: string, options: CredentialOperationOptions = {}): Promise<boolean> {
    assertCredentialKey(key);
    return this.#serialise('delete', options.signal, async () => {
      const file = await this.readAll();
      if (!Object.hasOwn(file.credentials, key)) return false;
      delete file.credentials[key];
      await this.#writeAll(file);
      return true;
    });
  }

  #serialise<T>(operation: CredentialOperation, signal: AbortSignal | undefined, run: () => Promise<T>): Promise<T> {
    const result = this.#queue.then(async () => {
      // Checked when the operation's turn comes, not earlier: an aborted operation never starts,
      // and one that has started (possibly mid-rename) is left to finish.
      signal?.throwIfAborted();
      try {
        return await run();
      } catch (error) {
        if (error instanceof CredentialsUnsafeError || error instanceof CredentialsCorruptError) throw error;
        throw new CredentialStoreError(`file store ${operation} failed`, operation, { cause: error });
      }
    });
    this.#queue = result.catch(() => {});
    return result;
  }

  /** Reads and checks the whole file; a missing file is an empty store. */
  async readAll(): Promise<CredentialsFile> {
    await this.#checkDir();
    let handle: FileHandle;
    try {
      // O_NOFOLLOW: a symlink planted at the file's name fails with ELOOP instead of being read.
      handle = await open(this.#file, constants.O_RDONLY | constants.O_NOFOLLOW);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return { version: FILE_FORMAT_VERSION, credentials: emptyCredentials() };
      if (code === 'ELOOP') throw new CredentialsUnsafeError(`${this.#file} is a symlink`, this.#file, 'symlink');
      throw error;
    }
    try {
      // fstat on the open handle: the checks apply to the very file that is read.
      checkOwnerAndMode(await handle.stat(), this.#file, 'file');
      return parseCredentialsFile(await handle.readFile('utf8'), this.#file);
    } finally {
      await handle.close();
    }
  }

  async #checkDir(): Promise<void> {
    // lstat, not stat: a symlinked folder is refused even when its target would pass.
    checkOwnerAndMode(await lstat(this.#dir), this.#dir, 'directory');
  }

  async #writeAll(file: CredentialsFile): Promise<void> {
    const temp = join(this.#dir, `.${CREDENTIALS_FILE_NAME}.${randomBytes(8).toString('hex')}.tmp`);
    // O_EXCL + O_NOFOLLOW: never reuse or follow something already at the temporary name.
    const handle = await open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    try {
      try {
        // The umask can only remove bits from 0600; chmod makes sure the owner can read it back.
        if (CHECK_MODES) await handle.chmod(0o600);
        await handle.writeFile(`${JSON.stringify(file, null, 2)}\n`, 'utf8');
        await handle.sync();
      } finally {
        await handle.close();
      }
      // rename replaces the name itself: a symlink at credentials.json would be replaced, not
      // followed (readAll has already refused one anyway).
      await rename(temp, this.#file);
    } catch (error) {
      await unlink(temp).catch(() => {});
      throw error;
    }
    await syncDir(this.#dir);
  }
}

// Makes the rename durable: without it a crash can bring back the old directory entry.
async function syncDir(dir: string): Promise<void> {
  if (process.platform === 'win32') return; // folders cannot be opened for fsync there
  const handle = await open(dir, constants.O_RDONLY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function checkOwnerAndMode(stats: Stats, path: string, want: 'directory' | 'file'): void {
  if (stats.isSymbolicLink()) throw new CredentialsUnsafeError(`${path} is a symlink`, path, 'symlink');
  if (want === 'directory' ? !stats.isDirectory() : !stats.isFile()) {
    throw new CredentialsUnsafeError(`${path} is not a ${want}`, path, want === 'directory' ? 'not-a-directory' : 'not-a-file');
  }
  if (!CHECK_MODES) return;
  if (stats.uid !== process.getuid?.()) {
    throw new CredentialsUnsafeError(`${path} belongs to another user`, path, 'owner');
  }
  if ((stats.mode & 0o077) !== 0) {
    const octal = (stats.mode & 0o777).toString(8).padStart(4, '0');
    const wanted = want === 'directory' ? '0700' : '0600';
    throw new CredentialsUnsafeError(`${path} has mode ${octal}: group/other bits must be clear (${wanted})`, path, 'permissions');
  }
}

function parseCredentialsFile(text: string, path: string): CredentialsFile {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // The SyntaxError is dropped on purpose: its message quotes the file's text.
    throw new CredentialsCorruptError(`${path} is not valid JSON`, path);
  }
  if (
    typeof parsed !== 'object' ||
    parsed === null ||
    (parsed as { version?: unknown }).version !== FILE_FORMAT_VERSION ||
    typeof (parsed as { credentials?: unknown }).credentials !== 'object' ||
    (parsed as { credentials?: unknown }).credentials === null ||
    Array.isArray((parsed as { credentials?: unknown }).credentials) ||
    !Object.values((parsed as { credentials: object }).credentials).every((v) => typeof v === 'string')
  ) {
    throw new CredentialsCorruptError(`${path} is not a version ${FILE_FORMAT_VERSION} credentials file`, path);
  }
  const credentials = emptyCredentials();
  Object.assign(credentials, (parsed as { credentials: Record<string, string> }).credentials);
  return { version: FILE_FORMAT_VERSION, credentials };
}

// Null prototype: a key such as "__proto__" (printable ASCII, so valid) is an ordinary entry.
function emptyCredentials(): Record<string, string> {
  return Object.create(null) as Record<string, string>;
}
