import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { InstallIoError } from './errors.js';
import { install, type InstallOptions } from './install.js';
import { INSTALL_STEPS, type InstallStep } from './install-step.js';
import { faultFs, mutatingCalls, type FsCall } from './test-support/fault-fs.js';
import { expectConsistent, liveSnapshot } from './test-support/live-state.js';
import { createTestPki, type TestPki } from './test-support/test-pki.js';

const NAME = 'mail.example.org';

let pkiDir: string;
let pki: TestPki;
let base: string;

beforeAll(() => {
  pkiDir = mkdtempSync(join(tmpdir(), 'install-pki-'));
  pki = createTestPki(pkiDir);
});
afterAll(() => rmSync(pkiDir, { recursive: true, force: true }));
beforeEach(() => {
  base = mkdtempSync(join(tmpdir(), 'install-crash-'));
});
afterEach(() => rmSync(base, { recursive: true, force: true }));

/** Every option set, the PKCS#12 bundle included, so that every step runs. */
function options(extra: Partial<InstallOptions> = {}): InstallOptions {
  return {
    baseDir: base,
    name: NAME,
    ...pki.leaf(NAME),
    chainPem: pki.chainPem,
    trustAnchorsPem: pki.rootPem,
    pkcs12: { passphrase: 'test passphrase', iterations: 1000 },
    ...extra,
  };
}

const inArchive = (file: RegExp) => (c: FsCall) => dirname(c.path) === join(base, 'archive', NAME) && file.test(basename(c.path));
const inVersionDir = (file: string) => (c: FsCall) => /^v\d+$/.test(basename(dirname(c.path))) && basename(c.path) === file;

/**
 * One failure point per labelled step (several for the file writes: open, write, chmod, fsync).
 * `firstOnly`: the call only happens when nothing was installed before (directories are created).
 */
const STEP_FAULTS: { label: string; step: InstallStep; when: (c: FsCall) => boolean; firstOnly?: boolean }[] = [
  { label: 'lstat live/', step: 'inspect', when: (c) => c.op === 'lstat' && c.path === join(base, 'live') },
  { label: 'readdir archive/<name>', step: 'inspect', when: (c) => c.op === 'readdir' && c.path === join(base, 'archive', NAME) },
  { label: 'mkdir archive/<name>', step: 'prepare-dirs', when: (c) => c.op === 'mkdir' && c.path === join(base, 'archive', NAME), firstOnly: true },
  { label: 'fsync baseDir', step: 'prepare-dirs', when: (c) => c.op === 'sync' && c.path === base, firstOnly: true },
  { label: 'readdir live/', step: 'clean-stale', when: (c) => c.op === 'readdir' && c.path === join(base, 'live') },
  { label: 'open privkey', step: 'write-privkey', when: (c) => c.op === 'open' && inArchive(/^privkey\d+\.pem$/)(c) },
  { label: 'write privkey', step: 'write-privkey', when: (c) => c.op === 'write' && inArchive(/^privkey\d+\.pem$/)(c) },
  { label: 'chmod privkey', step: 'write-privkey', when: (c) => c.op === 'fchmod' && inArchive(/^privkey\d+\.pem$/)(c) },
  { label: 'fsync privkey', step: 'write-privkey', when: (c) => c.op === 'sync' && inArchive(/^privkey\d+\.pem$/)(c) },
  { label: 'close privkey', step: 'write-privkey', when: (c) => c.op === 'close' && inArchive(/^privkey\d+\.pem$/)(c) },
  { label: 'write cert', step: 'write-cert', when: (c) => c.op === 'write' && inArchive(/^cert\d+\.pem$/)(c) },
  { label: 'fsync cert', step: 'write-cert', when: (c) => c.op === 'sync' && inArchive(/^cert\d+\.pem$/)(c) },
  { label: 'write chain', step: 'write-chain', when: (c) => c.op === 'write' && inArchive(/^chain\d+\.pem$/)(c) },
  { label: 'fsync fullchain', step: 'write-fullchain', when: (c) => c.op === 'sync' && inArchive(/^fullchain\d+\.pem$/)(c) },
  { label: 'open bundle', step: 'write-pkcs12', when: (c) => c.op === 'open' && inArchive(/^bundle\d+\.p12$/)(c) },
  { label: 'write bundle', step: 'write-pkcs12', when: (c) => c.op === 'write' && inArchive(/^bundle\d+\.p12$/)(c) },
  { label: 'mkdir vN', step: 'link-version', when: (c) => c.op === 'mkdir' && inArchive(/^v\d+$/)(c) },
  { label: 'link vN/privkey.pem', step: 'link-version', when: (c) => c.op === 'symlink' && inVersionDir('privkey.pem')(c) },
  { label: 'link vN/bundle.p12', step: 'link-version', when: (c) => c.op === 'symlink' && inVersionDir('bundle.p12')(c) },
  { label: 'fsync vN', step: 'fsync-archive', when: (c) => c.op === 'sync' && inArchive(/^v\d+$/)(c) },
  { label: 'fsync archive/<name>', step: 'fsync-archive', when: (c) => c.op === 'sync' && c.path === join(base, 'archive', NAME) },
  { label: 'symlink live tmp', step: 'link-tmp', when: (c) => c.op === 'symlink' && dirname(c.path) === join(base, 'live') },
  { label: 'rename over live/<name>', step: 'switch-live', when: (c) => c.op === 'rename' },
  { label: 'fsync live/', step: 'fsync-live', when: (c) => c.op === 'sync' && c.path === join(base, 'live') },
];

/** Steps after which the new set is live even though install rejects. */
const AFTER_SWITCH: readonly InstallStep[] = ['fsync-live'];

describe('install crash consistency, step by step', () => {
  it('covers every labelled step that does file-system work (post-install and rollback: see post-install tests)', () => {
    const covered = new Set(STEP_FAULTS.map((f) => f.step));
    expect(INSTALL_STEPS.filter((s) => !covered.has(s))).toEqual(['post-install', 'rollback']);
  });

  for (const crash of [false, true]) {
    const mode = crash ? 'crash (nothing runs after the fault, not even cleanup)' : 'failure (cleanup runs)';
    describe(mode, () => {
      it.each(STEP_FAULTS)('over version 1, at $label: live stays a complete set, rerun installs', async ({ step, when, firstOnly }) => {
        await install(options());
        const v1 = liveSnapshot(base, NAME);
        const archiveBefore = readdirSync(join(base, 'archive', NAME)).sort();
        const shim = faultFs({ when, crash });
        const attempt = options({ fs: shim.fs });
        const error = await install(attempt).then(
          () => undefined,
          (err: unknown) => err,
        );
        if (firstOnly) {
          expect(shim.fired()).toBe(false); // nothing to create on a second install
          return;
        }
        expect(shim.fired()).toBe(true);
        expect(error).toBeInstanceOf(InstallIoError);
        expect(error).toMatchObject({ code: 'ERR_SDK_INSTALL_IO', step });
        expect((error as Error).cause).toMatchObject({ code: 'EINJECTED' });
        const live = await expectConsistent(base, NAME);
        if (AFTER_SWITCH.includes(step)) {
          expect(live).toBe(2);
          expect(error).toMatchObject({ liveVersion: 2 });
        } else {
          expect(liveSnapshot(base, NAME)).toEqual(v1);
          // A failed inspection does not know what is live; every later step does.
          expect(error).toMatchObject({ liveVersion: step === 'inspect' ? undefined : 1 });
          // A plain failure cleans up after itself; a crash may leave files that only bump N.
          if (!crash) expect(readdirSync(join(base, 'archive', NAME)).sort()).toEqual(archiveBefore);
        }

        const rerun = await install(options());
        expect(rerun.version).toBeGreaterThan(1);
        expect(await expectConsistent(base, NAME)).toBe(rerun.version);
        expect(readdirSync(join(base, 'live'))).toEqual([NAME]); // stale temporary links were removed
      });

      it.each(STEP_FAULTS)('on a first install, at $label: nothing or a complete set is live, rerun installs', async ({ step, when }) => {
        const shim = faultFs({ when, crash });
        const error = await install(options({ fs: shim.fs })).then(
          () => undefined,
          (err: unknown) => err,
        );
        // Some points only exist once something is installed (the archive listing).
        if (!shim.fired()) {
          expect(error).toBeUndefined();
          return;
        }
        expect(error).toMatchObject({ code: 'ERR_SDK_INSTALL_IO', step });
        const live = await expectConsistent(base, NAME);
        expect(live).toBe(AFTER_SWITCH.includes(step) ? 1 : undefined);
        const rerun = await install(options());
        expect(await expectConsistent(base, NAME)).toBe(rerun.version);
      });
    });
  }
});

describe('install crash consistency, every call', () => {
  it('a fault at any mutating call leaves the old or the new complete set, never a mix, and a rerun installs', async () => {
    // Count the calls of a clean second install.
    await install(options());
    const probe = faultFs(undefined);
    await install(options({ fs: probe.fs }));
    const total = mutatingCalls(probe.calls).length;
    expect(total).toBeGreaterThan(30);

    for (const crash of [false, true]) {
      for (let at = 0; at < total; at++) {
        rmSync(base, { recursive: true, force: true });
        base = mkdtempSync(join(tmpdir(), 'install-crash-'));
        await install(options());
        const v1 = liveSnapshot(base, NAME);
        const attempt = options({ fs: faultFs({ at, crash }).fs });
        const outcome = await install(attempt).then(
          (ok) => `ok ${ok.version}`,
          (err: { code?: string }) => err.code,
        );
        const where = `${crash ? 'crash' : 'fault'} at call ${at} (${outcome})`;
        const live = liveSnapshot(base, NAME);
        expect(outcome, where).toMatch(/^ERR_SDK_INSTALL_IO$|^ok 2$/);
        const version = await expectConsistent(base, NAME);
        if (version === 1) expect(live, where).toEqual(v1);
        else expect(version, where).toBe(2);
        // Every live file belongs to the version the link names.
        expect(live.link, where).toBe(`../archive/${NAME}/v${version}`);

        const rerun = await install(options());
        expect(await expectConsistent(base, NAME), where).toBe(rerun.version);
        expect(existsSync(join(base, 'live', NAME, 'bundle.p12')), where).toBe(true);
      }
    }
  }, 120_000);
});
