/**
 * A method of the vendor's own, passed to enroll({ method }): written in this test against the
 * reference CA's ssl_api endpoint (`PUT /api/csr/:client`), it has every step (an account kept in
 * the credential store, CSR attributes, a verify that records the order, a submit that answers
 * pending, a poll that sends the order), and state of format 2 that reads format 1. The runs are
 * stopped between steps; each resumed run gets the method's state back from the state file.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCertificate, parseCsr } from '@certwizard/pki';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CredentialStore } from '../credentials/credential-store.js';
import { openFileStore } from '../credentials/file-store.js';
import type { EnrollmentMethod } from '../enroll/enrollment-method.js';
import { startTestCa, type TestCa } from '../enroll/test-support/reference-ca.js';
import { sslApiMethod } from '../methods/ssl-api/ssl-api-method.js';
import { enroll, type EnrollOptions } from './default-method.js';
import type { EnrollFlowEvent } from './enroll.js';
import { StateFileError } from './errors.js';

const DNS = 'mail.example.org';
const CHALLENGE = 'test-attribute-4711';

/** The test method's state: its ssl_api client, and the request it will send (set by verify). */
interface OrderState {
  readonly client: string;
  readonly order: string | null;
}

/** One call the flow made, with the state it handed over. */
type Call = { readonly call: string; readonly state?: unknown; readonly version?: number };

/** A method that orders at verify, answers pending at submit and sends the order to ssl_api at poll. */
function orderingMethod(caUrl: string, calls: Call[]): EnrollmentMethod<OrderState> {
  const clientKey = `test-client:${new URL(caUrl).origin}`;
  const read = (state: unknown, field: string): unknown => (state !== null && typeof state === 'object' ? Reflect.get(state, field) : undefined);
  return {
    name: 'ordering-ssl-api',
    stateVersion: 2,
    parseState(state, version) {
      calls.push({ call: 'parseState', state, version });
      const client = read(state, 'client');
      const order = version === 1 ? null : read(state, 'order');
      if (typeof client !== 'string' || (order !== null && typeof order !== 'string')) throw new StateFileError('the ordering method cannot read its state');
      return { client, order };
    },
    csrAttributes: () => ({ challengePassword: CHALLENGE }),
    async ensureAccount(context) {
      context?.signal?.throwIfAborted(); // the contract: an aborted call rejects with the signal's reason
      calls.push({ call: 'ensureAccount', state: context.state });
      // The account: the vendor's client hash, kept where a real method keeps its secrets.
      if ((await context.credentials.get(clientKey)) === undefined) await context.credentials.set(clientKey, 'vendor1');
      return { state: { client: (await context.credentials.get(clientKey)) ?? '', order: null } };
    },
    async hasAccount(context) {
      context?.signal?.throwIfAborted();
      return (await context.credentials?.get(clientKey)) !== undefined;
    },
    async verify(request, context) {
      context?.signal?.throwIfAborted();
      calls.push({ call: 'verify', state: context.state });
      if (context.state === undefined) throw new Error('verify without the account state');
      return { ...context.state, order: request.csrPem };
    },
    async submit(request, context) {
      context?.signal?.throwIfAborted();
      calls.push({ call: 'submit', state: context?.state });
      return { status: 'pending', requestId: createHash('sha256').update(request.csrPem).digest('hex').slice(0, 32) };
    },
    async poll(pending, context) {
      context?.signal?.throwIfAborted();
      calls.push({ call: 'poll', state: context?.state });
      const order = context?.state?.order;
      if (order === undefined || order === null) throw new Error('poll without an order');
      return sslApiMethod({ caUrl, client: context?.state?.client ?? '' }).submit({ csrPem: order }, context);
    },
  };
}

let ca: TestCa;
let dir: string;
let store: CredentialStore;
beforeEach(async () => {
  ca = await startTestCa();
  dir = mkdtempSync(join(tmpdir(), 'certwizard-custom-method-'));
  store = await openFileStore({ dir: join(dir, 'secrets') });
});
afterEach(async () => {
  await ca.dispose();
  rmSync(dir, { recursive: true, force: true });
});

const statePath = () => join(dir, 'certs', 'enrollments', 'mail.json');
const slot = () => (JSON.parse(readFileSync(statePath(), 'utf8')) as { method: unknown }).method;

function options(method: EnrollmentMethod<OrderState>, extra: Partial<EnrollOptions> = {}): EnrollOptions {
  return {
    caUrl: ca.url,
    name: 'mail',
    baseDir: join(dir, 'certs'),
    names: { dns: [DNS] },
    credentials: store,
    trustAnchorsPem: ca.caCertPem,
    // A method passed brings its own configuration: these configure only the default one.
    registration: { opener: () => Promise.reject(new Error('the default method is not used')) },
    method,
    waiting: { pollIntervalMs: 20, timeoutMs: 20_000 },
    ...extra,
  };
}

/** A run stopped as `step` starts: the state says that step is next. */
async function stoppedAt(method: EnrollmentMethod<OrderState>, step: string): Promise<void> {
  const stop = new AbortController();
  const onEvent = (event: EnrollFlowEvent) => {
    if (event.type === 'step' && event.step === step) stop.abort(new Error(`stopped at ${step}`));
  };
  await expect(enroll(options(method, { signal: stop.signal, onEvent }))).rejects.toThrow();
  expect(JSON.parse(readFileSync(statePath(), 'utf8'))).toMatchObject({ step });
}

describe('enroll() with a method of the vendor', () => {
  it('drives account, verify, submit and poll, and hands each resumed run its state from the state file', async () => {
    const calls: Call[] = [];
    const method = orderingMethod(ca.url, calls);

    await stoppedAt(method, 'verify-email');
    expect(calls).toEqual([{ call: 'ensureAccount', state: undefined }]);
    expect(slot()).toEqual({ name: 'ordering-ssl-api', version: 2, state: { client: 'vendor1', order: null } });
    const csrPem = (JSON.parse(readFileSync(statePath(), 'utf8')) as { request: { csrPem: string } }).request.csrPem;
    // The CSR carries what the method asked for.
    expect(parseCsr(csrPem).challengePassword).toBe(CHALLENGE);

    calls.length = 0;
    await stoppedAt(method, 'await-issue');
    expect(calls).toEqual([
      { call: 'parseState', state: { client: 'vendor1', order: null }, version: 2 },
      { call: 'verify', state: { client: 'vendor1', order: null } },
      { call: 'submit', state: { client: 'vendor1', order: csrPem } },
    ]);
    expect(slot()).toEqual({ name: 'ordering-ssl-api', version: 2, state: { client: 'vendor1', order: csrPem } });
    expect((await ca.counts()).certificates).toBe(0);

    calls.length = 0;
    const events: EnrollFlowEvent[] = [];
    const result = await enroll(options(method, { onEvent: (event) => events.push(event) }));
    expect(calls).toEqual([
      { call: 'parseState', state: { client: 'vendor1', order: csrPem }, version: 2 },
      { call: 'poll', state: { client: 'vendor1', order: csrPem } },
    ]);
    expect(events.filter((e) => e.type === 'step').map((e) => e.type === 'step' && e.step)).toEqual(['await-issue', 'install', 'done']);
    expect(result).toMatchObject({ resumed: true, installed: { names: [DNS] } });
    expect(result).not.toHaveProperty('accountEmail');
    const live = parseCertificate(readFileSync(result.installed.paths.cert, 'utf8'));
    expect((await ca.certificate(live.serialNumberHex))?.requester).toContain('vendor1');
    expect(await ca.counts()).toMatchObject({ accounts: 0, certificates: 1 });
    expect(JSON.parse(readFileSync(statePath(), 'utf8'))).toMatchObject({
      version: 2,
      step: 'done',
      accountEmail: null,
      method: { name: 'ordering-ssl-api', version: 2, state: { client: 'vendor1', order: csrPem } },
    });
  });

  it('hands an older slot to parseState with its version, and goes back to the account step when hasAccount says it is gone', async () => {
    const calls: Call[] = [];
    const method = orderingMethod(ca.url, calls);
    await stoppedAt(method, 'submit');
    // As a version of the method whose format 1 had no order; and the account removed behind its back.
    const state = JSON.parse(readFileSync(statePath(), 'utf8')) as Record<string, unknown>;
    writeFileSync(
      statePath(),
      JSON.stringify({ ...state, step: 'verify-email', method: { name: 'ordering-ssl-api', version: 1, state: { client: 'vendor1' } } }),
    );
    await store.delete(`test-client:${new URL(ca.url).origin}`);

    calls.length = 0;
    const events: EnrollFlowEvent[] = [];
    await enroll(options(method, { onEvent: (event) => events.push(event) }));
    expect(calls.map((c) => c.call)).toEqual(['parseState', 'ensureAccount', 'verify', 'submit', 'poll']);
    expect(calls[0]).toEqual({ call: 'parseState', state: { client: 'vendor1' }, version: 1 });
    expect(events.filter((e) => e.type === 'step').map((e) => e.type === 'step' && e.step)).toEqual([
      'verify-email',
      'register',
      'verify-email',
      'submit',
      'await-issue',
      'install',
      'done',
    ]);
    expect(await ca.counts()).toMatchObject({ certificates: 1 });
  });

  it.each([
    { name: 'a method without submit', method: { name: 'x' }, want: /must be an EnrollmentMethod/ },
    { name: 'a method with an empty name', method: { name: '', submit: async () => ({ status: 'pending', requestId: 'r' }) }, want: /method.name/ },
    {
      name: 'a method with state but no parseState',
      method: { name: 'x', ensureAccount: async () => ({ state: {} }), submit: async () => ({ status: 'pending', requestId: 'r' }) },
      want: /needs parseState/,
    },
    { name: 'a stateVersion of 0', method: { name: 'x', stateVersion: 0, submit: async () => ({ status: 'pending', requestId: 'r' }) }, want: /stateVersion/ },
  ])('refuses $name with a TypeError before touching anything', async ({ method, want }) => {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- deliberately malformed methods
    await expect(enroll(options(method as any))).rejects.toThrow(want);
    await expect(enroll(options(method as never))).rejects.toBeInstanceOf(TypeError);
    expect(() => readFileSync(statePath())).toThrow();
  });
});
