import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

// Tests run against the TypeScript sources: workspace imports resolve to src/, not dist/.
export default defineConfig({
  resolve: {
    alias: {
      '@certwizard/pki': here('./packages/pki/src/index.ts'),
      '@certwizard/protocol': here('./packages/protocol/src/index.ts'),
      '@certwizard/scep': here('./packages/scep/src/index.ts'),
      '@certwizard/agent': here('./packages/agent/src/index.ts'),
      '@certwizard/sdk': here('./packages/sdk/src/index.ts'),
      '@certwizard/mail-hook': here('./packages/mail-hook/src/index.ts'),
      // Before the package itself: an alias matches its own name and any path below it.
      '@certwizard/server-reference/testing': here('./server-reference/src/testing/index.ts'),
      '@certwizard/server-reference': here('./server-reference/src/index.ts'),
      '@certwizard/wizard': here('./packages/wizard/src/index.ts'),
    },
  },
  test: {
    include: [
      'packages/*/src/**/*.test.ts',
      'server-reference/src/**/*.test.ts',
      'server-reference/test/**/*.test.ts',
      'wizard-ui/src/**/*.test.ts',
      'examples/**/*.test.ts',
    ],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 30_000,
    forbidOnly: !!process.env.CI,
  },
});
