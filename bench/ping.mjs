/**
 * `npm run bench -- ping`: what the mail hook costs ordinary mail. Pass-through throughput of the
 * hook's standalone listener (every mail read, checked for bare line endings and for the ping
 * nonce header, and handed to a trivial `deliver`) set against a bare smtp-server doing the same
 * trivial delivery, measured in the same run on the same machine. Goal: hook / bare >= 0.9x.
 *
 * Each server runs in a child process of its own (this file with `--serve`), so that it has a
 * core to itself; this process drives it over loopback with a minimal SMTP client: N persistent
 * connections, each sending one message after another (MAIL, RCPT and DATA pipelined, then the
 * message). Both servers check every message they receive against the bytes that were sent, and
 * on exit say how many they got; a count that differs from what the client saw accepted, or a
 * single mismatched byte, fails the bench (exit 1). A goal not met is reported, not failed.
 *
 * Then ping-to-confirmed latency (bench/lib/ping-latency.mjs): the reference CA (in this process)
 * mails pings through its SMTP mailer to the hook's listener, which confirms them against the CA;
 * p50 and p99 of the time from the CA handing a ping to SMTP until it is confirmed.
 * Goal: p99 <= 25 ms. Sequential pings, then a burst of concurrent ones (their tail is reported,
 * not judged: on 2 cores concurrency queues).
 *
 * Options (after `npm run bench -- ping --`):
 *   --duration S      measured time per run (default 5)
 *   --warmup S        unmeasured time at the start of each run (default 1)
 *   --connections N   client connections (default 8)
 *   --size BYTES      message size (default 4096)
 *   --rounds N        bare/hook pairs, the order alternating; the ratio reported is the median of
 *                     the rounds' ratios (default 4)
 *   --pings N         measured pings for the latency (default 200; 0 skips the latency part)
 *   --burst N         pings sent at once after the sequential ones (default 20)
 *   --cpu-prof DIR    run the servers under `node --cpu-prof` into DIR and print where their time
 *                     went (the profiler slows them: rates are then not comparable)
 */
import { connect } from 'node:net';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { killAllChildren, startChild } from './lib/child.mjs';
import { readNewestProfile, summariseProfile } from './lib/cpu-profile.mjs';
import { BenchFailure, BUSY_MACHINE_CORES, wholeNumbers } from './lib/common.mjs';
import { watchLoad } from './lib/machine-load.mjs';
import { measurePingLatency, percentile } from './lib/ping-latency.mjs';

const repoRoot = fileURLToPath(new URL('../', import.meta.url));
const thisFile = fileURLToPath(import.meta.url);

/** hook rate / bare rate. */
const GOAL = 0.9;
/** Ping-to-confirmed p99, in ms. */
const LATENCY_GOAL_P99_MS = 25;

/** @param {string} message */
const log = (message) => process.stderr.write(`[ping] ${message}\n`);

function readOptions(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      duration: { type: 'string', default: '5' },
      warmup: { type: 'string', default: '1' },
      connections: { type: 'string', default: '8' },
      size: { type: 'string', default: '4096' },
      rounds: { type: 'string', default: '4' },
      pings: { type: 'string', default: '200' },
      burst: { type: 'string', default: '20' },
      serve: { type: 'string' },
      'cpu-prof': { type: 'string' },
    },
  });
  const int = wholeNumbers(values);
  return {
    durationS: int('duration', 1, 600),
    warmupS: int('warmup', 0, 60),
    connections: int('connections', 1, 256),
    size: int('size', 256, 1024 * 1024),
    rounds: int('rounds', 1, 20),
    pings: int('pings', 0, 100_000),
    burst: int('burst', 0, 1000),
    serve: values.serve,
    cpuProfDir: values['cpu-prof'] ? resolve(values['cpu-prof']) : undefined,
  };
}

/**
 * The message every connection sends: plain headers and text lines of 76 characters, CRLF
 * throughout, exactly `size` bytes, no line starting with a dot (so no dot-stuffing).
 */
function benchMessage(size) {
  const head = 'From: sender@bench.test\r\nTo: rcpt@bench.test\r\nSubject: pass-through bench\r\nMessage-ID: <bench@bench.test>\r\n\r\n';
  const line = `${'The quick brown fox jumps over the lazy dog. '.repeat(2).slice(0, 74)}\r\n`;
  let text = head;
  while (text.length + line.length <= size) text += line;
  const rest = size - text.length;
  // The last line takes up what is left (one byte left over goes into the line before it).
  if (rest === 1) text = `${text.slice(0, -2)}x\r\n`;
  else if (rest >= 2) text += `${'x'.repeat(rest - 2)}\r\n`;
  return Buffer.from(text, 'latin1');
}

// ---------------------------------------------------------------------------------------------
// Child: one server, `--serve bare` or `--serve hook`.

async function serve(kind, size) {
  const expected = benchMessage(size);
  let delivered = 0;
  let mismatched = 0;
  const check = (bytes) => {
    delivered += 1;
    if (!bytes.equals(expected)) mismatched += 1;
  };
  let close;
  let port;
  let cleanup = () => {};
  if (kind === 'bare') {
    const { SMTPServer } = await import('smtp-server');
    const server = new SMTPServer({
      size: 10 * 1024 * 1024,
      authOptional: true,
      disabledCommands: ['AUTH', 'STARTTLS'],
      disableReverseLookup: true,
      logger: false,
      onData(stream, _session, callback) {
        const chunks = [];
        stream.on('data', (chunk) => chunks.push(chunk));
        stream.on('end', () => {
          check(Buffer.concat(chunks));
          callback();
        });
      },
    });
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = server.server.address().port;
    close = () => new Promise((resolve) => server.close(resolve));
  } else if (kind === 'hook') {
    const hookPackage = await importBuiltHook();
    const dir = mkdtempSync(join(tmpdir(), 'certwizard-bench-ping-'));
    cleanup = () => rmSync(dir, { recursive: true, force: true });
    // The origin is never contacted: bench mail carries no ping nonce header.
    const book = await hookPackage.openNonceBook(dir, { caOrigin: 'https://ca.invalid' });
    let logged = 0;
    const hook = hookPackage.createMailHook({ book, pingFrom: 'ping@ca.invalid', log: () => void (logged += 1) });
    const server = await hookPackage.startMailHookServer(hook, { domains: ['bench.test'], deliver: (bytes) => check(bytes), maxClients: 1024 });
    port = server.port;
    close = async () => {
      await server.close();
      await hook.close();
      await book.close();
      if (logged > 0) process.stderr.write(`hook logged ${logged} entries for plain mail\n`);
    };
  } else {
    throw new TypeError('--serve wants bare or hook');
  }
  process.once('SIGTERM', async () => {
    await close();
    cleanup();
    process.stderr.write(`delivered ${delivered} mismatched ${mismatched}\n`);
    process.exit(0);
  });
  process.stdout.write(`listening ${port}\n`);
}

async function importBuiltHook() {
  try {
    return await import('../packages/mail-hook/dist/index.js');
  } catch (error) {
    throw new Error(`the packages are not built (${error.message}); run \`npx tsc -b\` in ${repoRoot}`, { cause: error });
  }
}

// ---------------------------------------------------------------------------------------------
// Parent: the client and the report.

/** Reads SMTP replies off a socket, one complete (possibly multi-line) reply at a time. */
function replyReader(socket) {
  let buffered = '';
  const replies = [];
  const waiters = [];
  let failure;
  const settle = () => {
    while (waiters.length > 0 && (replies.length > 0 || failure)) {
      const waiter = waiters.shift();
      if (replies.length > 0) waiter.resolve(replies.shift());
      else waiter.reject(failure);
    }
  };
  socket.on('data', (chunk) => {
    buffered += chunk.toString('latin1');
    for (;;) {
      const end = /^(\d{3}) [^\r\n]*\r\n/m.exec(buffered);
      if (end === null) break;
      replies.push(Number(end[1]));
      buffered = buffered.slice(end.index + end[0].length);
    }
    settle();
  });
  const fail = (error) => {
    failure ??= error;
    settle();
  };
  socket.on('error', fail);
  socket.on('close', () => fail(new BenchFailure('the server closed the connection')));
  return {
    /** Resolves with the next reply code; rejects when it is not `want`. */
    expect: (want) =>
      new Promise((resolve, reject) => {
        waiters.push({ resolve, reject });
        settle();
      }).then((code) => {
        if (code !== want) throw new BenchFailure(`expected ${want}, got ${code}`);
      }),
  };
}

/**
 * One client connection: sends `message` again and again until `endAt`, and counts the messages
 * accepted after `measureFrom` (performance.now() times). Every wait is bounded by the socket
 * timeout.
 */
async function drive(port, message, { measureFrom, endAt }) {
  const socket = connect(port, '127.0.0.1');
  socket.setNoDelay(true);
  socket.setTimeout(10_000, () => socket.destroy(new BenchFailure('no reply within 10 s')));
  const replies = replyReader(socket);
  const envelope = 'MAIL FROM:<sender@bench.test>\r\nRCPT TO:<rcpt@bench.test>\r\nDATA\r\n';
  const data = Buffer.concat([message, Buffer.from('.\r\n')]);
  let total = 0;
  let measured = 0;
  try {
    await replies.expect(220);
    socket.write('EHLO client.bench.test\r\n');
    await replies.expect(250);
    while (performance.now() < endAt) {
      socket.write(envelope);
      await replies.expect(250);
      await replies.expect(250);
      await replies.expect(354);
      socket.write(data);
      await replies.expect(250);
      total += 1;
      if (performance.now() > measureFrom) measured += 1;
    }
    socket.write('QUIT\r\n');
    await replies.expect(221);
  } finally {
    socket.destroy();
  }
  return { total, measured };
}

/** Starts one server child, drives it, stops it, and checks what it received. */
async function run(kind, opts, message) {
  const nodeArgs = [];
  let profDir;
  if (opts.cpuProfDir) {
    profDir = join(opts.cpuProfDir, kind);
    mkdirSync(profDir, { recursive: true });
    nodeArgs.push('--cpu-prof', '--cpu-prof-dir', profDir);
  }
  const child = await startChild(process.execPath, [...nodeArgs, thisFile, '--serve', kind, '--size', String(opts.size)], {
    name: `${kind} server`,
    ready: /^listening (\d+)$/,
  });
  let stopped = false;
  try {
    const port = Number(child.ready[1]);
    const start = performance.now();
    const measureFrom = start + opts.warmupS * 1000;
    const endAt = measureFrom + opts.durationS * 1000;
    let loadDone = () => undefined;
    let cpuAtStart;
    const loadTimer = setTimeout(() => {
      loadDone = watchLoad();
      cpuAtStart = cpuSeconds(child.process.pid);
    }, opts.warmupS * 1000);
    const counts = await Promise.all(Array.from({ length: opts.connections }, () => drive(port, message, { measureFrom, endAt })));
    clearTimeout(loadTimer);
    const load = loadDone();
    const cpuAtEnd = cpuSeconds(child.process.pid);
    const exit = await child.stop();
    stopped = true;
    if (exit.code !== 0) throw new BenchFailure(`${kind} server exited with ${exit.signal ?? `status ${exit.code}`}`);
    const total = counts.reduce((sum, c) => sum + c.total, 0);
    const measured = counts.reduce((sum, c) => sum + c.measured, 0);
    const stderr = child.stderrTail();
    const said = /delivered (\d+) mismatched (\d+)/.exec(stderr);
    if (!said) throw new BenchFailure(`${kind} server did not report its count:\n${stderr}`);
    if (Number(said[1]) !== total || Number(said[2]) !== 0) {
      throw new BenchFailure(`${kind} server: client saw ${total} accepted, server delivered ${said[1]}, ${said[2]} not byte-identical`);
    }
    if (/logged/.test(stderr)) throw new BenchFailure(`${kind} server: ${stderr.trim()}`);
    const cpuPerMailUs = cpuAtStart === undefined || cpuAtEnd === undefined || measured === 0 ? undefined : ((cpuAtEnd - cpuAtStart) / measured) * 1e6;
    const profile = profDir ? summariseProfile(readNewestProfile(profDir)) : undefined;
    return { rate: measured / opts.durationS, total, load, cpuPerMailUs, profile };
  } finally {
    if (!stopped) await child.stop().catch((error) => log(error.message));
  }
}

/** Clock ticks per second of /proc/PID/stat (USER_HZ): 100 on every Linux that Node runs on. */
const USER_HZ = 100;

/**
 * CPU time (user + system) a process has used so far, in seconds, from /proc (Linux only;
 * undefined elsewhere). Fields are counted from the last ")" since the name may hold spaces.
 */
function cpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / USER_HZ;
  } catch {
    return undefined;
  }
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

function report(results, opts) {
  const bare = median(results.map((r) => r.bare.rate));
  const hook = median(results.map((r) => r.hook.rate));
  // The median of the rounds' ratios: each pair ran seconds apart, so it saw nearly the same machine.
  const ratio = median(results.map((r) => r.hook.rate / r.bare.rate));
  const cpu = (side) => {
    const values = results.map((r) => r[side].cpuPerMailUs).filter((v) => v !== undefined);
    return values.length === results.length ? median(values) : undefined;
  };
  const [bareCpu, hookCpu] = [cpu('bare'), cpu('hook')];
  const cpuRatio = bareCpu === undefined ? undefined : median(results.map((r) => r.bare.cpuPerMailUs / r.hook.cpuPerMailUs));
  const lines = [
    `mail-hook pass-through benchmark (this machine: ${availableParallelism()} cores, ${cpus()[0]?.model.trim() ?? 'unknown CPU'}, node ${process.version})`,
    `${opts.connections} connections, ${opts.size}-byte messages, ${opts.durationS} s measured after ${opts.warmupS} s warm-up, ${opts.rounds} round(s)`,
    `${'round'.padEnd(8)}${'bare smtp-server mails/s'.padStart(26)}${'hook listener mails/s'.padStart(24)}${'ratio'.padStart(8)}`,
  ];
  results.forEach((r, i) => {
    lines.push(
      `${String(i + 1).padEnd(8)}${Math.round(r.bare.rate).toString().padStart(26)}${Math.round(r.hook.rate).toString().padStart(24)}${(r.hook.rate / r.bare.rate).toFixed(2).padStart(7)}x`,
    );
  });
  lines.push(
    `${'median'.padEnd(8)}${Math.round(bare).toString().padStart(26)}${Math.round(hook).toString().padStart(24)}${ratio.toFixed(2).padStart(7)}x   goal >= ${GOAL}x   ${ratio >= GOAL ? 'met' : 'NOT met'}`,
  );
  if (bareCpu !== undefined && hookCpu !== undefined) {
    // Less sensitive to other load than the rates: what one mail costs the server process.
    lines.push(
      `server CPU per mail (median): bare ${bareCpu.toFixed(1)} µs, hook ${hookCpu.toFixed(1)} µs; ` +
        `bare/hook per round, median ${cpuRatio.toFixed(2)}x (the rate ratio a CPU-bound server would show)`,
    );
  }
  const loads = results.flatMap((r) => [r.bare.load, r.hook.load]).filter(Boolean);
  if (loads.length > 0) {
    const worst = Math.max(...loads.map((l) => l.otherCores + l.stealCores));
    lines.push(`CPU taken by other processes (+ steal) during the measurements, in cores: at most ${worst.toFixed(2)}`);
    if (worst > BUSY_MACHINE_CORES)
      lines.push(`WARNING: other work took > ${BUSY_MACHINE_CORES} cores during a measurement; run again when the machine is idle`);
  }
  for (const side of ['bare', 'hook']) {
    const profile = results.at(-1)?.[side].profile;
    if (!profile) continue;
    lines.push('', `CPU profile, ${side} server, last round (${profile.totalMs.toFixed(0)} ms sampled)`);
    lines.push(
      `  by package: ${profile.packages
        .slice(0, 8)
        .map((p) => `${p.name} ${(p.share * 100).toFixed(1)}%`)
        .join(', ')}`,
    );
    for (const f of profile.functions) lines.push(`  ${(f.share * 100).toFixed(1).padStart(5)}%  ${f.name.padEnd(36)} ${f.where}`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

function reportLatency({ sequential, concurrent, newConnectionMs }, load) {
  const fmt = (values) => `p50 ${percentile(values, 50).toFixed(1)} ms, p99 ${percentile(values, 99).toFixed(1)} ms, max ${Math.max(...values).toFixed(1)} ms`;
  const p99 = percentile(sequential, 99);
  const lines = [
    '',
    `ping-to-confirmed latency (CA -> SMTP -> hook -> POST /api/ping/confirm -> CA -> SMTP reply), real CA in-process`,
    `${sequential.length} pings one after another: ${fmt(sequential)}   goal p99 <= ${LATENCY_GOAL_P99_MS} ms   ${p99 <= LATENCY_GOAL_P99_MS ? 'met' : 'NOT met'}`,
  ];
  if (concurrent.length > 0) lines.push(`${concurrent.length} pings at once: ${fmt(concurrent)} (reported, not judged)`);
  lines.push(
    `(the CA's mailer keeps its SMTP connection open; one ordinary mail on a new connection took ${newConnectionMs.toFixed(1)} ms, mostly smtp-server's fixed 100 ms greeting delay)`,
  );
  if (load) {
    const taken = load.otherCores + load.stealCores;
    lines.push(`CPU taken by other processes (+ steal) during the latency run, in cores: ${taken.toFixed(2)}`);
    if (taken > BUSY_MACHINE_CORES) lines.push(`WARNING: other work took > ${BUSY_MACHINE_CORES} cores; run again when the machine is idle`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

async function main() {
  const opts = readOptions(process.argv.slice(2));
  if (opts.serve !== undefined) return serve(opts.serve, opts.size);
  await importBuiltHook();
  const message = benchMessage(opts.size);
  const onSignal = (signal) => {
    killAllChildren();
    process.kill(process.pid, signal);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const results = [];
    for (let round = 1; round <= opts.rounds; round++) {
      // The order alternates: on a busy machine whichever runs second can fare better or worse.
      const order = round % 2 === 1 ? ['bare', 'hook'] : ['hook', 'bare'];
      log(`round ${round}/${opts.rounds}: ${order.join(', then ')} (${opts.warmupS + opts.durationS} s each)`);
      const result = {};
      for (const kind of order) result[kind] = await run(kind, opts, message);
      results.push(result);
    }
    report(results, opts);
    if (opts.pings > 0) {
      const loadDone = watchLoad();
      const latency = await measurePingLatency({ repoRoot, samples: opts.pings, warmup: 20, concurrent: opts.burst, log });
      reportLatency(latency, loadDone());
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

main().catch((error) => {
  log(error instanceof BenchFailure ? `FAILED: ${error.message}` : (error?.stack ?? String(error)));
  process.exitCode = 1;
});
