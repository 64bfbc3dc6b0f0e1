/**
 * retireLive(): `live/<name>` renamed to `revoked/<name>-<serial>` (still reading the archived
 * files), harmless to repeat, and the same care about links and unsafe folders as install():
 * a planted link or file at `revoked/` or its entry is refused and nothing moves; a
 * group-writable `revoked/` of ours is narrowed first.
 */
import { chmodSync, lstatSync, mkdirSync, readFileSync, readlinkSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { install } from './install.js';
import { retireLive } from './retire-live.js';
import { useInstallFixture } from './test-support/install-fixture.js';
import { liveSnapshot } from './test-support/live-state.js';

const NAME = 'mail.example.org';
const SERIAL = '0a1b';
const fixture = useInstallFixture('retire-live-');

async function installed(): Promise<string> {
  const { pki, base } = fixture;
  const leaf = pki.leaf(NAME);
  await install({ baseDir: base, name: NAME, ...leaf, chainPem: pki.chainPem, trustAnchorsPem: pki.rootPem });
  return leaf.certificatePem;
}

describe('retireLive', () => {
  it('renames the live link into revoked/ (0700), where it still reads the archived set; a repeat only answers where', async () => {
    const certificatePem = await installed();
    const { base } = fixture;
    expect(await retireLive({ baseDir: base, name: NAME, serialHex: SERIAL })).toEqual({ movedTo: `revoked/${NAME}-${SERIAL}`, moved: true });
    expect(liveSnapshot(base, NAME)).toEqual({ link: 'absent' });
    const moved = join(base, 'revoked', `${NAME}-${SERIAL}`);
    expect(readlinkSync(moved)).toBe(`../archive/${NAME}/v1`);
    expect(readFileSync(join(moved, 'cert.pem'), 'utf8')).toBe(certificatePem);
    expect(statSync(join(base, 'archive', NAME, 'privkey1.pem')).isFile()).toBe(true);
    expect(statSync(join(base, 'revoked')).mode & 0o777).toBe(0o700);
    expect(await retireLive({ baseDir: base, name: NAME, serialHex: SERIAL })).toEqual({ movedTo: `revoked/${NAME}-${SERIAL}`, moved: false });
  });

  it('narrows a group-writable revoked/ of ours before moving into it', async () => {
    await installed();
    const { base } = fixture;
    mkdirSync(join(base, 'revoked'));
    chmodSync(join(base, 'revoked'), 0o777);
    await retireLive({ baseDir: base, name: NAME, serialHex: SERIAL });
    expect(statSync(join(base, 'revoked')).mode & 0o022).toBe(0);
  });

  it('removes only the live link when the same version was moved there before', async () => {
    await installed();
    const { base } = fixture;
    mkdirSync(join(base, 'revoked'), { mode: 0o700 });
    symlinkSync(`../archive/${NAME}/v1`, join(base, 'revoked', `${NAME}-${SERIAL}`));
    expect(await retireLive({ baseDir: base, name: NAME, serialHex: SERIAL })).toMatchObject({ moved: true });
    expect(liveSnapshot(base, NAME)).toEqual({ link: 'absent' });
  });

  it.each([
    {
      name: 'revoked/ is a link',
      plant: (base: string, elsewhere: string) => symlinkSync(elsewhere, join(base, 'revoked')),
      want: 'ERR_SDK_INSTALL_SYMLINK',
    },
    { name: 'revoked/ is a file', plant: (base: string) => writeFileSync(join(base, 'revoked'), 'x'), want: 'ERR_SDK_INSTALL_LAYOUT' },
    {
      name: 'its entry is another link',
      plant: (base: string, elsewhere: string) => {
        mkdirSync(join(base, 'revoked'), { mode: 0o700 });
        symlinkSync(elsewhere, join(base, 'revoked', `${NAME}-${SERIAL}`));
      },
      want: 'ERR_SDK_INSTALL_LAYOUT',
    },
  ])('refuses when $name, and nothing moves', async ({ plant, want }) => {
    await installed();
    const { base } = fixture;
    const elsewhere = join(base, 'elsewhere');
    mkdirSync(elsewhere);
    plant(base, elsewhere);
    const before = liveSnapshot(base, NAME);
    await expect(retireLive({ baseDir: base, name: NAME, serialHex: SERIAL })).rejects.toMatchObject({ code: want });
    expect(liveSnapshot(base, NAME)).toEqual(before);
    expect(lstatSync(join(base, 'live', NAME)).isSymbolicLink()).toBe(true);
  });

  it('refuses a bad serial or name as misuse', async () => {
    const { base } = fixture;
    await expect(retireLive({ baseDir: base, name: NAME, serialHex: '../x' })).rejects.toThrow(TypeError);
    await expect(retireLive({ baseDir: base, name: '../x', serialHex: SERIAL })).rejects.toThrow(TypeError);
  });
});
