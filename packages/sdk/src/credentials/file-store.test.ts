import { chmod, lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CredentialsCorruptError, CredentialsUnsafeError } from './errors.js';
import { CREDENTIALS_FILE_NAME, openFileStore } from './file-store.js';

const KEY = 'installation-token:https://ca.example';
const SECRET = 'tok_0123456789abcdef-not-for-logs';
const modeOf = async (path: string) => (await lstat(path)).mode & 0o777;

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'certwizard-file-store-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('openFileStore', () => {
  it('round-trips a secret, and a second store on the same folder sees it', async () => {
    const dir = join(root, 'creds');
    const store = await openFileStore({ dir });
    expect(store.kind).toBe('file');
    expect(await store.get(KEY)).toBeUndefined();
    await store.set(KEY, SECRET);
    expect(await store.get(KEY)).toBe(SECRET);
    expect(await (await openFileStore({ dir })).get(KEY)).toBe(SECRET);
    expect(await store.delete(KEY)).toBe(true);
    expect(await store.delete(KEY)).toBe(false);
    expect(await store.get(KEY)).toBeUndefined();
    expect(JSON.parse(await readFile(join(dir, CREDENTIALS_FILE_NAME), 'utf8'))).toEqual({ version: 1, credentials: {} });
  });

  it('creates missing folders 0700 and the file 0600', async () => {
    const dir = join(root, 'a', 'b');
    const store = await openFileStore({ dir });
    await store.set(KEY, SECRET);
    expect((await modeOf(join(root, 'a'))).toString(8)).toBe('700');
    expect((await modeOf(dir)).toString(8)).toBe('700');
    expect((await modeOf(join(dir, CREDENTIALS_FILE_NAME))).toString(8)).toBe('600');
  });

  it('keeps "__proto__" an ordinary key', async () => {
    const store = await openFileStore({ dir: root });
    await store.set('__proto__', SECRET);
    expect(await (await openFileStore({ dir: root })).get('__proto__')).toBe(SECRET);
    expect(await store.get('constructor')).toBeUndefined();
  });

  it('writes atomically: after many writes the file is valid JSON and no temporary file remains', async () => {
    const store = await openFileStore({ dir: root });
    for (let i = 0; i < 100; i++) await store.set(`key-${i % 10}`, `secret-${i}`);
    expect(await readdir(root)).toEqual([CREDENTIALS_FILE_NAME]);
    const file = JSON.parse(await readFile(join(root, CREDENTIALS_FILE_NAME), 'utf8')) as { credentials: Record<string, string> };
    expect(Object.keys(file.credentials)).toHaveLength(10);
    expect(file.credentials['key-9']).toBe('secret-99');
  });

  it('serialises concurrent sets from one process: last call wins, no update lost, file never corrupt', async () => {
    const store = await openFileStore({ dir: root });
    await Promise.all([
      ...Array.from({ length: 40 }, (_, i) => store.set(KEY, `v${i}`)),
      ...Array.from({ length: 20 }, (_, i) => store.set(`other-${i}`, `o${i}`)),
      ...Array.from({ length: 20 }, () => store.get(KEY)),
    ]);
    expect(await store.get(KEY)).toBe('v39');
    const file = JSON.parse(await readFile(join(root, CREDENTIALS_FILE_NAME), 'utf8')) as { credentials: Record<string, string> };
    expect(Object.keys(file.credentials)).toHaveLength(21);
    expect(await readdir(root)).toEqual([CREDENTIALS_FILE_NAME]);
  });

  it('rejects with the signal reason and writes nothing when aborted', async () => {
    const store = await openFileStore({ dir: root });
    const controller = new AbortController();
    controller.abort(new Error('stop'));
    await expect(store.set(KEY, SECRET, { signal: controller.signal })).rejects.toThrow('stop');
    expect(await readdir(root)).toEqual([]);
  });
});

describe('openFileStore refuses unsafe places (and writes nothing)', () => {
  it('refuses a folder that is a symlink', async () => {
    const target = join(root, 'real');
    await mkdir(target, { mode: 0o700 });
    await symlink(target, join(root, 'link'));
    await expect(openFileStore({ dir: join(root, 'link') })).rejects.toMatchObject({ code: 'ERR_SDK_CREDENTIALS_UNSAFE', reason: 'symlink' });
    expect(await readdir(target)).toEqual([]);
  });

  it('refuses a folder replaced by a symlink after opening', async () => {
    const dir = join(root, 'creds');
    const target = join(root, 'elsewhere');
    await mkdir(target, { mode: 0o700 });
    const store = await openFileStore({ dir });
    await rm(dir, { recursive: true });
    await symlink(target, dir);
    await expect(store.set(KEY, SECRET)).rejects.toMatchObject({ code: 'ERR_SDK_CREDENTIALS_UNSAFE', reason: 'symlink' });
    expect(await readdir(target)).toEqual([]);
  });

  it('refuses a credentials file that is a symlink, before and after opening, leaving its target untouched', async () => {
    const target = join(root, 'target.json');
    const original = JSON.stringify({ version: 1, credentials: {} });
    await writeFile(target, original, { mode: 0o600 });
    const dir = join(root, 'creds');
    const store = await openFileStore({ dir });
    await symlink(target, join(dir, CREDENTIALS_FILE_NAME));

    await expect(openFileStore({ dir })).rejects.toMatchObject({ code: 'ERR_SDK_CREDENTIALS_UNSAFE', reason: 'symlink' });
    await expect(store.set(KEY, SECRET)).rejects.toBeInstanceOf(CredentialsUnsafeError);
    expect(await readFile(target, 'utf8')).toBe(original);
    expect(await readlink(join(dir, CREDENTIALS_FILE_NAME))).toBe(target);
    expect(await readdir(dir)).toEqual([CREDENTIALS_FILE_NAME]);
  });

  it.each([
    { name: 'group-readable file', dirMode: 0o700, fileMode: 0o640, want: CREDENTIALS_FILE_NAME },
    { name: 'world-readable file', dirMode: 0o700, fileMode: 0o604, want: CREDENTIALS_FILE_NAME },
    { name: 'group-accessible folder', dirMode: 0o750, fileMode: 0o600, want: '' },
    { name: 'world-writable folder', dirMode: 0o703, fileMode: 0o600, want: '' },
  ])('refuses a $name', async ({ dirMode, fileMode, want }) => {
    const store = await openFileStore({ dir: root });
    await store.set(KEY, SECRET);
    const file = join(root, CREDENTIALS_FILE_NAME);
    const before = await readFile(file, 'utf8');
    await chmod(file, fileMode);
    await chmod(root, dirMode);
    await expect(openFileStore({ dir: root })).rejects.toMatchObject({ code: 'ERR_SDK_CREDENTIALS_UNSAFE', reason: 'permissions', path: join(root, want) });
    await expect(store.set(KEY, 'another')).rejects.toMatchObject({ code: 'ERR_SDK_CREDENTIALS_UNSAFE' });
    await chmod(root, 0o700);
    expect(await readFile(file, 'utf8')).toBe(before);
  });

  it('refuses a folder path that is a file', async () => {
    const path = join(root, 'file');
    await writeFile(path, '', { mode: 0o600 });
    await expect(openFileStore({ dir: path })).rejects.toMatchObject({ code: 'ERR_SDK_CREDENTIALS_UNSAFE', reason: 'not-a-directory' });
  });

  it.each([
    { name: 'not JSON', content: 'tok_secret-in-a-broken-file {' },
    { name: 'the wrong version', content: JSON.stringify({ version: 2, credentials: { k: 'tok_secret-in-a-broken-file' } }) },
    { name: 'a non-string secret', content: JSON.stringify({ version: 1, credentials: { k: 1, j: 'tok_secret-in-a-broken-file' } }) },
  ])('reports a corrupt file ($name) without quoting it', async ({ content }) => {
    await writeFile(join(root, CREDENTIALS_FILE_NAME), content, { mode: 0o600 });
    const error: unknown = await openFileStore({ dir: root }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CredentialsCorruptError);
    expect(error).toMatchObject({ code: 'ERR_SDK_CREDENTIALS_CORRUPT', path: join(root, CREDENTIALS_FILE_NAME) });
    // No cause: JSON.parse's SyntaxError would quote the file.
    expect((error as Error).cause).toBeUndefined();
    expect(JSON.stringify(error) + String(error)).not.toContain('tok_secret');
  });
});

describe('arguments', () => {
  it.each([
    { name: 'empty key', key: '', secret: SECRET },
    { name: 'key of 257 characters', key: 'k'.repeat(257), secret: SECRET },
    { name: 'key with a newline', key: 'a\nb', secret: SECRET },
    { name: 'non-ASCII key', key: 'clé', secret: SECRET },
    { name: 'non-string key', key: 42 as unknown as string, secret: SECRET },
    { name: 'empty secret', key: KEY, secret: '' },
    { name: 'non-string secret', key: KEY, secret: null as unknown as string },
  ])('a $name is a TypeError, and nothing is written', async ({ key, secret }) => {
    const store = await openFileStore({ dir: root });
    expect(() => store.set(key, secret)).toThrow(TypeError);
    expect(await readdir(root)).toEqual([]);
  });

  it('accepts a key of 256 printable characters', async () => {
    const store = await openFileStore({ dir: root });
    const key = '~'.repeat(256);
    await store.set(key, SECRET);
    expect(await store.get(key)).toBe(SECRET);
  });

  it('keeps a rejected key out of the TypeError message', async () => {
    const store = await openFileStore({ dir: root });
    expect(() => store.get('tok_pasted-secret\n')).toThrow(/^key must be/);
  });
});
