/**
 * Hardening 2: credentials never follow a redirect. A CA (or something in front of it) that
 * answers 307 to another origin would otherwise receive the account password, the bearer token
 * and the request again there. Every SDK call that can carry a credential is tried against a
 * real server on loopback that redirects to a second real server; the second must see nothing,
 * and the call must fail with ERR_SDK_CA_PROTOCOL and the redirect's status.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { cacertMethod } from '../methods/cacert/cacert-method.js';
import { createKeyAndCsr } from '../enroll/key-and-csr.js';
import { sslApiMethod } from '../methods/ssl-api/ssl-api-method.js';
import { register } from '../registration/register.js';

interface Listening {
  readonly url: string;
  readonly seen: Array<{ method: string; url: string; authorization?: string; body: string }>;
  readonly server: Server;
}

async function listen(handler: (req: IncomingMessage, body: string, res: import('node:http').ServerResponse) => void): Promise<Listening> {
  const seen: Listening['seen'] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      seen.push({ method: req.method ?? '', url: req.url ?? '', ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}), body });
      handler(req, body, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, server };
}

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
});

/** The CA at `ca`, which redirects every request (307: method and body kept) to `elsewhere`. */
async function redirectingCa(status = 307): Promise<{ ca: Listening; elsewhere: Listening }> {
  const elsewhere = await listen((_req, _body, res) => res.end('collected'));
  const ca = await listen((req, _body, res) => {
    res.statusCode = status;
    res.setHeader('Location', `${elsewhere.url}${req.url ?? '/'}`);
    res.end();
  });
  servers.push(elsewhere.server, ca.server);
  return { ca, elsewhere };
}

describe('credentials never follow a redirect (hardening 2)', () => {
  it.each([301, 302, 303, 307, 308])('cacertMethod with the account password: %s is ERR_SDK_CA_PROTOCOL, and the other origin sees nothing', async (status) => {
    const { ca, elsewhere } = await redirectingCa(status);
    const { csrPem } = await createKeyAndCsr({ names: { email: ['ada@example.org'] } });
    const method = cacertMethod({ caUrl: ca.url, credentials: { username: 'ada@example.org', password: 'correct horse battery' } });
    await expect(method.submit({ csrPem })).rejects.toMatchObject({ code: 'ERR_SDK_CA_PROTOCOL', status });
    expect(ca.seen).toHaveLength(1);
    expect(ca.seen[0]?.body).toContain('correct+horse+battery');
    expect(elsewhere.seen).toEqual([]);
  });

  it('cacertMethod with the installation token: the bearer token stays with the CA', async () => {
    const { ca, elsewhere } = await redirectingCa();
    const { csrPem } = await createKeyAndCsr({ names: { email: ['ada@example.org'] } });
    const method = cacertMethod({ caUrl: ca.url, credentials: { installationToken: 'T'.repeat(43) } });
    await expect(method.submit({ csrPem })).rejects.toMatchObject({ code: 'ERR_SDK_CA_PROTOCOL', status: 307 });
    expect(ca.seen[0]?.authorization).toBe(`Bearer ${'T'.repeat(43)}`);
    expect(elsewhere.seen).toEqual([]);
  });

  it('sslApiMethod: the request is not sent again elsewhere', async () => {
    const { ca, elsewhere } = await redirectingCa();
    const { csrPem } = await createKeyAndCsr({ names: { dns: ['mail.example.org'] } });
    await expect(sslApiMethod({ caUrl: ca.url, client: 'vendor1' }).submit({ csrPem })).rejects.toMatchObject({ code: 'ERR_SDK_CA_PROTOCOL', status: 307 });
    expect(ca.seen).toHaveLength(1);
    expect(elsewhere.seen).toEqual([]);
  });

  it('register(): the ticket request (with the mail hook nonce) is not sent again elsewhere, and no browser opens', async () => {
    const { ca, elsewhere } = await redirectingCa();
    const opened: string[] = [];
    await expect(
      register({ caUrl: ca.url, pingNonce: 'N'.repeat(43), opener: async (url) => void opened.push(url), retries: 0, timeoutMs: 10_000 }),
    ).rejects.toMatchObject({ code: 'ERR_SDK_CA_PROTOCOL', status: 307 });
    expect(ca.seen).toHaveLength(1);
    expect(ca.seen[0]?.body).toBe(`PingNonce=${'N'.repeat(43)}`);
    expect(elsewhere.seen).toEqual([]);
    expect(opened).toEqual([]);
  });
});
