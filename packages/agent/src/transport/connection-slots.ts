/**
 * The agent's connection cap, spent on requests rather than on sockets that never finish one.
 *
 * A plain cap (Node's `server.maxConnections`) refuses the newcomer once it is reached: a peer
 * holding the cap with sockets that trickle their headers forever (slow-loris) then locks the
 * genuine callback out until the headers deadline. Here the newcomer is let in and the connection
 * that has waited longest for its request headers is closed instead. A browser sends its whole
 * request at once, so once the agent has read from its socket the headers are complete and the
 * connection is never a candidate.
 */
import type { Socket } from 'node:net';

/** Options of {@link ConnectionSlots}; all already validated by the caller. */
export interface ConnectionSlotsOptions {
  /** Connections kept open at most, counting those being answered, beyond the spared fresh ones. */
  readonly maxConnections: number;
  /**
   * How long a connection that has sent nothing yet is spared, in milliseconds. The kernel may
   * hand the agent a whole burst of connections before it has read from any of them; the
   * browser's may be among them, unread, looking exactly like a silent flood socket.
   */
  readonly freshGraceMs: number;
  /** Hard cap on open connections, spared ones included: newcomers beyond it are closed at once. */
  readonly hardMaxConnections: number;
  /** The clock, in milliseconds. */
  readonly now: () => number;
}

/** The sockets a server has open, in the order they connected, and which of them sent their headers. */
export class ConnectionSlots {
  readonly #open = new Map<Socket, { readonly openedAt: number; headersDone: boolean }>();
  readonly #options: ConnectionSlotsOptions;
  #retrim: ReturnType<typeof setTimeout> | undefined;

  constructor(options: ConnectionSlotsOptions) {
    this.#options = options;
  }

  /** How many sockets are open now. */
  get size(): number {
    return this.#open.size;
  }

  /**
   * Takes a new connection. Over the cap, closes the oldest connections still waiting for their
   * request headers that have either sent something (a request in pieces: a browser does not do
   * that) or stayed silent past the grace; a fresh silent one is never closed to make room, and
   * is looked at again when its grace is over. Beyond the hard cap the newcomer itself is closed.
   */
  admit(socket: Socket): void {
    this.#open.set(socket, { openedAt: this.#options.now(), headersDone: false });
    socket.once('close', () => this.#open.delete(socket));
    this.#trim();
    if (this.#open.size > this.#options.hardMaxConnections) this.#close(socket);
  }

  /** Marks that `socket` delivered complete request headers: it is no longer a candidate. */
  headersReceived(socket: Socket): void {
    const state = this.#open.get(socket);
    if (state !== undefined) state.headersDone = true;
  }

  /** Destroys every open socket and stops trimming. */
  destroyAll(): void {
    clearTimeout(this.#retrim);
    this.#retrim = undefined;
    for (const socket of this.#open.keys()) socket.destroy();
    this.#open.clear();
  }

  /** Closes stalled connections while over the cap; spared ones are looked at again once their grace is over. */
  #trim(): void {
    while (this.#open.size > this.#options.maxConnections) {
      const victim = this.#oldestStalled();
      if (victim === undefined) break;
      this.#close(victim);
    }
    // Without this the count would stay over the cap until the next newcomer (or the headers
    // deadline) once a burst's spared connections turn out to be slow ones.
    if (this.#open.size > this.#options.maxConnections && this.#retrim === undefined) {
      this.#retrim = setTimeout(() => {
        this.#retrim = undefined;
        this.#trim();
      }, this.#options.freshGraceMs);
      this.#retrim.unref();
    }
  }

  #oldestStalled(): Socket | undefined {
    const now = this.#options.now();
    for (const [socket, state] of this.#open) {
      if (state.headersDone) continue;
      if (socket.bytesRead > 0 || now - state.openedAt >= this.#options.freshGraceMs) return socket;
    }
    return undefined;
  }

  #close(socket: Socket): void {
    this.#open.delete(socket);
    socket.destroy();
  }
}
