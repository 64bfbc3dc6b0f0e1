import { defineConfig } from '@playwright/test';

/**
 * End-to-end suites against the real pieces: the reference CA (in-process, port 0, its dev
 * mailbox), the SDK and its agent, and Debian's Chromium (Playwright downloads no browser here).
 */
export default defineConfig({
  testDir: './tests',
  outputDir: '../test-results/e2e',
  forbidOnly: !!process.env.CI,
  retries: process.env.CI ? 1 : 0,
  workers: 2,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  use: {
    browserName: 'chromium',
    trace: 'on-first-retry',
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--disable-dev-shm-usage',
      ],
    },
  },
});
