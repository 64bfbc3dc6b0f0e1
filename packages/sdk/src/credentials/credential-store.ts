/**
 * The one interface both credential stores implement: the OS keychain
 * ({@link openKeychainStore}) and the explicitly chosen file store ({@link openFileStore}).
 *
 * @packageDocumentation
 */

/** Options of one store operation. */
export interface CredentialOperationOptions {
  /**
   * Aborts the operation: the promise rejects with `signal.reason`. A keychain call already
   * handed to the platform may still complete in the background.
   */
  signal?: AbortSignal;
}

/** Where a store keeps its secrets. */
export type CredentialStoreKind = 'keychain' | 'file';

/**
 * Secrets by key. Keys are printable ASCII of at most 256 characters, by convention
 * `installation-token:<CA origin>` or `password:<CA origin>`; a secret is a non-empty string.
 * Secrets never appear in an error, a log line or argv.
 *
 * @example
 * ```ts
 * const store = await openCredentialStore({ service: 'certwizard:acme-widgets' });
 * await store.set(`installation-token:${caOrigin}`, token);
 * const again = await store.get(`installation-token:${caOrigin}`);
 * ```
 */
export interface CredentialStore {
  /** `keychain` for the OS keychain, `file` for the explicit file store. */
  readonly kind: CredentialStoreKind;
  /**
   * Reads a secret.
   *
   * @returns the secret, or `undefined` when none is stored under `key`
   * @throws TypeError when `key` is not a valid key
   * @throws {@link CredentialStoreError} `ERR_SDK_CREDENTIAL_STORE_FAILED` when the store fails
   */
  get(key: string, options?: CredentialOperationOptions): Promise<string | undefined>;
  /**
   * Stores (or replaces) a secret.
   *
   * @throws TypeError when `key` or `secret` is not valid
   * @throws {@link CredentialStoreError} `ERR_SDK_CREDENTIAL_STORE_FAILED` when the store fails
   */
  set(key: string, secret: string, options?: CredentialOperationOptions): Promise<void>;
  /**
   * Removes a secret.
   *
   * @returns `true` when a secret was removed, `false` when there was none
   * @throws TypeError when `key` is not a valid key
   * @throws {@link CredentialStoreError} `ERR_SDK_CREDENTIAL_STORE_FAILED` when the store fails
   */
  delete(key: string, options?: CredentialOperationOptions): Promise<boolean>;
}
