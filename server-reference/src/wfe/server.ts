/**
 * Listening and stopping. Stopping finishes requests in flight (bounded by a grace period),
 * then closes every connection.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { IncomingMessage, ServerResponse } from 'node:http';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** A listening HTTP server. */
export interface RunningServer {
  readonly server: Server;
  /** `http://HOST:PORT`, with the port actually bound. */
  readonly url: string;
  /** Sets the request handler. Until then every request gets 503 `unavailable`. */
  handle(handler: Handler): void;
  /** Stops accepting, waits for requests in flight up to `graceMs`, then closes all sockets. */
  close(options?: { graceMs?: number }): Promise<void>;
}

/**
 * Starts listening on `host:port` (port 0 picks a free one). The handler comes later, through
 * {@link RunningServer.handle}, because what it serves may depend on the port bound.
 * @throws the listen error (EADDRINUSE, EACCES...).
 */
export function listen(host: string, port: number): Promise<RunningServer> {
  let handler: Handler | undefined;
  const server = createServer({ headersTimeout: 10_000, requestTimeout: 30_000, maxHeaderSize: 16 * 1024 }, (req, res) => {
    if (handler) return handler(req, res);
    res.writeHead(503, { 'Content-Type': 'application/json', 'Retry-After': '1' });
    res.end('{"error":{"code":"unavailable","message":"the CA is starting"}}');
  });
  server.keepAliveTimeout = 5_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const addr = server.address() as AddressInfo;
      const shownHost = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
      resolve({
        server,
        url: `http://${shownHost}:${addr.port}`,
        handle: (h) => {
          handler = h;
        },
        close: ({ graceMs = 10_000 } = {}) =>
          new Promise<void>((done) => {
            const timer = setTimeout(() => server.closeAllConnections(), graceMs);
            timer.unref();
            server.close(() => {
              clearTimeout(timer);
              done();
            });
            server.closeIdleConnections();
          }),
      });
    });
  });
}
