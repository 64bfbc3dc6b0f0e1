/**
 * The state file's format: format 2 (one variant per step, the method's opaque slot) validated
 * field by field; format 1 read and migrated in memory, and a real format-1 enrollment (from
 * fixtures/, written by the SDK of that format) resumed to an installed certificate; a slot of
 * another method or of a newer format refused with a typed error and nothing changed on disk.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CredentialStore } from '../credentials/credential-store.js';
import { openFileStore } from '../credentials/file-store.js';
import { accountWithToken, approveOnAccountPage, EMAIL, startTestCa, type TestCa } from '../enroll/test-support/reference-ca.js';
import { nodeFileSystem } from '../install/file-system.js';
import { cacertMethod } from '../methods/cacert/cacert-method.js';
import { installationTokenKey } from '../methods/cacert/credential-keys.js';
import { sslApiMethod } from '../methods/ssl-api/ssl-api-method.js';
import { enroll, type EnrollOptions } from './default-method.js';
import type { EnrollFlowEvent } from './enroll.js';
import { StateFileError, StateMismatchError } from './errors.js';
import { readState, statePaths, STATE_FILE_VERSION } from './state-file.js';

const fixture = (name: string) => join(import.meta.dirname, 'fixtures', name);
const V1 = JSON.parse(readFileSync(fixture('state-v1-verify-email.json'), 'utf8')) as Record<string, unknown>;

let dir: string;
let stateDir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'certwizard-state-'));
  stateDir = join(dir, 'certs', 'enrollments');
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Puts a state document (and the fixture's key) where enroll() looks for `mail`. */
function plant(state: unknown): { statePath: string; keyPath: string } {
  const statePath = join(stateDir, 'mail.json');
  const keyPath = join(stateDir, 'mail.key.pem');
  writeFileSync(statePath, typeof state === 'string' ? state : `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  copyFileSync(fixture('state-v1-verify-email.test-key.pem'), keyPath);
  return { statePath, keyPath };
}

/** A format-2 state at `submit`, from the fixture's request, with the given slot. */
function v2Submit(method: unknown, caOrigin = String(V1.caOrigin)): Record<string, unknown> {
  return {
    version: 2,
    caOrigin,
    names: V1.names,
    step: 'submit',
    request: { csrPem: V1.csrPem, csrSha256: V1.csrSha256 },
    accountEmail: EMAIL,
    method,
    updatedAt: V1.updatedAt,
  };
}

describe('readState', () => {
  it('migrates a format-1 file in memory: the request, the address, and a slot of version 0 for the run’s method; the file is unchanged', async () => {
    const { statePath } = plant(V1);
    const before = readFileSync(statePath, 'utf8');
    const state = await readState(nodeFileSystem, statePaths(stateDir, 'mail'));
    expect(state).toEqual({
      version: STATE_FILE_VERSION,
      caOrigin: V1.caOrigin,
      names: { email: [EMAIL], dns: [] },
      step: 'verify-email',
      request: { csrPem: V1.csrPem, csrSha256: V1.csrSha256 },
      accountEmail: EMAIL,
      method: { name: '', version: 0, state: { csrSentWithRegistration: false } },
      updatedAt: V1.updatedAt,
    });
    expect(readFileSync(statePath, 'utf8')).toBe(before);
  });

  const submitState = v2Submit({ name: 'cacert', version: 1, state: { csrSentWithRegistration: false } });
  it.each([
    { name: 'a format-2 state at submit', input: submitState, want: 'ok' },
    { name: 'an unknown format version', input: { ...submitState, version: 3 }, want: 'version 3 is not 2' },
    { name: 'a format-1 state at prepare-key (never written)', input: { ...V1, step: 'prepare-key' }, want: 'prepare-key' },
    { name: 'a format-1 state at await-issue without a request id', input: { ...V1, step: 'await-issue' }, want: 'without a request id' },
    { name: 'the step prepare-key in format 2', input: { ...submitState, step: 'prepare-key' }, want: 'unknown step' },
    { name: 'await-issue without a request id', input: { ...submitState, step: 'await-issue' }, want: 'requestId is malformed' },
    { name: 'install without a certificate', input: { ...submitState, step: 'install', requestId: null }, want: 'certificate is malformed' },
    { name: 'done without an installed version', input: { ...submitState, step: 'done', requestId: null }, want: 'installedVersion is malformed' },
    { name: 'a slot without a state', input: v2Submit({ name: 'cacert', version: 1 }), want: 'method slot' },
    { name: 'a slot of version 0 (only ever in memory)', input: v2Submit({ name: 'cacert', version: 0, state: {} }), want: 'method slot' },
    { name: 'a slot without a name', input: v2Submit({ name: '', version: 1, state: null }), want: 'method slot' },
    { name: 'register without the method', input: { ...submitState, step: 'register' }, want: 'methodName' },
    { name: 'a request that is not a CSR', input: { ...submitState, request: { csrPem: 'x', csrSha256: V1.csrSha256 } }, want: 'request is malformed' },
    { name: 'an accountEmail that is no address', input: { ...submitState, accountEmail: 'nobody' }, want: 'accountEmail' },
  ])('$name: $want', async ({ input, want }) => {
    plant(input);
    const read = readState(nodeFileSystem, statePaths(stateDir, 'mail'));
    if (want === 'ok') await expect(read).resolves.toMatchObject({ step: 'submit', method: { name: 'cacert' } });
    else await expect(read).rejects.toThrow(new RegExp(want));
    if (want !== 'ok') await expect(read).rejects.toBeInstanceOf(StateFileError);
  });
});

describe('enroll() and the method slot', () => {
  let ca: TestCa;
  let store: CredentialStore;
  beforeEach(async () => {
    ca = await startTestCa({ retryAfterSeconds: 1 });
    store = await openFileStore({ dir: join(dir, 'secrets') });
  });
  afterEach(() => ca.dispose());

  const options = (extra: Partial<EnrollOptions> = {}): EnrollOptions => ({
    caUrl: ca.url,
    name: 'mail',
    baseDir: join(dir, 'certs'),
    names: { email: [EMAIL] },
    credentials: store,
    trustAnchorsPem: ca.caCertPem,
    registration: { opener: () => Promise.reject(new Error('a registered installation opens no page')) },
    waiting: { pollIntervalMs: 50, maxPollIntervalMs: 200, timeoutMs: 20_000 },
    verification: { pollIntervalMs: 50 },
    ...extra,
  });

  it('resumes an enrollment a format-1 SDK left at verify-email, and writes format 2 with the cacert slot', async () => {
    // The installation registered under format 1: its token is in the store, the state file is format 1.
    await store.set(installationTokenKey(new URL(ca.url).origin), await accountWithToken(ca));
    const { statePath } = plant({ ...V1, caOrigin: new URL(ca.url).origin });
    const events: EnrollFlowEvent[] = [];
    let approving: Promise<void> | undefined;
    const result = await enroll(
      options({
        onEvent: (event) => {
          events.push(event);
          if (event.type === 'enrollment' && event.event.type === 'polling' && approving === undefined) {
            approving = approveOnAccountPage(ca, event.event.requestId);
          }
        },
      }),
    );
    await approving;
    expect(result).toMatchObject({ resumed: true, accountEmail: EMAIL });
    // The slot said the request did not go with the registration: the address was verified (already confirmed, no ping).
    expect(events).toContainEqual({ type: 'address', event: { type: 'confirmed', address: EMAIL, alreadyConfirmed: true } });
    expect(events.filter((e) => e.type === 'step').map((e) => e.type === 'step' && e.step)).toEqual([
      'verify-email',
      'submit',
      'await-issue',
      'install',
      'done',
    ]);
    // The request of the format-1 run is the one certified, with its key.
    expect(result.installed.names).toEqual([EMAIL]);
    expect(await ca.counts()).toMatchObject({ accounts: 1, certificate_requests: 1, certificates: 1 });
    expect(JSON.parse(readFileSync(statePath, 'utf8'))).toMatchObject({
      version: 2,
      step: 'done',
      request: { csrSha256: V1.csrSha256 },
      accountEmail: EMAIL,
      method: { name: 'cacert', version: 1, state: { csrSentWithRegistration: false } },
    });
  });

  it.each([
    {
      name: 'a slot of another method',
      slot: { name: 'acme', version: 1, state: { account: 'https://acme.example/acct/1' } },
      want: { error: StateMismatchError, code: 'ERR_SDK_STATE_MISMATCH', message: /made with the method "acme", not "cacert"/ },
    },
    {
      name: 'a slot of a newer format than the method reads',
      slot: { name: 'cacert', version: 2, state: { csrSentWithRegistration: false } },
      want: {
        error: StateFileError,
        code: 'ERR_SDK_STATE_FILE',
        message: /newer version of the method "cacert" \(its state format 2, this one reads up to 1\)/,
      },
    },
    {
      name: 'a slot the method cannot read',
      slot: { name: 'cacert', version: 1, state: { csrSentWithRegistration: 'yes' } },
      want: { error: StateFileError, code: 'ERR_SDK_STATE_FILE', message: /cacert method's state is not valid/ },
    },
  ])('refuses $name with a typed error, before a word to the CA, changing nothing on disk', async ({ slot, want }) => {
    const { statePath, keyPath } = plant(v2Submit(slot, new URL(ca.url).origin));
    const before = { state: readFileSync(statePath, 'utf8'), key: readFileSync(keyPath, 'utf8') };
    let calls = 0;
    const run = enroll(options({ fetch: (...args) => (calls++, fetch(...args)) }));
    await expect(run).rejects.toBeInstanceOf(want.error);
    await expect(run).rejects.toMatchObject({ code: want.code, message: expect.stringMatching(want.message) });
    expect(calls).toBe(0);
    expect({ state: readFileSync(statePath, 'utf8'), key: readFileSync(keyPath, 'utf8') }).toEqual(before);
  });

  it('refuses a cacert state when called with another method (ssl-api), changing nothing', async () => {
    const { statePath } = plant(v2Submit({ name: 'cacert', version: 1, state: { csrSentWithRegistration: false } }, new URL(ca.url).origin));
    const before = readFileSync(statePath, 'utf8');
    await expect(enroll(options({ method: sslApiMethod({ caUrl: ca.url, client: 'vendor1' }) }))).rejects.toMatchObject({
      code: 'ERR_SDK_STATE_MISMATCH',
      message: expect.stringMatching(/made with the method "cacert", not "ssl-api"/),
    });
    expect(readFileSync(statePath, 'utf8')).toBe(before);
    // The same state, with the method it was made with, continues.
    await store.set(installationTokenKey(new URL(ca.url).origin), await accountWithToken(ca));
    let approving: Promise<void> | undefined;
    const done = await enroll(
      options({
        method: cacertMethod({ caUrl: ca.url }),
        onEvent: (event) => {
          if (event.type === 'enrollment' && event.event.type === 'polling' && approving === undefined)
            approving = approveOnAccountPage(ca, event.event.requestId);
        },
      }),
    );
    await approving;
    expect(done.installed.names).toEqual([EMAIL]);
  });
});
