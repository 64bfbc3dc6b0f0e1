/**
 * Playwright fixtures: a real reference CA per test (in-process, 127.0.0.1 port 0, SQLite in a
 * temporary directory, its dev mailbox) with a clock the test can move forward.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test as base } from '@playwright/test';
import { buildServeConfig, createIdentity, loadIdentity, silentLogger, startCa } from '@certwizard/server-reference';

/** A mail as the dev mailbox lists it. */
export interface Mail {
  readonly id: number;
  readonly to: string;
  readonly subject: string;
  readonly text: string;
}

/** What the `ca` fixture gives a test. */
export interface TestCa {
  readonly url: string;
  /** Mails sent to `to`, newest first. */
  mailbox(to: string): Promise<Mail[]>;
  /** The confirmation link of the newest mail to `to`, waiting (bounded) for it to arrive. */
  confirmationLink(to: string): Promise<string>;
  /** Moves the CA's clock forward. */
  advanceClock(ms: number): void;
}

const PASSPHRASE = 'e2e-ca-passphrase';

export const test = base.extend<{ ca: TestCa }>({
  // eslint-disable-next-line no-empty-pattern -- Playwright reads fixture names from this pattern.
  ca: async ({}, use) => {
    const dir = mkdtempSync(join(tmpdir(), 'certwizard-e2e-'));
    const identityDir = join(dir, 'identity');
    await createIdentity(identityDir, {
      subject: [{ type: 'CN', value: 'E2E Test CA' }],
      validityYears: 1,
      keyType: 'p256',
      passphrase: PASSPHRASE,
    });
    let offsetMs = 0;
    const running = await startCa(buildServeConfig({ identity: identityDir, data: join(dir, 'data'), listen: '127.0.0.1:0' }), {
      identity: loadIdentity(identityDir, PASSPHRASE),
      logger: silentLogger,
      now: () => new Date(Date.now() + offsetMs),
      scryptN: 2 ** 10,
      // Pending requests are polled after Retry-After; a second keeps approvals quick to notice.
      retryAfterSeconds: 1,
    });
    const mailbox = async (to: string): Promise<Mail[]> => {
      const res = await fetch(`${running.url}/dev/mailbox.json?to=${encodeURIComponent(to)}`);
      if (!res.ok) throw new Error(`dev mailbox answered ${res.status}`);
      return (await res.json()) as Mail[];
    };
    try {
      await use({
        url: running.url,
        mailbox,
        confirmationLink: async (to) => {
          for (let attempt = 0; attempt < 50; attempt++) {
            const link = /(http:\/\/\S+id=confirm&token=[A-Za-z0-9_-]+)/.exec((await mailbox(to))[0]?.text ?? '')?.[1];
            if (link) return link;
            await new Promise((r) => setTimeout(r, 100));
          }
          throw new Error(`no confirmation mail to ${to}`);
        },
        advanceClock: (ms) => {
          offsetMs += ms;
        },
      });
    } finally {
      await running.close({ graceMs: 1000 });
      rmSync(dir, { recursive: true, force: true });
    }
  },
});

export { expect } from '@playwright/test';
