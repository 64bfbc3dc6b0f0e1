/**
 * Ping-to-confirmed latency: from the moment the reference CA hands an email ping to SMTP until
 * the ping is confirmed at the CA. The path is the real one: the CA's SMTP mailer (nodemailer) to
 * the mail hook's standalone listener on loopback, the hook's checks against its nonce book, its
 * `POST /api/ping/confirm` back to the CA, the CA's confirmation (account activated, ticket done),
 * then the SMTP reply. The hook replies to DATA only after the CA answered, so the time the CA's
 * `mailer.send()` takes for a ping is exactly ping-to-confirmed (plus the SMTP handshake).
 *
 * The CA runs in this process (so that its mailer can be timed); each sample is a registration
 * carrying a fresh nonce from the hook's nonce book, whose confirmation mail is the ping. Every
 * sample is checked: the account must be active and the hook must have logged the confirmation.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

const PING_FROM = 'ping@localhost';

/** A free TCP port on loopback: the CA's origin must be known before the hook's book opens. */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * Measures `samples` pings, one after another (and `concurrent` of them at once, for the tail
 * under contention), after `warmup` unmeasured ones.
 * @returns {{ sequential: number[], concurrent: number[], newConnectionMs: number }} durations in ms
 */
export async function measurePingLatency({ repoRoot, samples, warmup, concurrent, log }) {
  const server = await import(join(repoRoot, 'server-reference/dist/index.js'));
  const hookLib = await import(join(repoRoot, 'packages/mail-hook/dist/index.js'));
  const dir = mkdtempSync(join(tmpdir(), 'certwizard-bench-ping-'));
  const closers = [];
  try {
    const identityDir = join(dir, 'identity');
    await server.createIdentity(identityDir, {
      subject: [{ type: 'CN', value: 'Bench CA' }],
      validityYears: 1,
      keyType: 'p256',
      passphrase: 'bench passphrase',
    });
    const port = await freePort();
    const caOrigin = `http://127.0.0.1:${port}`;

    const book = await hookLib.openNonceBook(join(dir, 'nonces'), { caOrigin, maxPending: samples + warmup + concurrent + 10 });
    closers.push(() => book.close());
    const confirmed = [];
    const hook = hookLib.createMailHook({ book, pingFrom: PING_FROM, log: (entry) => entry.event === 'ping-confirmed' && confirmed.push(entry.address) });
    closers.push(() => hook.close());
    const listener = await hookLib.startMailHookServer(hook, { domains: ['mail.example'], deliver: () => {} });
    closers.push(() => listener.close());

    // The CA's own SMTP mailer, timed around each ping; pooled, so that each ping is one mail on
    // an open connection (a new connection would add smtp-server's fixed 100 ms greeting delay,
    // its early-talker check, to every sample: a property of the receiving server, measured
    // separately below).
    const smtp = server.createSmtpMailer({ host: '127.0.0.1', port: listener.port, pool: true });
    closers.push(() => smtp.close());
    const times = new Map();
    const mailer = {
      async send(message) {
        const started = performance.now();
        await smtp.send(message);
        const nonce = message.headers?.['X-Certwizard-Ping-Nonce'];
        if (nonce !== undefined) times.set(message.to.toLowerCase(), performance.now() - started);
      },
    };
    const config = server.buildServeConfig({ identity: identityDir, data: join(dir, 'data'), listen: `127.0.0.1:${port}`, pingFrom: PING_FROM });
    const ca = await server.startCa(config, {
      identity: server.loadIdentity(identityDir, 'bench passphrase'),
      logger: server.silentLogger,
      mailer,
      // Password hashing is not what is measured: the cheapest scrypt the CA accepts.
      scryptN: 2 ** 10,
      rateLimit: { capacity: 1_000_000, refillIntervalMs: 1 },
      // Read back through the test-only management server, never by opening the database file.
      management: {},
    });
    closers.push(() => ca.close({ graceMs: 1000 }));

    let n = 0;
    const register = async () => {
      const address = `postmaster${++n}@mail.example`;
      const nonce = await book.expect(address, { ttlMs: 60 * 60_000 });
      const body = new URLSearchParams({
        FirstName: 'Bench',
        LastName: 'Mark',
        EmailAddress: address,
        DateOfBirth: '1990-01-01',
        Password: 'bench password 1',
        PasswordConfirmation: 'bench password 1',
        Question1: 'q1?',
        Answer1: 'a1',
        Question2: 'q2?',
        Answer2: 'a2',
        PingNonce: nonce,
      });
      const res = await fetch(`${caOrigin}/index.php?id=1`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body,
        redirect: 'manual',
      });
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`registration ${address} answered ${res.status}`);
      const ms = times.get(address);
      if (ms === undefined || !confirmed.includes(address)) throw new Error(`the ping to ${address} was not confirmed by the hook`);
      return ms;
    };
    log(`ping latency: ${warmup} warm-up pings, ${samples} measured one after another, then ${concurrent} at once`);
    for (let i = 0; i < warmup; i++) await register();
    const sequential = [];
    for (let i = 0; i < samples; i++) sequential.push(await register());
    const concurrentTimes = await Promise.all(Array.from({ length: concurrent }, () => register()));
    // One mail on a fresh connection, for the record: the greeting delay of the listener.
    const fresh = server.createSmtpMailer({ host: '127.0.0.1', port: listener.port });
    const started = performance.now();
    await fresh.send({ to: 'nobody@mail.example', subject: 'connection setup', text: 'ordinary mail' });
    const newConnectionMs = performance.now() - started;
    fresh.close();
    const { accounts } = await (await fetch(`${ca.managementUrl}/counts`)).json();
    if (accounts !== n) throw new Error(`${n} registrations, but ${accounts} accounts stored`);
    return { sequential, concurrent: concurrentTimes, newConnectionMs };
  } finally {
    for (const close of closers.reverse()) await close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The p-th percentile (nearest rank) of `values`. */
export function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
