/**
 * The OS keychain as a {@link CredentialStore}, through `@napi-rs/keyring` (keyring-rs):
 * Keychain Services on macOS, Credential Manager on Windows, the Secret Service (D-Bus) on Linux.
 *
 * @packageDocumentation
 */
import { randomBytes } from 'node:crypto';
import { AsyncEntry, type EntryOptions } from '@napi-rs/keyring';
import type { CredentialOperationOptions, CredentialStore } from './credential-store.js';
import { CredentialStoreError, KeychainUnavailableError, type CredentialOperation } from './errors.js';
import { raceAbort } from './race-abort.js';
import { assertCredentialKey, assertSecret } from './validate-credential.js';

/** Default bound of the probe run by {@link openKeychainStore}, in milliseconds. */
export const DEFAULT_KEYCHAIN_PROBE_TIMEOUT_MS = 10_000;

// On Linux keyring-rs otherwise falls back from the Secret Service to the kernel keyring
// (keyutils), which lives in memory only: an installation token stored there is gone after a
// reboot, silently. Pinning the Secret Service makes "no keychain" fail closed instead. The
// option is ignored on macOS and Windows.
const ENTRY_OPTIONS: EntryOptions = { linux: { store: 'secret-service' } };

// The probe's account name: recognisable in a keychain browser should a crash leave one behind.
const PROBE_ACCOUNT_PREFIX = 'certwizard-probe:';

/** Options of {@link openKeychainStore}. */
export interface KeychainStoreOptions {
  /**
   * The keychain service every entry is filed under, e.g. `certwizard:<vendor>`; keys become the
   * entries' account names. 1 to 256 printable ASCII characters.
   */
  service: string;
  /** Bound of the opening probe, in milliseconds. Default {@link DEFAULT_KEYCHAIN_PROBE_TIMEOUT_MS}. */
  probeTimeoutMs?: number;
  /** Aborts the probe: the promise rejects with `signal.reason`. */
  signal?: AbortSignal;
}

/**
 * Opens the OS keychain, after proving it works: a random probe entry is written, read back and
 * deleted. A keychain that merely loads (a library without a daemon behind it, a locked
 * collection) would otherwise only fail later, when the installation token has to be saved.
 *
 * @param options - service name, probe bound, abort signal
 * @returns a store of kind `keychain`
 * @throws TypeError when `service` or `probeTimeoutMs` is invalid
 * @throws {@link KeychainUnavailableError} `ERR_SDK_KEYCHAIN_UNAVAILABLE` when there is no usable
 *   keychain (e.g. no session bus or no Secret Service on Linux); `cause` is the platform's error
 *
 * @example
 * ```ts
 * const store = await openKeychainStore({ service: 'certwizard:acme-widgets' });
 * await store.set('installation-token:https://ca.example', token);
 * ```
 */
export async function openKeychainStore(options: KeychainStoreOptions): Promise<CredentialStore> {
  const { service, probeTimeoutMs = DEFAULT_KEYCHAIN_PROBE_TIMEOUT_MS, signal } = options;
  assertCredentialKey(service, 'service');
  if (!Number.isInteger(probeTimeoutMs) || probeTimeoutMs <= 0) {
    throw new TypeError('probeTimeoutMs must be a positive integer (milliseconds)');
  }
  signal?.throwIfAborted();

  const timeout = AbortSignal.timeout(probeTimeoutMs);
  try {
    await raceAbort(probe(service), signal ? AbortSignal.any([signal, timeout]) : timeout);
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    throw new KeychainUnavailableError(
      timeout.aborted
        ? `the OS keychain did not answer within ${probeTimeoutMs} ms`
        : 'the OS keychain is not available (on Linux: no Secret Service on the session bus)',
      { cause: error },
    );
  }
  return new KeychainStore(service);
}

async function probe(service: string): Promise<void> {
  // Random name and value: two processes probing at once never see each other's entry, and a
  // keychain that hands back stale or foreign data fails the comparison.
  const entry = new AsyncEntry(service, PROBE_ACCOUNT_PREFIX + randomBytes(8).toString('hex'), ENTRY_OPTIONS);
  const value = randomBytes(16).toString('hex');
  await entry.setPassword(value);
  try {
    const read = await entry.getPassword();
    if (read !== value) throw new Error('the keychain returned a different value than was stored');
  } finally {
    await entry.deletePassword();
  }
}

class KeychainStore implements CredentialStore {
  readonly kind = 'keychain';
  readonly #service: string;

  constructor(service: string) {
    this.#service = service;
  }

  async get(key: string, options: CredentialOperationOptions = {}): Promise<string | undefined> {
    assertCredentialKey(key);
    const password = await this.#call('get', (entry, signal) => entry.getPassword(signal), key, options.signal);
    return password ?? undefined;
  }

  async set(key: string, secret: string, options: CredentialOperationOptions = {}): Promise<void> {
    assertCredentialKey(key);
    assertSecret(secret);
    await this.#call('set', (entry, signal) => entry.setPassword(secret, signal), key, options.signal);
  }

  async delete(key: string, options: CredentialOperationOptions = {}): Promise<boolean> {
    assertCredentialKey(key);
    return this.#call('delete', (entry, signal) => entry.deletePassword(signal), key, options.signal);
  }

  async #call<T>(
    operation: CredentialOperation,
    run: (entry: AsyncEntry, signal: AbortSignal | undefined) => Promise<T>,
    key: string,
    signal: AbortSignal | undefined,
  ): Promise<T> {
    signal?.throwIfAborted();
    try {
      return await raceAbort(run(new AsyncEntry(this.#service, key, ENTRY_OPTIONS), signal), signal);
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      // The key is an account name, not a secret; the platform's error names the failure only.
      throw new CredentialStoreError(`keychain ${operation} of "${key}" failed`, operation, { cause: error });
    }
  }
}
