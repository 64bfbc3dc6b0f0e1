/**
 * Reads a request body into memory with a hard byte limit. The limit is checked against the
 * declared Content-Length first, so an oversized upload is refused before it is read.
 */
import type { IncomingMessage } from 'node:http';
import { HttpError } from './http-error.js';

/**
 * Resolves with the whole body.
 * @throws {HttpError} `payload_too_large` once more than `limitBytes` arrive or are announced.
 */
export function readBody(req: IncomingMessage, limitBytes: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? Number.NaN);
  if (declared > limitBytes) {
    return Promise.reject(new HttpError('payload_too_large', `the body is over the limit of ${limitBytes} bytes`));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limitBytes) {
        req.off('data', onData);
        // Keep draining so the answer can still be read by the client; bytes are discarded.
        req.resume();
        reject(new HttpError('payload_too_large', `the body is over the limit of ${limitBytes} bytes`));
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => resolve(Buffer.concat(chunks, size)));
    req.once('error', reject);
  });
}
