/**
 * examples/installer/install-certificate.mjs as a vendor would run it, against the real reference
 * CA: headless (--no-browser: the URL goes to stderr, the outcome comes through the ticket), the
 * person registers over HTTP, the certificate ends up installed; run again, it answers from disk.
 * The example imports the built SDK (dist/), which `npm test` builds first.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { importPrivateKeyPem, keysMatch, parseCertificate } from '@certwizard/pki';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EMAIL, startTestCa, type TestCa } from '../enroll/test-support/reference-ca.js';
import { submitRegistration } from './test-support/person.js';

const EXAMPLE = fileURLToPath(new URL('../../../../examples/installer/install-certificate.mjs', import.meta.url));
const RUN_TIMEOUT_MS = 30_000;

let ca: TestCa;
let dir: string;
beforeEach(async () => {
  ca = await startTestCa({ retryAfterSeconds: 1 });
  dir = mkdtempSync(join(tmpdir(), 'certwizard-example-'));
  writeFileSync(join(dir, 'ca.pem'), ca.caCertPem);
});
afterEach(async () => {
  await ca.dispose();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs the example; `onStderr` sees its stderr as it comes. */
function runExample(args: string[], onStderr: (text: string) => void = () => {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [EXAMPLE, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => void (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      onStderr(stderr);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('examples/installer', () => {
  it('goes from nothing to an installed certificate headless, and a second run continues from disk', async () => {
    const args = [
      '--ca',
      ca.url,
      '--ca-cert',
      join(dir, 'ca.pem'),
      '--email',
      EMAIL,
      '--dir',
      join(dir, 'certs'),
      '--no-browser',
      '--credentials-dir',
      join(dir, 'secrets'),
    ];
    let acting: Promise<void> | undefined;
    const first = await runExample(args, (stderr) => {
      const url = /^\s+(http:\/\/\S+index\.php\?id=1\S*)$/m.exec(stderr)?.[1];
      if (url !== undefined && acting === undefined) acting = submitRegistration(url);
    });
    await acting;
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toContain('Registering with the certificate authority');
    expect(first.stderr).toMatch(/The CA's pages show the code [BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}: confirm only if they show the same\./);
    const result = JSON.parse(first.stdout) as { paths: { privkey: string; cert: string }; names: string[]; fingerprintSha256: string };
    expect(result.names).toEqual([EMAIL]);
    const key = importPrivateKeyPem(readFileSync(result.paths.privkey, 'utf8'));
    expect(keysMatch(key, parseCertificate(readFileSync(result.paths.cert, 'utf8')).publicKey)).toBe(true);
    expect(await ca.counts()).toMatchObject({ accounts: 1, certificates: 1 });
    expect(first.stdout + first.stderr).not.toMatch(/PRIVATE KEY|installation_token/);

    const second = await runExample(args);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toContain('Done (continued from an earlier run).');
    expect(JSON.parse(second.stdout)).toMatchObject({ fingerprintSha256: result.fingerprintSha256 });
    expect(await ca.counts()).toMatchObject({ accounts: 1, certificates: 1 });
  });

  it('answers bad usage with exit code 2 and the usage line, and a CA failure with exit code 1 and a message', async () => {
    const usage = await runExample(['--ca', ca.url]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/--ca-cert is required\nusage: /);

    // A URL where no CA answers (404 for every path): fails at once, where a refused connection
    // would first be retried for a while.
    const unreachable = await runExample([
      '--ca',
      `${ca.url}/no-ca-here`,
      '--ca-cert',
      join(dir, 'ca.pem'),
      '--email',
      EMAIL,
      '--dir',
      join(dir, 'certs'),
      '--no-browser',
      '--credentials-dir',
      join(dir, 'secrets'),
    ]);
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toMatch(/Failed: .*\(ERR_SDK_CA_PROTOCOL\)\nRun the same command again/);
    expect(unreachable.stderr).not.toMatch(/\n\s+at /);
  });
});
