/**
 * Where the commands keep and find the CA's secrets (the installation token, an ssl_api client
 * hash): `--credentials-dir DIR` (a 0600 file store), else the OS keychain, as `enroll` chose.
 */
import { confirm } from '@inquirer/prompts';
import { isSdkError, openCredentialStore, openFileStore, type CredentialStore } from '@certwizard/sdk';
import type { CliIo } from './terminal.js';

/**
 * The credential store: `--credentials-dir` when given, else the OS keychain. Without a keychain
 * a person on a terminal is offered a file store in `fileStoreDir` (a 0700 folder, 0600 files);
 * without a terminal it fails, before any question, with what to pass.
 * @throws the SDK's `ERR_SDK_KEYCHAIN_UNAVAILABLE` (and the file store's errors).
 */
export async function openCredentials(flag: string | undefined, fileStoreDir: string, io: CliIo, ask: boolean): Promise<CredentialStore> {
  if (flag !== undefined) return openFileStore({ dir: flag });
  try {
    return await openCredentialStore({ service: 'certwizard' });
  } catch (error) {
    if (!ask || !isSdkError(error, 'ERR_SDK_KEYCHAIN_UNAVAILABLE')) throw error;
    const useFile = await confirm(
      {
        message: `This machine has no keychain to keep the CA's installation token in. Keep it in a file only you can read, in ${fileStoreDir}?`,
        default: true,
      },
      { input: io.stdin, output: io.stderr },
    );
    if (!useFile) throw error;
    return openFileStore({ dir: fileStoreDir });
  }
}
