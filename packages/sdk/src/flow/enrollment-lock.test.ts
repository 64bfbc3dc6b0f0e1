/**
 * Regression: two enroll() runs on the same enrollment (same state folder and name) ran side by
 * side: the second took up the first's state, sent the request again and installed a second
 * version (or, earlier in the flow, took up the first's registration ticket and met a raw EEXIST
 * on the key file). Now the second is refused at once with ERR_SDK_ENROLLMENT_LOCKED, naming the
 * first run's pid and the lock file, and the first finishes untouched; a lock left by a process
 * that is gone is taken over; with `lockWaitMs` the second waits for the first instead.
 *
 * The CA is an {@link EnrollmentMethod} of this test that issues from a root made here, and holds
 * each request until the test lets it through: that keeps a run inside enroll() for as long as
 * the test needs. The installation token is in the credential store beforehand (registration is
 * covered by enroll.test.ts and kill.test.ts). The first run is a real second process where
 * said (a child running the built SDK, dist/), and waits and clocks are injected.
 */
import { fork, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  createSelfSignedCa,
  generateKeyPair,
  generateSerialNumber,
  importPrivateKeyPem,
  issueCertificate,
  keysMatch,
  parseCertificate,
  parseCsr,
  type Issuer,
} from '@certwizard/pki';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Clock } from '../registration/clock.js';
import { openFileStore } from '../credentials/file-store.js';
import type { EnrollmentMethod } from '../enroll/enrollment-method.js';
import { installationTokenKey } from '../methods/cacert/credential-keys.js';
import { enroll, type EnrollOptions } from './default-method.js';
import { acquireEnrollmentLock } from './enrollment-lock.js';
import { StateFileError } from './errors.js';

const CA_URL = 'https://ca.invalid';
const TOKEN = 'installation-token-of-the-first-run';
const DNS = 'mail.example.org';
const DAY = 86_400_000;
const CHILD_TIMEOUT_MS = 30_000;
const sdkDir = fileURLToPath(new URL('../../', import.meta.url));

let root: Issuer;
let dir: string;

beforeAll(() => {
  const { privateKey } = generateKeyPair('p256');
  const now = Date.now();
  const ca = createSelfSignedCa({
    subject: [{ type: 'CN', value: 'Lock Test Root' }],
    privateKey,
    notBefore: new Date(now - DAY),
    notAfter: new Date(now + 30 * DAY),
    serialNumber: generateSerialNumber(),
  });
  root = { certificate: parseCertificate(ca.der), privateKey };
});
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'certwizard-lock-'));
  await (await openFileStore({ dir: secretsDir() })).set(installationTokenKey(CA_URL), TOKEN);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const secretsDir = () => join(dir, 'secrets');
const baseDir = () => join(dir, 'certs');
const stateDir = () => join(baseDir(), 'enrollments');
const lockPath = () => join(stateDir(), 'mail.lock');

/** What the CA signs for a request: the DNS name, under the root. */
function issue(csrPem: string): string {
  const now = Date.now();
  return issueCertificate({
    request: parseCsr(csrPem),
    issuer: root,
    serialNumber: generateSerialNumber(),
    profile: { notBefore: new Date(now - 60_000), notAfter: new Date(now + 7 * DAY), subjectAltNames: { dns: [DNS] } },
  }).pem;
}

/** A CA that tells `onRequest` about each request and answers once the returned promise settles. */
function heldMethod(onRequest: (csrPem: string) => Promise<void> = async () => undefined): EnrollmentMethod {
  return {
    name: 'held',
    submit: async ({ csrPem }) => {
      await onRequest(csrPem);
      return { status: 'issued', certificatePem: issue(csrPem), chainPem: '' };
    },
  };
}

async function options(extra: Partial<EnrollOptions> = {}): Promise<EnrollOptions> {
  return {
    caUrl: CA_URL,
    name: 'mail',
    baseDir: baseDir(),
    names: { dns: [DNS] },
    credentials: await openFileStore({ dir: secretsDir() }),
    trustAnchorsPem: root.certificate.pem,
    method: heldMethod(),
    ...extra,
  };
}

/** A promise and its resolve, for a request the test lets through when it wants. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open: () => void = () => undefined;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

/** What the first run must have left: its token, its state at done, version 1 live with a matching key, no lock. */
async function expectFirstFinished(): Promise<void> {
  expect(await (await openFileStore({ dir: secretsDir() })).get(installationTokenKey(CA_URL))).toBe(TOKEN);
  expect(JSON.parse(readFileSync(join(stateDir(), 'mail.json'), 'utf8'))).toMatchObject({ step: 'done', installedVersion: 1 });
  expect(readdirSync(stateDir())).toEqual(['mail.json']);
  expect(readdirSync(join(baseDir(), 'archive', 'mail')).filter((f) => f.startsWith('cert'))).toEqual(['cert1.pem']);
  const live = join(baseDir(), 'live', 'mail');
  const key = importPrivateKeyPem(readFileSync(join(live, 'privkey.pem'), 'utf8'));
  expect(keysMatch(key, parseCertificate(readFileSync(join(live, 'cert.pem'), 'utf8')).publicKey)).toBe(true);
}

/** The state and key files, to show that a refused run changed neither. */
const pendingFiles = () => ({ state: readFileSync(join(stateDir(), 'mail.json'), 'utf8'), key: readFileSync(join(stateDir(), 'mail.key.pem'), 'utf8') });

/** A second run whose CA must never be asked. */
async function secondRun(extra: Partial<EnrollOptions> = {}): Promise<{ error: unknown; asked: number }> {
  let asked = 0;
  const error = await enroll(await options({ method: heldMethod(async () => void asked++), ...extra })).then(
    () => undefined,
    (e: unknown) => e,
  );
  return { error, asked };
}

/** The pid of a process that has exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', '']);
  if (child.pid === undefined || child.status !== 0) throw new Error('could not run node');
  return child.pid;
}

function plantLock(holder: { pid: number; startedAt: string } | string): void {
  mkdirSync(stateDir(), { recursive: true, mode: 0o700 });
  writeFileSync(lockPath(), typeof holder === 'string' ? holder : `${JSON.stringify(holder)}\n`, { mode: 0o600 });
}

// The first run in another process: the public SDK from dist/, its CA the test (over IPC).
const CHILD_SCRIPT = `
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const { enroll, openFileStore } = await import(pathToFileURL(config.sdk).href);
const send = (message) => new Promise((resolve) => process.send(message, resolve));
const answers = [];
process.on('message', (message) => answers.shift()?.(message.certificatePem));
const method = {
  name: 'held-by-parent',
  submit: async ({ csrPem }) => {
    const answer = new Promise((resolve) => answers.push(resolve));
    await send({ type: 'request', csrPem });
    return { status: 'issued', certificatePem: await answer, chainPem: '' };
  },
};
try {
  const result = await enroll({
    caUrl: config.caUrl, name: 'mail', baseDir: config.baseDir, names: { dns: [config.dns] },
    credentials: await openFileStore({ dir: config.secretsDir }), trustAnchorsPem: config.rootPem, method,
  });
  await send({ type: 'done', version: result.installed.version });
  process.exit(0);
} catch (error) {
  await send({ type: 'failed', code: error?.code, message: String(error?.message) });
  process.exit(1);
}
`;

describe('enroll() on an enrollment another run is working on', () => {
  it('refuses a second process at once, naming the first and the lock; the first finishes with its token', { timeout: 60_000 }, async () => {
    const built = join(sdkDir, 'dist', 'index.js');
    for (const name of ['enroll', 'enrollment-lock']) {
      const js = join(sdkDir, 'dist', 'flow', `${name}.js`);
      if (!existsSync(js) || statSync(join(sdkDir, 'src', 'flow', `${name}.ts`)).mtimeMs > statSync(js).mtimeMs) {
        throw new Error(`dist/flow/${name}.js is missing or older than its source: run \`npx tsc -b packages/sdk\` (npm test does)`);
      }
    }
    const script = join(dir, 'first-run.mjs');
    const config = join(dir, 'first-run.json');
    writeFileSync(script, CHILD_SCRIPT);
    writeFileSync(config, JSON.stringify({ sdk: built, caUrl: CA_URL, baseDir: baseDir(), dns: DNS, secretsDir: secretsDir(), rootPem: root.certificate.pem }));
    const child = fork(script, [config], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'], execArgv: [] });
    const timer = setTimeout(() => child.kill('SIGKILL'), CHILD_TIMEOUT_MS);
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => void (stderr += chunk.toString()));
    const messages: Array<Record<string, unknown>> = [];
    const next = (type: string) =>
      new Promise<Record<string, unknown>>((resolve, reject) => {
        const found = messages.find((m) => m.type === type);
        if (found !== undefined) return resolve(found);
        child.on('message', (m: Record<string, unknown>) => (m.type === type ? resolve(m) : undefined));
        child.on('exit', () => reject(new Error(`the first run exited before "${type}": ${JSON.stringify(messages)}\n${stderr}`)));
      });
    child.on('message', (m: Record<string, unknown>) => void messages.push(m));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      // The first run holds the lock and waits for its CA, i.e. for this test.
      const request = await next('request');
      const before = pendingFiles();

      const { error, asked } = await secondRun();
      expect(error).toMatchObject({ code: 'ERR_SDK_ENROLLMENT_LOCKED', name: 'EnrollmentLockedError', holderPid: child.pid, lockPath: lockPath() });
      expect((error as Error).message).toContain(`another run (pid ${child.pid},`);
      expect((error as Error).message).toContain(lockPath());
      expect(asked).toBe(0);
      expect(pendingFiles()).toEqual(before);

      child.send({ certificatePem: issue(request.csrPem as string) });
      expect(await next('done')).toMatchObject({ version: 1 });
      expect(await exited).toBe(0);
    } finally {
      clearTimeout(timer);
      child.kill('SIGKILL');
    }
    await expectFirstFinished();
  });

  it('refuses a second call in the same process the same way', async () => {
    const held = gate();
    const reached = gate();
    const first = enroll(await options({ method: heldMethod(async () => (reached.open(), held.promise)) }));
    await reached.promise;
    const before = pendingFiles();

    const { error, asked } = await secondRun();
    expect(error).toMatchObject({ code: 'ERR_SDK_ENROLLMENT_LOCKED', holderPid: process.pid, lockPath: lockPath() });
    expect(asked).toBe(0);
    expect(pendingFiles()).toEqual(before);

    held.open();
    expect((await first).installed.version).toBe(1);
    await expectFirstFinished();
  });

  it('two calls started together: one runs, the other is refused with the lock, not a raw EEXIST on the key file', async () => {
    const [a, b] = await Promise.allSettled([enroll(await options()), enroll(await options())]);
    const outcomes = [a, b].map((r) => (r.status === 'fulfilled' ? 'installed' : (r.reason as { code?: string }).code));
    expect(outcomes.sort()).toEqual(['ERR_SDK_ENROLLMENT_LOCKED', 'installed']);
    await expectFirstFinished();
  });

  it('with lockWaitMs, waits for the first run and then answers from what it installed', async () => {
    const held = gate();
    const reached = gate();
    const first = enroll(await options({ method: heldMethod(async () => (reached.open(), held.promise)) }));
    await reached.promise;

    // Each wait of the second run lets the first one through and waits for it to end.
    const waits: number[] = [];
    let now = Date.now();
    const clock: Clock = {
      now: () => now,
      sleep: async (ms) => {
        waits.push(ms);
        now += ms;
        held.open();
        await first;
      },
    };
    let asked = 0;
    const second = await enroll(await options({ lockWaitMs: 5_000, clock, method: heldMethod(async () => void asked++) }));
    expect(waits).toEqual([250]);
    expect(second).toMatchObject({ resumed: true, installed: { version: 1, fingerprintSha256: (await first).installed.fingerprintSha256 } });
    expect(asked).toBe(0);
    await expectFirstFinished();
  });

  it('takes over a lock left by a process that is gone, and removes it at the end', async () => {
    plantLock({ pid: deadPid(), startedAt: new Date().toISOString() });
    const result = await enroll(await options());
    expect(result.installed.version).toBe(1);
    await expectFirstFinished();
    expect(existsSync(lockPath())).toBe(false);
  });

  it('refuses a name that is a Windows device name before creating anything', async () => {
    await expect(enroll(await options({ name: 'nul' }))).rejects.toThrow(/device name/);
    expect(existsSync(baseDir())).toBe(false);
  });
});

describe('acquireEnrollmentLock', () => {
  beforeEach(() => mkdirSync(stateDir(), { recursive: true, mode: 0o700 }));

  /** A clock that only counts: each wait moves time on by what was asked. */
  function countingClock(): Clock & { waits: number[] } {
    let now = 1_000_000;
    const waits: number[] = [];
    return { waits, now: () => now, sleep: async (ms) => void (waits.push(ms), (now += ms)) };
  }

  it('makes its folders with every missing parent, 0700 (a fresh server has no ~/.local/state)', async () => {
    const fresh = join(dir, 'home', '.local', 'state', 'certwizard');
    const lock = await acquireEnrollmentLock(join(fresh, 'enrollments'), 'mail', { folders: [fresh, join(fresh, 'enrollments')] });
    for (const folder of [join(dir, 'home'), join(dir, 'home', '.local'), join(dir, 'home', '.local', 'state'), fresh, join(fresh, 'enrollments')]) {
      expect(statSync(folder).mode & 0o777, folder).toBe(0o700);
    }
    await lock.release();
  });

  it('a folder that cannot be made is a StateFileError that names the folder, not a state file', async () => {
    writeFileSync(join(dir, 'a-file'), '');
    const blocked = join(dir, 'a-file', 'certs');
    const error = await acquireEnrollmentLock(join(blocked, 'enrollments'), 'mail', { folders: [blocked] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StateFileError);
    expect(error).toMatchObject({ code: 'ERR_SDK_STATE_FILE', folder: blocked, message: `cannot create ${blocked}` });
  });

  it('writes the pid and start time, and release removes only its own lock', async () => {
    const lock = await acquireEnrollmentLock(stateDir(), 'mail');
    expect(JSON.parse(readFileSync(lockPath(), 'utf8'))).toEqual({ pid: process.pid, startedAt: expect.any(String) });
    expect(statSync(lockPath()).mode & 0o777).toBe(0o600);
    await lock.release();
    expect(existsSync(lockPath())).toBe(false);

    const mine = await acquireEnrollmentLock(stateDir(), 'mail');
    const other = { pid: process.ppid, startedAt: new Date().toISOString() };
    plantLock(other); // taken over meanwhile by someone else
    await mine.release();
    expect(JSON.parse(readFileSync(lockPath(), 'utf8'))).toEqual(other);
  });

  it('waits lockWaitMs in poll steps for a live run, then refuses', async () => {
    plantLock({ pid: process.ppid, startedAt: new Date().toISOString() });
    const clock = countingClock();
    const error = await acquireEnrollmentLock(stateDir(), 'mail', { waitMs: 1_000, clock }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ERR_SDK_ENROLLMENT_LOCKED', holderPid: process.ppid, lockPath: lockPath() });
    expect(clock.waits).toEqual([250, 250, 250, 250]);
  });

  it('stops waiting when aborted', async () => {
    plantLock({ pid: process.ppid, startedAt: new Date().toISOString() });
    const controller = new AbortController();
    const clock: Clock = { now: () => 0, sleep: async (_ms, signal) => (controller.abort(new Error('stop')), signal.throwIfAborted()) };
    await expect(acquireEnrollmentLock(stateDir(), 'mail', { waitMs: 60_000, clock, signal: controller.signal })).rejects.toMatchObject({
      code: 'ERR_SDK_ABORTED',
    });
    expect(JSON.parse(readFileSync(lockPath(), 'utf8'))).toMatchObject({ pid: process.ppid });
  });

  const stale: { name: string; holder: () => { pid: number; startedAt: string } }[] = [
    { name: 'its process is gone', holder: () => ({ pid: deadPid(), startedAt: new Date().toISOString() }) },
    {
      name: 'it names this process but predates it (a reused pid)',
      holder: () => ({ pid: process.pid, startedAt: new Date(Date.now() - process.uptime() * 1000 - 60_000).toISOString() }),
    },
    { name: 'it was taken before the machine booted', holder: () => ({ pid: process.ppid, startedAt: '1970-01-02T00:00:00.000Z' }) },
  ];

  it.each(stale)('takes over a lock when $name', async ({ holder }) => {
    plantLock(holder());
    const lock = await acquireEnrollmentLock(stateDir(), 'mail');
    expect(JSON.parse(readFileSync(lockPath(), 'utf8'))).toMatchObject({ pid: process.pid });
    expect(readdirSync(stateDir())).toEqual(['mail.lock']);
    await lock.release();
  });

  it('refuses a lock it cannot read, saying how to clear it', async () => {
    plantLock('');
    const error = await acquireEnrollmentLock(stateDir(), 'mail').catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ERR_SDK_ENROLLMENT_LOCKED', holderPid: undefined, lockPath: lockPath() });
    expect((error as Error).message).toContain(`${lockPath()} cannot be read; remove it if no other run is working on "mail"`);
  });

  it('refuses bad options with a TypeError', async () => {
    await expect(acquireEnrollmentLock(stateDir(), 'con')).rejects.toThrow(TypeError);
    await expect(acquireEnrollmentLock(stateDir(), 'mail', { waitMs: -1 })).rejects.toThrow(TypeError);
    await expect(acquireEnrollmentLock(stateDir(), 'mail', { waitMs: 1.5 })).rejects.toThrow(TypeError);
    expect(readdirSync(stateDir())).toEqual([]);
  });
});
