import { EventEmitter, once } from 'node:events';
import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ConnectionSlots } from './connection-slots.js';

/** What the slots look at in a socket: bytes read, destroy, and its 'close'. */
class FakeSocket extends EventEmitter {
  destroyed = false;
  constructor(
    readonly name: string,
    public bytesRead: number,
  ) {
    super();
  }
  destroy(): this {
    if (this.destroyed) return this;
    this.destroyed = true;
    queueMicrotask(() => this.emit('close'));
    return this;
  }
}

/** A connection to admit: `sent` bytes read so far, `headers` whether its request headers are complete, `at` when it connected. */
interface Arrival {
  readonly name: string;
  readonly at: number;
  readonly sent?: number;
  readonly headers?: boolean;
}

/** Admits `arrivals` in order (setting the clock to each `at`) and returns the names of the sockets closed. */
function run(arrivals: readonly Arrival[], options: { max: number; hardMax: number; graceMs: number }): string[] {
  let clock = 0;
  const slots = new ConnectionSlots({ maxConnections: options.max, hardMaxConnections: options.hardMax, freshGraceMs: options.graceMs, now: () => clock });
  const sockets: FakeSocket[] = [];
  for (const arrival of arrivals) {
    clock = arrival.at;
    const socket = new FakeSocket(arrival.name, arrival.sent ?? 0);
    sockets.push(socket);
    slots.admit(socket as unknown as Socket);
    if (arrival.headers === true && !socket.destroyed) slots.headersReceived(socket as unknown as Socket);
  }
  const closed = sockets.filter((s) => s.destroyed).map((s) => s.name);
  slots.destroyAll();
  return closed;
}

describe('ConnectionSlots', () => {
  const limits = { max: 2, hardMax: 4, graceMs: 100 };

  it.each([
    {
      name: 'closes nothing under the cap',
      arrivals: [
        { name: 'a', at: 0, sent: 5 },
        { name: 'b', at: 1, sent: 5 },
      ],
      want: [],
    },
    {
      name: 'closes the oldest connection that sent part of a request, not the newcomer',
      arrivals: [
        { name: 'a', at: 0, sent: 5 },
        { name: 'b', at: 1, sent: 5 },
        { name: 'browser', at: 2 },
      ],
      want: ['a'],
    },
    {
      name: 'never closes a connection whose headers are complete (it is being answered)',
      arrivals: [
        { name: 'done', at: 0, sent: 90, headers: true },
        { name: 'slow', at: 1, sent: 5 },
        { name: 'new', at: 2 },
      ],
      want: ['slow'],
    },
    {
      name: 'spares a fresh connection that has sent nothing yet, going over the cap instead',
      arrivals: [
        { name: 'a', at: 0 },
        { name: 'b', at: 10 },
        { name: 'c', at: 20 },
      ],
      want: [],
    },
    {
      name: 'closes a silent connection once its grace is over',
      arrivals: [
        { name: 'silent', at: 0 },
        { name: 'b', at: 150 },
        { name: 'c', at: 160 },
      ],
      want: ['silent'],
    },
    {
      name: 'closes the newcomer beyond the hard cap when every other one is spared or answered',
      arrivals: [
        { name: 'a', at: 0 },
        { name: 'b', at: 1 },
        { name: 'c', at: 2 },
        { name: 'd', at: 3 },
        { name: 'e', at: 4 },
      ],
      want: ['e'],
    },
  ])('$name', ({ arrivals, want }) => {
    expect(run(arrivals, limits)).toEqual(want);
  });

  it('comes back after the grace to close spared connections that turned out silent', async () => {
    const slots = new ConnectionSlots({ maxConnections: 1, hardMaxConnections: 10, freshGraceMs: 20, now: () => performance.now() });
    const sockets = ['a', 'b', 'c'].map((name) => new FakeSocket(name, 0));
    for (const socket of sockets) slots.admit(socket as unknown as Socket);
    expect(slots.size).toBe(3);
    // Nobody else connects: only the timer can bring the count back to the cap.
    const signal = AbortSignal.timeout(2000);
    await Promise.all([once(sockets[0] as FakeSocket, 'close', { signal }), once(sockets[1] as FakeSocket, 'close', { signal })]);
    expect(slots.size).toBe(1);
    expect(sockets.map((s) => s.destroyed)).toEqual([true, true, false]);
    slots.destroyAll();
  });
});
