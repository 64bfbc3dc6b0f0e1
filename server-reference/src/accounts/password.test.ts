import { describe, expect, it } from 'vitest';
import { hashSecret, hashToken, SCRYPT_N_DEFAULT, verifySecret } from './password.js';

const N = 2 ** 10; // small cost: the tests check behaviour, not strength

describe('hashSecret / verifySecret', () => {
  it('round-trips in the self-describing format scrypt$N$r$p$salt$hash', async () => {
    const stored = await hashSecret('correct horse battery', { N });
    expect(stored).toMatch(/^scrypt\$1024\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(await verifySecret('correct horse battery', stored)).toBe(true);
    expect(await verifySecret('correct horse batterz', stored)).toBe(false);
  });

  it('salts every hash, so equal secrets give different strings', async () => {
    const [a, b] = await Promise.all([hashSecret('same secret', { N }), hashSecret('same secret', { N })]);
    expect(a).not.toBe(b);
  });

  it('reads the cost from the stored string, so hashes made at another N still verify', async () => {
    const older = await hashSecret('raise me later', { N: 2 ** 8 });
    expect(older.split('$')[1]).toBe('256');
    expect(await verifySecret('raise me later', older)).toBe(true);
  });

  it("works at the default N = 2^15 (regression: Node's default maxmem is just too small for it)", async () => {
    expect(SCRYPT_N_DEFAULT).toBe(2 ** 15);
    const stored = await hashSecret('default cost');
    expect(stored.startsWith('scrypt$32768$8$1$')).toBe(true);
    expect(await verifySecret('default cost', stored)).toBe(true);
  });

  it('normalises to NFKC, so composed and decomposed spellings match', async () => {
    const stored = await hashSecret('caf\u00e9-password', { N });
    expect(await verifySecret('cafe\u0301-password', stored)).toBe(true);
  });

  it('hashes random tokens to 64 hex characters with SHA-256', () => {
    expect(hashToken('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  const good = 'scrypt$1024$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
  const malformed: { name: string; stored: unknown }[] = [
    { name: 'empty', stored: '' },
    { name: 'not a string', stored: 42 },
    { name: 'another algorithm', stored: good.replace('scrypt', 'bcrypt') },
    { name: 'a part missing', stored: good.split('$').slice(0, 5).join('$') },
    { name: 'an extra part', stored: `${good}$x` },
    { name: 'N not a power of two', stored: good.replace('$1024$', '$1000$') },
    { name: 'N above 2^20 (memory bomb)', stored: good.replace('$1024$', '$2097152$') },
    { name: 'N with a leading zero', stored: good.replace('$1024$', '$01024$') },
    { name: 'r = 0', stored: good.replace('$8$1$', '$0$1$') },
    { name: 'r above 32', stored: good.replace('$8$1$', '$64$1$') },
    { name: 'p above 16', stored: good.replace('$8$1$', '$8$17$') },
    { name: 'a salt under 16 bytes', stored: good.replace('AAAAAAAAAAAAAAAAAAAAAA$', 'AAAA$') },
    { name: 'a hash that is not base64url', stored: good.replace(/\$A{43}$/, '$AAAA+AAA') },
  ];
  it.each(malformed)('refuses a malformed stored string ($name) by answering false', async ({ stored }) => {
    expect(await verifySecret('whatever secret', stored as string)).toBe(false);
  });

  it('refuses a bad cost or a non-string secret as caller misuse', async () => {
    await expect(hashSecret('x', { N: 1000 })).rejects.toBeInstanceOf(TypeError);
    await expect(hashSecret('x', { N: 2 ** 21 })).rejects.toBeInstanceOf(TypeError);
    await expect(hashSecret(undefined as unknown as string, { N })).rejects.toBeInstanceOf(TypeError);
    expect(await verifySecret(undefined as unknown as string, await hashSecret('x', { N }))).toBe(false);
  });

  it('honours an aborted signal', async () => {
    const signal = AbortSignal.abort();
    await expect(hashSecret('x', { N, signal })).rejects.toMatchObject({ name: 'AbortError' });
    await expect(verifySecret('x', 'scrypt$', { signal })).rejects.toMatchObject({ name: 'AbortError' });
  });
});
