/**
 * `GET /api/events`: the wizard's history as server-sent events (HTML §9.2). A new stream first
 * replays every record (after `Last-Event-ID` when the browser reconnects), then follows live,
 * so a reload or a dropped connection loses nothing. A comment line every few seconds keeps
 * idle connections open through anything that times them out.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EventHistory } from '../event-history.js';
import type { WizardEventRecord } from '../wire.js';

/** Default interval of the keep-alive comment: 15 s. */
export const DEFAULT_HEARTBEAT_MS = 15_000;
/** Most streams open at once (a person with a few tabs; more are refused with 503). */
export const MAX_STREAMS = 16;

/** The open event streams of one wizard. */
export class EventStreams {
  readonly #history: EventHistory;
  readonly #heartbeatMs: number;
  readonly #open = new Set<ServerResponse>();

  constructor(history: EventHistory, heartbeatMs = DEFAULT_HEARTBEAT_MS) {
    this.#history = history;
    this.#heartbeatMs = heartbeatMs;
  }

  /** Answers one `GET /api/events` (the caller checked the session). */
  serve(req: IncomingMessage, res: ServerResponse): void {
    if (this.#open.size >= MAX_STREAMS) {
      res.statusCode = 503;
      res.setHeader('Retry-After', '5');
      res.end();
      return;
    }
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      'X-Accel-Buffering': 'no',
    });
    // The stream outlives any request timeout; the heartbeat shows a dead peer.
    req.socket.setTimeout(0);
    req.socket.setNoDelay(true);
    this.#open.add(res);
    const send = (record: WizardEventRecord) => {
      res.write(`id: ${record.id}\ndata: ${JSON.stringify(record)}\n\n`);
    };
    res.write('retry: 2000\n\n');
    for (const record of this.#history.since(lastEventId(req))) send(record);
    const unsubscribe = this.#history.subscribe(send);
    const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), this.#heartbeatMs);
    res.once('close', () => {
      clearInterval(heartbeat);
      unsubscribe();
      this.#open.delete(res);
    });
  }

  /** Ends every stream (the wizard closes). */
  closeAll(): void {
    for (const res of this.#open) res.end();
    this.#open.clear();
  }
}

/** The `Last-Event-ID` of a reconnecting EventSource, or 0 (replay everything). */
function lastEventId(req: IncomingMessage): number {
  const value = req.headers['last-event-id'];
  if (typeof value !== 'string' || !/^\d{1,15}$/.test(value)) return 0;
  return Number(value);
}
