import { execFileSync } from 'node:child_process';
import { lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportPrivateKeyPem } from '@certwizard/pki';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { install, type InstallOptions } from './install.js';
import { readInstalled } from './read-installed.js';
import { expectConsistent } from './test-support/live-state.js';
import { createTestPki, type TestPki } from './test-support/test-pki.js';

let pkiDir: string;
let pki: TestPki;
let base: string;

beforeAll(() => {
  pkiDir = mkdtempSync(join(tmpdir(), 'install-pki-'));
  pki = createTestPki(pkiDir);
});
afterAll(() => rmSync(pkiDir, { recursive: true, force: true }));
beforeEach(() => {
  base = mkdtempSync(join(tmpdir(), 'install-'));
});
afterEach(() => rmSync(base, { recursive: true, force: true }));

function optionsFor(name: string, extra: Partial<InstallOptions> = {}): InstallOptions {
  const leaf = pki.leaf(name);
  return { baseDir: base, name, ...leaf, chainPem: pki.chainPem, trustAnchorsPem: pki.rootPem, ...extra };
}

function openssl(args: string[], env: NodeJS.ProcessEnv = {}): string {
  return execFileSync('openssl', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
}

const mode = (path: string) => lstatSync(path).mode & 0o777;

describe('install', () => {
  it('writes certbot paths: archive versions, a live link, 0600 keys, 0700 directories', async () => {
    const options = optionsFor('mail.example.org');
    const installed = await install(options);

    const live = join(base, 'live', 'mail.example.org');
    const archive = join(base, 'archive', 'mail.example.org');
    expect(installed).toMatchObject({
      name: 'mail.example.org',
      version: 1,
      names: ['mail.example.org'],
      paths: { privkey: join(live, 'privkey.pem'), cert: join(live, 'cert.pem'), chain: join(live, 'chain.pem'), fullchain: join(live, 'fullchain.pem') },
    });
    expect(installed.paths.pkcs12).toBeUndefined();
    expect(readlinkSync(live)).toBe('../archive/mail.example.org/v1');
    expect(readdirSync(archive).sort()).toEqual(['cert1.pem', 'chain1.pem', 'fullchain1.pem', 'privkey1.pem', 'v1']);
    expect(readlinkSync(join(archive, 'v1', 'privkey.pem'))).toBe('../privkey1.pem');
    expect(readdirSync(join(base, 'live'))).toEqual(['mail.example.org']); // no temporary link left

    expect(mode(join(archive, 'privkey1.pem'))).toBe(0o600);
    for (const f of ['cert1.pem', 'chain1.pem', 'fullchain1.pem']) expect(mode(join(archive, f)), f).toBe(0o644);
    for (const d of ['archive', 'live', 'archive/mail.example.org', 'archive/mail.example.org/v1']) expect(mode(join(base, d)), d).toBe(0o700);

    expect(readFileSync(installed.paths.cert, 'utf8')).toBe(options.certificatePem);
    expect(readFileSync(installed.paths.chain, 'utf8')).toBe(pki.chainPem);
    expect(readFileSync(installed.paths.fullchain, 'utf8')).toBe(options.certificatePem + pki.chainPem);
    expect(readFileSync(installed.paths.privkey, 'utf8')).toBe(exportPrivateKeyPem(options.privateKey as never));
    expect(await readInstalled(base, 'mail.example.org')).toEqual(installed);
  });

  it('installs what openssl agrees with: key matches certificate, chain verifies to the CA', async () => {
    const installed = await install(optionsFor('mail.example.org'));
    // Key passed by path only: never on a command line.
    const fromKey = openssl(['pkey', '-in', installed.paths.privkey, '-pubout']);
    const fromCert = openssl(['x509', '-in', installed.paths.cert, '-noout', '-pubkey']);
    expect(fromKey).toBe(fromCert);
    const caFile = join(pkiDir, 'ca.pem');
    writeFileSync(caFile, pki.rootPem);
    expect(openssl(['verify', '-CAfile', caFile, '-untrusted', installed.paths.chain, installed.paths.cert]).trim()).toBe(`${installed.paths.cert}: OK`);
  });

  it('a second install goes live as version 2 and keeps version 1 in the archive', async () => {
    const first = await install(optionsFor('mail.example.org'));
    const firstCert = readFileSync(first.paths.cert, 'utf8');
    const second = await install(optionsFor('mail.example.org'));
    expect(second.version).toBe(2);
    expect(second.paths).toEqual(first.paths); // the server configuration never changes
    expect(second.fingerprintSha256).not.toBe(first.fingerprintSha256);
    expect(readlinkSync(join(base, 'live', 'mail.example.org'))).toBe('../archive/mail.example.org/v2');
    expect(readFileSync(join(base, 'archive', 'mail.example.org', 'cert1.pem'), 'utf8')).toBe(firstCert);
    expect((await readInstalled(base, 'mail.example.org'))?.version).toBe(2);
    expect(await expectConsistent(base, 'mail.example.org')).toBe(2);
  });

  it('accepts the key as PEM, a chain that repeats the leaf, and keeps names apart', async () => {
    const leaf = pki.leaf('a.example.org');
    await install({
      baseDir: base,
      name: 'a',
      privateKey: exportPrivateKeyPem(leaf.privateKey),
      certificatePem: leaf.certificatePem,
      chainPem: leaf.certificatePem + pki.chainPem,
      trustAnchorsPem: pki.rootPem,
    });
    await install(optionsFor('b'));
    expect(readFileSync(join(base, 'live', 'a', 'chain.pem'), 'utf8')).toBe(pki.chainPem);
    expect((await readInstalled(base, 'a'))?.names).toEqual(['a.example.org']);
    expect((await readInstalled(base, 'b'))?.version).toBe(1);
  });

  it('readInstalled answers undefined before the first install', async () => {
    expect(await readInstalled(base, 'mail.example.org')).toBeUndefined();
  });

  it.each([
    { name: 'empty', input: '' },
    { name: 'upper case', input: 'Mail' },
    { name: 'dot dot', input: '..' },
    { name: 'leading dot', input: '.hidden' },
    { name: 'slash', input: 'a/b' },
    { name: 'too long', input: 'a'.repeat(65) },
  ])('refuses the name $name with a TypeError', async ({ input }) => {
    await expect(install(optionsFor('x', { name: input }))).rejects.toThrow(TypeError);
    expect(readdirSync(base)).toEqual([]);
  });

  it('refuses a relative baseDir with a TypeError', async () => {
    await expect(install(optionsFor('x', { baseDir: 'relative/dir' }))).rejects.toThrow(TypeError);
  });
});

describe('install with PKCS#12', () => {
  it('writes bundleN.p12 (0600) that openssl opens with the passphrase from the environment', async () => {
    const passphrase = 'correct horse battery staple';
    const installed = await install(optionsFor('mail.example.org', { pkcs12: { passphrase, iterations: 2048 } }));
    const archive = join(base, 'archive', 'mail.example.org');
    expect(installed.paths.pkcs12).toBe(join(base, 'live', 'mail.example.org', 'bundle.p12'));
    expect(mode(join(archive, 'bundle1.p12'))).toBe(0o600);
    const out = openssl(['pkcs12', '-in', installed.paths.pkcs12 as string, '-passin', 'env:P', '-nokeys'], { P: passphrase });
    const certs = out.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g) ?? [];
    expect(certs.map((c) => `${c}\n`)).toEqual([readFileSync(installed.paths.cert, 'utf8'), pki.chainPem]);
    expect(out).toContain('friendlyName: mail.example.org');
    expect((await readInstalled(base, 'mail.example.org'))?.paths.pkcs12).toBe(installed.paths.pkcs12);
  });

  it('refuses an empty passphrase before writing anything', async () => {
    await expect(install(optionsFor('mail.example.org', { pkcs12: { passphrase: '' } }))).rejects.toThrow(TypeError);
    expect(readdirSync(base)).toEqual([]);
  });
});
