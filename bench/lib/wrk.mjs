/**
 * Runs wrk (https://github.com/wg/wrk) and reads its text report. wrk rather than a Node load
 * generator: a generator in Node would compete with the server for the same kind of CPU time
 * and measure itself as much as the server, while wrk's C event loop on the other core costs
 * little per request.
 */
import { spawn } from 'node:child_process';
import { trackChild } from './child.mjs';

/** Extra time allowed beyond wrk's own duration before it is killed, in ms. */
const WRK_GRACE_MS = 20_000;

/** Multipliers from wrk's time units to milliseconds. */
const TIME_UNITS_MS = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * What one wrk run reported.
 * @typedef {object} WrkResult
 * @property {number} requests responses completed (every status) during the run
 * @property {number} durationS the run's measured length, in seconds
 * @property {number} requestsPerSec wrk's "Requests/sec" (requests / durationS)
 * @property {number} non2xx responses with status >= 400 ("Non-2xx or 3xx responses", 0 when absent)
 * @property {{ connect: number, read: number, write: number, timeout: number }} socketErrors
 * @property {Record<string, number>} latencyMs latency percentiles in ms keyed "50", "75",
 *   "90", "99" (only with --latency)
 * @property {string} output wrk's whole report, for the record
 */

/**
 * Parses wrk's report. Exported for checking against saved reports.
 *
 * @param {string} text wrk's stdout
 * @returns {WrkResult}
 * @throws {Error} when the report lacks the request total or Requests/sec (wrk failed, or a Lua
 *   script error cut the run short)
 */
export function parseWrkOutput(text) {
  const total = text.match(/^\s*(\d+) requests in ([\d.]+)(us|ms|s|m|h),/m);
  const rate = text.match(/^Requests\/sec:\s*([\d.]+)/m);
  if (!total || !rate) throw new Error(`unexpected wrk output:\n${text.trim()}`);
  const socket = text.match(/Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/);
  const non2xx = text.match(/Non-2xx or 3xx responses: (\d+)/);
  const latencyMs = {};
  const distribution = text.split(/Latency Distribution/)[1] ?? '';
  for (const [, pct, value, unit] of distribution.matchAll(/^\s*(\d+(?:\.\d+)?)%\s+([\d.]+)(us|ms|s|m|h)\s*$/gm)) {
    latencyMs[pct] = Number(value) * TIME_UNITS_MS[unit];
  }
  return {
    requests: Number(total[1]),
    durationS: (Number(total[2]) * TIME_UNITS_MS[total[3]]) / 1000,
    requestsPerSec: Number(rate[1]),
    non2xx: non2xx ? Number(non2xx[1]) : 0,
    socketErrors: socket
      ? { connect: Number(socket[1]), read: Number(socket[2]), write: Number(socket[3]), timeout: Number(socket[4]) }
      : { connect: 0, read: 0, write: 0, timeout: 0 },
    latencyMs,
    output: text,
  };
}

/**
 * Runs wrk once against `url`, with `--latency` so that percentiles are reported.
 *
 * @param {string} url full URL, path included
 * @param {{ threads?: number, connections?: number, durationS?: number, script?: string,
 *   scriptArgs?: string[], timeoutS?: number }} [options]
 *   `threads` default 1 (one core for the load, one for the server on a 2-core machine);
 *   `connections` default 16; `durationS` default 5; `script` a Lua file, `scriptArgs` what its
 *   `init(args)` receives; `timeoutS` wrk's per-request timeout (default 10)
 * @returns {Promise<WrkResult>}
 * @throws {Error} when wrk cannot start, exits non-zero, outlives its duration by 20 s (it is
 *   then killed), or prints an unreadable report
 */
export function runWrk(url, { threads = 1, connections = 16, durationS = 5, script, scriptArgs = [], timeoutS = 10 } = {}) {
  const args = [`-t${threads}`, `-c${connections}`, `-d${durationS}s`, `--timeout`, `${timeoutS}s`, '--latency'];
  if (script) args.push('-s', script);
  args.push(url);
  if (scriptArgs.length > 0) args.push('--', ...scriptArgs);
  return new Promise((resolve, reject) => {
    const child = trackChild(spawn('wrk', args, { stdio: ['ignore', 'pipe', 'pipe'] }));
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c) => (stderr += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), durationS * 1000 + WRK_GRACE_MS);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`could not start wrk: ${error.message}`));
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      // wrk reports Lua errors on stderr and may still exit 0 with a partial report.
      if (code !== 0 || stderr.trim()) {
        const how = signal ? `was killed by ${signal}` : `exited with status ${code}`;
        return reject(new Error(`wrk ${args.join(' ')} ${how}:\n${stderr.trim()}\n${stdout.trim()}`));
      }
      try {
        resolve(parseWrkOutput(stdout));
      } catch (error) {
        reject(error);
      }
    });
  });
}
