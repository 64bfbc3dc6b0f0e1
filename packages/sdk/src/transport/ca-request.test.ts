import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { Clock } from '../registration/clock.js';
import { type CaRequest, type CaRequestContext, sendCaRequest } from './ca-request.js';

// A real HTTP server on loopback that answers 502 to the first `failFirst` requests.
async function flakyServer(failFirst: number): Promise<{ url: string; hits: () => number; server: Server }> {
  let hits = 0;
  const server = createServer((_req, res) => {
    hits++;
    res.statusCode = hits <= failFirst ? 502 : 200;
    res.end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/x`, hits: () => hits, server };
}

const noWait: Clock = { now: () => Date.now(), sleep: async () => {} };
const ctx = (retries: number): CaRequestContext => ({
  fetch,
  clock: noWait,
  signal: new AbortController().signal,
  retries,
  maxDelayMs: 10,
});
const request = (url: string, method: CaRequest['method']): CaRequest => ({
  what: 'test',
  url,
  method,
  headers: {},
  ...(method === 'GET' ? {} : { body: 'x' }),
  initialDelayMs: 1,
});

let server: Server | undefined;
afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

describe('sendCaRequest retries', () => {
  it('retries a GET answered 502', async () => {
    const s = await flakyServer(1);
    server = s.server;
    await expect(sendCaRequest(request(s.url, 'GET'), ctx(2))).resolves.toMatchObject({ status: 200 });
    expect(s.hits()).toBe(2);
  });

  it.each(['POST', 'PUT'] as const)('does not resend a %s answered 502: it may have changed state at the CA', async (method) => {
    const s = await flakyServer(1);
    server = s.server;
    await expect(sendCaRequest(request(s.url, method), ctx(2))).rejects.toMatchObject({ code: 'ERR_SDK_CA_UNREACHABLE' });
    expect(s.hits()).toBe(1);
  });

  it('resends a POST whose connection was refused: it never reached the CA', async () => {
    const s = await flakyServer(0);
    const url = s.url;
    await new Promise<void>((resolve) => s.server.close(() => resolve()));
    await expect(sendCaRequest(request(url, 'POST'), ctx(2))).rejects.toMatchObject({
      code: 'ERR_SDK_CA_UNREACHABLE',
      attempts: 3,
    });
  });

  it('tells onRetry of each failed attempt as it happens; the final error names the CA, not the endpoint', async () => {
    const s = await flakyServer(0);
    const url = `${s.url}?ticket=secret-ticket`;
    await new Promise<void>((resolve) => s.server.close(() => resolve()));
    const told: number[] = [];
    const error = await sendCaRequest({ ...request(url, 'GET'), what: 'isitdone' }, { ...ctx(2), onRetry: (attempt) => told.push(attempt) }).catch(
      (e: unknown) => e,
    );
    expect(told).toEqual([1, 2]);
    const origin = new URL(url).origin;
    expect(error).toMatchObject({
      code: 'ERR_SDK_CA_UNREACHABLE',
      attempts: 3,
      endpoint: 'isitdone',
      message: `the CA at ${origin} could not be reached (3 attempts)`,
    });
    expect((error as Error).message).not.toMatch(/isitdone|secret-ticket/);
  });

  it('a 502 on every attempt: the same, with the status', async () => {
    const s = await flakyServer(10);
    server = s.server;
    const told: number[] = [];
    const error = await sendCaRequest(request(s.url, 'GET'), { ...ctx(1), onRetry: (attempt) => told.push(attempt) }).catch((e: unknown) => e);
    expect(told).toEqual([1]);
    expect(error).toMatchObject({ code: 'ERR_SDK_CA_UNREACHABLE', attempts: 2, message: `the CA at ${new URL(s.url).origin} answered 502 (2 attempts)` });
  });

  it('returns the Retry-After of the final answer', async () => {
    const s = createServer((_req, res) => {
      res.setHeader('Retry-After', '30');
      res.statusCode = 200;
      res.end('{}');
    });
    server = s;
    await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
    const answer = await sendCaRequest(request(`http://127.0.0.1:${(s.address() as AddressInfo).port}/`, 'GET'), ctx(0));
    expect(answer.retryAfter).toBe('30');
  });
});

describe('documented 5xx answers', () => {
  /** Answers 502 with `body` to everything. */
  async function answering502(body: string): Promise<string> {
    server = createServer((_req, res) => {
      res.statusCode = 502;
      res.end(body);
    });
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}/x`;
  }

  it("returns the endpoint's own 502 with its JSON error to the caller, once", async () => {
    const url = await answering502('{"error":{"code":"mail_not_sent","message":"ask again later"}}');
    const answer = await sendCaRequest({ ...request(url, 'POST'), documentedStatuses: [502] }, ctx(3));
    expect(answer).toMatchObject({ status: 502 });
    expect(JSON.parse(answer.body)).toMatchObject({ error: { code: 'mail_not_sent' } });
  });

  it("still treats a gateway's 502 page as the CA unreachable", async () => {
    const url = await answering502('<html>Bad Gateway</html>');
    await expect(sendCaRequest({ ...request(url, 'POST'), documentedStatuses: [502] }, ctx(3))).rejects.toMatchObject({ code: 'ERR_SDK_CA_UNREACHABLE' });
  });
});
