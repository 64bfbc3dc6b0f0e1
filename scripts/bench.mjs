/**
 * `npm run bench`: install and build, then run benchmarks.
 *
 *   npm run bench                   every bench/*.mjs, one after the other, in name order
 *   npm run bench -- issue crl      bench/issue.mjs, then bench/crl.mjs
 *   npm run bench -- issue -- -n 5  arguments after a second `--` go to each bench script
 *
 * Benchmarks are plain .mjs files that import the built packages (dist/), so what is measured
 * is the JavaScript that ships, with no TypeScript loader in the timings. Each runs in its own
 * Node process so that one's JIT warm-up and heap do not colour the next.
 */
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { constants } from 'node:os';
import { join } from 'node:path';
import { ensureInstalled, repoRoot } from './lib/ensure-installed.mjs';

const benchDir = join(repoRoot, 'bench');

/** @param {string} message */
const log = (message) => process.stderr.write(`[bench] ${message}\n`);

/** @returns {string[]} benchmark names (file names without .mjs), sorted */
function available() {
  let files = [];
  try {
    files = readdirSync(benchDir);
  } catch {
    // no bench/ folder: no benchmarks
  }
  return files
    .filter((f) => f.endsWith('.mjs'))
    .map((f) => f.slice(0, -'.mjs'.length))
    .sort();
}

/** @returns {Promise<number>} the exit status, 128 + n when killed by a signal */
function runBench(name, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(benchDir, `${name}.mjs`), ...args], {
      cwd: repoRoot,
      stdio: 'inherit',
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve(signal ? 128 + (constants.signals[signal] ?? 0) : (code ?? 1)));
  });
}

async function main() {
  const argv = process.argv.slice(2);
  const split = argv.indexOf('--');
  const requested = (split === -1 ? argv : argv.slice(0, split)).map((n) => n.replace(/^bench\//, '').replace(/\.mjs$/, ''));
  const passThrough = split === -1 ? [] : argv.slice(split + 1);

  // Check the names before the install and build, so a typo fails in a second.
  const names = available();
  if (names.length === 0) throw new Error('no benchmarks: bench/ has no .mjs files');
  const unknown = requested.filter((n) => !names.includes(n));
  if (unknown.length > 0) {
    throw new Error(`unknown benchmark ${unknown.map((n) => `"${n}"`).join(', ')}; available: ${names.join(', ')}`);
  }

  await ensureInstalled({ log });
  const failed = [];
  for (const name of requested.length > 0 ? requested : names) {
    log(`running ${name}`);
    const status = await runBench(name, passThrough);
    if (status !== 0) {
      log(`${name} exited with status ${status}`);
      failed.push(name);
    }
  }
  if (failed.length > 0) throw new Error(`failed: ${failed.join(', ')}`);
}

main().catch((error) => {
  log(error?.message ?? String(error));
  process.exitCode = 1;
});
