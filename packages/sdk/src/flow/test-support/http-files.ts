/**
 * Test support: a node:http server on 127.0.0.1 port 0 that serves the files a `dns`/`http`
 * domain verification publishes, for a CA whose HTTP checks are pointed at its port. Not part
 * of the package's build.
 */
import { createServer, type Server } from 'node:http';
import type { DomainVerification } from '../../methods/cacert/domain-verification.js';

/** The running server: its port, what it serves by path, the verification that publishes there. */
export interface HttpFiles {
  readonly port: number;
  readonly files: Map<string, string>;
  readonly byHttp: DomainVerification;
  close(): Promise<void>;
}

/** Starts the server; `close()` stops it. */
export async function startHttpFiles(): Promise<HttpFiles> {
  const files = new Map<string, string>();
  const web: Server = createServer((req, res) => {
    const body = files.get(req.url ?? '');
    res.writeHead(body === undefined ? 404 : 200, { 'content-type': 'text/plain' }).end(body ?? 'not found');
  });
  await new Promise<void>((resolve) => web.listen(0, '127.0.0.1', resolve));
  return {
    port: (web.address() as { port: number }).port,
    files,
    byHttp: { method: 'http', publish: async ({ url, content }) => void files.set(new URL(url).pathname, content) },
    close: () => new Promise((resolve) => web.close(() => resolve())),
  };
}
