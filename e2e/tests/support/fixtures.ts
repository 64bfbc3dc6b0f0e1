/**
 * Playwright fixtures: the shared test CA per test (`@certwizard/server-reference/testing`:
 * in-process, 127.0.0.1 port 0, SQLite in a temporary directory, its dev mailbox, and a clock
 * the test moves through the management server).
 */
import { test as base } from '@playwright/test';
import { startTestCa } from '@certwizard/server-reference/testing';

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
  advanceClock(ms: number): Promise<void>;
}

export const test = base.extend<{ ca: TestCa }>({
  // eslint-disable-next-line no-empty-pattern -- Playwright reads fixture names from this pattern.
  ca: async ({}, use) => {
    // Pending requests are polled after Retry-After; a second keeps approvals quick to notice.
    const running = await startTestCa({ commonName: 'E2E Test CA', retryAfterSeconds: 1 });
    try {
      await use({
        url: running.url,
        mailbox: (to) => running.mailbox(to),
        confirmationLink: async (to) => {
          for (let attempt = 0; attempt < 50; attempt++) {
            const link = /(http:\/\/\S+id=confirm&token=[A-Za-z0-9_-]+)/.exec((await running.mailbox(to))[0]?.text ?? '')?.[1];
            if (link) return link;
            await new Promise((r) => setTimeout(r, 100));
          }
          throw new Error(`no confirmation mail to ${to}`);
        },
        advanceClock: (ms) => running.advanceClock(ms),
      });
    } finally {
      await running.dispose();
    }
  },
});

export { expect } from '@playwright/test';
