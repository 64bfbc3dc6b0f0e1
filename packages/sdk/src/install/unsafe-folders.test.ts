/**
 * Regression: install() wrote into `archive/`, `live/` and `archive/<name>/` when another user
 * owned them or when they were group/other-writable, and kept their modes, so that user could
 * swap the live certificate. Now a folder of another user is refused before anything changes on
 * disk, and a folder of ours that others may write is narrowed first. The attacker is a real
 * process running as uid 65534 (nobody): the tests run as root, which may start one.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readlinkSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { nodeFileSystem, type InstallFileSystem } from './file-system.js';
import type { InstallEvent } from './install-event.js';
import { install, type InstallOptions } from './install.js';
import { liveSnapshot } from './test-support/live-state.js';
import { useInstallFixture } from './test-support/install-fixture.js';

const NAME = 'mail.example.org';
/** The other user: nobody. */
const OTHER_UID = 65534;

const fixture = useInstallFixture('install-unsafe-');
/** This test's baseDir, reachable by the other user as a real /etc/<product> is. */
let base: string;
beforeEach(() => {
  base = fixture.base;
  chmodSync(base, 0o755);
});

const isRoot = process.geteuid?.() === 0;

function good(extra: Partial<InstallOptions> = {}): InstallOptions {
  const { pki } = fixture;
  return { baseDir: base, name: NAME, ...pki.leaf(NAME), chainPem: pki.chainPem, trustAnchorsPem: pki.rootPem, ...extra };
}

/** Every entry under `base` with its type, mode and owner: a refusal must leave it equal. */
function tree(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of ['.', ...readdirSync(base, { recursive: true, encoding: 'utf8' })].sort()) {
    const s = lstatSync(join(base, entry));
    out[entry] = `${s.isDirectory() ? 'd' : s.isSymbolicLink() ? `l->${readlinkSync(join(base, entry))}` : 'f'} ${(s.mode & 0o7777).toString(8)} ${s.uid}`;
  }
  return out;
}

/**
 * Runs `script` (CommonJS, `fs` and `path` in scope) as the other user; answers `ok` when the
 * attack went through, else the error code it met.
 */
function asOtherUser(script: string): string {
  const result = spawnSync(
    process.execPath,
    ['-e', `const fs = require('node:fs'); try { ${script}; console.log('ok'); } catch (e) { console.log(e.code); }`],
    {
      uid: OTHER_UID,
      gid: OTHER_UID,
      encoding: 'utf8',
      timeout: 10_000,
    },
  );
  if (result.status !== 0) throw new Error(`the other user's process failed: ${result.stderr}`);
  return result.stdout.trim();
}

const modeOf = (path: string) => lstatSync(path).mode & 0o777;

/** The folders install writes into, how to make them exist, and how their owner would swap the live certificate. */
const folders: { folder: string; make: () => void; swap: () => string }[] = [
  {
    folder: 'archive',
    make: () => mkdirSync(join(base, 'archive'), { mode: 0o700 }),
    // Move archive/<name> away: a copy with the other user's certificate can take its place.
    swap: () => `fs.renameSync(${JSON.stringify(join(base, 'archive', NAME))}, ${JSON.stringify(join(base, 'archive', 'moved'))})`,
  },
  {
    folder: 'live',
    make: () => mkdirSync(join(base, 'live'), { mode: 0o700 }),
    // Point live/<name> at a folder of the other user's choosing.
    swap: () =>
      `fs.symlinkSync('/tmp', ${JSON.stringify(join(base, 'live', '.evil'))}); fs.renameSync(${JSON.stringify(join(base, 'live', '.evil'))}, ${JSON.stringify(join(base, 'live', NAME))})`,
  },
  {
    folder: `archive/${NAME}`,
    make: () => {
      mkdirSync(join(base, 'archive'), { mode: 0o755 });
      mkdirSync(join(base, 'archive', NAME), { mode: 0o700 });
    },
    // Replace cert1.pem, which live/<name>/cert.pem resolves to.
    swap: () =>
      `fs.writeFileSync(${JSON.stringify(join(base, 'archive', NAME, '.evil'))}, 'x'); fs.renameSync(${JSON.stringify(join(base, 'archive', NAME, '.evil'))}, ${JSON.stringify(join(base, 'archive', NAME, 'cert1.pem'))})`,
  },
];

describe.runIf(isRoot)('install into folders others can write (as root: chown to nobody)', () => {
  it.each(folders)('refuses $folder owned by another user, naming it, its owner and mode, and changes nothing', async ({ folder, make }) => {
    make();
    const path = join(base, folder);
    chownSync(path, OTHER_UID, OTHER_UID);
    chmodSync(path, 0o755);
    const before = tree();

    const error = await install(good()).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'ERR_SDK_INSTALL_UNSAFE_FOLDER', path, ownerUid: OTHER_UID, mode: 0o755, reason: 'owner' });
    expect((error as Error).message).toContain(path);
    expect((error as Error).message).toContain(`uid ${OTHER_UID}`);
    expect((error as Error).message).toContain('0755');
    expect(tree()).toEqual(before);
  });

  it.each(folders)('refuses $folder of another user when an earlier install is live, and leaves live as it was', async ({ folder }) => {
    await install(good());
    const path = join(base, folder);
    chownSync(path, OTHER_UID, OTHER_UID);
    const live = liveSnapshot(base, NAME);
    const before = tree();

    await expect(install(good())).rejects.toMatchObject({ code: 'ERR_SDK_INSTALL_UNSAFE_FOLDER', path, ownerUid: OTHER_UID });
    expect(tree()).toEqual(before);
    expect(liveSnapshot(base, NAME)).toEqual(live);
  });

  it.each(folders)(
    'narrows $folder of ours that is 0777, reports it, and the other user can no longer swap the certificate',
    async ({ folder, make, swap }) => {
      make();
      const path = join(base, folder);
      chmodSync(path, 0o777);
      const events: InstallEvent[] = [];

      const installed = await install(good({ onEvent: (e) => events.push(e) }));

      expect(installed.version).toBe(1);
      expect(modeOf(path)).toBe(0o755);
      expect(events).toEqual([{ type: 'folder-narrowed', path, modeBefore: 0o777, modeAfter: 0o755 }]);
      const live = liveSnapshot(base, NAME);
      expect(asOtherUser(swap())).toBe('EACCES');
      expect(liveSnapshot(base, NAME)).toEqual(live);
    },
  );

  it('narrows a baseDir of ours that others may write (it holds archive/ and live/)', async () => {
    chmodSync(base, 0o775);
    const events: InstallEvent[] = [];
    await install(good({ onEvent: (e) => events.push(e) }));
    expect(modeOf(base)).toBe(0o755);
    expect(events).toEqual([{ type: 'folder-narrowed', path: base, modeBefore: 0o775, modeAfter: 0o755 }]);
  });

  it('leaves a baseDir of another user as it is: it is trusted, as documented', async () => {
    chownSync(base, OTHER_UID, OTHER_UID);
    const events: InstallEvent[] = [];
    await install(good({ onEvent: (e) => events.push(e) }));
    expect(lstatSync(base)).toMatchObject({ uid: OTHER_UID });
    expect(modeOf(base)).toBe(0o755);
    expect(events).toEqual([]);
  });

  it('narrows nothing when it refuses: archive/ of ours stays 0777 when archive/<name> belongs to another user', async () => {
    mkdirSync(join(base, 'archive', NAME), { recursive: true, mode: 0o700 });
    chmodSync(join(base, 'archive'), 0o777);
    chownSync(join(base, 'archive', NAME), OTHER_UID, OTHER_UID);
    const before = tree();

    await expect(install(good())).rejects.toMatchObject({ code: 'ERR_SDK_INSTALL_UNSAFE_FOLDER', path: join(base, 'archive', NAME) });
    expect(tree()).toEqual(before);
    expect(modeOf(join(base, 'archive'))).toBe(0o777);
  });

  it('refuses a folder of ours that stays 0777 because the file system ignores chmod', async () => {
    mkdirSync(join(base, 'live'), { mode: 0o700 });
    chmodSync(join(base, 'live'), 0o777);
    const ignoresChmod: InstallFileSystem = { ...nodeFileSystem, chmod: async () => undefined };
    const error = await install(good({ fs: ignoresChmod })).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ERR_SDK_INSTALL_UNSAFE_FOLDER', path: join(base, 'live'), mode: 0o777, reason: 'writable' });
    expect((error as Error).message).toContain('0777');
    expect(readdirSync(join(base, 'live'))).toEqual([]);
  });

  it('refuses archive/ that another user creates between the inspection and mkdir', async () => {
    const archive = join(base, 'archive');
    const racing: InstallFileSystem = {
      ...nodeFileSystem,
      mkdir: async (path, mode) => {
        if (path === archive) {
          mkdirSync(archive, { mode: 0o755 });
          chownSync(archive, OTHER_UID, OTHER_UID);
        }
        await nodeFileSystem.mkdir(path, mode);
      },
    };
    await expect(install(good({ fs: racing }))).rejects.toMatchObject({
      code: 'ERR_SDK_INSTALL_UNSAFE_FOLDER',
      path: archive,
      ownerUid: OTHER_UID,
      reason: 'owner',
    });
    expect(readdirSync(archive)).toEqual([]);
  });

  it('refuses a link at archive/ even when it leads to a folder of ours', async () => {
    const ours = mkdtempSync(join(tmpdir(), 'install-unsafe-target-'));
    try {
      symlinkSync(ours, join(base, 'archive'));
      await expect(install(good())).rejects.toMatchObject({ code: 'ERR_SDK_INSTALL_SYMLINK', path: join(base, 'archive') });
      expect(readdirSync(ours)).toEqual([]);
    } finally {
      rmSync(ours, { recursive: true, force: true });
    }
  });
});
