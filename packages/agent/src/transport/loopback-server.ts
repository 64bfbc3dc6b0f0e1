/**
 * The only code of the agent that touches sockets: an HTTP/1.1 server on 127.0.0.1 with every
 * resource a peer can hold capped (header bytes, time, connections), and a close that really
 * closes (every socket, idle or not).
 */
import { createServer, type IncomingMessage, type RequestListener, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { AgentAbortedError, AgentListenError } from '../errors.js';
import { ConnectionSlots } from './connection-slots.js';

/**
 * The address the agent binds and puts in its URLs. The literal, not `localhost`: `localhost` may
 * resolve to ::1 first, to another address through a hosts file, or (in some browsers and
 * proxies) go to the network; binding and naming the literal leaves nothing to resolve, and the
 * Host check then compares against one spelling only.
 */
export const LOOPBACK_ADDRESS = '127.0.0.1';

/**
 * How long a connection that has sent nothing is spared when the cap is reached, in milliseconds:
 * the agent reads a new socket one event-loop turn after accepting it, far less than this even
 * under a flood, so the browser's connection is read (and its headers complete) before it could
 * be closed to make room.
 */
const FRESH_CONNECTION_GRACE_MS = 250;
/**
 * How far spared fresh connections may take the count over the cap: Node's default listen backlog
 * (511) plus one, about what one accept burst can hand over at once.
 */
const MAX_FRESH_OVERFLOW = 512;

/** Options of {@link listenOnLoopback}; all already validated by the caller. */
export interface LoopbackServerOptions {
  /** TCP port; 0 lets the system pick a free one. */
  readonly port: number;
  /** Cap on the request line plus headers, in bytes (larger requests get 431). */
  readonly maxHeaderBytes: number;
  /** Cap on the time from connecting to the end of the request headers, in milliseconds. */
  readonly headersTimeoutMs: number;
  /** Cap on socket inactivity, in milliseconds. */
  readonly idleTimeoutMs: number;
  /**
   * Cap on simultaneous connections. At the cap a newcomer takes the place of the connection that
   * has waited longest for its headers (see {@link ConnectionSlots}).
   */
  readonly maxConnections: number;
  /** Aborting it while listening rejects with `ERR_AGENT_ABORTED`. */
  readonly signal?: AbortSignal | undefined;
}

/** A listening server. */
export interface LoopbackServer {
  /** The bound port. */
  readonly port: number;
  /** Stops listening and destroys every open socket; idempotent. */
  close(): Promise<void>;
}

/**
 * Creates the server and listens on 127.0.0.1.
 * @throws {AgentListenError} `ERR_AGENT_LISTEN` when the port cannot be bound.
 * @throws {AgentAbortedError} `ERR_AGENT_ABORTED` when `signal` aborts first.
 */
export async function listenOnLoopback(listener: RequestListener, options: LoopbackServerOptions): Promise<LoopbackServer> {
  const { signal } = options;
  if (signal?.aborted) throw new AgentAbortedError('the agent was aborted before it started', { cause: signal.reason });
  const server = createServer(
    {
      maxHeaderSize: options.maxHeaderBytes,
      // A missing Host must reach the policy (421), not be answered 400 by Node.
      requireHostHeader: false,
      // A socket that trickles a header line now and then is never idle: only a deadline on the
      // headers ends it. A callback is a GET without a body, so the whole request gets the same.
      headersTimeout: options.headersTimeoutMs,
      requestTimeout: options.headersTimeoutMs,
      keepAliveTimeout: options.idleTimeoutMs,
      // Node enforces headersTimeout/requestTimeout only on this sweep (30 s by default).
      connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(options.headersTimeoutMs / 4))),
    },
    listener,
  );
  // Not server.maxConnections: at its cap Node resets the newcomer, which may be the browser.
  const slots = new ConnectionSlots({
    maxConnections: options.maxConnections,
    freshGraceMs: Math.min(FRESH_CONNECTION_GRACE_MS, options.headersTimeoutMs),
    hardMaxConnections: options.maxConnections + MAX_FRESH_OVERFLOW,
    now: () => performance.now(),
  });
  server.on('connection', (socket: Socket) => slots.admit(socket));
  server.on('request', (req: IncomingMessage) => slots.headersReceived(req.socket));
  // Socket inactivity: with no 'timeout' listener Node destroys the socket.
  server.setTimeout(options.idleTimeoutMs);

  await new Promise<void>((resolve, reject) => {
    const onAbort = () => {
      cleanup();
      server.close();
      reject(new AgentAbortedError('the agent was aborted while starting', { cause: signal?.reason }));
    };
    const onError = (error: Error) => {
      cleanup();
      reject(new AgentListenError(`cannot listen on ${LOOPBACK_ADDRESS}:${options.port}`, { cause: error }));
    };
    const onListening = () => {
      cleanup();
      resolve();
    };
    const cleanup = () => {
      signal?.removeEventListener('abort', onAbort);
      server.off('error', onError);
      server.off('listening', onListening);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen({ port: options.port, host: LOOPBACK_ADDRESS, exclusive: true });
  });
  // After listening, a server error (rare: EMFILE on accept) must not crash the process.
  server.on('error', () => {});

  const address = server.address();
  if (address === null || typeof address === 'string') throw new AgentListenError('the server has no TCP address');
  let closing: Promise<void> | undefined;
  return {
    port: address.port,
    close: () => (closing ??= closeServer(server, slots)),
  };
}

function closeServer(server: Server, slots: ConnectionSlots): Promise<void> {
  return new Promise<void>((resolve) => {
    server.close(() => resolve());
    slots.destroyAll();
  });
}
