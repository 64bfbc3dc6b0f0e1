/**
 * The only code of the wizard that touches sockets: an HTTP/1.1 server bound to 127.0.0.1 with
 * what a peer can hold capped (header bytes, time to send a request, connections), and a close
 * that also ends the long-lived event streams.
 */
import { createServer, type RequestListener } from 'node:http';
import type { Socket } from 'node:net';
import { WizardListenError } from '../errors.js';

/** The address the wizard binds and puts in its URL; the literal, so that nothing is resolved. */
export const LOOPBACK_ADDRESS = '127.0.0.1';

/** A listening server. */
export interface LoopbackServer {
  readonly port: number;
  /** Stops listening and destroys every socket (idle, busy or streaming); idempotent. */
  close(): Promise<void>;
}

/** Caps of {@link listenOnLoopback}. */
export interface LoopbackLimits {
  /** Request line plus headers, in bytes. */
  readonly maxHeaderBytes: number;
  /** Time to receive a whole request, in ms (not the answer: event streams stay open). */
  readonly requestTimeoutMs: number;
  /** Simultaneous connections. */
  readonly maxConnections: number;
}

/**
 * Listens on 127.0.0.1:`port` (0: a free port).
 * @throws {WizardListenError} `ERR_WIZARD_LISTEN` when the port cannot be bound.
 */
export async function listenOnLoopback(listener: RequestListener, port: number, limits: LoopbackLimits): Promise<LoopbackServer> {
  const server = createServer(
    {
      maxHeaderSize: limits.maxHeaderBytes,
      headersTimeout: limits.requestTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      // A missing Host must reach the guard (421), not be answered 400 by Node.
      requireHostHeader: false,
    },
    listener,
  );
  server.maxConnections = limits.maxConnections;
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error) => reject(new WizardListenError(`cannot listen on ${LOOPBACK_ADDRESS}:${port}`, { cause: error })));
    server.listen({ port, host: LOOPBACK_ADDRESS, exclusive: true }, () => resolve());
  });
  // Once listening, a socket-level error (EMFILE on accept) must not crash the installer.
  server.on('error', () => undefined);
  const address = server.address();
  if (address === null || typeof address === 'string') throw new WizardListenError('the server has no TCP address');
  let closing: Promise<void> | undefined;
  return {
    port: address.port,
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      })),
  };
}
