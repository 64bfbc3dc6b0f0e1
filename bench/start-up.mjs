/**
 * `npm run bench -- start-up`: how long `certwizard --help` and `--version` (and the CA's
 * `certwizard-ca --help`) take to answer, as a ratio to `node -e 0` measured in the same rounds.
 *
 * A command line that answers `--help` slowly feels broken; the goal is under 2x a bare Node
 * start, which means the SDK and the PKI codecs (most of a second to load) must not be imported
 * to print text. The rounds alternate the commands so each ratio compares neighbours in time.
 *
 * Options (after `npm run bench -- start-up --`):
 *   --rounds N   runs of each command (default 15); the median is reported
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { BenchFailure, wholeNumbers } from './lib/common.mjs';

const GOAL = 2;
const root = join(import.meta.dirname, '..');
const CASES = [
  { label: 'node -e 0', argv: ['-e', '0'] },
  { label: 'certwizard --help', argv: [join(root, 'packages/cli/bin/certwizard.js'), '--help'] },
  { label: 'certwizard --version', argv: [join(root, 'packages/cli/bin/certwizard.js'), '--version'] },
  { label: 'certwizard-ca --help', argv: [join(root, 'server-reference/bin/certwizard-ca.js'), '--help'] },
];

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '15' } } });
const rounds = wholeNumbers(values)('rounds', 3, 1000);

/** @param {string[]} argv @returns {number} wall time in ms */
function time(argv) {
  const started = process.hrtime.bigint();
  const result = spawnSync(process.execPath, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.status !== 0) throw new BenchFailure(`${argv.join(' ')} exited ${result.status}: ${result.stderr}`);
  return ms;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** @type {number[][]} */
const samples = CASES.map(() => []);
for (const c of CASES) time(c.argv); // warm the file cache
for (let r = 0; r < rounds; r++) {
  // Alternate the order so no command always runs right after another.
  const order = r % 2 === 0 ? CASES.map((_, i) => i) : CASES.map((_, i) => CASES.length - 1 - i);
  for (const i of order) samples[i].push(time(CASES[i].argv));
}
const base = median(samples[0]);
const lines = [`start-up, median of ${rounds} runs each, ratio to node -e 0 (goal < ${GOAL}x)`];
CASES.forEach((c, i) => {
  const m = median(samples[i]);
  const ratio = m / base;
  const verdict = i === 0 ? '' : `   ${ratio < GOAL ? 'met' : 'NOT met'}`;
  lines.push(`${c.label.padEnd(24)}${m.toFixed(0).padStart(6)} ms${ratio.toFixed(2).padStart(8)}x${verdict}`);
});
process.stdout.write(`${lines.join('\n')}\n`);
