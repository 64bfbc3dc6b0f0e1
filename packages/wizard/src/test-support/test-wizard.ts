/**
 * Test support: a wizard on 127.0.0.1 port 0 with a temporary folder for its certificates and a
 * file credential store, closed and removed by `dispose()`. Not part of the package's build.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openFileStore } from '@certwizard/sdk';
import { startWizard, type RunningWizard } from '../start-wizard.js';
import type { StartWizardOptions } from '../options.js';

/** A 1×1 PNG, as a vendor's logo. */
export const TINY_PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64');

/** A self-signed certificate's PEM shape: enough for the option check when no run reaches a CA. */
export const PLACEHOLDER_ANCHOR = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

/** A started wizard and its folder. */
export interface TestWizard {
  readonly wizard: RunningWizard;
  readonly dir: string;
  /** Closes the wizard and removes its folder. */
  dispose(): Promise<void>;
  /** Closes the wizard only: its folder stays for the next one. */
  close(): Promise<void>;
}

/**
 * Starts a wizard; `options` override the defaults (a CA URL nothing listens on, a placeholder
 * trust anchor), so a test that never runs `enroll()` needs no CA. `reuse` takes over the folder
 * (certificates, state, credentials) of an earlier wizard, as an installer started again would.
 */
export async function startTestWizard(options: Partial<StartWizardOptions> = {}, reuse?: TestWizard): Promise<TestWizard> {
  const dir = reuse?.dir ?? mkdtempSync(join(tmpdir(), 'certwizard-wizard-'));
  try {
    const wizard = await startWizard({
      vendor: { name: 'ExampleMail', logo: { data: TINY_PNG, contentType: 'image/png' } },
      details: { firstName: 'Ada', lastName: 'Lovelace', email: 'ada@example.org' },
      caUrl: 'http://127.0.0.1:9',
      trustAnchorsPem: PLACEHOLDER_ANCHOR,
      baseDir: join(dir, 'certs'),
      name: 'mail',
      credentials: await openFileStore({ dir: join(dir, 'secrets') }),
      ...options,
    });
    return {
      wizard,
      dir,
      dispose: async () => {
        await wizard.close();
        rmSync(dir, { recursive: true, force: true });
      },
      close: () => wizard.close(),
    };
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}
