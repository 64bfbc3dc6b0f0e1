/**
 * The SCEP HTTP binding against a real HTTP server on 127.0.0.1:0: the operation and the base64
 * message in the query for GET, the DER body with `application/x-pki-message` for POST, a
 * redirect not followed (ERR_SDK_CA_PROTOCOL), an answer over 1 MiB refused, a closed port
 * ERR_SDK_CA_UNREACHABLE, and an aborted call rejecting with the signal's reason.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { scepHttp } from './scep-http.js';

let server: Server | undefined;
afterEach(async () => {
  await new Promise<void>((resolve) => (server === undefined ? resolve() : server.close(() => resolve())));
  server = undefined;
});

interface Seen {
  readonly method: string;
  readonly url: string;
  readonly contentType: string | undefined;
  readonly body: Buffer;
}

/** A server answering every request with `answer`, recording what it got. */
async function serve(answer: (req: IncomingMessage, res: import('node:http').ServerResponse) => void): Promise<{ url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', contentType: req.headers['content-type'], body: Buffer.concat(chunks) });
      answer(req, res);
    });
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/scep`, seen };
}

describe('scepHttp', () => {
  it('sends GET with operation and the base64 message, POST with the DER body', async () => {
    const { url, seen } = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/x-pki-message; charset=binary', 'retry-after': '7' });
      res.end(Buffer.from([1, 2, 3]));
    });
    const message = new Uint8Array([0x30, 0x03, 0xff, 0xfe, 0xfd]);
    const got = await scepHttp({ url, operation: 'PKIOperation', message, fetch });
    expect(got).toEqual({ status: 200, contentType: 'application/x-pki-message', body: new Uint8Array([1, 2, 3]), retryAfter: '7' });
    const get = new URL(seen[0]?.url ?? '', url);
    expect(seen[0]?.method).toBe('GET');
    expect(get.pathname).toBe('/scep');
    expect(get.searchParams.get('operation')).toBe('PKIOperation');
    expect(Buffer.from(get.searchParams.get('message') ?? '', 'base64')).toEqual(Buffer.from(message));
    await scepHttp({ url, operation: 'PKIOperation', message, post: true, fetch });
    expect(seen[1]).toMatchObject({ method: 'POST', url: '/scep?operation=PKIOperation', contentType: 'application/x-pki-message' });
    expect(seen[1]?.body).toEqual(Buffer.from(message));
  });

  it('does not follow a redirect, and refuses an answer over 1 MiB', async () => {
    const { url, seen } = await serve((req, res) => {
      if ((req.url ?? '').includes('GetCACaps')) {
        res.writeHead(302, { location: '/elsewhere' });
        res.end();
      } else {
        res.writeHead(200, { 'content-type': 'application/x-x509-ca-ra-cert' });
        res.end(Buffer.alloc((1 << 20) + 1));
      }
    });
    await expect(scepHttp({ url, operation: 'GetCACaps', fetch })).rejects.toMatchObject({ code: 'ERR_SDK_CA_PROTOCOL', status: 302 });
    expect(seen).toHaveLength(1);
    await expect(scepHttp({ url, operation: 'GetCACert', fetch })).rejects.toMatchObject({ code: 'ERR_SDK_CA_PROTOCOL', message: /larger than 1 MiB/ });
  });

  it('is ERR_SDK_CA_UNREACHABLE on a closed port', async () => {
    const { url } = await serve(() => undefined);
    await new Promise<void>((resolve) => server?.close(() => resolve()));
    server = undefined;
    await expect(scepHttp({ url, operation: 'GetCACaps', fetch })).rejects.toMatchObject({ code: 'ERR_SDK_CA_UNREACHABLE' });
  });

  it('rejects with the reason of an aborted signal', async () => {
    const { url } = await serve(() => undefined);
    const stop = new AbortController();
    const reason = new Error('stopped');
    const call = scepHttp({ url, operation: 'GetCACaps', fetch, signal: stop.signal });
    setTimeout(() => stop.abort(reason), 50);
    await expect(call).rejects.toBe(reason);
    server?.closeAllConnections();
  });
});
