import { existsSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RegistrationAbortedError } from '../errors.js';
import { InstallAbortedError, PostInstallCommandError } from './errors.js';
import { install, type InstallOptions } from './install.js';
import { faultFs } from './test-support/fault-fs.js';
import { expectConsistent, liveSnapshot } from './test-support/live-state.js';
import { createTestPki, type TestPki } from './test-support/test-pki.js';

const NAME = 'mail.example.org';

let pkiDir: string;
let pki: TestPki;
let base: string;
let work: string;

/** A stand-in for a reload command: records its argv, cwd and the live certificate, then behaves as asked. */
const RECORDER = `
import { readFileSync, writeFileSync } from 'node:fs';
const [out, behaviour, liveCertPath, ...args] = process.argv.slice(2);
const liveCert = readFileSync(liveCertPath, 'utf8');
writeFileSync(out, JSON.stringify({ args, cwd: process.cwd(), liveCert }));
if (behaviour === 'fail') { process.stderr.write('reload failed: bad certificate\\n'); process.exit(3); }
if (behaviour === 'hang') setTimeout(() => {}, 60_000);
`;

beforeAll(() => {
  pkiDir = mkdtempSync(join(tmpdir(), 'install-pki-'));
  pki = createTestPki(pkiDir);
});
afterAll(() => rmSync(pkiDir, { recursive: true, force: true }));
beforeEach(() => {
  base = mkdtempSync(join(tmpdir(), 'install-post-'));
  work = mkdtempSync(join(tmpdir(), 'install-post-work-'));
  writeFileSync(join(work, 'recorder.mjs'), RECORDER);
});
afterEach(() => {
  rmSync(base, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
});

function options(extra: Partial<InstallOptions> = {}): InstallOptions & { certificatePem: string } {
  return { baseDir: base, name: NAME, ...pki.leaf(NAME), chainPem: pki.chainPem, trustAnchorsPem: pki.rootPem, ...extra };
}

function recorder(behaviour: string, ...args: string[]): string[] {
  const liveCert = join(base, 'live', NAME, 'cert.pem');
  return [process.execPath, join(work, 'recorder.mjs'), join(work, 'record.json'), behaviour, liveCert, ...args];
}

const record = () => JSON.parse(readFileSync(join(work, 'record.json'), 'utf8')) as { args: string[]; cwd: string; liveCert: string };

describe('install postInstall', () => {
  it('runs argv without a shell, in cwd, once the new set is live', async () => {
    const hostile = `$(touch ${join(work, 'pwned')}); echo`;
    const attempt = options({ postInstall: { argv: recorder('ok', hostile, '*', 'a b'), cwd: work } });
    const installed = await install(attempt);
    expect(record()).toEqual({ args: [hostile, '*', 'a b'], cwd: realpathSync(work), liveCert: attempt.certificatePem });
    expect(existsSync(join(work, 'pwned'))).toBe(false);
    expect(installed.version).toBe(1);
  });

  it('rolls back to the previous version when the command exits non-zero, keeping the new one archived', async () => {
    await install(options());
    const v1 = liveSnapshot(base, NAME);
    const attempt = options({ postInstall: { argv: recorder('fail') } });
    const error = await install(attempt).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(PostInstallCommandError);
    expect(error).toMatchObject({
      code: 'ERR_SDK_INSTALL_POST_COMMAND',
      exitCode: 3,
      signal: null,
      timedOut: false,
      rolledBack: true,
      liveVersion: 1,
      stderr: 'reload failed: bad certificate\n',
    });
    expect((error as Error).message).not.toContain('bad certificate'); // command output stays out of the message
    expect(record().liveCert).toBe(attempt.certificatePem); // the command saw the new set
    expect(liveSnapshot(base, NAME)).toEqual(v1);
    expect(await expectConsistent(base, NAME)).toBe(1);
    expect(readdirSync(join(base, 'archive', NAME))).toContain('cert2.pem');
    expect(readdirSync(join(base, 'live'))).toEqual([NAME]);
    // The next attempt takes a fresh number.
    expect((await install(options())).version).toBe(3);
  });

  it('kills a command past timeoutMs (SIGTERM) and rolls back', async () => {
    await install(options());
    const started = Date.now();
    const error = await install(options({ postInstall: { argv: recorder('hang'), timeoutMs: 300 } })).catch((err: unknown) => err);
    expect(error).toMatchObject({ code: 'ERR_SDK_INSTALL_POST_COMMAND', timedOut: true, signal: 'SIGTERM', exitCode: null, rolledBack: true });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(await expectConsistent(base, NAME)).toBe(1);
  });

  it('sends SIGKILL to a command that ignores SIGTERM', async () => {
    await install(options());
    // SIGTERM is ignored from the first instruction on (an ignored disposition survives exec):
    // a node child could still be starting, and die of SIGTERM, when the timeout fires on a busy machine.
    const stubborn = ['/bin/sh', '-c', "trap '' TERM; exec sleep 60"];
    const error = await install(options({ postInstall: { argv: stubborn, timeoutMs: 300 } })).catch((err: unknown) => err);
    expect(error).toMatchObject({ code: 'ERR_SDK_INSTALL_POST_COMMAND', timedOut: true, signal: 'SIGKILL', rolledBack: true });
  });

  it('reports a program that does not exist, and rolls back', async () => {
    await install(options());
    const error = await install(options({ postInstall: { argv: [join(work, 'no-such-program')] } })).catch((err: unknown) => err);
    expect(error).toMatchObject({ code: 'ERR_SDK_INSTALL_POST_COMMAND', exitCode: null, rolledBack: true, liveVersion: 1 });
    expect((error as Error).cause).toMatchObject({ code: 'ENOENT' });
  });

  it('says so when switching back fails too: the new set stays live', async () => {
    await install(options());
    let renames = 0;
    const shim = faultFs({ when: (c) => c.op === 'rename' && ++renames === 2 });
    const error = await install(options({ postInstall: { argv: recorder('fail') }, fs: shim.fs })).catch((err: unknown) => err);
    expect(error).toMatchObject({ code: 'ERR_SDK_INSTALL_POST_COMMAND', exitCode: 3, rolledBack: false, liveVersion: 2 });
    expect((error as Error).cause).toMatchObject({ code: 'ERR_SDK_INSTALL_IO', step: 'rollback' });
    expect(await expectConsistent(base, NAME)).toBe(2);
    expect(readdirSync(join(base, 'live'))).toEqual([NAME]);
  });

  it('keeps the new set live on a first install (there is nothing to roll back to)', async () => {
    const error = await install(options({ postInstall: { argv: recorder('fail') } })).catch((err: unknown) => err);
    expect(error).toMatchObject({ code: 'ERR_SDK_INSTALL_POST_COMMAND', rolledBack: false, liveVersion: 1 });
    expect(await expectConsistent(base, NAME)).toBe(1);
  });

  it('stops the command when the signal aborts, and rolls back', async () => {
    await install(options());
    const controller = new AbortController();
    const running = install(options({ postInstall: { argv: recorder('hang') }, signal: controller.signal })).catch((err: unknown) => err);
    // Abort once the command runs (it writes its record first), not after a guessed time.
    for (let i = 0; i < 200 && !existsSync(join(work, 'record.json')); i++) await new Promise((resolve) => setTimeout(resolve, 25));
    expect(existsSync(join(work, 'record.json'))).toBe(true);
    controller.abort(new Error('user cancelled'));
    const error = await running;
    expect(error).toMatchObject({ code: 'ERR_SDK_INSTALL_POST_COMMAND', rolledBack: true, timedOut: false });
    expect(await expectConsistent(base, NAME)).toBe(1);
  });

  it('an already aborted signal writes nothing (ERR_SDK_ABORTED)', async () => {
    await expect(install(options({ signal: AbortSignal.abort() }))).rejects.toMatchObject({ code: 'ERR_SDK_ABORTED' });
    expect(readdirSync(base)).toEqual([]);
  });

  it("an abort is the SDK's one aborted error, under both of its names", async () => {
    const reason = new Error('user cancelled');
    const error = await install(options({ signal: AbortSignal.abort(reason) })).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(RegistrationAbortedError);
    expect(error).toBeInstanceOf(InstallAbortedError);
    expect(error).toMatchObject({ name: 'RegistrationAbortedError', code: 'ERR_SDK_ABORTED', cause: reason });
  });

  it.each([
    { name: 'empty argv', argv: [] as string[] },
    { name: 'empty program', argv: [''] },
    { name: 'NUL in an argument', argv: ['/bin/true', 'a\0b'] },
  ])('refuses $name with a TypeError before writing', async ({ argv }) => {
    await expect(install(options({ postInstall: { argv } }))).rejects.toThrow(TypeError);
    expect(readdirSync(base)).toEqual([]);
  });
});
