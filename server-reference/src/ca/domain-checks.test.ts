/**
 * The DNS TXT and HTTP file checks against real peers: pebble-challtestsrv as the DNS server
 * (TXT records set through its management API; A queries answered with 127.0.0.1), and a
 * node:http server on 127.0.0.1 port 0 standing in for the domain's web server. Hostile cases:
 * several TXT values, a value that only contains the expected one, a file behind a redirect to
 * another host, a body that echoes the path, a private address when it is not allowed.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DnsTxtCheck } from './dns-txt-check.js';
import { HttpFileCheck } from './http-file-check.js';
import { isPublicAddress } from './public-address.js';
import { type ChallTestSrv, startChallTestSrv } from './test-support/challtestsrv.js';

const EXPECTED = 'Zm9vYmFyLWV4cGVjdGVkLXZhbHVlLW9mLTQzLWNoYXJz';
const TOKEN = 'dG9rZW4tb2YtdGhlLWh0dHAtZmlsZS00My1jaGFyYWN0';

let dns: ChallTestSrv;
beforeAll(async () => {
  dns = await startChallTestSrv();
}, 20_000);
afterAll(async () => {
  await dns?.stop();
});

describe('DnsTxtCheck', () => {
  const check = () => new DnsTxtCheck({ servers: [dns.dnsServer], timeoutMs: 2000 });

  it('finds the value among several TXT records at _certwizard-challenge.<domain>', async () => {
    await dns.setTxt('_certwizard-challenge.several.example.test', 'v=spf1 -all');
    await dns.setTxt('_certwizard-challenge.several.example.test', EXPECTED);
    await dns.setTxt('_certwizard-challenge.several.example.test', 'something else');
    expect(await check().check({ domain: 'several.example.test', token: TOKEN, expected: EXPECTED })).toEqual({ ok: true });
  });

  it.each([
    { name: 'a record that contains the value', sub: 'contains', value: `x${EXPECTED}` },
    { name: 'a record that is a prefix of the value', sub: 'prefix', value: EXPECTED.slice(0, 20) },
    { name: 'the value with a space', sub: 'space', value: `${EXPECTED} ` },
  ])('refuses $name: exact match only', async ({ sub, value }) => {
    const domain = `${sub}.example.test`;
    await dns.setTxt(`_certwizard-challenge.${domain}`, value);
    const result = await check().check({ domain, token: TOKEN, expected: EXPECTED });
    expect(result).toEqual({ ok: false, problem: `none of the 1 TXT record(s) at _certwizard-challenge.${domain} is the expected value` });
  });

  it('refuses a record at the domain itself instead of the challenge label', async () => {
    await dns.setTxt('apex.example.test', EXPECTED);
    const result = await check().check({ domain: 'apex.example.test', token: TOKEN, expected: EXPECTED });
    expect(result.ok).toBe(false);
  });

  it('says no record when there is none', async () => {
    const result = await check().check({ domain: 'none.example.test', token: TOKEN, expected: EXPECTED });
    expect(result).toMatchObject({ ok: false, problem: expect.stringContaining('_certwizard-challenge.none.example.test') });
  });

  it('throws the abort reason when aborted', async () => {
    const controller = new AbortController();
    controller.abort(new Error('stop'));
    await expect(check().check({ domain: 'x.example.test', token: TOKEN, expected: EXPECTED }, { signal: controller.signal })).rejects.toThrow('stop');
  });
});

describe('HttpFileCheck', () => {
  let server: Server;
  let port: number;
  const seen: { host?: string; url?: string; authorization?: string }[] = [];
  let handler: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.end();

  beforeAll(async () => {
    server = createServer((req, res) => {
      seen.push({ ...(req.headers.host ? { host: req.headers.host } : {}), ...(req.url ? { url: req.url } : {}) });
      handler(req, res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const check = (extra: { allowPrivateAddresses?: boolean; maxRedirects?: number } = {}) =>
    new HttpFileCheck({ servers: [dns.dnsServer], port, allowPrivateAddresses: true, timeoutMs: 3000, ...extra });
  const challenge = { domain: 'web.example.test', token: TOKEN, expected: EXPECTED };

  it('finds the file at /.well-known/certwizard-challenge/<token>, asking the resolved address with the domain as Host', async () => {
    seen.length = 0;
    handler = (req, res) => res.end(req.url === `/.well-known/certwizard-challenge/${TOKEN}` ? `${EXPECTED}\n` : 'no');
    expect(await check().check(challenge)).toEqual({ ok: true });
    expect(seen).toEqual([{ host: 'web.example.test', url: `/.well-known/certwizard-challenge/${TOKEN}` }]);
  });

  it('refuses a body that only contains the value, and one that echoes the path', async () => {
    handler = (_req, res) => res.end(`<p>${EXPECTED}</p>`);
    expect(await check().check(challenge)).toEqual({ ok: false, problem: 'the file does not hold the expected value' });
    handler = (req, res) => res.end(`not found: ${req.url}`);
    expect((await check().check({ ...challenge, expected: TOKEN })).ok).toBe(false);
  });

  it('refuses a status other than 200', async () => {
    handler = (_req, res) => {
      res.statusCode = 404;
      res.end(EXPECTED);
    };
    expect(await check().check(challenge)).toEqual({ ok: false, problem: 'the file answered HTTP 404' });
  });

  it('follows a redirect on the same host', async () => {
    handler = (req, res) => {
      if (req.url?.startsWith('/.well-known/')) {
        res.writeHead(302, { location: '/moved/file' });
        res.end();
      } else res.end(EXPECTED);
    };
    expect(await check().check(challenge)).toEqual({ ok: true });
  });

  it('refuses a file behind a redirect to another host, without following it', async () => {
    seen.length = 0;
    handler = (req, res) => {
      if (req.headers.host === 'web.example.test') {
        res.writeHead(301, { location: `http://evil.example.test:${port}/file` });
        res.end();
      } else res.end(EXPECTED);
    };
    const result = await check().check(challenge);
    expect(result).toEqual({ ok: false, problem: `a redirect to another host or scheme (http://evil.example.test:${port}) is not followed` });
    expect(seen.map((s) => s.host)).toEqual(['web.example.test']);
  });

  it('refuses a redirect to https on the same host, and a redirect loop after the limit', async () => {
    handler = (_req, res) => {
      res.writeHead(302, { location: 'https://web.example.test/file' });
      res.end();
    };
    expect((await check().check(challenge)).ok).toBe(false);
    handler = (req, res) => {
      res.writeHead(302, { location: `${req.url ?? '/'}x` });
      res.end();
    };
    expect(await check({ maxRedirects: 2 }).check(challenge)).toEqual({ ok: false, problem: 'more than 2 redirects' });
  });

  it('refuses a body over the limit', async () => {
    handler = (_req, res) => res.end(`${EXPECTED}${' '.repeat(4096)}`);
    expect(await check().check(challenge)).toEqual({ ok: false, problem: 'the file is larger than 1024 bytes' });
  });

  it('refuses a private (loopback) address when private addresses are not allowed, connecting nowhere', async () => {
    seen.length = 0;
    handler = (_req, res) => res.end(EXPECTED);
    const result = await check({ allowPrivateAddresses: false }).check(challenge);
    expect(result).toEqual({ ok: false, problem: 'web.example.test resolves to 127.0.0.1, which is not a public address' });
    expect(seen).toEqual([]);
  });

  it('refuses a name with a public and a private address (the requester runs the DNS)', async () => {
    await dns.addA('mixed.example.test', ['93.184.215.14', '10.0.0.1']);
    const result = await check({ allowPrivateAddresses: false }).check({ ...challenge, domain: 'mixed.example.test' });
    expect(result).toEqual({ ok: false, problem: 'mixed.example.test resolves to 10.0.0.1, which is not a public address' });
  });

  it('times out a server that never answers', async () => {
    handler = () => undefined;
    const slow = new HttpFileCheck({ servers: [dns.dnsServer], port, allowPrivateAddresses: true, timeoutMs: 300 });
    expect(await slow.check(challenge)).toEqual({ ok: false, problem: 'no complete answer within 300 ms' });
  });
});

describe('isPublicAddress', () => {
  it.each([
    ['93.184.215.14', true],
    ['2606:4700:4700::1111', true],
    ['::ffff:93.184.215.14', true],
    ['127.0.0.1', false],
    ['10.1.2.3', false],
    ['172.16.0.1', false],
    ['192.168.1.1', false],
    ['169.254.169.254', false],
    ['100.64.0.1', false],
    ['0.0.0.0', false],
    ['224.0.0.1', false],
    ['255.255.255.255', false],
    ['192.0.2.1', false],
    ['::', false],
    ['::1', false],
    ['::ffff:127.0.0.1', false],
    ['::ffff:7f00:1', false],
    ['64:ff9b::7f00:1', false],
    ['fc00::1', false],
    ['fd12:3456::1', false],
    ['fe80::1', false],
    ['ff02::1', false],
    ['2001:db8::1', false],
    ['2002:7f00:1::', false],
    ['example.org', false],
  ])('%s: %s', (address, want) => {
    expect(isPublicAddress(address)).toBe(want);
  });
});
