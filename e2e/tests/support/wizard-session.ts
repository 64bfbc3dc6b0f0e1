/**
 * The installer's side of the wizard e2e suite: startWizard() in the test process, against the
 * `ca` fixture's real CA, with a temporary folder for the certificates and a file credential
 * store. Short poll intervals, so that waits are noticed within a second.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openFileStore } from '@certwizard/sdk';
import { startWizard, type RunningWizard, type StartWizardOptions } from '@certwizard/wizard';
import type { TestCa } from './fixtures.js';

/** ExampleMail's logo (an "E" on a blue square), as a vendor passes it: a data URL. */
const LOGO =
  'data:image/svg+xml;base64,PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53My5vcmcvMjAwMC9zdmciIHZpZXdCb3g9IjAgMCA0MCA0MCI+PHJlY3Qgd2lkdGg9IjQwIiBoZWlnaHQ9IjQwIiByeD0iOCIgZmlsbD0iIzBiNTdkMCIvPjxwYXRoIGQ9Ik0xMCAxMmgxNHY0SDE1djNoOHY0aC04djNoOXY0SDEweiIgZmlsbD0iI2ZmZiIvPjwvc3ZnPg==';

const FAST = { pollIntervalMs: 200, maxPollIntervalMs: 500, timeoutMs: 45_000 };

/** A wizard started for one test. */
export interface WizardUnderTest {
  readonly wizard: RunningWizard;
  /** The CA certificate the wizard trusts (PEM), for openssl. */
  readonly caPem: string;
  /** The test's temporary folder (certificates under `certs/`). */
  readonly dir: string;
  close(): Promise<void>;
}

/** Starts the wizard for ExampleMail against `ca`; `options` override the defaults. */
export async function startWizardFor(ca: TestCa, options: Partial<StartWizardOptions> = {}): Promise<WizardUnderTest> {
  const dir = mkdtempSync(join(tmpdir(), 'certwizard-e2e-wizard-'));
  const caPem = await (await fetch(`${ca.url}/ca.pem`)).text();
  try {
    const wizard = await startWizard({
      vendor: { name: 'ExampleMail', logo: LOGO },
      caUrl: ca.url,
      trustAnchorsPem: caPem,
      baseDir: join(dir, 'certs'),
      name: 'mail',
      credentials: await openFileStore({ dir: join(dir, 'secrets') }),
      caAccountUrl: `${ca.url}/login`,
      enroll: {
        registration: { pollIntervalMs: FAST.pollIntervalMs, maxPollIntervalMs: FAST.maxPollIntervalMs },
        verification: FAST,
        waiting: FAST,
      },
      ...options,
    });
    return {
      wizard,
      caPem,
      dir,
      close: async () => {
        await wizard.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}
