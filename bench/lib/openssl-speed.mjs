/**
 * The raw signing rate of the OpenSSL on this machine, from `openssl speed -mr`: the ceiling a
 * CA that signs with OpenSSL (as node:crypto does) can approach on one core. The verify rate
 * comes with it, because the CA verifies each request's self-signature before signing.
 *
 * Which number is which, as checked by running it (OpenSSL 3.0.19 here, `-seconds 1`):
 *
 *   +DTP:2048:private:rsa:1                     announces the RSA-2048 sign ("private") test
 *   +R1:1365:2048:0.95                          1365 signatures in 0.95 s
 *   +DTP:2048:public:rsa:1                      the verify test
 *   +R2:41499:2048:0.95
 *   +F2:2:2048:1436.842105:43683.157895         summary: index, bits, sign/s, verify/s
 *
 * The +DTP and +R lines go to stderr, the +F summary to stdout.
 *
 * The +F fields are operations per second in OpenSSL 1.1 and 3.x, but seconds per operation in
 * 1.0.x, so the summary is not trusted blindly: each rate is taken from its +R line (count over
 * seconds, unambiguous) and the +F field must agree with it either as a rate or as a time.
 */
import { spawn } from 'node:child_process';
import { trackChild } from './child.mjs';

/** Extra time allowed beyond the requested seconds (sign + verify, plus start-up), in ms. */
const SPEED_GRACE_MS = 20_000;

/**
 * What {@link opensslSignRate} measured.
 * @typedef {object} SpeedResult
 * @property {number} signPerSec
 * @property {number} verifyPerSec
 * @property {string} summaryLine the +F line, for the record
 */

/**
 * Reads one test's rate: the +R line after the +DTP line announcing it.
 * @param {string[]} lines
 * @param {RegExp} announce matches the +DTP line
 * @returns {{ rate: number, bits: string, line: string } | undefined}
 */
function testRate(lines, announce) {
  const at = lines.findIndex((l) => announce.test(l));
  const line = at === -1 ? undefined : lines.slice(at + 1).find((l) => l.startsWith('+R'));
  const r = line?.match(/^\+R\d+:(\d+):(\d+):([\d.]+)$/);
  return r ? { rate: Number(r[1]) / Number(r[3]), bits: r[2], line } : undefined;
}

/**
 * Reads the sign and verify rates out of `openssl speed -mr` output for one algorithm.
 *
 * @param {string} text the stdout and stderr of `openssl speed -mr ALGORITHM`, in any order
 *   (the +DTP and +R lines must keep theirs)
 * @returns {SpeedResult}
 * @throws {Error} when a test or the summary is missing, or when they disagree
 */
export function parseSpeedOutput(text) {
  const lines = text.split('\n').map((l) => l.trim());
  // RSA names its tests by the key used ("private" signs, "public" verifies); ECDSA by the operation.
  const sign = testRate(lines, /^\+DTP:\d+:(private|sign):/);
  const verify = testRate(lines, /^\+DTP:\d+:(public|verify):/);
  if (!sign || !verify) throw new Error(`no sign or verify result (+DTP, +R) in openssl speed output:\n${text.trim()}`);
  const summary = lines.find((l) => new RegExp(`^\\+F\\d+:\\d+:${sign.bits}:`).test(l));
  if (!summary) throw new Error(`no +F summary for ${sign.bits} bits in openssl speed output:\n${text.trim()}`);
  const [, , , signField, verifyField] = summary.split(':').map(Number);
  const close = (a, b) => Math.abs(a - b) / b < 0.02;
  for (const [field, measured] of [
    [signField, sign],
    [verifyField, verify],
  ]) {
    if (!close(field, measured.rate) && !close(1 / field, measured.rate)) {
      throw new Error(`openssl speed summary ${summary} agrees with neither ${measured.rate.toFixed(1)}/s nor its inverse (${measured.line})`);
    }
  }
  return { signPerSec: sign.rate, verifyPerSec: verify.rate, summaryLine: summary };
}

/**
 * Runs `openssl speed -seconds S -mr ALGORITHM` in one process (one core: the CA is one Node
 * process, so its ceiling is one core's worth of signatures) and returns the sign rate.
 *
 * `SSL_CERT_FILE=/dev/null` keeps the CLI from loading the system CA bundle, which has nothing
 * to do with signing.
 *
 * @param {'rsa2048' | 'ecdsap256'} algorithm an `openssl speed` algorithm name
 * @param {{ seconds?: number }} [options] length of each test (sign, then verify); default 3
 * @returns {Promise<SpeedResult>}
 * @throws {Error} when openssl fails, runs past twice its time plus 20 s (it is then killed),
 *   or prints output {@link parseSpeedOutput} cannot read
 */
export function opensslSignRate(algorithm, { seconds = 3 } = {}) {
  return new Promise((resolve, reject) => {
    const child = trackChild(
      spawn('openssl', ['speed', '-seconds', String(seconds), '-mr', algorithm], {
        env: { ...process.env, SSL_CERT_FILE: '/dev/null' },
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    );
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c) => (stderr += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), 2 * seconds * 1000 + SPEED_GRACE_MS);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`could not start openssl: ${error.message}`));
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (code !== 0) {
        const how = signal ? `was killed by ${signal}` : `exited with status ${code}`;
        return reject(new Error(`openssl speed ${algorithm} ${how}:\n${stderr.trim()}`));
      }
      try {
        resolve(parseSpeedOutput(`${stdout}\n${stderr}`));
      } catch (error) {
        reject(error);
      }
    });
  });
}

/**
 * The version of the openssl CLI, e.g. "OpenSSL 3.0.19 27 Jan 2026".
 * @returns {Promise<string>}
 */
export function opensslVersion() {
  return new Promise((resolve, reject) => {
    const child = spawn('openssl', ['version'], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (c) => (out += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', () => {
      clearTimeout(timer);
      resolve(out.trim().replace(/\s*\(Library:.*\)$/, ''));
    });
  });
}
