/**
 * `npm test` and CI (`.ci/run`): install and build, install the system programs the suites
 * talk to, run every suite, and end with one summary line over all of them.
 *
 *   npm test                 vitest (unit + integration, on the TypeScript sources), then
 *                            Playwright when e2e/playwright.config.ts exists
 *   npm test -- pem          extra arguments go to vitest (here a file filter); the
 *                            Playwright suite is left out, since a filter means "just these"
 *
 * The last line on stdout is exactly `N passed, N failed` or `N passed, N failed, N skipped`
 * (skipped only when non-zero); everything this script says itself goes to stderr, the suites'
 * own output is streamed as is. Exit status 0 only when nothing failed and something passed.
 * CI=true passes through the environment untouched: vitest's `forbidOnly` reads it.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { ensureDebianPackages, ensureInstalled, repoRoot } from './lib/ensure-installed.mjs';

const playwrightConfig = join(repoRoot, 'e2e', 'playwright.config.ts');

/**
 * Programs the suites need on PATH, and the Debian package of each. `when` limits an entry to
 * runs where its suite exists. Add a row when a suite starts talking to a new peer
 * (see shared/design/PEERS.md), for example:
 *   { binary: 'swaks', pkg: 'swaks', why: 'mail-hook tests send forged mail' },
 *   { binary: 'pebble', pkg: 'pebble', why: 'ACME interop tests' },
 * @type {{ binary: string, pkg: string, why: string, when?: () => boolean }[]}
 */
const SYSTEM_PROGRAMS = [
  { binary: 'openssl', pkg: 'openssl', why: 'pki tests check our output against the openssl CLI' },
  { binary: 'script', pkg: 'bsdutils', why: 'the CA passphrase prompt is tested on a pseudo-terminal' },
  { binary: 'gnome-keyring-daemon', pkg: 'gnome-keyring', why: 'sdk keychain tests talk to a real Secret Service' },
  { binary: 'dbus-run-session', pkg: 'dbus-daemon', why: 'private session bus for gnome-keyring in the sdk keychain tests' },
  { binary: 'swaks', pkg: 'swaks', why: 'mail-hook tests send forged and malformed mail' },
  { binary: 'pebble-challtestsrv', pkg: 'pebble', why: 'the CA checks DNS TXT and HTTP domain challenges against a real DNS server' },
  { binary: 'getcert', pkg: 'certmonger', why: 'the SCEP server is proven against certmonger (getcert, scep-submit)' },
  { binary: 'dnsmasq', pkg: 'dnsmasq-base', why: 'a TXT record of several strings for the DNS domain check (pebble-challtestsrv serves one string a record)' },
  {
    binary: 'chromium',
    pkg: 'chromium',
    why: 'Playwright drives /usr/bin/chromium (no browser download)',
    when: () => existsSync(playwrightConfig),
  },
];

/** @typedef {{ passed: number, failed: number, skipped: number, notes: string[] }} Counts */

/** @param {string} message */
const log = (message) => process.stderr.write(`[test] ${message}\n`);

/**
 * Runs a suite's command with its output streamed, never rejecting: a suite that cannot start
 * is reported through `status` like one that crashed.
 *
 * @returns {Promise<{ status: number | null, signal: string | null, error?: Error }>}
 */
function runSuite(command, args, env = process.env) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: repoRoot, env, stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', (error) => resolve({ status: null, signal: null, error }));
    child.on('close', (status, signal) => resolve({ status, signal }));
  });
}

/** @returns {unknown} the parsed file, or undefined when it is missing or not JSON */
function readJson(path) {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return undefined;
  }
}

/** @param {{ status: number | null, signal: string | null, error?: Error }} exit */
function describeExit(exit) {
  if (exit.error) return `could not start: ${exit.error.message}`;
  return exit.signal ? `killed by ${exit.signal}` : `exited with status ${exit.status}`;
}

/**
 * Counts from vitest's JSON report (`--reporter=json`, Jest-compatible shape).
 *
 * - passed: numPassedTests; skipped: numPendingTests (skip) + numTodoTests (todo).
 * - failed: numFailedTests, plus each test file whose status is "failed" without a failed test
 *   in it: a file that did not load (syntax error, bad import, "No test suite found") has no
 *   assertionResults at all, and a throwing afterAll fails the file while its tests passed.
 * - A non-zero exit with nothing counted as failed (an unhandled error outside tests, no test
 *   files matched the filter, a crash before the report was written) counts as one failure,
 *   so that a broken run can never read as green.
 *
 * @param {any} report parsed JSON, or undefined when vitest wrote none
 * @param {{ status: number | null, signal: string | null, error?: Error }} exit
 * @returns {Counts}
 */
function countVitest(report, exit) {
  const counts = { passed: 0, failed: 0, skipped: 0, notes: [] };
  if (report && typeof report === 'object') {
    counts.passed = report.numPassedTests ?? 0;
    counts.failed = report.numFailedTests ?? 0;
    counts.skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
    for (const file of report.testResults ?? []) {
      const failedTests = (file.assertionResults ?? []).filter((t) => t.status === 'failed').length;
      if (file.status === 'failed' && failedTests === 0) {
        counts.failed += 1;
        counts.notes.push(`failed outside any test: ${file.name}: ${firstLine(file.message)}`);
      }
    }
  }
  return withExitFailure(counts, report, exit);
}

/**
 * A suite that wrote no report, or exited non-zero with no failure counted (a crash, an
 * unhandled error, no tests found), counts one failure, so that it can never pass silently.
 *
 * @param {Counts} counts
 * @param {unknown} report
 * @param {{ status: number | null, signal: string | null, error?: Error }} exit
 * @returns {Counts}
 */
function withExitFailure(counts, report, exit) {
  if (!report || typeof report !== 'object') counts.notes.push('wrote no JSON report');
  if (exit.status !== 0 && counts.failed === 0) {
    counts.failed = 1;
    counts.notes.push(`${describeExit(exit)} without a failed test in its report (see its output above)`);
  }
  return counts;
}

/**
 * Counts from Playwright's JSON report. `stats` has expected (passed as expected), unexpected
 * (failed), flaky (failed, then passed on a retry) and skipped; `errors` holds failures outside
 * any test (a spec file that does not load, globalSetup throwing, "No tests found").
 *
 * e2e/playwright.config.ts allows no retries, so nothing should be flaky; should a retry policy
 * come back, a flaky test (failed, then passed) counts as failed: it is a failing test that
 * happened to pass once. Each top-level error counts as one failure, and a non-zero exit with
 * nothing counted as failed counts as one, as for vitest.
 *
 * @param {any} report parsed JSON, or undefined when Playwright wrote none
 * @param {{ status: number | null, signal: string | null, error?: Error }} exit
 * @returns {Counts}
 */
function countPlaywright(report, exit) {
  const counts = { passed: 0, failed: 0, skipped: 0, notes: [] };
  if (report && typeof report === 'object') {
    const stats = report.stats ?? {};
    const flaky = stats.flaky ?? 0;
    counts.passed = stats.expected ?? 0;
    counts.failed = (stats.unexpected ?? 0) + flaky;
    counts.skipped = stats.skipped ?? 0;
    if (flaky > 0) counts.notes.push(`${flaky} flaky (failed, then passed on a retry: counted as failed)`);
    for (const error of report.errors ?? []) {
      counts.failed += 1;
      counts.notes.push(`error outside any test: ${firstLine(error.message ?? error.value)}`);
    }
  }
  return withExitFailure(counts, report, exit);
}

/** @param {unknown} text */
function firstLine(text) {
  // Reports carry the terminal's rendering of a message, colours included.
  const plain = stripVTControlCharacters(String(text ?? ''));
  return plain.split('\n').find((line) => line.trim() !== '') ?? '(no message)';
}

/**
 * @param {string} outDir where the JSON report goes
 * @param {string[]} extraArgs arguments given after `npm test --`
 * @returns {Promise<Counts>}
 */
async function runVitest(outDir, extraArgs) {
  const reportPath = join(outDir, 'vitest.json');
  // Vitest 4 CLI: repeat --reporter for several reporters; --outputFile.<reporter> sets the
  // file of one of them, so the default reporter still prints to the terminal.
  const exit = await runSuite('npx', [
    '--no-install',
    'vitest',
    'run',
    '--reporter=default',
    '--reporter=json',
    `--outputFile.json=${reportPath}`,
    ...extraArgs,
  ]);
  return countVitest(readJson(reportPath), exit);
}

/**
 * @param {string} outDir where the JSON report goes
 * @returns {Promise<Counts>}
 */
async function runPlaywright(outDir) {
  if (!existsSync(join(repoRoot, 'node_modules', '.bin', 'playwright'))) {
    return {
      passed: 0,
      failed: 1,
      skipped: 0,
      notes: ['e2e/playwright.config.ts exists but @playwright/test is not installed (add it to devDependencies)'],
    };
  }
  const reportPath = join(outDir, 'playwright.json');
  // An absolute path in both variables: _FILE is read by Playwright 1.44 and later and wins
  // over everything; _NAME is what older versions read (resolved against the cwd). Without
  // either, the json reporter would print the whole report on our stdout.
  const env = { ...process.env, PLAYWRIGHT_JSON_OUTPUT_FILE: reportPath, PLAYWRIGHT_JSON_OUTPUT_NAME: reportPath };
  const exit = await runSuite('npx', ['--no-install', 'playwright', 'test', '-c', playwrightConfig, '--reporter=list,json'], env);
  return countPlaywright(readJson(reportPath), exit);
}

/**
 * @param {Counts} counts
 * @returns {string} "N passed, N failed" with ", N skipped" only when some were skipped
 */
function summary({ passed, failed, skipped }) {
  return `${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ''}`;
}

async function main() {
  const extraArgs = process.argv.slice(2);
  /** @type {[string, Counts][]} */
  const results = [];

  let built = true;
  try {
    await ensureInstalled({ log });
  } catch (error) {
    if (error?.code !== 'BUILD_FAILED') throw error;
    // Vitest runs on the TypeScript sources, so its results still mean something when the
    // build has a type error; the build counts as one failure of its own.
    built = false;
    results.push(['build', { passed: 0, failed: 1, skipped: 0, notes: [error.message] }]);
  }
  await ensureDebianPackages(
    SYSTEM_PROGRAMS.filter((p) => !p.when || p.when()),
    { log },
  );

  const outDir = mkdtempSync(join(tmpdir(), 'certwizard-test-'));
  try {
    results.push(['vitest', await runVitest(outDir, extraArgs)]);
    if (existsSync(playwrightConfig)) {
      if (extraArgs.length > 0) log('playwright: left out, since arguments were given for vitest');
      else if (!built) log('playwright: left out, since it runs against the build, which failed');
      else results.push(['playwright', await runPlaywright(outDir)]);
    }
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }

  const total = { passed: 0, failed: 0, skipped: 0, notes: [] };
  for (const [name, counts] of results) {
    log(`${name}: ${summary(counts)}`);
    for (const note of counts.notes) log(`  ${name}: ${note}`);
    total.passed += counts.passed;
    total.failed += counts.failed;
    total.skipped += counts.skipped;
  }
  process.stdout.write(`${summary(total)}\n`);
  process.exitCode = total.failed === 0 && total.passed > 0 ? 0 : 1;
}

main().catch((error) => {
  // Setup failed before any suite ran (npm ci, apt-get): still end with a summary line.
  log(error?.stack ?? String(error));
  process.stdout.write('0 passed, 1 failed\n');
  process.exitCode = 1;
});
