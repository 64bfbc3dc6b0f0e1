/**
 * The keychain against a real Secret Service (gnome-keyring on a private session bus), and the
 * fail-closed path on a machine without one. vitest's own process has (and must keep) no session
 * bus of its own, so each case runs a child process with an explicit environment; the child
 * imports the built module from dist/ (`npx tsc -b packages/sdk`, which `npm test` runs first).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openCredentialStore } from './open-credential-store.js';

const sdkDir = fileURLToPath(new URL('../../', import.meta.url));
const distDir = join(sdkDir, 'dist', 'credentials');
const srcDir = fileURLToPath(new URL('./', import.meta.url));
const CHILD_TIMEOUT_MS = 20_000;

// The child reads its secret from a 0600 file: never from argv or the environment, where other
// users' `ps` and /proc/<pid>/environ could see it. It prints booleans and names, never a secret.
const CHILD_SCRIPT = `
import { readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const { openCredentialStore } = await import(pathToFileURL(config.module).href);
const { AsyncEntry, findCredentials } = createRequire(config.sdkPackageJson)('@napi-rs/keyring');
const secret = readFileSync(config.secretFile, 'utf8');
const key = 'installation-token:https://ca.example';
const out = {};
const hasSecret = (path) => { try { return readFileSync(path).includes(secret); } catch { return 'unreadable'; } };
const describeError = (e) => ({ name: e?.name, code: e?.code, message: String(e?.message), causeMessage: String(e?.cause?.message) });
if (config.scenario === 'keychain') {
  const a = await openCredentialStore({ service: config.service });
  out.kind = a.kind;
  out.missingBefore = (await a.get(key)) === undefined;
  await a.set(key, secret);
  const b = await openCredentialStore({ service: config.service });
  out.secondStoreSees = (await b.get(key)) === secret;
  const raw = new AsyncEntry(config.service, key, { linux: { store: 'secret-service' } });
  out.inSecretService = (await raw.getPassword()) === secret;
  await a.set(key, secret + '-rotated');
  out.secondStoreSeesRotation = (await b.get(key)) === secret + '-rotated';
  out.deleted = await a.delete(key);
  out.deletedAgain = await a.delete(key);
  out.missingAfter = (await b.get(key)) === undefined;
  out.accountsLeft = findCredentials(config.service).map((c) => c.account);
} else {
  await openCredentialStore({ service: config.service }).then(
    (s) => { out.withoutFallback = { kind: s.kind }; },
    (e) => { out.withoutFallback = describeError(e); },
  );
  const s = await openCredentialStore({ service: config.service, fallback: { fileStoreDir: config.fileStoreDir } });
  out.withFallback = { kind: s.kind };
  await s.set(key, secret);
  out.withFallback.roundTrip = (await s.get(key)) === secret;
  out.withFallback.fileMode = (statSync(config.fileStoreDir + '/credentials.json').mode & 0o777).toString(8);
}
out.argvHasSecret = hasSecret('/proc/self/cmdline');
out.environHasSecret = hasSecret('/proc/self/environ');
process.stdout.write(JSON.stringify(out));
`;

interface ChildResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

const children = new Set<ChildProcess>();
const tempDirs: string[] = [];

afterEach(async () => {
  for (const child of children) killGroup(child);
  children.clear();
  await Promise.all(tempDirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

// The child leads its own process group (detached): killing the group also stops dbus-daemon
// and anything else the shell started.
function killGroup(child: ChildProcess): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => killGroup(child), CHILD_TIMEOUT_MS);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      children.delete(child);
      resolve({ status, signal, stdout, stderr });
    });
  });
}

/** A temp folder with the child script, its config and its secret file; returns what to run. */
async function prepare(scenario: 'keychain' | 'no-keychain') {
  const dir = await mkdtemp(join(tmpdir(), 'certwizard-keychain-'));
  tempDirs.push(dir);
  // gnome-keyring-daemon creates its login keyring under $HOME/.local/share and its control
  // socket under $XDG_RUNTIME_DIR: both point into the temp folder, the user's own stay untouched.
  const home = join(dir, 'home');
  const runtime = join(dir, 'run');
  await mkdir(home, { mode: 0o700 });
  await mkdir(runtime, { mode: 0o700 });
  const secret = `tok_${randomBytes(24).toString('hex')}`;
  const secretFile = join(dir, 'secret.txt');
  await writeFile(secretFile, secret, { mode: 0o600 });
  const config = {
    scenario,
    module: join(distDir, 'open-credential-store.js'),
    sdkPackageJson: join(sdkDir, 'package.json'),
    service: `certwizard:test-${randomBytes(4).toString('hex')}`,
    secretFile,
    fileStoreDir: join(dir, 'file-store'),
  };
  const configFile = join(dir, 'config.json');
  await writeFile(configFile, JSON.stringify(config));
  const script = join(dir, 'child.mjs');
  await writeFile(script, CHILD_SCRIPT);
  // Only what the child needs: no DISPLAY (X11 autolaunch of a bus) and no inherited bus address.
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: home, XDG_RUNTIME_DIR: runtime, LANG: 'C.UTF-8' };
  return { dir, secret, script, configFile, env, config };
}

function parseChild(result: ChildResult): Record<string, unknown> {
  expect(result, `child failed:\n${result.stderr}`).toMatchObject({ status: 0, signal: null });
  return JSON.parse(result.stdout) as Record<string, unknown>;
}

const onPath = (binary: string) => spawnSync('sh', ['-c', `command -v ${binary}`]).status === 0;

beforeAll(() => {
  const built = join(distDir, 'open-credential-store.js');
  if (!existsSync(built)) {
    throw new Error(`${built} is missing: these tests run the built SDK in a child process; run \`npx tsc -b packages/sdk\` first`);
  }
  // A stale build would test yesterday's code: refuse it rather than pass by accident.
  for (const name of ['open-credential-store', 'keychain-store', 'file-store', 'errors']) {
    if (statSync(join(srcDir, `${name}.ts`)).mtimeMs > statSync(join(distDir, `${name}.js`)).mtimeMs) {
      throw new Error(`dist/credentials/${name}.js is older than its source: run \`npx tsc -b packages/sdk\``);
    }
  }
});

describe.runIf(process.platform === 'linux')('keychain with a real Secret Service (gnome-keyring)', () => {
  it('round-trips through the Secret Service, visible to a second store, with the secret never in argv or output', async () => {
    for (const [binary, pkg] of [
      ['dbus-run-session', 'dbus-daemon'],
      ['gnome-keyring-daemon', 'gnome-keyring'],
    ] as const) {
      expect(onPath(binary), `${binary} is not on PATH: install the Debian package ${pkg} (npm test does)`).toBe(true);
    }
    const { secret, script, configFile, env } = await prepare('keychain');
    const shell = 'echo pass | gnome-keyring-daemon --unlock --components=secrets >/dev/null; exec node "$0" "$1"';
    const result = await run('dbus-run-session', ['--', 'sh', '-c', shell, script, configFile], env);

    expect(parseChild(result)).toEqual({
      kind: 'keychain',
      missingBefore: true,
      secondStoreSees: true,
      inSecretService: true,
      secondStoreSeesRotation: true,
      deleted: true,
      deletedAgain: false,
      missingAfter: true,
      accountsLeft: [], // the opening probes cleaned up after themselves
      argvHasSecret: false,
      environHasSecret: false,
    });
    expect(result.stdout + result.stderr).not.toContain(secret);
  });
});

describe.runIf(process.platform === 'linux')('no keychain reachable', () => {
  it.each([
    { name: 'no session bus address at all', bus: undefined },
    { name: 'a session bus address where nothing listens', bus: 'dead-socket' },
  ])('fails closed without the fallback and uses the file store with it ($name)', async ({ bus }) => {
    const { dir, secret, script, configFile, env } = await prepare('no-keychain');
    if (bus) env.DBUS_SESSION_BUS_ADDRESS = `unix:path=${join(dir, bus)}`;
    const result = await run(process.execPath, [script, configFile], env);
    const out = parseChild(result);

    expect(out.withoutFallback).toMatchObject({ name: 'KeychainUnavailableError', code: 'ERR_SDK_KEYCHAIN_UNAVAILABLE' });
    // The message tells the vendor how to opt in; the cause is the platform's own error.
    expect(out.withoutFallback).toMatchObject({ message: expect.stringContaining('fallback: { fileStoreDir }') });
    expect(out.withoutFallback).not.toMatchObject({ causeMessage: 'undefined' });
    expect(out.withFallback).toEqual({ kind: 'file', roundTrip: true, fileMode: '600' });
    expect(out).toMatchObject({ argvHasSecret: false, environHasSecret: false });
    expect(result.stdout + result.stderr).not.toContain(secret);
  });
});

describe('openCredentialStore arguments', () => {
  it.each([
    { name: 'an empty fallback folder', options: { service: 'certwizard:x', fallback: { fileStoreDir: '' } } },
    { name: 'a service with a control character', options: { service: 'certwizard:\u0000' } },
    { name: 'a service of 257 characters', options: { service: 's'.repeat(257) } },
    { name: 'a zero probe timeout', options: { service: 'certwizard:x', probeTimeoutMs: 0 } },
  ])('rejects $name with a TypeError before touching the keychain', async ({ options }) => {
    await expect(openCredentialStore(options)).rejects.toBeInstanceOf(TypeError);
  });

  it('rejects with the signal reason when aborted before opening', async () => {
    const reason = new Error('stop');
    await expect(openCredentialStore({ service: 'certwizard:x', signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
  });
});
