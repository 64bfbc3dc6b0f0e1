import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadDkimKey } from './dkim-key.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'certwizard-dkim-key-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const write = (name: string, content: string) => {
  const file = join(dir, name);
  writeFileSync(file, content, { mode: 0o600 });
  return file;
};
const rsa = (bits: number) => generateKeyPairSync('rsa', { modulusLength: bits }).privateKey;

describe('loadDkimKey', () => {
  it('reads an RSA key of 2048 bits, PKCS#8 or PKCS#1', () => {
    const key = rsa(2048);
    for (const type of ['pkcs8', 'pkcs1'] as const) {
      const loaded = loadDkimKey(write(`${type}.pem`, key.export({ type, format: 'pem' }) as string));
      expect(loaded.type).toBe('private');
      expect(loaded.asymmetricKeyDetails?.modulusLength).toBe(2048);
    }
  });

  it.each<{ name: string; content: () => string }>([
    { name: 'an RSA key of 1024 bits', content: () => rsa(1024).export({ type: 'pkcs8', format: 'pem' }) as string },
    { name: 'an EC key', content: () => generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string },
    {
      name: 'an encrypted key',
      content: () => rsa(2048).export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'secret passphrase' }) as string,
    },
    { name: 'a public key', content: () => generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'pem' }) as string },
    { name: 'garbage', content: () => '-----BEGIN PRIVATE KEY-----\nc2VjcmV0IGJ5dGVz\n-----END PRIVATE KEY-----\n' },
  ])('refuses $name with ERR_CA_CONFIG, naming the file but none of its content', ({ content }) => {
    const text = content();
    const file = write('key.pem', text);
    let error: (Error & { code?: string }) | undefined;
    try {
      loadDkimKey(file);
    } catch (err) {
      error = err as Error & { code?: string };
    }
    expect(error?.code).toBe('ERR_CA_CONFIG');
    expect(error?.message).toContain(file);
    for (const line of text.split('\n').filter((l) => l !== '' && !l.startsWith('-----'))) expect(error?.message).not.toContain(line);
  });

  it('refuses a missing file', () => {
    expect(() => loadDkimKey(join(dir, 'missing.pem'))).toThrow(expect.objectContaining({ code: 'ERR_CA_CONFIG', message: expect.stringContaining('ENOENT') }));
  });
});
