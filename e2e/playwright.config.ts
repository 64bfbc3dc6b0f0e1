import { defineConfig } from '@playwright/test';

/**
 * End-to-end suites against the real pieces: the reference CA (in-process, port 0, its dev
 * mailbox), the SDK and its agent, and Debian's Chromium (Playwright downloads no browser here).
 */
export default defineConfig({
  testDir: './tests',
  outputDir: '../test-results/e2e',
  forbidOnly: !!process.env.CI,
  // No retries: a test that passes on its second try is a failing test, and it gets fixed.
  retries: 0,
  workers: 2,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  use: {
    browserName: 'chromium',
    trace: 'retain-on-failure',
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
