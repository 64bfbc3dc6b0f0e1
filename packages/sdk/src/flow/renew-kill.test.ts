/**
 * Killing a real installer process with SIGKILL at each labelled point of a renewal (the SDK's
 * `renew()` through ssl_api, the CA's clock and the installer's moved into the renewal window),
 * then renewing again in this process: the second run
 * finishes that renewal (or finds it done), with two certificates at the CA (the first and one
 * renewal), a matching pair live that is not the first one, and no pending key left. The
 * installer is a child running the built SDK (dist/, `npx tsc -b packages/sdk` first); it kills
 * itself when the chosen progress event arrives, as kill.test.ts does for `enroll()`.
 */
import { fork } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { importPrivateKeyPem, keysMatch, parseCertificate } from '@certwizard/pki';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openFileStore } from '../credentials/file-store.js';
import { startTestCa } from '../enroll/test-support/reference-ca.js';
import { expectConsistent } from '../install/test-support/live-state.js';
import { sslApiMethod } from '../methods/ssl-api/ssl-api-method.js';
import { systemClock, type Clock } from '../registration/clock.js';
import { enroll } from './default-method.js';
import { renew } from './renew.js';

const sdkDir = fileURLToPath(new URL('../../', import.meta.url));
const srcDir = fileURLToPath(new URL('./', import.meta.url));
const CHILD_TIMEOUT_MS = 30_000;
/** Past the reference CA's window and the own one for its 90-day certificates. */
const INTO_THE_WINDOW_MS = 80 * 86_400_000;

// The installer's renewal step: the public SDK API only, from dist/.
const CHILD_SCRIPT = `
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const { renew, openFileStore, sslApiMethod } = await import(pathToFileURL(config.sdk).href);
const matches = (event) => Object.entries(config.kill).every(([k, v]) =>
  k === 'event' ? Object.entries(v).every(([ek, ev]) => event.event?.[ek] === ev) : event[k] === v);
// The installer's clock runs with the CA's, moved into the renewal window.
const clock = { now: () => Date.now() + config.offsetMs, sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)) };
const outcome = await renew({
  name: 'web', baseDir: config.baseDir, clock,
  credentials: await openFileStore({ dir: config.secretsDir }), trustAnchorsPem: config.caPem,
  method: sslApiMethod({ caUrl: config.caUrl, client: 'vendor1' }),
  onEvent: (event) => { if (matches(event)) process.kill(process.pid, 'SIGKILL'); },
});
process.send({ type: 'outcome', status: outcome.status }, () => process.exit(0));
`;

/** Where to kill: the renewal's own events, and the flow's steps inside it. */
const KILL_POINTS: Array<{ label: string; kill: Record<string, unknown> }> = [
  { label: 'renewal due (its due time recorded)', kill: { type: 'renewal-due' } },
  ...['prepare-key', 'verify-email', 'submit', 'install', 'done'].map((step) => ({
    label: `step ${step}`,
    kill: { type: 'flow', event: { type: 'step', step } },
  })),
  { label: 'renewed (before the answer)', kill: { type: 'renewed' } },
];

let root: string;
let script: string;
beforeAll(() => {
  for (const name of ['enroll', 'renew', 'state-file', 'renewal-record']) {
    const built = join(sdkDir, 'dist', 'flow', `${name}.js`);
    if (!existsSync(built) || statSync(join(srcDir, `${name}.ts`)).mtimeMs > statSync(built).mtimeMs)
      throw new Error(`dist/flow/${name}.js is missing or older than its source: run \`npx tsc -b packages/sdk\``);
  }
  root = mkdtempSync(join(tmpdir(), 'certwizard-renew-kill-'));
  script = join(root, 'installer.mjs');
  writeFileSync(script, CHILD_SCRIPT);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Runs the installer until it exits; resolves with how. */
function runInstaller(configFile: string): Promise<{ code: number | null; signal: NodeJS.Signals | null; status?: string }> {
  return new Promise((resolve, reject) => {
    const child = fork(script, [configFile], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    let status: string | undefined;
    child.on('message', (m: { status?: string }) => (status = m.status));
    const timer = setTimeout(() => child.kill('SIGKILL'), CHILD_TIMEOUT_MS);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, ...(status === undefined ? {} : { status }) });
    });
  });
}

describe('renew() killed with SIGKILL at each labelled point', () => {
  it.each(KILL_POINTS)('at $label: the next run finishes with one new certificate, live and matching', { timeout: 60_000 }, async ({ kill }) => {
    const ca = await startTestCa();
    const dir = mkdtempSync(join(root, 'run-'));
    try {
      const baseDir = join(dir, 'certs');
      const credentials = await openFileStore({ dir: join(dir, 'secrets') });
      const common = { name: 'web', baseDir, credentials, trustAnchorsPem: ca.caCertPem, method: sslApiMethod({ caUrl: ca.url, client: 'vendor1' }) };
      await enroll({ ...common, caUrl: ca.url, names: { dns: ['web.example.org'] } });
      await ca.advanceClock(INTO_THE_WINDOW_MS);
      const clock: Clock = { now: () => Date.now() + INTO_THE_WINDOW_MS, sleep: (ms, signal) => systemClock.sleep(ms, signal) };
      const first = parseCertificate(readFileSync(join(baseDir, 'live', 'web', 'cert.pem'), 'utf8')).serialNumberHex;
      const configFile = join(dir, 'config.json');
      writeFileSync(
        configFile,
        JSON.stringify({
          sdk: join(sdkDir, 'dist', 'index.js'),
          baseDir,
          secretsDir: join(dir, 'secrets'),
          caUrl: ca.url,
          caPem: ca.caCertPem,
          offsetMs: INTO_THE_WINDOW_MS,
          kill,
        }),
      );
      const killed = await runInstaller(configFile);
      expect(killed.signal).toBe('SIGKILL');
      // Whatever the kill left, a matching pair is live.
      expect(await expectConsistent(baseDir, 'web')).toBeGreaterThanOrEqual(1);
      // The next run: a renewal under way continues, one not started yet starts (it is due), one that finished is not due.
      const again = await renew({ ...common, clock });
      expect(['renewed', 'not-due']).toContain(again.status);
      expect((await ca.counts()).certificates).toBe(2);
      expect(await expectConsistent(baseDir, 'web')).toBeGreaterThanOrEqual(2);
      const live = parseCertificate(readFileSync(join(baseDir, 'live', 'web', 'cert.pem'), 'utf8'));
      expect(live.serialNumberHex).not.toBe(first);
      expect(keysMatch(importPrivateKeyPem(readFileSync(join(baseDir, 'live', 'web', 'privkey.pem'), 'utf8')), live.publicKey)).toBe(true);
      expect(readdirSync(join(baseDir, 'enrollments')).sort()).toEqual(['web.json']);
    } finally {
      await ca.dispose();
    }
  });
});
