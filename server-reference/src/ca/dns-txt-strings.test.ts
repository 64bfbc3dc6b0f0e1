/**
 * A TXT record of several character-strings (RFC 1035 §3.3.14), served by a real DNS server:
 * Debian's dnsmasq, which puts each text of one `--txt-record` into one record as a string of
 * its own (pebble-challtestsrv, used by the other DNS tests, only serves one string a record).
 * The check joins one record's strings into its value, as RFC 7208 §3.3 does for SPF, and never
 * takes one string, or a string of another record, for the value.
 */
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { Resolver } from 'node:dns/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DnsTxtCheck } from './dns-txt-check.js';

const NAME = '_certwizard-challenge';
let server: { address: string; stop: () => Promise<void> };

/** A free loopback UDP port: bound on port 0, then released for dnsmasq to take. */
async function freeUdpPort(): Promise<number> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

/**
 * Starts dnsmasq in the foreground with only the given records (`NAME,TEXT[,TEXT...]`: each TEXT
 * a string of one record; argv is not its config file, so no quotes), and waits until it answers.
 */
async function startDnsmasq(records: readonly string[]): Promise<{ address: string; stop: () => Promise<void> }> {
  const port = await freeUdpPort();
  const child = spawn(
    'dnsmasq',
    [
      '--keep-in-foreground',
      '--conf-file=/dev/null',
      '--no-resolv',
      '--no-hosts',
      '--no-poll',
      '--pid-file=',
      '--listen-address=127.0.0.1',
      '--bind-interfaces',
      `--port=${port}`,
      ...records.map((r) => `--txt-record=${r}`),
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  const resolver = new Resolver({ timeout: 200, tries: 1 });
  resolver.setServers([`127.0.0.1:${port}`]);
  for (let attempt = 0; ; attempt++) {
    if (child.exitCode !== null) throw new Error(`dnsmasq exited: ${stderr}`);
    try {
      await resolver.resolveTxt(`ready.${NAME}.example.test`);
      break;
    } catch (err) {
      const code = (err as { code?: string }).code;
      // Any DNS answer means it is serving: with no upstream, dnsmasq refuses names it does not hold.
      if (code === 'EREFUSED' || code === 'ENOTFOUND' || code === 'ENODATA') break;
      if (attempt >= 100) {
        await stop();
        throw new Error(`dnsmasq did not answer: ${stderr}`, { cause: err });
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return { address: `127.0.0.1:${port}`, stop };
}

beforeAll(async () => {
  server = await startDnsmasq([
    // one record, two strings
    `${NAME}.split.test,first-half-,second-half`,
    // two records at one name: one decoy, one the value in two strings
    `${NAME}.several.test,decoy`,
    `${NAME}.several.test,value-in-,two-strings`,
  ]);
});

afterAll(async () => {
  await server?.stop();
});

describe('a TXT record of several strings (dnsmasq)', () => {
  it('is served as one record with its strings apart (the premise of the test)', async () => {
    const resolver = new Resolver({ timeout: 1000, tries: 1 });
    resolver.setServers([server.address]);
    expect(await resolver.resolveTxt(`${NAME}.split.test`)).toEqual([['first-half-', 'second-half']]);
  });

  it('matches the value its strings make joined', async () => {
    const check = new DnsTxtCheck({ servers: [server.address] });
    expect(await check.check({ domain: 'split.test', token: 't', expected: 'first-half-second-half' })).toEqual({ ok: true });
  });

  it.each(['first-half-', 'second-half', 'first-half- second-half', 'first-half-second-half-and-more'])(
    'does not take %j, a part or a variation of the joined value, for it',
    async (expected) => {
      const check = new DnsTxtCheck({ servers: [server.address] });
      expect(await check.check({ domain: 'split.test', token: 't', expected })).toMatchObject({ ok: false });
    },
  );

  it('matches one of several records, strings joined per record and never across records', async () => {
    const check = new DnsTxtCheck({ servers: [server.address] });
    expect(await check.check({ domain: 'several.test', token: 't', expected: 'value-in-two-strings' })).toEqual({ ok: true });
    expect(await check.check({ domain: 'several.test', token: 't', expected: 'decoyvalue-in-two-strings' })).toMatchObject({ ok: false });
    expect(await check.check({ domain: 'several.test', token: 't', expected: 'decoy' })).toEqual({ ok: true });
  });
});
