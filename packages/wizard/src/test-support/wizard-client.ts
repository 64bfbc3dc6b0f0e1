/**
 * Test support: the browser's side of the wizard over real HTTP. `raw()` sends exactly the
 * headers given (node:http, so Host and Origin can be anything, as a hostile page or a rebinding
 * DNS name would make them); `WizardClient` keeps the session cookie and reads the event stream.
 * Not part of the package's build.
 */
import { request } from 'node:http';
import type { WizardEventRecord } from '../wire.js';

/** An answer, whole. */
export interface RawAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Buffer;
  readonly text: string;
}

/** Sends one request to 127.0.0.1:`port` with exactly these headers (no Host unless given). */
export function raw(port: number, options: { method?: string; path: string; headers?: Record<string, string>; body?: string }): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, method: options.method ?? 'GET', path: options.path, headers: options.headers ?? {}, setHost: false, timeout: 10_000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const body = Buffer.concat(chunks);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text: body.toString('utf8') });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    req.end(options.body);
  });
}

/** The person's browser, as far as the wizard's server can tell. */
export class WizardClient {
  readonly port: number;
  readonly cookie: string;

  private constructor(port: number, cookie: string) {
    this.port = port;
    this.cookie = cookie;
  }

  /** Opens the installer's URL: trades the token for the session cookie. */
  static async open(url: string): Promise<WizardClient> {
    const { port, pathname, search } = new URL(url);
    const res = await raw(Number(port), { path: `${pathname}${search}`, headers: { host: `127.0.0.1:${port}` } });
    const setCookie = res.headers['set-cookie'];
    const cookie = (Array.isArray(setCookie) ? setCookie[0] : setCookie)?.split(';')[0];
    if (res.status !== 303 || cookie === undefined) throw new Error(`the wizard URL answered ${res.status} without a cookie`);
    return new WizardClient(Number(port), cookie);
  }

  /** The headers a same-origin page sends. */
  headers(extra: Record<string, string> = {}): Record<string, string> {
    return { host: `127.0.0.1:${this.port}`, cookie: this.cookie, ...extra };
  }

  get(path: string, extra: Record<string, string> = {}): Promise<RawAnswer> {
    return raw(this.port, { path, headers: this.headers(extra) });
  }

  /** POSTs JSON from the wizard's own origin. */
  post(path: string, body: unknown = {}, extra: Record<string, string> = {}): Promise<RawAnswer> {
    return raw(this.port, {
      method: 'POST',
      path,
      headers: this.headers({ origin: `http://127.0.0.1:${this.port}`, 'content-type': 'application/json', ...extra }),
      body: JSON.stringify(body),
    });
  }

  /** Opens `GET /api/events` (optionally resuming after `lastEventId`). */
  events(lastEventId?: number): EventReader {
    return new EventReader(this.port, this.headers(lastEventId === undefined ? {} : { 'last-event-id': String(lastEventId) }));
  }
}

/** One open event stream, its records collected as they arrive. */
export class EventReader {
  readonly records: WizardEventRecord[] = [];
  readonly #waiters = new Set<() => void>();
  #status: number | undefined;
  #ended = false;
  readonly #close: () => void;

  constructor(port: number, headers: Record<string, string>) {
    let buffer = '';
    const req = request({ host: '127.0.0.1', port, path: '/api/events', headers, setHost: false }, (res) => {
      this.#status = res.statusCode;
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        for (let end = buffer.indexOf('\n\n'); end !== -1; end = buffer.indexOf('\n\n')) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = frame
            .split('\n')
            .filter((line) => line.startsWith('data: '))
            .map((line) => line.slice(6))
            .join('\n');
          if (data !== '') this.records.push(JSON.parse(data) as WizardEventRecord);
        }
        this.#wake();
      });
      res.on('end', () => {
        this.#ended = true;
        this.#wake();
      });
      res.on('error', () => undefined);
    });
    req.on('error', () => {
      this.#ended = true;
      this.#wake();
    });
    req.end();
    this.#close = () => req.destroy();
  }

  /** The HTTP status, once the answer's head arrived. */
  get status(): number | undefined {
    return this.#status;
  }

  /** Whether the server ended the stream. */
  get ended(): boolean {
    return this.#ended;
  }

  /**
   * The first record (already received or still to come) that `match` accepts.
   * @throws when none arrives within `timeoutMs`, or the stream ends first.
   */
  async waitFor(match: (record: WizardEventRecord) => boolean, timeoutMs = 20_000): Promise<WizardEventRecord> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.records.find(match);
      if (found !== undefined) return found;
      if (this.#ended) throw new Error(`the event stream ended; got ${this.records.map((r) => describe(r)).join(', ')}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no matching event within ${timeoutMs} ms; got ${this.records.map((r) => describe(r)).join(', ')}`);
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          this.#waiters.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, left);
        this.#waiters.add(wake);
      });
    }
  }

  /** Waits until the answer's head arrived (bounded). */
  async waitForOpen(timeoutMs = 5_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.#status === undefined && !this.#ended) {
      if (Date.now() > deadline) throw new Error('the event stream did not open');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /** Waits until the server ends the stream (bounded). */
  async waitForEnd(timeoutMs = 5_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.#ended) {
      if (Date.now() > deadline) throw new Error('the event stream did not end');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  close(): void {
    this.#close();
  }

  #wake(): void {
    for (const waiter of [...this.#waiters]) waiter();
  }
}

function describe(record: WizardEventRecord): string {
  const e = record.event;
  if (e.type === 'flow')
    return `flow:${e.event.type === 'step' ? `step:${e.event.step}` : e.event.type === 'registration' || e.event.type === 'enrollment' ? `${e.event.type}:${e.event.event.type}` : e.event.type}`;
  if (e.type === 'run-failed') return `run-failed:${e.failure.code ?? ''}`;
  return e.type;
}
