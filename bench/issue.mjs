/**
 * `npm run bench -- issue`: how fast the reference CA issues certificates over HTTP, set
 * against two ceilings measured in the same run on the same machine:
 *
 *   - RSA-2048 CA: issuance rate / `openssl speed rsa2048` sign rate on one core. An RSA
 *     signature costs about a millisecond, so it should dominate; goal >= 0.5x.
 *   - P-256 CA: issuance rate / a bare node:http hello-world server's rate. An ECDSA signature
 *     costs tens of microseconds, so HTTP, parsing, encoding and SQLite dominate; goal >= 0.3x.
 *
 * Each issuance run drives the real `certwizard-ca serve` process (a child, as in production)
 * with wrk on the other core, then checks that every certificate answered is in the database.
 * A goal not met is reported, not failed (exit 0); a broken setup, an error response or a
 * missing row exits 1.
 *
 * Options (after `npm run bench -- issue --`):
 *   --duration S           measured wrk run per server (default 5)
 *   --warmup S             unmeasured wrk run before each issuance run (default 1)
 *   --connections N        wrk connections for issuance (default 16)
 *   --hello-connections N  wrk connections for hello world (default 32)
 *   --pool N               distinct requests per key type (default 256)
 *   --fresh-pool           make new request pools instead of reusing bench/.cache/
 *   --openssl-seconds S    length of each `openssl speed` test (default 3)
 *   --cpu-prof DIR         run the CAs under `node --cpu-prof` into DIR and print where their
 *                          time went (the profiler slows them: rates are then not comparable)
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import { ensureDebianPackages } from '../scripts/lib/ensure-installed.mjs';
import { killAllChildren, startChild } from './lib/child.mjs';
import { readNewestProfile, summariseProfile } from './lib/cpu-profile.mjs';
import { BenchFailure, BUSY_MACHINE_CORES, wholeNumbers } from './lib/common.mjs';
import { processCpuMs, watchLoad } from './lib/machine-load.mjs';
import { opensslSignRate, opensslVersion } from './lib/openssl-speed.mjs';
import { runWrk } from './lib/wrk.mjs';

const repoRoot = fileURLToPath(new URL('../', import.meta.url));
const caBin = join(repoRoot, 'server-reference', 'dist', 'bin.js');
const poolScript = join(repoRoot, 'bench', 'put-pool.lua');
/** Request pools kept between runs (ignored by git through bench/.gitignore). */
const cacheDir = join(repoRoot, 'bench', '.cache');

/** The issue's goals: issuance rate over its reference rate. */
const GOALS = { rsa: 0.5, p256: 0.3 };

/** @param {string} message */
const log = (message) => process.stderr.write(`[issue] ${message}\n`);

/** Reads the options listed in the file comment; every value is checked. */
function readOptions(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      duration: { type: 'string', default: '5' },
      warmup: { type: 'string', default: '1' },
      connections: { type: 'string', default: '16' },
      'hello-connections': { type: 'string', default: '32' },
      pool: { type: 'string', default: '256' },
      'openssl-seconds': { type: 'string', default: '3' },
      'cpu-prof': { type: 'string' },
      'fresh-pool': { type: 'boolean', default: false },
    },
  });
  const int = wholeNumbers(values);
  return {
    durationS: int('duration', 1, 600),
    warmupS: int('warmup', 1, 60),
    connections: int('connections', 1, 1024),
    helloConnections: int('hello-connections', 1, 1024),
    poolSize: int('pool', 1, 100_000),
    opensslSeconds: int('openssl-seconds', 1, 60),
    cpuProfDir: values['cpu-prof'] ? resolve(values['cpu-prof']) : undefined,
    freshPool: values['fresh-pool'],
  };
}

/**
 * Imports the built packages. A dynamic import so that a missing build says what to do
 * instead of failing with a module-resolution stack trace.
 */
async function importBuilt() {
  try {
    const pki = await import('../packages/pki/dist/index.js');
    const server = await import('../server-reference/dist/index.js');
    return { pki, server };
  } catch (error) {
    throw new Error(`the packages are not built (${error.message}); run \`npx tsc -b\` in ${repoRoot}`, { cause: error });
  }
}

/**
 * Writes `size` distinct requests for `keyType` keys, PEM back to back, to `file`: one key per
 * request, as real clients have. RSA keys come from the thread pool so that both cores make
 * them; this happens before any measurement.
 */
async function makePool(pki, keyType, size, file) {
  const started = performance.now();
  const pems = [];
  const batch = 32;
  for (let first = 0; first < size; first += batch) {
    const count = Math.min(batch, size - first);
    const keys = await Promise.all(Array.from({ length: count }, () => pki.generateKeyPairAsync(keyType)));
    keys.forEach(({ privateKey }, k) => {
      const name = `h${first + k}.bench.test`;
      pems.push(pki.createCsr({ privateKey, subject: [{ type: 'CN', value: name }], subjectAltNames: { dns: [name] } }).pem);
    });
  }
  writeFileSync(file, pems.join(''));
  log(`pool: made ${size} ${keyType} requests in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

/**
 * Whether a cached pool still holds `size` distinct requests the CA will accept: a pool edited
 * or cut short would turn into error responses in the middle of a measurement.
 */
function poolIsUsable(pki, text, size) {
  const pems = text.match(/-----BEGIN CERTIFICATE REQUEST-----[^-]+-----END CERTIFICATE REQUEST-----\n?/g) ?? [];
  if (pems.length !== size || new Set(pems).size !== size) return false;
  try {
    for (const pem of pems) pki.parseCsr(pem);
    return true;
  } catch {
    return false;
  }
}

/**
 * Returns a pool file of `size` distinct `keyType` requests, from the cache when one is there.
 *
 * Cached because 256 RSA-2048 keys take 30 to 60 s to generate here, which would be most of
 * every run; the pool holds requests only (public data, the keys are dropped), and each run
 * has a new CA, so reusing it changes nothing the bench measures.
 */
async function requestPool(pki, keyType, size, fresh) {
  mkdirSync(cacheDir, { recursive: true });
  const file = join(cacheDir, `pool-${keyType}-${size}.pem`);
  if (!fresh && existsSync(file)) {
    if (poolIsUsable(pki, readFileSync(file, 'latin1'), size)) {
      log(`pool: reusing ${relative(repoRoot, file)} (--fresh-pool makes a new one)`);
      return file;
    }
    log(`pool: ${relative(repoRoot, file)} is not ${size} valid requests; making a new one`);
  }
  await makePool(pki, keyType, size, `${file}.partial`);
  renameSync(`${file}.partial`, file);
  log(`pool: kept in ${relative(repoRoot, file)} for the next runs`);
  return file;
}

/** Makes a CA identity for one key type under `dir`, and finds its request pool. */
async function prepareCa(pki, server, keyType, dir, opts) {
  mkdirSync(dir, { recursive: true });
  const ca = {
    keyType,
    identityDir: join(dir, 'identity'),
    dataDir: join(dir, 'data'),
    poolFile: await requestPool(pki, keyType, opts.poolSize, opts.freshPool),
    // Random per run; handed to the CA in its environment, never in argv (visible in ps).
    passphrase: randomBytes(18).toString('base64url'),
  };
  await server.createIdentity(ca.identityDir, {
    subject: [{ type: 'CN', value: 'Bench CA' }],
    validityYears: 1,
    keyType,
    passphrase: ca.passphrase,
  });
  return ca;
}

/**
 * Fails the bench when wrk saw anything but 2xx answers on clean connections.
 * @param {string} [serverStderr] what the server logged, which usually says why
 */
function assertClean(label, result, serverStderr = '') {
  const e = result.socketErrors;
  const socketErrors = e.connect + e.read + e.write + e.timeout;
  if (result.non2xx > 0 || socketErrors > 0) {
    throw new BenchFailure(
      `${label}: ${result.non2xx} non-2xx responses, socket errors connect ${e.connect} read ${e.read} ` +
        `write ${e.write} timeout ${e.timeout}\n${result.output.trim()}` +
        (serverStderr.trim() ? `\n--- server stderr ---\n${serverStderr.trim()}` : ''),
    );
  }
}

/**
 * Counts the certificates a stopped CA stored: the CA started again in this process over its
 * data, read through its test-only management server (`GET /counts`), not by opening the file.
 */
async function countStored(server, ca) {
  const config = server.buildServeConfig({ identity: ca.identityDir, data: ca.dataDir, listen: '127.0.0.1:0' });
  const running = await server.startCa(config, {
    identity: server.loadIdentity(ca.identityDir, ca.passphrase),
    logger: server.silentLogger,
    management: {},
  });
  try {
    const res = await fetch(`${running.managementUrl}/counts`);
    if (!res.ok) throw new BenchFailure(`the management server answered ${res.status} for /counts`);
    return (await res.json()).certificates;
  } finally {
    await running.close({ graceMs: 0 });
  }
}

/**
 * Starts the CA, warms it up, measures it, stops it, and checks the database.
 *
 * The row count cannot be required to equal wrk's count exactly: when wrk's time is up it
 * drops its connections with up to one request each in flight, and the CA may already have
 * signed and stored those (it stores before it answers). So the rows must be at least the 2xx
 * responses wrk counted, and at most that plus one per connection per wrk run.
 */
async function benchIssuance(server, ca, opts) {
  const nodeArgs = [];
  let profDir;
  if (opts.cpuProfDir) {
    profDir = join(opts.cpuProfDir, ca.keyType);
    mkdirSync(profDir, { recursive: true });
    nodeArgs.push('--cpu-prof', '--cpu-prof-dir', profDir);
  }
  const label = `CA ${ca.keyType}`;
  const child = await startChild(
    process.execPath,
    [...nodeArgs, caBin, 'serve', '--identity', ca.identityDir, '--data', ca.dataDir, '--listen', '127.0.0.1:0', '--log-level', 'warn'],
    { name: label, ready: /^listening on (http:\/\/\S+)/, env: { ...process.env, CA_PASSPHRASE: ca.passphrase } },
  );
  let stopped = false;
  try {
    // One client path per wrk run (and, in put-pool.lua, per thread and round over the pool): the
    // CA answers a request it already signed for a client from its database, without signing.
    const url = (run) => `${child.ready[1]}/api/csr/${run}`;
    const wrkOptions = { connections: opts.connections, script: poolScript, scriptArgs: [ca.poolFile] };
    log(`${label}: warm-up ${opts.warmupS} s, then ${opts.durationS} s at -c${opts.connections}`);
    const warm = await runWrk(url('warm'), { ...wrkOptions, durationS: opts.warmupS });
    assertClean(`${label} warm-up`, warm, child.stderrTail());
    const loadDone = watchLoad();
    const cpuBefore = processCpuMs(child.process.pid);
    const run = await runWrk(url('run'), { ...wrkOptions, durationS: opts.durationS });
    const cpuAfter = processCpuMs(child.process.pid);
    const load = loadDone();
    // CPU per certificate: what the CA spends on one issuance, far less disturbed by other
    // processes on the machine than the rate is.
    const cpuMsPerCert = cpuBefore === undefined || cpuAfter === undefined || run.requests === 0 ? undefined : (cpuAfter - cpuBefore) / run.requests;
    assertClean(label, run, child.stderrTail());
    const exit = await child.stop();
    stopped = true;
    if (exit.code !== 0) throw new BenchFailure(`${label} exited with ${exit.signal ?? `status ${exit.code}`} on SIGTERM`);
    const stderr = child.stderrTail().trim();
    if (stderr) log(`${label} wrote to stderr (log level warn):\n${stderr}`);

    const answered = warm.requests + run.requests;
    const stored = await countStored(server, ca);
    const maxInFlight = 2 * opts.connections;
    if (stored < answered || stored > answered + maxInFlight) {
      throw new BenchFailure(
        `${label}: ${stored} certificates stored, but wrk counted ${answered} 2xx answers ` + `(expected ${answered} to ${answered + maxInFlight})`,
      );
    }
    const profile = profDir ? summariseProfile(readNewestProfile(profDir)) : undefined;
    return { run, answered, stored, profile, load, cpuMsPerCert };
  } finally {
    if (!stopped) await child.stop().catch((error) => log(error.message));
  }
}

/** Measures a bare node:http server answering "hello": what one Node core can do over HTTP at all. */
async function benchHello(opts) {
  const source = "const s=require('node:http').createServer((q,r)=>r.end('hello'));" + "s.listen(0,'127.0.0.1',()=>console.log(s.address().port))";
  const child = await startChild(process.execPath, ['-e', source], { name: 'hello server', ready: /^(\d+)$/ });
  try {
    log(`hello world: ${opts.durationS} s at -c${opts.helloConnections}`);
    const loadDone = watchLoad();
    const run = await runWrk(`http://127.0.0.1:${child.ready[1]}/`, {
      connections: opts.helloConnections,
      durationS: opts.durationS,
    });
    const load = loadDone();
    assertClean('hello world', run);
    return { ...run, load };
  } finally {
    await child.stop().catch((error) => log(error.message));
  }
}

/** `openssl speed`, watching what else the machine does meanwhile. */
async function speed(algorithm, seconds) {
  const loadDone = watchLoad();
  const result = await opensslSignRate(algorithm, { seconds });
  return { ...result, load: loadDone() };
}

/** Formats a number of requests or signatures per second. */
const rate = (n) => String(Math.round(n));

/** Issuances per second the signature work alone would allow: one verify plus one sign each. */
const floor = (speed) => 1 / (1 / speed.signPerSec + 1 / speed.verifyPerSec);

/** Prints the results table and the latency and persistence lines. */
function report(r, opts, versions) {
  const rsaRatio = r.rsaIssue.run.requestsPerSec / r.rsaSpeed.signPerSec;
  const p256Ratio = r.p256Issue.run.requestsPerSec / r.hello.requestsPerSec;
  const row = (figure, value, vs = '', ratio, goal) =>
    `${figure.padEnd(42)}${rate(value).padStart(7)}    ${vs.padEnd(12)}` +
    (ratio === undefined ? '' : `${ratio.toFixed(2).padStart(5)}x   >= ${goal}x   ${ratio >= goal ? 'met' : 'NOT met'}`);
  const lines = [
    `issuance benchmark (this machine: ${availableParallelism()} cores, ${cpus()[0]?.model.trim() ?? 'unknown CPU'}, ` +
      `node ${process.version} with OpenSSL ${process.versions.openssl}, CLI ${versions.openssl})`,
    `${'figure'.padEnd(42)}${'rate/s'.padStart(7)}    ${'vs'.padEnd(12)}${'ratio'.padStart(5)}    goal`,
    row('openssl speed rsa2048 sign (1 core)', r.rsaSpeed.signPerSec),
    row('issue over HTTP, RSA-2048 CA, persisted', r.rsaIssue.run.requestsPerSec, 'openssl rsa', rsaRatio, GOALS.rsa),
    row(`node:http hello world (wrk -c${opts.helloConnections})`, r.hello.requestsPerSec),
    row('openssl speed ecdsap256 sign (1 core)', r.ecSpeed.signPerSec),
    row('issue over HTTP, P-256 CA, persisted', r.p256Issue.run.requestsPerSec, 'hello world', p256Ratio, GOALS.p256),
    '',
    // Context for the goals: every issuance also verifies the request's self-signature.
    `crypto alone, 1 core (verify the request + sign the certificate, openssl speed): ` +
      `RSA-2048 ${rate(floor(r.rsaSpeed))}/s, P-256 ${rate(floor(r.ecSpeed))}/s ` +
      `= ${(floor(r.ecSpeed) / r.hello.requestsPerSec).toFixed(2)}x hello world`,
    '',
    `latency under load (wrk -t1 -c${opts.connections} --latency)          p50        p99`,
  ];
  const ms = (v) => (v === undefined ? '?' : `${v.toFixed(2)} ms`).padStart(10);
  for (const [name, res] of [
    ['issue, RSA-2048 CA', r.rsaIssue],
    ['issue, P-256 CA', r.p256Issue],
  ]) {
    lines.push(`${name.padEnd(50)}${ms(res.run.latencyMs['50'])} ${ms(res.run.latencyMs['99'])}`);
  }
  lines.push(`${`hello world (-c${opts.helloConnections})`.padEnd(50)}${ms(r.hello.latencyMs['50'])} ${ms(r.hello.latencyMs['99'])}`);
  lines.push('');
  const cpu = (res) => (res.cpuMsPerCert === undefined ? '?' : `${res.cpuMsPerCert.toFixed(3)} ms`);
  lines.push(`CA CPU per certificate (user + system, measured run): RSA-2048 ${cpu(r.rsaIssue)}, P-256 ${cpu(r.p256Issue)}`);
  lines.push('');
  const loads = [
    ['openssl rsa', r.rsaSpeed.load],
    ['RSA issue', r.rsaIssue.load],
    ['hello world', r.hello.load],
    ['openssl ecdsa', r.ecSpeed.load],
    ['P-256 issue', r.p256Issue.load],
  ];
  if (loads.every(([, l]) => l)) {
    lines.push(
      `CPU taken by other processes (+ hypervisor steal) during each figure, in cores: ` +
        loads.map(([n, l]) => `${n} ${l.otherCores.toFixed(2)}${l.stealCores >= 0.01 ? `+${l.stealCores.toFixed(2)}` : ''}`).join(', '),
    );
    if (loads.some(([, l]) => l.otherCores + l.stealCores > BUSY_MACHINE_CORES)) {
      lines.push(`WARNING: other work took > ${BUSY_MACHINE_CORES} cores during a measurement: its figure is low; run again when the machine is idle`);
    }
  }
  lines.push('');
  for (const [name, res] of [
    ['RSA-2048 CA', r.rsaIssue],
    ['P-256 CA', r.p256Issue],
  ]) {
    const late = res.stored - res.answered;
    lines.push(
      `persisted, ${name}: ${res.stored} certificates in SQLite = ${res.answered} 2xx answers counted by wrk ` +
        `(warm-up + run)${late ? ` + ${late} signed for requests in flight when wrk stopped` : ''}`,
    );
  }
  for (const [name, res] of [
    ['RSA-2048 CA', r.rsaIssue],
    ['P-256 CA', r.p256Issue],
  ]) {
    if (!res.profile) continue;
    lines.push('', `CPU profile, ${name} (${res.profile.totalMs.toFixed(0)} ms sampled; profiled rates are not comparable)`);
    lines.push(
      '  by package: ' +
        res.profile.packages
          .slice(0, 8)
          .map((p) => `${p.name} ${(p.share * 100).toFixed(1)}%`)
          .join(', '),
    );
    for (const f of res.profile.functions) {
      lines.push(`  ${(f.share * 100).toFixed(1).padStart(5)}%  ${f.name.padEnd(36)} ${f.where}`);
    }
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

async function main() {
  const opts = readOptions(process.argv.slice(2));
  await ensureDebianPackages(
    [
      { binary: 'wrk', pkg: 'wrk' },
      { binary: 'openssl', pkg: 'openssl' },
    ],
    { log },
  );
  const { pki, server } = await importBuilt();
  const tmp = mkdtempSync(join(tmpdir(), 'certwizard-bench-issue-'));
  const removeTmp = () => rmSync(tmp, { recursive: true, force: true });
  const onSignal = (signal) => {
    killAllChildren();
    removeTmp();
    process.kill(process.pid, signal);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    // Everything slow that is not measured happens first, so nothing else runs during a measurement.
    const rsaCa = await prepareCa(pki, server, 'rsa2048', join(tmp, 'rsa2048'), opts);
    const p256Ca = await prepareCa(pki, server, 'p256', join(tmp, 'p256'), opts);
    const versions = { openssl: await opensslVersion() };

    // Each issuance run follows the figure it is compared with, so the pair sees the same machine.
    log(`openssl speed rsa2048 (${opts.opensslSeconds} s sign + ${opts.opensslSeconds} s verify)`);
    const rsaSpeed = await speed('rsa2048', opts.opensslSeconds);
    const rsaIssue = await benchIssuance(server, rsaCa, opts);
    const hello = await benchHello(opts);
    log(`openssl speed ecdsap256 (${opts.opensslSeconds} s sign + ${opts.opensslSeconds} s verify)`);
    const ecSpeed = await speed('ecdsap256', opts.opensslSeconds);
    const p256Issue = await benchIssuance(server, p256Ca, opts);
    report({ rsaSpeed, rsaIssue, hello, ecSpeed, p256Issue }, opts, versions);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    removeTmp();
  }
}

main().catch((error) => {
  log(error instanceof BenchFailure ? `FAILED: ${error.message}` : (error?.stack ?? String(error)));
  process.exitCode = 1;
});
