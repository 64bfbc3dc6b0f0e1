/**
 * `pollTicket`'s long poll against a real HTTP server on loopback: a CA that holds a `pending`
 * answer for the `wait` asked is asked again at once; one that answers at once is polled on the
 * installer's interval.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { CaRequestContext } from '../transport/ca-request.js';
import { systemClock } from './clock.js';
import { pollTicket } from './ticket-client.js';

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

/** A ticket endpoint: `answer(request, n)` gives the n-th answer (from 1) and how long to hold it. */
async function ticketEndpoint(answer: (req: IncomingMessage, n: number) => { body: object; holdMs: number }): Promise<{ url: string; seen: URL[] }> {
  const seen: URL[] = [];
  server = createServer((req, res) => {
    seen.push(new URL(req.url ?? '/', 'http://127.0.0.1'));
    const { body, holdMs } = answer(req, seen.length);
    setTimeout(() => {
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify(body));
    }, holdMs);
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

const ctx = (): CaRequestContext => ({ fetch, clock: systemClock, signal: AbortSignal.timeout(20_000), retries: 0, maxDelayMs: 60_000 });
const DONE = { status: 'done', EmailAddress: 'ada@example.org', code: 'C'.repeat(43) };

describe('pollTicket', () => {
  it('asks the CA to hold the answer, and asks again at once after a held pending answer', async () => {
    // Held 1 s (the whole wait asked), then done. Waits are recorded, not slept; time is real.
    const ca = await ticketEndpoint((_req, n) => (n === 1 ? { body: { status: 'pending' }, holdMs: 1000 } : { body: DONE, holdMs: 0 }));
    const waits: number[] = [];
    const clock = { now: () => Date.now(), sleep: async (ms: number) => void waits.push(ms) };
    const done = await pollTicket(
      ca.url,
      'T'.repeat(43),
      { pollIntervalMs: 2000, maxPollIntervalMs: 15_000, waitSeconds: 1, onStatus: () => undefined },
      { ...ctx(), clock },
    );
    expect(done).toEqual({ emailAddress: 'ada@example.org', code: 'C'.repeat(43) });
    expect(ca.seen.map((u) => u.searchParams.get('wait'))).toEqual(['1', '1']);
    // The first poll waits the interval; the one after a held answer does not wait at all.
    expect(waits).toEqual([2000, 0]);
  });

  it('a CA that answers pending at once is polled on the interval, not in a loop', async () => {
    const ca = await ticketEndpoint((_req, n) => (n < 3 ? { body: { status: 'pending' }, holdMs: 0 } : { body: DONE, holdMs: 0 }));
    const waits: number[] = [];
    const clock = { now: () => Date.now(), sleep: async (ms: number) => void waits.push(ms) };
    await pollTicket(ca.url, 'T'.repeat(43), { pollIntervalMs: 100, maxPollIntervalMs: 1000, waitSeconds: 25, onStatus: () => undefined }, { ...ctx(), clock });
    expect(ca.seen).toHaveLength(3);
    expect(waits).toEqual([100, 150, 225]);
  });

  it('waitSeconds 0 never asks for a wait', async () => {
    const ca = await ticketEndpoint(() => ({ body: DONE, holdMs: 0 }));
    await pollTicket(ca.url, 'T'.repeat(43), { pollIntervalMs: 1, maxPollIntervalMs: 1, waitSeconds: 0, onStatus: () => undefined }, ctx());
    expect(ca.seen[0]?.searchParams.has('wait')).toBe(false);
  });
});
