import { request } from 'node:http';
import { connect, createServer, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startCallbackAgent, type CallbackAgent, type CallbackAgentEvent, type CallbackAgentOptions } from './index.js';

// Every agent a test starts is closed afterwards, whatever happened.
const agents: CallbackAgent[] = [];
afterEach(async () => {
  await Promise.all(agents.splice(0).map((agent) => agent.close()));
});
async function start(options?: CallbackAgentOptions): Promise<CallbackAgent> {
  const agent = await startCallbackAgent(options);
  agents.push(agent);
  return agent;
}

interface Answer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
}

/**
 * One request over a fresh connection with `node:http`, which (unlike fetch) lets a test set any
 * Host, omit it (`host: null`), or send a raw request-target. Bounded by a 5 s timeout.
 */
function send(port: number, target: string, options: { method?: string; host?: string | null; headers?: Record<string, string> } = {}): Promise<Answer> {
  const host = options.host === undefined ? `127.0.0.1:${port}` : options.host;
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: options.method ?? 'GET',
        path: target,
        setHost: false,
        agent: false,
        headers: { ...(host === null ? {} : { Host: host }), ...options.headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.setTimeout(5000, () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    req.end();
  });
}

/** Sends raw bytes and returns everything the server sent before closing (bounded by 5 s). */
function sendRaw(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(text));
    const chunks: Buffer[] = [];
    socket.setTimeout(5000, () => socket.destroy(new Error('raw request timed out')));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
    socket.on('error', reject);
  });
}

/**
 * A slow-loris flood: `count` raw sockets, each sending a partial request and then one more header
 * line every 100 ms, never the blank line that ends the headers. Whenever the agent closes one,
 * another takes its place until {@link SlowFlood.stopOpening} (or `maxOpened` sockets in all: the
 * loop is bounded). The flood never closes a socket itself before {@link SlowFlood.destroy}.
 */
interface SlowFlood {
  /** Resolves once the agent has closed `n` of the flood's sockets (the flood replaces each). */
  agentClosed(n: number): Promise<void>;
  /** Sockets open now, from the client's side. */
  readonly openCount: number;
  /** Sockets opened so far. */
  readonly opened: number;
  /** Sockets the agent has closed so far. */
  readonly closedByAgent: number;
  /** Stops opening replacements; the open ones keep trickling. */
  stopOpening(): void;
  /** Resolves when every open socket has been closed by the agent; rejects after `deadlineMs`. */
  allClosed(deadlineMs: number): Promise<void>;
  /** Stops the trickle and destroys what is still open (cleanup). */
  destroy(): void;
}

function startSlowFlood(port: number, options: { count: number; maxOpened: number }): SlowFlood {
  const open = new Set<Socket>();
  let opened = 0;
  let closedByAgent = 0;
  let opening = true;
  let destroyed = false;
  let onClosed = () => {};
  let onEmpty = () => {};
  const openOne = () => {
    if (!opening || destroyed || opened >= options.maxOpened) return;
    opened++;
    const socket = connect(port, '127.0.0.1');
    open.add(socket);
    socket.on('error', () => {});
    socket.resume();
    socket.once('connect', () => socket.write(`GET /wizard/slow/continue HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n`));
    socket.once('close', () => {
      open.delete(socket);
      if (destroyed) return;
      closedByAgent++;
      onClosed();
      if (open.size === 0) onEmpty();
      openOne();
    });
  };
  // One header line at a time keeps every socket active, so only a headers deadline ends it.
  const trickle = setInterval(() => {
    for (const socket of open) if (socket.writable && !socket.connecting) socket.write('X-Slow: 1\r\n');
  }, 100);
  for (let i = 0; i < options.count; i++) openOne();
  return {
    agentClosed: (n) =>
      new Promise<void>((resolve) => {
        onClosed = () => {
          if (closedByAgent >= n) resolve();
        };
        onClosed();
      }),
    get openCount() {
      return open.size;
    },
    get opened() {
      return opened;
    },
    get closedByAgent() {
      return closedByAgent;
    },
    stopOpening: () => void (opening = false),
    allClosed: (deadlineMs) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${open.size} slow sockets still open after ${deadlineMs} ms`)), deadlineMs);
        onEmpty = () => {
          clearTimeout(timer);
          resolve();
        };
        if (open.size === 0) onEmpty();
      }),
    destroy: () => {
      destroyed = true;
      clearInterval(trickle);
      for (const socket of open) socket.destroy();
      open.clear();
    },
  };
}

/** Resolves with the connection error code, or 'connected'. */
function tryConnect(port: number, address: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: address, timeout: 2000 });
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

/** A port that was free a moment ago: bind 0, read it, close. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

const pathOf = (url: string) => new URL(url).pathname;
const secretOf = (agent: CallbackAgent) => pathOf(agent.continueUrl).split('/')[2] ?? '';

/** Proves the flow was not ended: a real callback afterwards still becomes the result. */
async function expectFlowStillCompletes(agent: CallbackAgent): Promise<void> {
  const answer = await send(agent.port, `${pathOf(agent.continueUrl)}?EmailAddress=real%40x.test`);
  expect(answer.status).toBe(200);
  const result = await agent.waitForCallback({ timeoutMs: 2000 });
  expect(result).toMatchObject({ kind: 'continue', params: { EmailAddress: 'real@x.test' } });
}

describe('startCallbackAgent: URLs and binding', () => {
  it('gives continue and error URLs on the literal 127.0.0.1, the bound port and one 256-bit secret', async () => {
    const agent = await start();
    const pattern = /^http:\/\/127\.0\.0\.1:(\d+)\/wizard\/([A-Za-z0-9_-]{43})\/(continue|error)$/;
    const cont = pattern.exec(agent.continueUrl);
    const err = pattern.exec(agent.errorUrl);
    expect(cont?.[1]).toBe(String(agent.port));
    expect(cont?.[3]).toBe('continue');
    expect(err?.[3]).toBe('error');
    expect(err?.[2]).toBe(cont?.[2]);
    expect(Buffer.from(cont?.[2] ?? '', 'base64url')).toHaveLength(32);
    expect(agent.port).toBeGreaterThan(0);
  });

  it('draws a fresh secret per agent', async () => {
    const [a, b] = [await start(), await start()];
    expect(secretOf(a)).not.toBe(secretOf(b));
  });

  it.skipIf(process.platform !== 'linux')('binds 127.0.0.1 only: other loopback addresses on the same port are refused', async () => {
    const agent = await start();
    expect(await tryConnect(agent.port, '127.0.0.1')).toBe('connected');
    // On Linux all of 127/8 is local; a listener on 0.0.0.0 would accept 127.0.0.2.
    expect(await tryConnect(agent.port, '127.0.0.2')).toBe('ECONNREFUSED');
    expect(await tryConnect(agent.port, '::1')).not.toBe('connected');
  });

  it('listens on a fixed port when asked', async () => {
    const port = await freePort();
    const agent = await start({ port });
    expect(agent.port).toBe(port);
    expect(agent.continueUrl.startsWith(`http://127.0.0.1:${port}/wizard/`)).toBe(true);
    await expectFlowStillCompletes(agent);
  });

  it('rejects with ERR_AGENT_LISTEN when the fixed port is taken', async () => {
    const first = await start();
    await expect(startCallbackAgent({ port: first.port })).rejects.toMatchObject({ code: 'ERR_AGENT_LISTEN', name: 'AgentListenError' });
  });

  it.each([
    { name: 'a negative port', options: { port: -1 } },
    { name: 'a port above 65535', options: { port: 65536 } },
    { name: 'a fractional port', options: { port: 80.5 } },
    { name: 'a port as a string', options: { port: '8080' as unknown as number } },
    { name: 'a header cap below 1 KiB', options: { maxHeaderBytes: 100 } },
    { name: 'a zero idle timeout', options: { idleTimeoutMs: 0 } },
    { name: 'a page text that is not a string', options: { page: { title: 42 as unknown as string } } },
  ])('throws TypeError for $name', async ({ options }) => {
    await expect(startCallbackAgent(options)).rejects.toBeInstanceOf(TypeError);
  });

  it('rejects with ERR_AGENT_ABORTED when its signal is already aborted', async () => {
    await expect(startCallbackAgent({ signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'ERR_AGENT_ABORTED' });
  });
});

describe('valid callbacks', () => {
  it('resolves waitForCallback with the continue callback and its decoded parameters', async () => {
    const agent = await start();
    const wait = agent.waitForCallback({ timeoutMs: 5000 });
    const query =
      'EmailAddress=a%2Bb%26c%23d%40x.test&FirstName=J%C3%BCrgen&City=%E6%9D%B1%E4%BA%AC&Emoji=%F0%9F%94%91&space=a+b&dup=first&dup=second&__proto__=p&empty=';
    const before = Date.now();
    const answer = await send(agent.port, `${pathOf(agent.continueUrl)}?${query}`);
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toBe('text/html; charset=utf-8');
    const result = await wait;
    expect(result.kind).toBe('continue');
    expect(Object.entries(result.params)).toEqual([
      ['EmailAddress', 'a+b&c#d@x.test'],
      ['FirstName', 'Jürgen'],
      ['City', '東京'],
      ['Emoji', '🔑'],
      ['space', 'a b'],
      ['dup', 'first'],
      ['__proto__', 'p'],
      ['empty', ''],
    ]);
    // `__proto__` is an own key, not a prototype change.
    expect(Object.getPrototypeOf(result.params)).toBe(Object.prototype);
    expect(Object.isFrozen(result.params)).toBe(true);
    expect(result.receivedAt.getTime()).toBeGreaterThanOrEqual(before);
  });

  it('resolves with kind error and the reason for the error callback', async () => {
    const agent = await start();
    const answer = await send(agent.port, `${pathOf(agent.errorUrl)}?reason=user_cancelled`);
    expect(answer.status).toBe(200);
    expect(answer.body).toContain('did not complete');
    expect(await agent.waitForCallback({ timeoutMs: 2000 })).toMatchObject({ kind: 'error', params: { reason: 'user_cancelled' } });
  });

  it('accepts an absolute-form target naming exactly its own authority (RFC 9112 §3.2.2)', async () => {
    const agent = await start();
    const answer = await send(agent.port, `${agent.continueUrl}?x=1`);
    expect(answer.status).toBe(200);
    expect(await agent.waitForCallback({ timeoutMs: 2000 })).toMatchObject({ kind: 'continue', params: { x: '1' } });
  });

  it('ignores a second callback: the result stays the first', async () => {
    const agent = await start();
    expect((await send(agent.port, `${pathOf(agent.continueUrl)}?n=1`)).status).toBe(200);
    const first = await agent.waitForCallback({ timeoutMs: 2000 });
    const again = await send(agent.port, `${pathOf(agent.continueUrl)}?n=2`);
    const other = await send(agent.port, `${pathOf(agent.errorUrl)}?reason=late`);
    expect([again.status, other.status]).toEqual([409, 409]);
    expect(again.body).toContain('already has its answer');
    const later = await agent.waitForCallback({ timeoutMs: 2000 });
    expect(later).toEqual(first);
    expect(later).toMatchObject({ kind: 'continue', params: { n: '1' } });
  });

  it('lets every waiter, early or late, see the same result, also after close', async () => {
    const agent = await start();
    const early = [agent.waitForCallback(), agent.waitForCallback({ timeoutMs: 5000 })];
    await send(agent.port, `${pathOf(agent.continueUrl)}?n=1`);
    await agent.close();
    const results = [...(await Promise.all(early)), await agent.waitForCallback()];
    for (const result of results) expect(result).toMatchObject({ kind: 'continue', params: { n: '1' } });
  });
});

describe('refused requests do not end the flow', () => {
  it.each([
    { name: 'localhost:PORT', host: (p: number) => `localhost:${p}` },
    { name: '127.0.0.1 on another port', host: (p: number) => `127.0.0.1:${p === 65535 ? 1 : p + 1}` },
    { name: '127.0.0.1 without a port', host: () => '127.0.0.1' },
    { name: 'evil.test', host: () => 'evil.test' },
    { name: 'a rebinding name that ends like ours', host: (p: number) => `127.0.0.1:${p}.evil.test` },
    { name: 'another spelling of the address', host: (p: number) => `2130706433:${p}` },
    { name: 'a zero-padded port', host: (p: number) => `127.0.0.1:0${p}` },
    { name: '[::1]:PORT', host: (p: number) => `[::1]:${p}` },
    { name: 'a missing Host', host: () => null },
  ])('answers 421 for Host $name', async ({ host }) => {
    const agent = await start();
    const answer = await send(agent.port, pathOf(agent.continueUrl), { host: host(agent.port) });
    expect(answer.status).toBe(421);
    await expectFlowStillCompletes(agent);
  });

  it('answers 421 for an absolute-form target naming another authority, even with the right Host', async () => {
    const agent = await start();
    const targets = [
      `http://evil.test${pathOf(agent.continueUrl)}`,
      `http://localhost:${agent.port}${pathOf(agent.continueUrl)}`,
      `https://127.0.0.1:${agent.port}${pathOf(agent.continueUrl)}`,
    ];
    for (const target of targets) expect((await send(agent.port, target)).status, target).toBe(421);
    await expectFlowStillCompletes(agent);
  });

  it('answers 400 to two Host headers (RFC 9112 §3.2), even if one is right', async () => {
    const agent = await start();
    const raw = await sendRaw(agent.port, `GET ${pathOf(agent.continueUrl)} HTTP/1.1\r\nHost: 127.0.0.1:${agent.port}\r\nHost: evil.test\r\n\r\n`);
    expect(raw).toMatch(/^HTTP\/1\.1 400 /);
    await expectFlowStillCompletes(agent);
  });

  it('answers 421 to an HTTP/1.0 request without Host', async () => {
    const agent = await start();
    expect(await sendRaw(agent.port, `GET ${pathOf(agent.continueUrl)} HTTP/1.0\r\n\r\n`)).toMatch(/^HTTP\/1\.1 421 /);
    await expectFlowStillCompletes(agent);
  });

  it.each([
    { name: 'another secret of the same length', path: (s: string) => `/wizard/${'A'.repeat(s.length)}/continue` },
    { name: 'the secret minus its last character', path: (s: string) => `/wizard/${s.slice(0, -1)}/continue` },
    { name: 'the secret plus one character', path: (s: string) => `/wizard/${s}A/continue` },
    { name: 'an empty secret', path: () => '/wizard//continue' },
    { name: 'the secret percent-encoded', path: (s: string) => `/wizard/%${Buffer.from(s[0] ?? '').toString('hex')}${s.slice(1)}/continue` },
    { name: 'path traversal after the secret', path: (s: string) => `/wizard/${s}/../continue` },
    { name: 'path traversal before the secret', path: (s: string) => `/wizard/x/../${s}/continue` },
    { name: 'an extra segment', path: (s: string) => `/wizard/${s}/continue/extra` },
    { name: 'a trailing slash', path: (s: string) => `/wizard/${s}/continue/` },
    { name: 'a doubled leading slash', path: (s: string) => `//wizard/${s}/continue` },
    { name: 'a different case', path: (s: string) => `/Wizard/${s}/Continue` },
    { name: 'an unknown action', path: (s: string) => `/wizard/${s}/done` },
    { name: 'the root', path: () => '/' },
    { name: 'the favicon', path: () => '/favicon.ico' },
    { name: 'the asterisk form', path: () => '*' },
  ])('answers 404 for $name', async ({ path }) => {
    const agent = await start();
    const answer = await send(agent.port, path(secretOf(agent)));
    expect(answer.status).toBe(404);
    expect(answer.body).toBe('404 Not Found\n');
    await expectFlowStillCompletes(agent);
  });

  it.each(['POST', 'PUT', 'DELETE', 'HEAD', 'OPTIONS'])('answers 405 with Allow: GET to %s on a callback path', async (method) => {
    const agent = await start();
    const answer = await send(agent.port, pathOf(agent.continueUrl), { method });
    expect(answer.status).toBe(405);
    expect(answer.headers.allow).toBe('GET');
    await expectFlowStillCompletes(agent);
  });

  it('answers 414 to more than 64 parameters or a parameter over 4096 characters', async () => {
    const agent = await start();
    const many = Array.from({ length: 65 }, (_, i) => `p${i}=1`).join('&');
    expect((await send(agent.port, `${pathOf(agent.continueUrl)}?${many}`)).status).toBe(414);
    expect((await send(agent.port, `${pathOf(agent.continueUrl)}?v=${'a'.repeat(4097)}`)).status).toBe(414);
    await expectFlowStillCompletes(agent);
  });

  it.each([
    { name: 'EmailAddress twice', kind: 'continue', query: 'EmailAddress=evil%40x.test&EmailAddress=real%40x.test' },
    { name: 'EmailAddress twice with the same value', kind: 'continue', query: 'EmailAddress=a%40x.test&EmailAddress=a%40x.test' },
    { name: 'code twice', kind: 'continue', query: 'EmailAddress=a%40x.test&code=attacker&code=genuine' },
    { name: 'code twice, once with a percent-encoded name', kind: 'continue', query: 'code=attacker&co%64e=genuine' },
    { name: 'state twice', kind: 'continue', query: 'state=k2J&state=other&EmailAddress=a%40x.test' },
    { name: 'reason twice', kind: 'error', query: 'reason=cancelled&reason=address_taken' },
    { name: 'an empty second EmailAddress', kind: 'error', query: 'EmailAddress=a%40x.test&reason=cancelled&EmailAddress=' },
  ])('answers 400 to a callback with $name (docs/protocol.md, "The links back"), keeping the flow open', async ({ kind, query }) => {
    const events: CallbackAgentEvent[] = [];
    const agent = await start({ onEvent: (event) => events.push(event) });
    const url = kind === 'continue' ? agent.continueUrl : agent.errorUrl;
    const answer = await send(agent.port, `${pathOf(url)}?${query}`);
    expect(answer.status).toBe(400);
    expect(answer.body).toBe('400 Bad Request\n');
    expect(events).toEqual([{ type: 'refused', reason: 'repeated-parameter', status: 400 }]);
    // The malformed callback did not take the flow's one result: the genuine one still does.
    await expectFlowStillCompletes(agent);
  });

  it('answers 431 to headers over the cap and 431 to an over-long URL', async () => {
    const agent = await start({ maxHeaderBytes: 2048 });
    expect((await send(agent.port, pathOf(agent.continueUrl), { headers: { 'X-Big': 'a'.repeat(3000) } })).status).toBe(431);
    expect((await send(agent.port, `${pathOf(agent.continueUrl)}?v=${'a'.repeat(3000)}`)).status).toBe(431);
    await expectFlowStillCompletes(agent);
  });

  it('takes the real callback during a slow-loris flood of 500 sockets, and closes the slow ones within the headers deadline', async () => {
    const agent = await start();
    const flood = startSlowFlood(agent.port, { count: 500, maxOpened: 5000 });
    try {
      // The flood is on: far more sockets than the 64-connection cap, each replaced as soon as
      // the agent closes it.
      await flood.agentClosed(1000);
      const answer = await send(agent.port, `${pathOf(agent.continueUrl)}?EmailAddress=real%40x.test`);
      // ...and still on when the answer came.
      expect(flood.opened).toBeLessThan(5000);
      flood.stopOpening();
      expect(answer.status).toBe(200);
      expect(await agent.waitForCallback({ timeoutMs: 2000 })).toMatchObject({ kind: 'continue', params: { EmailAddress: 'real@x.test' } });
      // Every slow socket, trickling or not, is closed by the agent: within 2 s of its headers
      // starting, well before the 10 s idle timeout.
      await flood.allClosed(6000);
      expect(flood.closedByAgent).toBe(flood.opened);
    } finally {
      flood.destroy();
    }
  }, 20_000);

  it('still takes the real callback after 500 bogus requests', async () => {
    const events: CallbackAgentEvent[] = [];
    const agent = await start({ onEvent: (event) => events.push(event) });
    const secret = secretOf(agent);
    const bogus: (() => Promise<Answer>)[] = [];
    for (let i = 0; i < 500; i++) {
      const kind = i % 5;
      if (kind === 0) bogus.push(() => send(agent.port, pathOf(agent.continueUrl), { host: `evil${i}.test` }));
      else if (kind === 1) bogus.push(() => send(agent.port, `/wizard/${i.toString().padStart(secret.length, '0')}/continue`));
      else if (kind === 2) bogus.push(() => send(agent.port, pathOf(agent.errorUrl), { method: 'POST' }));
      else if (kind === 3) bogus.push(() => send(agent.port, `/${'x'.repeat(i)}/%ff%00/../..?a=${i}`));
      else bogus.push(() => send(agent.port, `http://evil.test/wizard/${secret}/continue`));
    }
    const statuses: number[] = [];
    const workers = Array.from({ length: 16 }, async () => {
      for (let job = bogus.shift(); job !== undefined; job = bogus.shift()) statuses.push((await job()).status);
    });
    await Promise.all(workers);
    expect(statuses).toHaveLength(500);
    expect(new Set(statuses)).toEqual(new Set([421, 404, 405]));
    await expectFlowStillCompletes(agent);
    expect(events.filter((event) => event.type === 'refused')).toHaveLength(500);
    expect(events.filter((event) => event.type === 'callback')).toEqual([{ type: 'callback', kind: 'continue' }]);
    // Events never carry the secret.
    expect(JSON.stringify(events)).not.toContain(secret);
  });
});

describe('answers', () => {
  const wantHeaders = {
    'content-security-policy': "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cache-control': 'no-store',
    'x-frame-options': 'DENY',
    connection: 'close',
  };

  it('carries the CSP and friends on pages and refusals alike, and no X-Powered-By or ETag', async () => {
    const agent = await start();
    const answers = [
      await send(agent.port, '/nope'),
      await send(agent.port, '/nope', { host: 'evil.test' }),
      await send(agent.port, pathOf(agent.continueUrl), { method: 'POST' }),
      await send(agent.port, pathOf(agent.continueUrl)),
      await send(agent.port, pathOf(agent.continueUrl)),
    ];
    expect(answers.map((a) => a.status)).toEqual([404, 421, 405, 200, 409]);
    for (const answer of answers) {
      expect(answer.headers).toMatchObject(wantHeaders);
      expect(answer.headers['x-powered-by']).toBeUndefined();
      expect(answer.headers.etag).toBeUndefined();
    }
  });

  it('escapes configured page text and contains no script or style', async () => {
    const agent = await start({ page: { title: 'A & <b>B</b>', continueText: '<script>alert("x")</script>' } });
    const { body } = await send(agent.port, pathOf(agent.continueUrl));
    expect(body).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    expect(body).toContain('<title>A &amp; &lt;b&gt;B&lt;/b&gt;</title>');
    expect(body).not.toMatch(/<script|<style|style=/i);
  });

  it('does not echo the request path or the secret in any answer', async () => {
    const agent = await start();
    const secret = secretOf(agent);
    const bodies = [
      (await send(agent.port, `/<script>${secret}`)).body,
      (await send(agent.port, pathOf(agent.continueUrl), { method: 'PUT' })).body,
      (await send(agent.port, `${pathOf(agent.continueUrl)}?q=<i>`)).body,
    ];
    for (const body of bodies) {
      expect(body).not.toContain(secret);
      expect(body).not.toContain('<i>');
      expect(body).not.toContain('<script>');
    }
  });
});

describe('waitForCallback and close', () => {
  it('rejects with ERR_AGENT_TIMEOUT after timeoutMs', async () => {
    const agent = await start();
    await expect(agent.waitForCallback({ timeoutMs: 20 })).rejects.toMatchObject({ code: 'ERR_AGENT_TIMEOUT', name: 'AgentTimeoutError' });
    await expectFlowStillCompletes(agent);
  });

  it('rejects with ERR_AGENT_ABORTED when the wait is aborted, keeping the agent up', async () => {
    const agent = await start();
    const controller = new AbortController();
    const wait = agent.waitForCallback({ signal: controller.signal });
    controller.abort(new Error('user pressed Ctrl-C'));
    await expect(wait).rejects.toMatchObject({ code: 'ERR_AGENT_ABORTED', cause: { message: 'user pressed Ctrl-C' } });
    await expect(agent.waitForCallback({ signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'ERR_AGENT_ABORTED' });
    await expectFlowStillCompletes(agent);
  });

  it('closes when the agent signal aborts: waits reject with ERR_AGENT_ABORTED and the port refuses', async () => {
    const controller = new AbortController();
    const agent = await start({ signal: controller.signal });
    const wait = agent.waitForCallback();
    controller.abort();
    await expect(wait).rejects.toMatchObject({ code: 'ERR_AGENT_ABORTED' });
    await agent.close();
    expect(await tryConnect(agent.port, '127.0.0.1')).toBe('ECONNREFUSED');
  });

  it('makes a pending wait reject with ERR_AGENT_CLOSED on close, and later waits too', async () => {
    const agent = await start();
    const wait = agent.waitForCallback();
    await agent.close();
    await expect(wait).rejects.toMatchObject({ code: 'ERR_AGENT_CLOSED', name: 'AgentClosedError' });
    await expect(agent.waitForCallback()).rejects.toMatchObject({ code: 'ERR_AGENT_CLOSED' });
  });

  it('refuses connections after close; close is idempotent and works through Symbol.asyncDispose', async () => {
    const agent = await start();
    await Promise.all([agent.close(), agent.close()]);
    await agent[Symbol.asyncDispose]();
    expect(await tryConnect(agent.port, '127.0.0.1')).toBe('ECONNREFUSED');
  });

  it('closes idle and half-sent connections instead of waiting for them', async () => {
    const agent = await start();
    const closed: Promise<void>[] = [];
    for (let i = 0; i < 3; i++) {
      const socket = connect(agent.port, '127.0.0.1');
      await new Promise((resolve) => socket.once('connect', resolve));
      if (i > 0) socket.write(`GET ${pathOf(agent.continueUrl)} HTTP/1.1\r\nHost: 127.0.0.1:${agent.port}\r\n`);
      closed.push(new Promise((resolve) => socket.once('close', () => resolve())));
      socket.on('error', () => {});
      socket.resume();
    }
    const started = Date.now();
    await agent.close();
    await Promise.all(closed);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('drops a connection that sends nothing within idleTimeoutMs', async () => {
    const agent = await start({ idleTimeoutMs: 200 });
    const socket = connect(agent.port, '127.0.0.1');
    socket.on('error', () => {});
    // Read (and drop) what the server sends, so that its end is seen and the socket closes.
    socket.resume();
    socket.write('GET / HTTP/1.1\r\n');
    const started = Date.now();
    await new Promise((resolve) => socket.once('close', resolve));
    expect(Date.now() - started).toBeLessThan(3000);
    await expectFlowStillCompletes(agent);
  });

  it.each([{ timeoutMs: -1 }, { timeoutMs: 1.5 }, { timeoutMs: 2 ** 31 }])('throws TypeError for timeoutMs $timeoutMs', async (options) => {
    const agent = await start();
    await expect(agent.waitForCallback(options)).rejects.toBeInstanceOf(TypeError);
  });
});
