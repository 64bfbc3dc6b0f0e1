import { execFileSync, spawnSync } from 'node:child_process';
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodePem } from './codec/pem.js';
import {
  checkKeyPolicy,
  describeKey,
  exportPrivateKeyPem,
  exportPublicKeyPem,
  formatKeyDescription,
  generateKeyPair,
  generateKeyPairAsync,
  importPrivateKeyPem,
  KEY_TYPES,
  type KeyDescription,
  type KeyPair,
  type KeyType,
  keysMatch,
  publicKeyDer,
  publicKeySha1Hex,
} from './keys.js';
import { MAX_INPUT_BYTES } from './limits.js';
import { codeOf, codeOfAsync } from './test-support/expect-code.js';

/** Distinctive, so a test can prove it never shows up in an error message. */
const PASS = 'correct horse battery staple 7';

let dir = '';
const pairs = new Map<KeyType, KeyPair>();
const pair = (type: KeyType): KeyPair => {
  const found = pairs.get(type);
  if (!found) throw new Error(`no key pair ${type}`);
  return found;
};
/** PEM written by the openssl CLI, by file name. */
const cliKeys = new Map<string, string>();
const cliKey = (name: string): string => {
  const found = cliKeys.get(name);
  if (found === undefined) throw new Error(`no openssl key ${name}`);
  return found;
};

/** Runs the openssl CLI in the temp dir; secrets go through `env`, never argv. */
function openssl(args: string[], options: { input?: string | Uint8Array; env?: Record<string, string> } = {}) {
  return spawnSync('openssl', args, {
    cwd: dir,
    input: options.input,
    env: { ...process.env, ...options.env },
  });
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pki-keys-'));
  // The two big RSA keys run on the thread pool in parallel with the rest of the setup.
  const slow = Promise.all([generateKeyPairAsync('rsa4096'), generateKeyPairAsync('rsa3072')]);
  for (const type of ['p256', 'p384', 'rsa2048'] as const) pairs.set(type, generateKeyPair(type));
  execFileSync('openssl', ['genrsa', '-traditional', '-out', 'trad-rsa.pem', '2048'], { cwd: dir, stdio: 'pipe' });
  execFileSync('openssl', ['ecparam', '-genkey', '-name', 'prime256v1', '-noout', '-out', 'trad-ec.pem'], {
    cwd: dir,
    stdio: 'pipe',
  });
  execFileSync('openssl', ['ecparam', '-genkey', '-name', 'prime256v1', '-out', 'trad-ec-params.pem'], {
    cwd: dir,
    stdio: 'pipe',
  });
  execFileSync('openssl', ['rsa', '-in', 'trad-rsa.pem', '-traditional', '-aes256', '-passout', 'env:PASS', '-out', 'trad-rsa-enc.pem'], {
    cwd: dir,
    stdio: 'pipe',
    env: { ...process.env, PASS },
  });
  for (const name of ['trad-rsa.pem', 'trad-ec.pem', 'trad-ec-params.pem', 'trad-rsa-enc.pem']) {
    cliKeys.set(name, fs.readFileSync(path.join(dir, name), 'utf8'));
  }
  const [rsa4096, rsa3072] = await slow;
  pairs.set('rsa4096', rsa4096);
  pairs.set('rsa3072', rsa3072);
});

afterAll(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('generateKeyPair and describeKey', () => {
  const expected: Record<KeyType, { description: KeyDescription; text: string }> = {
    p256: { description: { algorithm: 'ec', curve: 'P-256' }, text: 'ECDSA P-256' },
    p384: { description: { algorithm: 'ec', curve: 'P-384' }, text: 'ECDSA P-384' },
    rsa2048: { description: { algorithm: 'rsa', bits: 2048, publicExponent: 65537n }, text: 'RSA 2048' },
    rsa3072: { description: { algorithm: 'rsa', bits: 3072, publicExponent: 65537n }, text: 'RSA 3072' },
    rsa4096: { description: { algorithm: 'rsa', bits: 4096, publicExponent: 65537n }, text: 'RSA 4096' },
  };

  it('offers exactly the five key types, EC first', () => {
    expect(KEY_TYPES).toEqual(['p256', 'p384', 'rsa2048', 'rsa3072', 'rsa4096']);
  });

  it.each(KEY_TYPES.map((type) => ({ name: type, input: type, want: expected[type] })))(
    'generates $name: a matching pair the policy accepts',
    ({ input, want }) => {
      const { privateKey, publicKey } = pair(input);
      expect(privateKey.type).toBe('private');
      expect(publicKey.type).toBe('public');
      expect(describeKey(publicKey)).toEqual(want.description);
      expect(describeKey(privateKey)).toEqual(want.description);
      expect(formatKeyDescription(describeKey(publicKey))).toBe(want.text);
      expect(checkKeyPolicy(publicKey)).toEqual(want.description);
      expect(keysMatch(privateKey, publicKey)).toBe(true);
    },
  );

  it('generates a fresh key on every call', () => {
    expect(keysMatch(generateKeyPair('p256').privateKey, pair('p256').publicKey)).toBe(false);
  });

  it('refuses an unknown key type with a TypeError (caller misuse)', () => {
    expect(() => generateKeyPair('ed25519' as KeyType)).toThrow(TypeError);
  });

  it('refuses to describe an Ed25519 key with ERR_PKI_WEAK_KEY', () => {
    expect(codeOf(() => describeKey(generateKeyPairSync('ed25519').publicKey))).toBe('ERR_PKI_WEAK_KEY');
  });
});

describe('generateKeyPairAsync', () => {
  it('resolves with a matching P-256 pair', async () => {
    const { privateKey, publicKey } = await generateKeyPairAsync('p256');
    expect(describeKey(privateKey)).toEqual({ algorithm: 'ec', curve: 'P-256' });
    expect(keysMatch(privateKey, publicKey)).toBe(true);
  });

  it('rejects with the reason of an already-aborted signal', async () => {
    const reason = new Error('the user closed the wizard');
    const signal = AbortSignal.abort(reason);
    const started = performance.now();
    // Wrapped so that a synchronous throw counts too; the next test pins down which one it is.
    await expect(Promise.resolve().then(() => generateKeyPairAsync('rsa4096', { signal }))).rejects.toBe(reason);
    expect(performance.now() - started).toBeLessThan(500);
  });

  // Regression: generateKeyPairAsync called signal.throwIfAborted() before creating its
  // promise, so an already-aborted signal threw synchronously and `.catch()` callers missed it.
  it('reports an already-aborted signal as a rejected promise, not a synchronous throw', async () => {
    const reason = new Error('aborted');
    let promise: Promise<KeyPair> | undefined;
    expect(() => {
      promise = generateKeyPairAsync('p256', { signal: AbortSignal.abort(reason) });
    }).not.toThrow();
    await expect(promise).rejects.toBe(reason);
  });

  it('rejects with the reason when the signal aborts during generation', async () => {
    const controller = new AbortController();
    const reason = new Error('timed out');
    const promise = generateKeyPairAsync('rsa2048', { signal: controller.signal });
    controller.abort(reason);
    await expect(promise).rejects.toBe(reason);
  });

  it('refuses an unknown key type with a TypeError', async () => {
    expect(await codeOfAsync(() => generateKeyPairAsync('rsa1024' as KeyType))).toBe('uncoded TypeError');
  });
});

describe('exportPrivateKeyPem', () => {
  it('exports unencrypted PKCS#8 that imports back to the same key', () => {
    const { privateKey, publicKey } = pair('p256');
    const pem = exportPrivateKeyPem(privateKey);
    expect(pem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(keysMatch(importPrivateKeyPem(pem), publicKey)).toBe(true);
  });

  it('encrypts under ENCRYPTED PRIVATE KEY with PBES2, PBKDF2-HMAC-SHA256 and AES-256-CBC', () => {
    const pem = exportPrivateKeyPem(pair('p256').privateKey, { passphrase: PASS });
    expect(pem).toMatch(/^-----BEGIN ENCRYPTED PRIVATE KEY-----\n[^]*\n-----END ENCRYPTED PRIVATE KEY-----\n$/);
    expect(pem).not.toContain(PASS);
    const parsed = openssl(['asn1parse'], { input: pem });
    expect(parsed.status).toBe(0);
    const structure = parsed.stdout.toString();
    for (const oid of ['PBES2', 'PBKDF2', 'hmacWithSHA256', 'aes-256-cbc']) expect(structure).toContain(oid);
  });

  it.each([
    { name: 'a P-256 key', input: 'p256' as const },
    { name: 'an RSA 2048 key', input: 'rsa2048' as const },
  ])('writes an encrypted $name that the openssl CLI reads with the passphrase only', ({ input }) => {
    const pem = exportPrivateKeyPem(pair(input).privateKey, { passphrase: PASS });
    const file = path.join(dir, `enc-${input}.pem`);
    fs.writeFileSync(file, pem, { mode: 0o600 });
    const right = openssl(['pkey', '-in', file, '-passin', 'env:PASS', '-noout'], { env: { PASS } });
    expect(right.stderr.toString()).toBe('');
    expect(right.status).toBe(0);
    const wrong = openssl(['pkey', '-in', file, '-passin', 'env:PASS', '-noout'], { env: { PASS: `${PASS}x` } });
    expect(wrong.status).not.toBe(0);
  });

  it('refuses an empty passphrase with a TypeError (it would protect nothing)', () => {
    expect(() => exportPrivateKeyPem(pair('p256').privateKey, { passphrase: '' })).toThrow(TypeError);
  });

  it('refuses a public key with a TypeError', () => {
    expect(() => exportPrivateKeyPem(pair('p256').publicKey)).toThrow(TypeError);
  });
});

describe('exportPublicKeyPem', () => {
  it('exports the same SubjectPublicKeyInfo from either half of a pair', () => {
    const { privateKey, publicKey } = pair('rsa2048');
    const pem = exportPublicKeyPem(privateKey);
    expect(pem).toBe(exportPublicKeyPem(publicKey));
    expect(pem).toBe(encodePem('PUBLIC KEY', publicKeyDer(publicKey)));
  });
});

describe('importPrivateKeyPem', () => {
  it('decrypts an encrypted key with the right passphrase', () => {
    const { privateKey, publicKey } = pair('p384');
    const imported = importPrivateKeyPem(exportPrivateKeyPem(privateKey, { passphrase: PASS }), { passphrase: PASS });
    expect(imported.type).toBe('private');
    expect(keysMatch(imported, publicKey)).toBe(true);
  });

  it.each([
    { name: 'a wrong passphrase', input: { passphrase: 'wrong horse' }, want: 'ERR_PKI_KEY_DECRYPTION' },
    { name: 'no passphrase', input: {}, want: 'ERR_PKI_KEY_DECRYPTION' },
    { name: 'an empty passphrase', input: { passphrase: '' }, want: 'ERR_PKI_KEY_DECRYPTION' },
  ])('refuses an encrypted key with $name: $want', ({ input, want }) => {
    const pem = exportPrivateKeyPem(pair('p256').privateKey, { passphrase: PASS });
    expect(codeOf(() => importPrivateKeyPem(pem, input))).toBe(want);
  });

  it('keeps the passphrase out of the error message', () => {
    const pem = exportPrivateKeyPem(pair('p256').privateKey, { passphrase: PASS });
    const secret = `${PASS} but wrong`;
    let message = '';
    try {
      importPrivateKeyPem(pem, { passphrase: secret });
    } catch (err) {
      message = `${(err as Error).message} ${String((err as Error).cause)}`;
    }
    expect(message).not.toBe('');
    expect(message).not.toContain(secret);
  });

  it.each([
    { name: 'RSA PRIVATE KEY from `openssl genrsa -traditional`', input: 'trad-rsa.pem', want: 'RSA 2048' },
    { name: 'EC PRIVATE KEY from `openssl ecparam -genkey -noout`', input: 'trad-ec.pem', want: 'ECDSA P-256' },
  ])('imports the traditional $name', ({ input, want }) => {
    const pem = cliKey(input);
    const key = importPrivateKeyPem(pem);
    expect(key.type).toBe('private');
    expect(formatKeyDescription(describeKey(key))).toBe(want);
    expect(keysMatch(key, createPublicKey(createPrivateKey(pem)))).toBe(true);
  });

  it('ignores a passphrase given for an unencrypted key', () => {
    expect(importPrivateKeyPem(cliKey('trad-ec.pem'), { passphrase: PASS }).type).toBe('private');
  });

  // Regression: the TSDoc refuses text with "no private key block, or more than one", but the
  // code refused any second block, so the default output of `openssl ecparam -genkey` (an EC
  // PARAMETERS block, then the key) could not be adopted.
  it('imports `openssl ecparam -genkey` output that starts with an EC PARAMETERS block', () => {
    expect(formatKeyDescription(describeKey(importPrivateKeyPem(cliKey('trad-ec-params.pem'))))).toBe('ECDSA P-256');
  });

  const unencrypted = () => exportPrivateKeyPem(pair('p256').privateKey);
  it.each([
    {
      name: 'a CERTIFICATE label',
      input: () => unencrypted().replace(/PRIVATE KEY/g, 'CERTIFICATE'),
      want: 'ERR_PKI_PEM',
    },
    { name: 'a public key', input: () => exportPublicKeyPem(pair('p256').publicKey), want: 'ERR_PKI_PEM' },
    { name: 'two private keys', input: () => unencrypted() + unencrypted(), want: 'ERR_PKI_PEM' },
    { name: 'text without PEM', input: () => 'not a key', want: 'ERR_PKI_PEM' },
    {
      name: 'a legacy encrypted traditional key (RFC 1421 Proc-Type headers)',
      input: () => cliKey('trad-rsa-enc.pem'),
      want: 'ERR_PKI_PEM',
    },
    {
      name: 'random bytes labelled PRIVATE KEY',
      input: () => encodePem('PRIVATE KEY', randomBytes(64)),
      want: 'ERR_PKI_KEY_DECRYPTION',
    },
    {
      name: 'text over 64 KiB',
      input: () => unencrypted().padEnd(MAX_INPUT_BYTES + 1, '\n'),
      want: 'ERR_PKI_INPUT_TOO_LARGE',
    },
  ])('refuses $name with $want', ({ input, want }) => {
    expect(codeOf(() => importPrivateKeyPem(input()))).toBe(want);
  });
});

describe('checkKeyPolicy', () => {
  /** An RSA public key with a random odd modulus of exactly `bits` bits; only its shape matters here. */
  function rsaPublicKeyOfBits(bits: number, e = 'AQAB'): KeyObject {
    const n = randomBytes(Math.ceil(bits / 8));
    const topBits = bits % 8 === 0 ? 8 : bits % 8;
    n[0] = ((n[0] as number) & ((1 << topBits) - 1)) | (1 << (topBits - 1));
    n[n.length - 1] = (n[n.length - 1] as number) | 1;
    return createPublicKey({ key: { kty: 'RSA', n: n.toString('base64url'), e }, format: 'jwk' });
  }

  const keyCases: { name: string; input: () => KeyObject; want: string }[] = [
    {
      name: 'RSA 1024',
      input: () => generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey,
      want: 'ERR_PKI_WEAK_KEY',
    },
    { name: 'RSA 2047', input: () => rsaPublicKeyOfBits(2047), want: 'ERR_PKI_WEAK_KEY' },
    { name: 'RSA 2048 with e = 3', input: () => rsaPublicKeyOfBits(2048, 'Aw'), want: 'ERR_PKI_WEAK_KEY' },
    { name: 'RSA 2048 with e = 65539', input: () => rsaPublicKeyOfBits(2048, 'AQAD'), want: 'ERR_PKI_WEAK_KEY' },
    {
      name: 'RSA 8200 (bigger keys only cost the CA time)',
      input: () => rsaPublicKeyOfBits(8200),
      want: 'ERR_PKI_WEAK_KEY',
    },
    {
      name: 'P-521',
      input: () => generateKeyPairSync('ec', { namedCurve: 'secp521r1' }).publicKey,
      want: 'ERR_PKI_WEAK_KEY',
    },
    {
      name: 'secp256k1',
      input: () => generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).publicKey,
      want: 'ERR_PKI_WEAK_KEY',
    },
    { name: 'Ed25519', input: () => generateKeyPairSync('ed25519').publicKey, want: 'ERR_PKI_WEAK_KEY' },
    { name: 'RSA 2048', input: () => pair('rsa2048').publicKey, want: 'no error' },
    { name: 'RSA 3072', input: () => pair('rsa3072').publicKey, want: 'no error' },
    { name: 'RSA 8192 (the largest accepted)', input: () => rsaPublicKeyOfBits(8192), want: 'no error' },
    { name: 'P-256', input: () => pair('p256').publicKey, want: 'no error' },
    { name: 'P-384', input: () => pair('p384').publicKey, want: 'no error' },
    { name: 'a P-256 private key', input: () => pair('p256').privateKey, want: 'no error' },
  ];
  it.each(keyCases)('$name: $want', ({ input, want }) => {
    expect(codeOf(() => checkKeyPolicy(input()))).toBe(want);
  });
});

describe('publicKeySha1Hex', () => {
  it.each([
    { name: 'P-256', input: 'p256' as const },
    { name: 'RSA 2048', input: 'rsa2048' as const },
  ])('equals the SHA-1 of the DER SubjectPublicKeyInfo that openssl computes ($name)', ({ input }) => {
    const { privateKey, publicKey } = pair(input);
    const der = openssl(['pkey', '-pubin', '-outform', 'DER'], { input: exportPublicKeyPem(publicKey) });
    expect(der.status).toBe(0);
    const digest = openssl(['dgst', '-sha1', '-r'], { input: der.stdout });
    expect(digest.status).toBe(0);
    const want = digest.stdout.toString().split(' ')[0];
    expect(publicKeySha1Hex(publicKey)).toBe(want);
    expect(publicKeySha1Hex(privateKey)).toBe(want);
    expect(want).toMatch(/^[0-9a-f]{40}$/);
  });
});

describe('keysMatch', () => {
  it.each([
    { name: 'the two halves of one pair', input: ['p256', 'p256'] as const, want: true },
    { name: 'two RSA pairs', input: ['rsa2048', 'rsa3072'] as const, want: false },
    { name: 'two different EC pairs', input: ['p256', 'p384'] as const, want: false },
    { name: 'an RSA private key and an EC public key', input: ['rsa2048', 'p256'] as const, want: false },
  ])('is $want for $name', ({ input, want }) => {
    expect(keysMatch(pair(input[0]).privateKey, pair(input[1]).publicKey)).toBe(want);
  });

  it('is true for a private key and its public half given as a private key', () => {
    const { privateKey } = pair('p384');
    expect(keysMatch(privateKey, privateKey)).toBe(true);
  });
});
