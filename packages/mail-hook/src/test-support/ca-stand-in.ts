/**
 * A small real HTTP server on 127.0.0.1:0 that stands in for the CA's confirmation endpoint,
 * `POST /api/ping/confirm`, per the wire contract; it also counts every request it gets, so that
 * tests can prove that a host was never contacted. The full path against the reference CA is
 * tested elsewhere.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isValidPingNonce, isValidPingToken, PING_CONFIRM_API_PATH } from '@certwizard/protocol';

/** How the stand-in answers confirmations. */
export type StandInMode =
  /** Per the contract. */
  | { readonly kind: 'contract' }
  /** Always this status with a contract error body, or a redirect to `location`. */
  | { readonly kind: 'status'; readonly status: number; readonly location?: string }
  /** 200 with a body of this many bytes. */
  | { readonly kind: 'huge'; readonly bytes: number };

interface PingRecord {
  readonly email: string;
  readonly nonce: string;
  readonly expired: boolean;
  confirmations: number;
}

export interface CaStandIn {
  /** `http://127.0.0.1:PORT`. */
  readonly origin: string;
  /** Every request received, in order: method, path, form fields. */
  readonly requests: { method: string; path: string; token?: string; nonce?: string }[];
  /** Registers a ping the CA "sent": a fresh 256-bit token bound to `email` and `nonce`. */
  issue(email: string, nonce: string, options?: { expired?: boolean }): string;
  /** How many times `token` was confirmed (200), repeats included. */
  confirmations(token: string): number;
  mode: StandInMode;
  close(): Promise<void>;
}

export async function startCaStandIn(): Promise<CaStandIn> {
  const pings = new Map<string, PingRecord>();
  const requests: CaStandIn['requests'] = [];
  const state = { mode: { kind: 'contract' } as StandInMode };

  const server = createServer((req, res) => {
    void handle(req, res).catch(() => res.destroy());
  });
  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
    const token = form.get('token') ?? undefined;
    const nonce = form.get('nonce') ?? undefined;
    requests.push({ method: req.method ?? '', path: req.url ?? '', ...(token === undefined ? {} : { token }), ...(nonce === undefined ? {} : { nonce }) });
    const mode = state.mode;
    if (mode.kind === 'status') {
      if (mode.location !== undefined) res.setHeader('location', mode.location);
      return sendError(res, mode.status, 'stand_in', 'forced answer');
    }
    if (mode.kind === 'huge') return sendJson(res, 200, { status: 'confirmed', email: 'x@x.test', padding: 'x'.repeat(mode.bytes) });
    if (req.method !== 'POST' || req.url !== PING_CONFIRM_API_PATH) return sendError(res, 404, 'not_found', 'no such endpoint');
    if (!/^application\/x-www-form-urlencoded\b/.test(req.headers['content-type'] ?? '')) return sendError(res, 400, 'invalid_request', 'form expected');
    if (!isValidPingToken(token) || !isValidPingNonce(nonce)) return sendError(res, 400, 'invalid_request', 'token and nonce required');
    const ping = pings.get(token ?? '');
    if (ping === undefined) return sendError(res, 404, 'unknown_token', 'unknown token');
    if (ping.nonce !== nonce) return sendError(res, 409, 'nonce_mismatch', 'nonce does not match');
    if (ping.expired) return sendError(res, 410, 'expired_token', 'token expired');
    ping.confirmations += 1;
    return sendJson(res, 200, { status: 'confirmed', email: ping.email });
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    issue(email, nonce, options = {}) {
      const token = randomBytes(32).toString('base64url');
      pings.set(token, { email, nonce, expired: options.expired ?? false, confirmations: 0 });
      return token;
    },
    confirmations: (token) => pings.get(token)?.confirmations ?? 0,
    get mode() {
      return state.mode;
    },
    set mode(mode: StandInMode) {
      state.mode = mode;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function sendError(res: ServerResponse, status: number, code: string, message: string): void {
  sendJson(res, status, { error: { code, message } });
}
