import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { watchOpener } from './default-opener.js';

// Real child processes stand in for xdg-open: what matters is how their exit is read.
const run = (code: string) => spawn(process.execPath, ['-e', code], { stdio: 'ignore' });

describe('watchOpener', () => {
  it.each([
    { name: 'an opener that exits 0 counts as opened', code: 'process.exit(0)', want: 'opened' },
    { name: 'an opener still running after the grace period counts as opened', code: 'setTimeout(() => {}, 3000)', want: 'opened' },
    { name: 'an opener that exits non-zero (xdg-open without a display) fails', code: 'process.exit(3)', want: 'ERR_SDK_OPENER_FAILED' },
  ])('$name', async ({ code, want }) => {
    const child = run(code);
    const outcome = await watchOpener(child, 1000).then(
      () => 'opened',
      (err: { code?: string }) => err.code,
    );
    child.kill();
    expect(outcome).toBe(want);
  });

  it('fails when the opener program cannot start', async () => {
    const child = spawn('/nonexistent/xdg-open', ['x'], { stdio: 'ignore' });
    await expect(watchOpener(child, 1000)).rejects.toMatchObject({ code: 'ERR_SDK_OPENER_FAILED' });
  });
});
