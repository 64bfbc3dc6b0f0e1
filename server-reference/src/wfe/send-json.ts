/**
 * A JSON answer written straight to Node's response, for the issuance path: express's
 * `res.json()` goes through `res.send()`, which re-derives the charset, checks request freshness
 * for a 304 and rebuilds headers on every call, about a tenth of the CA's time per certificate
 * (bench/README.md). The headers set before (the app's `nosniff`, `no-store`) stay.
 */
import type { Response } from 'express';

/**
 * Writes `body` as `application/json; charset=utf-8` with its Content-Length and ends the response.
 * @example
 * sendJson(res, 200, { signed_x509_pem: chainPem });
 */
export function sendJson(res: Response, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(text));
  res.end(text);
}
