/**
 * `npm run bench -- renew`: how long `certwizard renew` takes for 1, 10 and 100 tracked
 * certificates, none due and all due (`--force`), against the reference CA.
 *
 * What runs: the reference CA (P-256 identity, a fresh database) in this process; N server
 * certificates enrolled through the SDK's `enroll()` with the ssl-api method (so that no
 * registration or approval is in the way); then the built `certwizard renew --json` as a child
 * process, as a timer runs it. "None due" is the daily case: each certificate is read, its lock
 * taken, its due time computed (the CA's renewal window asked when the method can), and nothing
 * sent. "All due" renews every one: a new key, a request, an install and its fsyncs. The wall
 * time of the whole command is reported, Node's start included (about 50 ms of it; `start-up`
 * measures that alone), and the time per certificate. Nothing timed is asserted: a run that
 * does not end with every certificate not-due (or renewed) fails the bench, a slow one does not.
 *
 * Options (after `npm run bench -- renew --`):
 *   --counts LIST   tracked certificates per case, comma-separated (default 1,10,100)
 *   --rounds N      runs of the none-due case, the median reported (default 3)
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { BenchFailure, wholeNumbers } from './lib/common.mjs';

const root = join(import.meta.dirname, '..');
const CLI = join(root, 'packages/cli/bin/certwizard.js');
const CLIENT = 'bench';

/** @param {string} message */
const log = (message) => process.stderr.write(`[renew] ${message}\n`);

const { values } = parseArgs({ options: { counts: { type: 'string', default: '1,10,100' }, rounds: { type: 'string', default: '3' } } });
const rounds = wholeNumbers(values)('rounds', 1, 100);
const counts = values.counts.split(',').map((c) => {
  const n = Number(c);
  if (!Number.isSafeInteger(n) || n < 1 || n > 1000) throw new BenchFailure(`--counts: whole numbers from 1 to 1000, not ${c}`);
  return n;
});

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/**
 * Runs `certwizard renew --json` over `dir`, returns its wall time and checks that every one of
 * the `n` certificates ended as `want`.
 */
async function timeRenew(dir, n, want, extra = []) {
  const args = [CLI, 'renew', '--json', '--dir', join(dir, 'certs'), '--credentials-dir', join(dir, 'secrets'), ...extra];
  const started = process.hrtime.bigint();
  // The client hash through the environment, as a timer's unit file would set it: never argv.
  // Not spawnSync: the CA runs in this process, and must answer while the command runs.
  const result = await promisify(execFile)(process.execPath, args, {
    env: { ...process.env, CERTWIZARD_SSL_API_CLIENT: CLIENT },
    encoding: 'utf8',
    timeout: 600_000,
    maxBuffer: 64 * 1024 * 1024,
  }).catch((error) => {
    throw new BenchFailure(`certwizard renew exited ${error.code}: ${error.stderr}${error.stdout}`);
  });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  const outcomes = result.stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l));
  const good = outcomes.filter((o) => o.type === 'outcome' && o.status === want).length;
  if (good !== n) throw new BenchFailure(`expected ${n} certificates ${want}, got ${good}: ${result.stdout.slice(0, 2000)}`);
  return ms;
}

async function main() {
  const server = await import('../server-reference/dist/index.js');
  const sdk = await import('../packages/sdk/dist/index.js');
  const tmp = mkdtempSync(join(tmpdir(), 'certwizard-bench-renew-'));
  const passphrase = 'bench renew passphrase';
  let ca;
  try {
    const identityDir = join(tmp, 'identity');
    await server.createIdentity(identityDir, { subject: [{ type: 'CN', value: 'Renew Bench CA' }], validityYears: 1, keyType: 'p256', passphrase });
    const config = server.buildServeConfig({ identity: identityDir, data: join(tmp, 'data'), listen: '127.0.0.1:0' });
    ca = await server.startCa(config, { identity: server.loadIdentity(identityDir, passphrase), logger: server.silentLogger });
    const caCertPem = await (await fetch(`${ca.url}/ca.pem`)).text();
    const rows = [];
    for (const n of counts) {
      const dir = join(tmp, `n${n}`);
      const credentials = await sdk.openFileStore({ dir: join(dir, 'secrets') });
      const method = sdk.sslApiMethod({ caUrl: ca.url, client: CLIENT });
      log(`${n} certificate(s): enrolling`);
      for (let i = 0; i < n; i++) {
        await sdk.enroll({
          caUrl: ca.url,
          name: `h${i}`,
          baseDir: join(dir, 'certs'),
          names: { dns: [`h${i}.bench.test`] },
          credentials,
          trustAnchorsPem: caCertPem,
          method,
        });
      }
      log(`${n} certificate(s): certwizard renew, none due (${rounds} runs), then all due (--force)`);
      await timeRenew(dir, n, 'not-due'); // warms the file cache; its first due-time writes are not measured
      const samples = [];
      for (let r = 0; r < rounds; r++) samples.push(await timeRenew(dir, n, 'not-due'));
      const none = median(samples);
      const all = await timeRenew(dir, n, 'renewed', ['--force']);
      rows.push({ n, none, all });
    }
    const lines = [
      `certwizard renew, wall time of the command (Node start included), ${process.platform} ${process.arch}, Node ${process.version}`,
      `${'tracked'.padStart(8)}${'none due'.padStart(12)}${'per cert'.padStart(10)}${'all due'.padStart(12)}${'per cert'.padStart(10)}`,
      ...rows.map(
        ({ n, none, all }) =>
          `${String(n).padStart(8)}${`${none.toFixed(0)} ms`.padStart(12)}${`${(none / n).toFixed(1)} ms`.padStart(10)}${`${all.toFixed(0)} ms`.padStart(12)}${`${(all / n).toFixed(1)} ms`.padStart(10)}`,
      ),
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    await ca?.close({ graceMs: 0 });
    rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((error) => {
  log(error instanceof BenchFailure ? `FAILED: ${error.message}` : (error?.stack ?? String(error)));
  process.exitCode = 1;
});
