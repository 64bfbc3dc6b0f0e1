/**
 * Chooses where the SDK keeps credentials: the OS keychain, or, only when the vendor asked for
 * it explicitly, the file store.
 *
 * @packageDocumentation
 */
import type { CredentialStore } from './credential-store.js';
import { KeychainUnavailableError } from './errors.js';
import { openFileStore } from './file-store.js';
import { openKeychainStore } from './keychain-store.js';

/** Options of {@link openCredentialStore}. */
export interface OpenCredentialStoreOptions {
  /** Keychain service name, e.g. `certwizard:<vendor>` (1 to 256 printable ASCII characters). */
  service: string;
  /**
   * The explicit opt-in to the file store, used only when no keychain is available. Without it,
   * a machine without a keychain is an error: secrets are never written to disk silently.
   */
  fallback?: {
    /** Folder of `credentials.json` (see {@link openFileStore}). */
    fileStoreDir: string;
  };
  /** Bound of the keychain probe, in milliseconds. Default 10 000. */
  probeTimeoutMs?: number;
  /** Aborts the opening: the promise rejects with `signal.reason`. */
  signal?: AbortSignal;
}

/**
 * Opens the credential store: the OS keychain when one works (probed, see
 * {@link openKeychainStore}), else the file store when `fallback.fileStoreDir` is given, else it
 * fails closed.
 *
 * @param options - keychain service, optional file-store fallback, probe bound, abort signal
 * @returns a store whose `kind` says which one was opened
 * @throws TypeError on invalid options
 * @throws {@link KeychainUnavailableError} `ERR_SDK_KEYCHAIN_UNAVAILABLE` when there is no
 *   keychain and no `fallback`; `cause` is the platform's error
 * @throws {@link CredentialsUnsafeError} `ERR_SDK_CREDENTIALS_UNSAFE` /
 *   {@link CredentialsCorruptError} `ERR_SDK_CREDENTIALS_CORRUPT` from the file store
 *
 * @example
 * ```ts
 * const store = await openCredentialStore({
 *   service: 'certwizard:acme-widgets',
 *   // only where the vendor accepts a 0600 file on headless machines:
 *   fallback: { fileStoreDir: '/var/lib/acme-widgets/credentials' },
 * });
 * await store.set(`installation-token:${caOrigin}`, token);
 * ```
 */
export async function openCredentialStore(options: OpenCredentialStoreOptions): Promise<CredentialStore> {
  const { service, fallback, probeTimeoutMs, signal } = options;
  if (
    fallback !== undefined &&
    (typeof fallback !== 'object' || fallback === null || typeof fallback.fileStoreDir !== 'string' || fallback.fileStoreDir === '')
  ) {
    // Checked before the keychain: a broken opt-in should not surface only on keychain-less machines.
    throw new TypeError('fallback.fileStoreDir must be a non-empty string');
  }
  try {
    return await openKeychainStore({ service, probeTimeoutMs, signal });
  } catch (error) {
    if (!(error instanceof KeychainUnavailableError)) throw error;
    if (fallback === undefined) {
      throw new KeychainUnavailableError(
        `${error.message}. Credentials are kept only in the OS keychain unless the vendor opts ` +
          'into the file store explicitly with the `fallback: { fileStoreDir }` option of openCredentialStore()',
        { cause: error.cause },
      );
    }
    return openFileStore({ dir: fallback.fileStoreDir, signal });
  }
}
