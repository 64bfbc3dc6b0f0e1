import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import {
  appendQueryParams,
  decodeWizardTokenRequest,
  encodeNewTicketJson,
  encodeTicketAnswerJson,
  encodeWizardTokenError,
  encodeWizardTokenResponse,
  newTicket,
  newWizardCode,
  verifyPkce,
  type RegistrationErrorReason,
  type TicketAnswer,
  type WizardTokenResponse,
} from '@certwizard/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { register, type Clock, type RegisterOptions, type RegistrationEvent, type SdkError } from '../index.js';

// ---------------------------------------------------------------------------------------------
/** The user code the fake CA hands out with every ticket. */
const USER_CODE = 'WDJB-MJHT';

// A small fake CA: a test double of the peer's wire behaviour (givemeaticket, isitdone, token),
// built on the protocol's own codecs. The real end-to-end run against server-reference is the
// Playwright suite's job.
// ---------------------------------------------------------------------------------------------

/** The account the token endpoint vouches for; deliberately not what the browser claims. */
const ACCOUNT: Omit<WizardTokenResponse, 'installation_token' | 'token_type'> = {
  EmailAddress: 'ada@example.org',
  FirstName: 'Ada',
  MiddleName: 'B',
  LastName: 'Lovelace',
};
/** What a forged or confused browser puts in the continue link. */
const BROWSER_EMAIL = 'mallory@evil.example';

/** An answer the test scripts for one request instead of the CA's normal one. */
interface Scripted {
  readonly status: number;
  readonly headers?: Record<string, string>;
  readonly body?: string;
}

interface TicketEntry {
  polls: number;
  /** The answer once `polls` reaches `revealAfterPolls`; pending before. */
  result?: TicketAnswer;
  revealAfterPolls: number;
}

interface Registration {
  readonly code: string;
  readonly continueUrl: string;
  readonly errorUrl: string;
  readonly ticket: string;
}

interface FakeCaOptions {
  /** Overrides the isitdone answer of poll number `n` (1-based, counting every request). */
  readonly isitdone?: (n: number, ticket: string) => Scripted | TicketAnswer | undefined;
  /** Holds an isitdone answer until the returned promise settles. */
  readonly holdIsitdone?: (answer: TicketAnswer) => Promise<void> | undefined;
}

class FakeCa {
  readonly tickets = new Map<string, TicketEntry>();
  /** code -> challenge; a code is spent by its first redemption with the matching verifier. */
  readonly codes = new Map<string, { challenge: string; refused: boolean }>();
  readonly requests: Array<{ at: number; what: string }> = [];
  /** The installation token the last redemption issued. */
  lastToken: string | undefined;
  #server = createServer((req, res) => void this.#handle(req, res));
  #isitdoneCount = 0;
  url = '';

  constructor(readonly options: FakeCaOptions = {}) {}

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  count(what: string): number {
    return this.requests.filter((r) => r.what === what).length;
  }

  /**
   * What the registration page does when the user finishes: a one-time code bound to the URL's
   * challenge, published on the ticket after `revealAfterPolls` more polls (never when `onTicket` is false).
   */
  complete(registrationUrl: string, options: { onTicket?: boolean; revealAfterPolls?: number; refuseCode?: boolean } = {}): Registration {
    const params = new URL(registrationUrl).searchParams;
    const ticket = params.get('ticket') ?? '';
    const challenge = params.get('code_challenge') ?? '';
    const code = newWizardCode();
    this.codes.set(code, { challenge, refused: options.refuseCode ?? false });
    const entry = this.tickets.get(ticket);
    if (entry !== undefined && options.onTicket !== false) {
      entry.result = { status: 'done', emailAddress: BROWSER_EMAIL, code };
      entry.revealAfterPolls = entry.polls + (options.revealAfterPolls ?? 0);
    }
    return { code, ticket, continueUrl: params.get('continue') ?? '', errorUrl: params.get('error') ?? '' };
  }

  /** The registration fails: the ticket reports `reason` from now on. */
  fail(registrationUrl: string, reason: RegistrationErrorReason): void {
    const entry = this.tickets.get(new URL(registrationUrl).searchParams.get('ticket') ?? '');
    if (entry !== undefined) {
      entry.result = { status: 'error', reason };
      entry.revealAfterPolls = entry.polls;
    }
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://ca.test');
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const send = (status: number, json: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
      res.end(JSON.stringify(json));
    };
    const id = url.searchParams.get('id');
    if (req.method === 'GET' && url.pathname === '/index.php' && id === 'givemeaticket') {
      this.requests.push({ at: performance.now(), what: 'givemeaticket' });
      const ticket = newTicket();
      this.tickets.set(ticket, { polls: 0, revealAfterPolls: Infinity });
      send(200, encodeNewTicketJson(ticket, USER_CODE));
      return;
    }
    if (req.method === 'GET' && url.pathname === '/index.php' && id === 'isitdone') {
      this.requests.push({ at: performance.now(), what: 'isitdone' });
      const ticket = url.searchParams.get('ticket') ?? '';
      const scripted = this.options.isitdone?.(++this.#isitdoneCount, ticket);
      if (scripted !== undefined && !('status' in scripted && typeof scripted.status === 'string')) {
        const s = scripted as Scripted;
        res.writeHead(s.status, { 'Content-Type': 'application/json', ...s.headers });
        res.end(s.body ?? '{}');
        return;
      }
      const entry = this.tickets.get(ticket);
      let answer: TicketAnswer = (scripted as TicketAnswer | undefined) ?? { status: 'unknown' };
      if (scripted === undefined && entry !== undefined) {
        entry.polls += 1;
        answer = entry.result !== undefined && entry.polls > entry.revealAfterPolls ? entry.result : { status: 'pending' };
      }
      await this.options.holdIsitdone?.(answer);
      send(200, encodeTicketAnswerJson(answer));
      return;
    }
    if (req.method === 'POST' && url.pathname === '/api/wizard/token') {
      this.requests.push({ at: performance.now(), what: 'token' });
      const decoded = decodeWizardTokenRequest(body);
      if (!decoded.ok) return send(400, encodeWizardTokenError('invalid_request', decoded.message));
      const stored = this.codes.get(decoded.request.code);
      if (stored === undefined || stored.refused || !verifyPkce(decoded.request.codeVerifier, stored.challenge)) {
        return send(400, encodeWizardTokenError('invalid_grant', 'the code is unknown, used or expired'));
      }
      // A matching verifier spends the code (a wrong one does not, per the contract).
      this.codes.delete(decoded.request.code);
      // Like the CA: a token of its own (it takes none from the installer).
      this.lastToken = 'tok_secret_1234567890';
      send(200, encodeWizardTokenResponse({ ...ACCOUNT, installation_token: this.lastToken, token_type: 'Bearer' }));
      return;
    }
    send(404, { error: { code: 'not_found', message: 'no such endpoint' } });
  }
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

const cas: FakeCa[] = [];
afterEach(async () => {
  await Promise.all(cas.splice(0).map((ca) => ca.close()));
});
async function fakeCa(options?: FakeCaOptions): Promise<FakeCa> {
  const ca = await new FakeCa(options).start();
  cas.push(ca);
  return ca;
}

/** Resolves with the connection error code, or 'connected' (bounded by 2 s). */
function tryConnect(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1', timeout: 2000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve('timeout');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
  });
}

/** The agent's port, from the `continue` target in the registration URL. */
function agentPort(registrationUrl: string): number {
  return Number(new URL(new URL(registrationUrl).searchParams.get('continue') ?? '').port);
}

/** A clock whose sleeps are recorded and end at once (on the next turn of the event loop). */
function recordingClock(nowMs = Date.parse('2030-01-01T00:00:00Z')): Clock & { sleeps: number[] } {
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => nowMs,
    sleep: (ms, signal) =>
      new Promise<void>((resolve, reject) => {
        signal.throwIfAborted();
        sleeps.push(ms);
        const onAbort = () => {
          clearImmediate(handle);
          reject(signal.reason);
        };
        const handle = setImmediate(() => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        });
        signal.addEventListener('abort', onAbort, { once: true });
      }),
  };
}

/** Awaits a rejection and checks its code. */
async function rejection(promise: Promise<unknown>, code: string): Promise<SdkError> {
  const error = await promise.then(
    () => {
      throw new Error(`expected a rejection with ${code}`);
    },
    (e: unknown) => e,
  );
  expect((error as SdkError).code).toBe(code);
  return error as SdkError;
}

/** Options common to every case: small timings, every wait bounded. */
function base(ca: FakeCa, events: RegistrationEvent[], extra: Partial<RegisterOptions> = {}): RegisterOptions {
  return {
    caUrl: ca.url,
    timeoutMs: 5000,
    pollIntervalMs: 5,
    maxPollIntervalMs: 20,
    retries: 1,
    display: () => {
      throw new Error('display must not be called in this case');
    },
    onEvent: (event) => events.push(event),
    ...extra,
  };
}

// ---------------------------------------------------------------------------------------------
// Cases
// ---------------------------------------------------------------------------------------------

describe('register', () => {
  it('callback path: resolves with the names from the token endpoint, not the address the browser delivered', async () => {
    const ca = await fakeCa();
    const events: RegistrationEvent[] = [];
    let seenUrl = '';
    let secrets: Registration | undefined;
    const result = await register(
      base(ca, events, {
        prefill: { emailAddress: { value: 'a+b@example.org', sure: true }, firstName: { value: 'Guess', sure: false } },
        opener: async (url) => {
          seenUrl = url;
          // The user registers on the page; the ticket is not told, so only the callback can win.
          secrets = ca.complete(url, { onTicket: false });
          const page = await fetch(appendQueryParams(secrets.continueUrl, { EmailAddress: BROWSER_EMAIL, code: secrets.code }));
          expect(page.status).toBe(200);
        },
      }),
    );
    expect(result).toEqual({
      emailAddress: 'ada@example.org',
      firstName: 'Ada',
      middleName: 'B',
      lastName: 'Lovelace',
      installationToken: ca.lastToken,
      via: 'callback',
    });
    // The token is the CA's, and it was asked for once.
    expect(ca.count('token')).toBe(1);
    const params = new URL(seenUrl).searchParams;
    expect(params.get('EmailAddress')).toBe('a+b@example.org');
    expect(params.has('FirstName')).toBe(false);
    expect(params.get('code_challenge_method')).toBe('S256');
    // Pending polls may or may not land before the callback, depending on load: not asserted.
    expect(events.map((e) => e.type).filter((t) => t !== 'ticket-state')).toEqual(['ticket-issued', 'waiting', 'callback-received', 'redeeming', 'registered']);
    // Events carry no secret: no code, ticket, token, nor the URL (which holds the agent's secret path).
    const text = JSON.stringify(events);
    for (const secret of [secrets?.code, secrets?.ticket, result.installationToken, secrets?.continueUrl]) expect(text).not.toContain(secret);
    expect(await tryConnect(agentPort(seenUrl))).toBe('ECONNREFUSED');
  });

  it('ticket path with noBrowser: displays the URL and a QR code, starts no agent, resolves via the ticket after a few polls', async () => {
    const ca = await fakeCa();
    const events: RegistrationEvent[] = [];
    const shown: Array<{ url: string; qr: string; userCode?: string }> = [];
    const result = await register(
      base(ca, events, {
        noBrowser: true,
        opener: () => {
          throw new Error('the opener must not be called');
        },
        display: (info) => {
          shown.push(info);
          ca.complete(info.url, { revealAfterPolls: 3 });
        },
      }),
    );
    expect(result.via).toBe('ticket');
    expect(result.emailAddress).toBe('ada@example.org');
    expect(shown).toHaveLength(1);
    const params = new URL(shown[0]?.url ?? '').searchParams;
    expect(params.get('ticket')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(params.has('continue')).toBe(false);
    expect(shown[0]?.qr).toMatch(/[▀▄█]/);
    // The person compares this code with the CA's pages (RFC 8628 §5.4): shown with the URL, and in the event.
    expect(shown[0]?.userCode).toBe(USER_CODE);
    expect(events).toContainEqual({ type: 'ticket-issued', userCode: USER_CODE });
    expect(ca.count('isitdone')).toBeGreaterThanOrEqual(4);
    expect(ca.count('token')).toBe(1);
    expect(events).toContainEqual({ type: 'url-displayed', reason: 'no-browser' });
    expect(events).toContainEqual({ type: 'waiting', via: ['ticket'] });
    expect(events.filter((e) => e.type === 'ticket-state').map((e) => (e as { status: string }).status)).toEqual(['pending', 'pending', 'pending', 'done']);
  });

  it('falls back to displaying the URL and the ticket when the opener rejects', async () => {
    const ca = await fakeCa();
    const events: RegistrationEvent[] = [];
    let shownUrl = '';
    const result = await register(
      base(ca, events, {
        opener: () => Promise.reject(Object.assign(new Error('spawn xdg-open ENOENT'), { code: 'ENOENT' })),
        display: ({ url }) => {
          shownUrl = url;
          ca.complete(url, { revealAfterPolls: 1 });
        },
      }),
    );
    expect(result.via).toBe('ticket');
    expect(events).toContainEqual({ type: 'browser-failed', errorCode: 'ENOENT' });
    expect(events).toContainEqual({ type: 'url-displayed', reason: 'browser-failed' });
    // Same URL as for the browser: a user on this machine may still open it and call back.
    expect(agentPort(shownUrl)).toBeGreaterThan(0);
    expect(await tryConnect(agentPort(shownUrl))).toBe('ECONNREFUSED');
  });

  it('an error callback ends the flow with ERR_SDK_REGISTRATION_REFUSED and the CA reason', async () => {
    const ca = await fakeCa();
    let seenUrl = '';
    const error = await rejection(
      register(
        base(ca, [], {
          opener: async (url) => {
            seenUrl = url;
            const { errorUrl } = ca.complete(url, { onTicket: false });
            await fetch(appendQueryParams(errorUrl, { EmailAddress: BROWSER_EMAIL, reason: 'address_taken' }));
          },
        }),
      ),
      'ERR_SDK_REGISTRATION_REFUSED',
    );
    expect(error).toMatchObject({ name: 'RegistrationRefusedError', reason: 'address_taken', via: 'callback' });
    expect(ca.count('token')).toBe(0);
    expect(await tryConnect(agentPort(seenUrl))).toBe('ECONNREFUSED');
  });

  it('an isitdone error answer ends the flow with ERR_SDK_REGISTRATION_REFUSED and the CA reason', async () => {
    const ca = await fakeCa();
    let seenUrl = '';
    const error = await rejection(
      register(
        base(ca, [], {
          opener: async (url) => {
            seenUrl = url;
            ca.fail(url, 'cancelled');
          },
        }),
      ),
      'ERR_SDK_REGISTRATION_REFUSED',
    );
    expect(error).toMatchObject({ reason: 'cancelled', via: 'ticket' });
    expect(await tryConnect(agentPort(seenUrl))).toBe('ECONNREFUSED');
  });

  it('an expired ticket ends the flow with ERR_SDK_TICKET_EXPIRED', async () => {
    const ca = await fakeCa({ isitdone: (n) => (n >= 3 ? { status: 'expired' } : undefined) });
    let seenUrl = '';
    await rejection(
      register(
        base(ca, [], {
          opener: async (url) => {
            seenUrl = url;
          },
        }),
      ),
      'ERR_SDK_TICKET_EXPIRED',
    );
    expect(ca.count('isitdone')).toBe(3);
    expect(await tryConnect(agentPort(seenUrl))).toBe('ECONNREFUSED');
  });

  it('gives up after timeoutMs with ERR_SDK_REGISTRATION_TIMEOUT and leaves no timer or socket', async () => {
    const ca = await fakeCa();
    let seenUrl = '';
    const timersBefore = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const started = performance.now();
    const error = await rejection(
      register(
        base(ca, [], {
          timeoutMs: 80,
          opener: async (url) => {
            seenUrl = url;
          },
        }),
      ),
      'ERR_SDK_REGISTRATION_TIMEOUT',
    );
    expect(performance.now() - started).toBeLessThan(2000);
    expect(error).toMatchObject({ name: 'RegistrationTimeoutError', timeoutMs: 80 });
    expect(await tryConnect(agentPort(seenUrl))).toBe('ECONNREFUSED');
    // No timer of ours survives the flow (the overall timeout, the poll waits).
    expect(process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length).toBeLessThanOrEqual(timersBefore);
    const polls = ca.count('isitdone');
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(ca.count('isitdone')).toBe(polls);
  });

  it('an abort ends the flow with ERR_SDK_ABORTED, the signal reason as cause', async () => {
    const ca = await fakeCa();
    const controller = new AbortController();
    let seenUrl = '';
    const error = await rejection(
      register(
        base(ca, [], {
          signal: controller.signal,
          opener: async (url) => {
            seenUrl = url;
            setTimeout(() => controller.abort('user pressed cancel'), 20);
          },
        }),
      ),
      'ERR_SDK_ABORTED',
    );
    expect(error.cause).toBe('user pressed cancel');
    expect(await tryConnect(agentPort(seenUrl))).toBe('ECONNREFUSED');
  });

  it('an already aborted signal rejects with ERR_SDK_ABORTED before any request', async () => {
    const ca = await fakeCa();
    await rejection(register(base(ca, [], { signal: AbortSignal.abort('early') })), 'ERR_SDK_ABORTED');
    expect(ca.requests).toHaveLength(0);
  });

  it('a code the token endpoint refuses ends the flow with ERR_SDK_REDEMPTION_REFUSED, caCode and status', async () => {
    const ca = await fakeCa();
    const error = await rejection(
      register(
        base(ca, [], {
          noBrowser: true,
          display: ({ url }) => void ca.complete(url, { refuseCode: true }),
        }),
      ),
      'ERR_SDK_REDEMPTION_REFUSED',
    );
    expect(error).toMatchObject({ caCode: 'invalid_grant', status: 400 });
    expect(error.message).not.toContain('tok_secret');
  });

  it('honours Retry-After (seconds and HTTP-date) on 503/429 and bounds the backoff by maxPollIntervalMs', async () => {
    const clock = recordingClock();
    const retryDate = new Date(clock.now() + 2000).toUTCString();
    let reveal: (() => void) | undefined;
    const ca = await fakeCa({
      isitdone: (n) => {
        if (n === 1) return { status: 503, headers: { 'Retry-After': '1' }, body: '{"error":{"code":"unavailable","message":"busy"}}' };
        if (n === 2) return { status: 429, headers: { 'Retry-After': retryDate }, body: '{"error":{"code":"too_many_requests","message":"slow down"}}' };
        if (n === 8) reveal?.();
        return undefined;
      },
    });
    const result = await register({
      ...base(ca, [], { noBrowser: true, pollIntervalMs: 10, maxPollIntervalMs: 40, clock }),
      display: ({ url }) => {
        reveal = () => void ca.complete(url);
      },
    });
    expect(result.via).toBe('ticket');
    // poll 1 waits 10, then Retry-After 1 s and the HTTP-date 2 s win over the backoff; then the
    // poll interval grows ×1.5 (15, 22.5, 33.75) and stops at 40.
    expect(clock.sleeps).toEqual([10, 1000, 2000, 15, 23, 34, 40, 40]);
    expect(ca.count('isitdone')).toBe(8);
  });

  it('reports ERR_SDK_CA_UNREACHABLE after the bounded retries when nothing listens', async () => {
    const closed = await fakeCa();
    await closed.close();
    cas.splice(cas.indexOf(closed), 1);
    const clock = recordingClock();
    const error = await rejection(register({ ...base(closed, [], { retries: 2, clock }) }), 'ERR_SDK_CA_UNREACHABLE');
    expect(error).toMatchObject({ attempts: 3 });
    expect(error.cause).toBeInstanceOf(Error);
    expect(clock.sleeps).toEqual([5, 8]);
  });

  it('redeems the code exactly once when the callback and the ticket deliver it together', async () => {
    let continueDone: (() => void) | undefined;
    const continued = new Promise<void>((resolve) => (continueDone = resolve));
    // The done answer of isitdone is held until the browser's callback went through, so both
    // channels have the code at (almost) the same moment.
    const ca = await fakeCa({ holdIsitdone: (answer) => (answer.status === 'done' ? continued : undefined) });
    let seenUrl = '';
    const result = await register(
      base(ca, [], {
        pollIntervalMs: 1,
        opener: async (url) => {
          seenUrl = url;
          const registration = ca.complete(url);
          await fetch(appendQueryParams(registration.continueUrl, { EmailAddress: BROWSER_EMAIL, code: registration.code }));
          continueDone?.();
        },
      }),
    );
    expect(result.emailAddress).toBe('ada@example.org');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(ca.count('token')).toBe(1);
    expect(await tryConnect(agentPort(seenUrl))).toBe('ECONNREFUSED');
  });

  it('refuses password-like prefill keys with a TypeError before any request', async () => {
    const ca = await fakeCa();
    const prefill = { password: { value: 'hunter2', sure: true } } as unknown as RegisterOptions['prefill'];
    await expect(register(base(ca, [], { prefill }))).rejects.toThrow(TypeError);
    expect(ca.requests).toHaveLength(0);
  });
});
