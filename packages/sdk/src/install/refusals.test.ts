import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { install, type InstallOptions } from './install.js';
import { expectConsistent, liveSnapshot } from './test-support/live-state.js';
import { createTestPki, type TestPki } from './test-support/test-pki.js';

const NAME = 'mail.example.org';
const DAY = 86_400_000;

let pkiDir: string;
let pki: TestPki;
let base: string;
/** A directory outside baseDir that planted links point into. */
let elsewhere: string;

beforeAll(() => {
  pkiDir = mkdtempSync(join(tmpdir(), 'install-pki-'));
  pki = createTestPki(pkiDir);
});
afterAll(() => rmSync(pkiDir, { recursive: true, force: true }));
beforeEach(() => {
  base = mkdtempSync(join(tmpdir(), 'install-'));
  elsewhere = mkdtempSync(join(tmpdir(), 'install-elsewhere-'));
});
afterEach(() => {
  rmSync(base, { recursive: true, force: true });
  rmSync(elsewhere, { recursive: true, force: true });
});

function good(extra: Partial<InstallOptions> = {}): InstallOptions {
  return { baseDir: base, name: NAME, ...pki.leaf(NAME), chainPem: pki.chainPem, trustAnchorsPem: pki.rootPem, ...extra };
}

/** Refusals of the material: checked before any file is touched. */
const materialCases: { name: string; options: () => Partial<InstallOptions>; want: string }[] = [
  { name: 'key of another certificate', options: () => ({ privateKey: pki.leaf(NAME).privateKey }), want: 'ERR_SDK_INSTALL_KEY_MISMATCH' },
  { name: 'chain to another CA', options: () => ({ ...pki.leaf(NAME, { other: true }), chainPem: pki.otherChainPem }), want: 'ERR_SDK_INSTALL_CHAIN' },
  { name: 'chain missing its intermediate', options: () => ({ chainPem: '' }), want: 'ERR_SDK_INSTALL_CHAIN' },
  {
    name: 'expired certificate',
    options: () => pki.leaf(NAME, { notBefore: new Date(Date.now() - 30 * DAY), notAfter: new Date(Date.now() - DAY) }),
    want: 'ERR_SDK_INSTALL_EXPIRED',
  },
  { name: 'certificate expired at the injected now', options: () => ({ now: () => Date.now() + 365 * DAY }), want: 'ERR_SDK_INSTALL_EXPIRED' },
  {
    name: 'not a certificate',
    options: () => ({ certificatePem: '-----BEGIN CERTIFICATE-----\nMAMCAQA=\n-----END CERTIFICATE-----\n' }),
    want: 'ERR_SDK_INSTALL_CERTIFICATE',
  },
  {
    name: 'two certificates as the leaf',
    options: () => ({ certificatePem: pki.leaf(NAME).certificatePem + pki.chainPem }),
    want: 'ERR_SDK_INSTALL_CERTIFICATE',
  },
];

/** Planted paths: a link (or a file) where install would write. */
const layoutCases: { name: string; plant: () => void; want: string }[] = [
  { name: 'symlink at live/', plant: () => replaceWithLink(join(base, 'live'), elsewhere), want: 'ERR_SDK_INSTALL_SYMLINK' },
  { name: 'symlink at archive/', plant: () => replaceWithLink(join(base, 'archive'), elsewhere), want: 'ERR_SDK_INSTALL_SYMLINK' },
  { name: 'symlink at archive/<name>', plant: () => replaceWithLink(join(base, 'archive', NAME), elsewhere), want: 'ERR_SDK_INSTALL_SYMLINK' },
  {
    name: 'symlink at the next privkeyN.pem',
    plant: () => symlinkSync(join(elsewhere, 'stolen.pem'), join(base, 'archive', NAME, 'privkey2.pem')),
    want: 'ERR_SDK_INSTALL_SYMLINK',
  },
  { name: 'symlink at the next vN', plant: () => symlinkSync(elsewhere, join(base, 'archive', NAME, 'v2')), want: 'ERR_SDK_INSTALL_SYMLINK' },
  { name: 'live/<name> linking outside the archive', plant: () => replaceWithLink(join(base, 'live', NAME), elsewhere), want: 'ERR_SDK_INSTALL_SYMLINK' },
  {
    name: 'live/<name> as a real directory',
    plant: () => {
      rmSync(join(base, 'live', NAME));
      mkdirSync(join(base, 'live', NAME));
    },
    want: 'ERR_SDK_INSTALL_LAYOUT',
  },
  { name: 'a file at vN', plant: () => writeFileSync(join(base, 'archive', NAME, 'v2'), 'x'), want: 'ERR_SDK_INSTALL_LAYOUT' },
];

function replaceWithLink(path: string, target: string) {
  rmSync(path, { recursive: true, force: true });
  symlinkSync(target, path);
}

describe('install refusals', () => {
  it.each(materialCases)('refuses $name ($want) and leaves live exactly as it was', async ({ options, want }) => {
    await install(good());
    const before = liveSnapshot(base, NAME);
    const archiveBefore = readdirSync(join(base, 'archive', NAME)).sort();
    await expect(install(good(options()))).rejects.toMatchObject({ code: want });
    expect(liveSnapshot(base, NAME)).toEqual(before);
    expect(readdirSync(join(base, 'archive', NAME)).sort()).toEqual(archiveBefore);
    expect(await expectConsistent(base, NAME)).toBe(1);
  });

  it.each(materialCases)('refuses $name on a first install without creating anything', async ({ options, want }) => {
    await expect(install(good(options()))).rejects.toMatchObject({ code: want });
    expect(readdirSync(base)).toEqual([]);
  });

  it.each(layoutCases)('refuses $name ($want), writes nothing, and leaves live as it was', async ({ plant, want }) => {
    await install(good());
    plant();
    const before = liveSnapshot(base, NAME);
    const elsewhereBefore = readdirSync(elsewhere);
    const archiveBefore = readdirSync(base, { recursive: true }).sort();
    await expect(install(good())).rejects.toMatchObject({ code: want });
    expect(liveSnapshot(base, NAME)).toEqual(before);
    expect(readdirSync(base, { recursive: true }).sort()).toEqual(archiveBefore);
    expect(readdirSync(elsewhere)).toEqual(elsewhereBefore);
  });

  it('refuses a symlink at live/ on a first install, before creating archive/', async () => {
    symlinkSync(elsewhere, join(base, 'live'));
    await expect(install(good())).rejects.toMatchObject({ code: 'ERR_SDK_INSTALL_SYMLINK', path: join(base, 'live') });
    expect(readdirSync(base)).toEqual(['live']);
    expect(readdirSync(elsewhere)).toEqual([]);
  });
});
