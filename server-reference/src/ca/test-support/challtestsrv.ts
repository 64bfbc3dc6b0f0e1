/**
 * Test support: a real DNS server for the domain checks, letsencrypt/pebble's
 * `pebble-challtestsrv` (Debian package `pebble`), on free loopback ports. It answers A queries
 * for any name with 127.0.0.1 and AAAA with nothing, and TXT records set through its management
 * API. Whoever starts one stops it.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';

/** A running pebble-challtestsrv. */
export interface ChallTestSrv {
  /** `127.0.0.1:PORT` of its DNS server (UDP and TCP), for `--dns-resolver` / `Resolver#setServers`. */
  readonly dnsServer: string;
  /** Adds a TXT record (one per call; several calls make several records) at `host`. */
  setTxt(host: string, value: string): Promise<void>;
  /** Removes every TXT record at `host`. */
  clearTxt(host: string): Promise<void>;
  /** Answers A queries for `host` with `addresses` instead of 127.0.0.1. */
  addA(host: string, addresses: readonly string[]): Promise<void>;
  /** Stops the process. */
  stop(): Promise<void>;
}

/**
 * A free loopback TCP port: bound on port 0, then released for a server that must be told its
 * port before it starts (a peer's command line, a mail server the CA relays to across restarts).
 */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * Starts pebble-challtestsrv and waits until its management API answers.
 * @example
 * const dns = await startChallTestSrv();
 * try { await dns.setTxt('_certwizard-challenge.example.test', value); } finally { await dns.stop(); }
 */
export async function startChallTestSrv(): Promise<ChallTestSrv> {
  const dnsPort = await freePort();
  const managementPort = await freePort();
  const child = spawn(
    'pebble-challtestsrv',
    [
      '-dns01',
      `127.0.0.1:${dnsPort}`,
      '-http01',
      '',
      '-https01',
      '',
      '-tlsalpn01',
      '',
      '-management',
      `127.0.0.1:${managementPort}`,
      '-defaultIPv4',
      '127.0.0.1',
      '-defaultIPv6',
      '',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const base = `http://127.0.0.1:${managementPort}`;
  const post = async (path: string, body: unknown) => {
    const res = await fetch(`${base}${path}`, { method: 'POST', body: JSON.stringify(body) });
    if (!res.ok) throw new Error(`pebble-challtestsrv ${path} answered ${res.status}: ${await res.text()}`);
  };
  const fqdn = (host: string) => (host.endsWith('.') ? host : `${host}.`);
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  // Ready when the management API answers (it starts after the DNS server).
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`pebble-challtestsrv exited: ${output}`);
    try {
      await post('/clear-txt', { host: 'ready.invalid.' });
      break;
    } catch {
      if (Date.now() > deadline) {
        await stop();
        throw new Error(`pebble-challtestsrv did not start: ${output}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return {
    dnsServer: `127.0.0.1:${dnsPort}`,
    setTxt: (host, value) => post('/set-txt', { host: fqdn(host), value }),
    clearTxt: (host) => post('/clear-txt', { host: fqdn(host) }),
    addA: (host, addresses) => post('/add-a', { host: fqdn(host), addresses }),
    stop,
  };
}
