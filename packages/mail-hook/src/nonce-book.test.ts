import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openNonceBook, type NonceBook, type NonceBookOptions } from './index.js';

const CA = 'https://ca.example';
const HOUR = 60 * 60 * 1000;

// Every folder and book a test makes is removed or closed afterwards, whatever happened.
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'mail-hook-book-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}
async function open(dir: string, options: Partial<NonceBookOptions> = {}): Promise<NonceBook> {
  const book = await openNonceBook(dir, { caOrigin: CA, ...options });
  cleanups.push(() => book.close());
  return book;
}
/** A clock the test moves by hand. */
function manualClock(start = Date.UTC(2026, 10, 23)) {
  let now = start;
  return { now: () => now, advance: (ms: number) => void (now += ms) };
}
const onlyFile = async (dir: string) => {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.json'));
  expect(files).toHaveLength(1);
  return join(dir, files[0] ?? '');
};

describe('domains', () => {
  it('lists the domains of unexpired nonces, used ones included, lower case, each once', async () => {
    const clock = manualClock();
    const book = await open(await tempDir(), { now: clock.now });
    expect(book.domains()).toEqual([]);
    const used = await book.expect('a@Mail.Example', { ttlMs: 2 * HOUR });
    await book.expect('b@mail.example', { ttlMs: HOUR });
    await book.expect('c@other.example', { ttlMs: HOUR });
    const reserved = book.reserve(used, { addresses: ['a@mail.example'] });
    if (!reserved.ok) throw new Error(reserved.reason);
    await reserved.reservation.consume();
    expect(book.domains().sort()).toEqual(['mail.example', 'other.example']);
    clock.advance(HOUR);
    expect(book.domains()).toEqual(['mail.example']);
    clock.advance(HOUR);
    expect(book.domains()).toEqual([]);
  });
});

describe('expect: fresh nonces', () => {
  it('issues 256-bit base64url nonces, all different', async () => {
    const book = await open(await tempDir());
    const nonces = await Promise.all(Array.from({ length: 50 }, () => book.expect('a@x.test', { ttlMs: HOUR })));
    for (const nonce of nonces) {
      expect(nonce).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(Buffer.from(nonce, 'base64url')).toHaveLength(32);
    }
    expect(new Set(nonces).size).toBe(50);
    expect(book.size).toBe(50);
  });

  it.each([
    { name: 'an address without @', address: 'postmaster', options: { ttlMs: HOUR } },
    { name: 'an address with a space', address: 'a b@x.test', options: { ttlMs: HOUR } },
    { name: 'an address with two @', address: 'a@b@x.test', options: { ttlMs: HOUR } },
    { name: 'an address of 255 characters', address: `${'a'.repeat(246)}@x.test.xx`, options: { ttlMs: HOUR } },
    { name: 'a zero ttl', address: 'a@x.test', options: { ttlMs: 0 } },
    { name: 'a ttl above 30 days', address: 'a@x.test', options: { ttlMs: 31 * 24 * HOUR } },
    { name: 'a fractional ttl', address: 'a@x.test', options: { ttlMs: 1.5 } },
    { name: 'no ttl', address: 'a@x.test', options: {} as { ttlMs: number } },
  ])('refuses $name with ERR_MAIL_HOOK_INVALID_ARGUMENT', async ({ address, options }) => {
    const book = await open(await tempDir());
    const error = await book.expect(address, options).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TypeError);
    expect(error).toMatchObject({ code: 'ERR_MAIL_HOOK_INVALID_ARGUMENT', name: 'MailHookArgumentError' });
    expect(book.size).toBe(0);
  });

  it('rejects with ERR_MAIL_HOOK_ABORTED and issues nothing when the signal is aborted', async () => {
    const dir = await tempDir();
    const book = await open(dir);
    await expect(book.expect('a@x.test', { ttlMs: HOUR, signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'ERR_MAIL_HOOK_ABORTED' });
    expect(book.size).toBe(0);
  });

  it('refuses with ERR_MAIL_HOOK_CLOSED after close', async () => {
    const book = await open(await tempDir());
    await book.close();
    await expect(book.expect('a@x.test', { ttlMs: HOUR })).rejects.toMatchObject({ code: 'ERR_MAIL_HOOK_CLOSED' });
    expect(() => book.reserve('A'.repeat(43), { addresses: ['a@x.test'] })).toThrow(expect.objectContaining({ code: 'ERR_MAIL_HOOK_CLOSED' }));
  });
});

describe('reserve: single use, expiry, address', () => {
  it('reserves a known nonce once; after consume it is refused as used', async () => {
    const book = await open(await tempDir());
    const nonce = await book.expect('a@x.test', { ttlMs: HOUR });
    const first = book.reserve(nonce, { addresses: ['a@x.test'] });
    expect(first.ok).toBe(true);
    if (!first.ok) return;
    expect(first.reservation.address).toBe('a@x.test');
    expect(first.reservation.nonceLogId).toBe(createHash('sha256').update(nonce).digest('hex').slice(0, 12));
    await first.reservation.consume();
    expect(book.reserve(nonce, { addresses: ['a@x.test'] })).toEqual({ ok: false, reason: 'used' });
    await expect(first.reservation.consume()).rejects.toMatchObject({ code: 'ERR_MAIL_HOOK_INVALID_ARGUMENT' });
  });

  it('holds a nonce for one attempt at a time: a concurrent copy is refused as busy; release makes it usable again', async () => {
    const book = await open(await tempDir());
    const nonce = await book.expect('a@x.test', { ttlMs: HOUR });
    const first = book.reserve(nonce, { addresses: ['a@x.test'] });
    expect(book.reserve(nonce, { addresses: ['a@x.test'] })).toEqual({ ok: false, reason: 'busy' });
    if (!first.ok) throw new Error('expected a reservation');
    first.reservation.release();
    first.reservation.release();
    const again = book.reserve(nonce, { addresses: ['a@x.test'] });
    expect(again.ok).toBe(true);
  });

  it('refuses an unknown nonce, and a malformed one', async () => {
    const book = await open(await tempDir());
    await book.expect('a@x.test', { ttlMs: HOUR });
    expect(book.reserve(Buffer.alloc(32, 7).toString('base64url'), { addresses: ['a@x.test'] })).toEqual({ ok: false, reason: 'unknown' });
    expect(book.reserve('short', { addresses: ['a@x.test'] })).toEqual({ ok: false, reason: 'malformed' });
    expect(book.reserve(`${'A'.repeat(43)}=`, { addresses: ['a@x.test'] })).toEqual({ ok: false, reason: 'malformed' });
  });

  it('refuses a nonce issued for another address', async () => {
    const book = await open(await tempDir());
    const nonce = await book.expect('a@x.test', { ttlMs: HOUR });
    expect(book.reserve(nonce, { addresses: ['b@x.test', 'a@y.test'] })).toEqual({ ok: false, reason: 'wrong-address' });
    expect(book.reserve(nonce, { addresses: [] })).toEqual({ ok: false, reason: 'wrong-address' });
    // Still usable for the right recipient.
    expect(book.reserve(nonce, { addresses: ['b@x.test', 'a@x.test'] }).ok).toBe(true);
  });

  it('compares addresses lower-cased as a whole', async () => {
    const book = await open(await tempDir());
    const nonce = await book.expect('Alice@Example.ORG', { ttlMs: HOUR });
    expect(book.reserve(nonce, { addresses: ['alice@example.org'] }).ok).toBe(true);
  });

  it('refuses a nonce once its time is up (injected clock), and purges it', async () => {
    const clock = manualClock();
    const book = await open(await tempDir(), { now: clock.now });
    const nonce = await book.expect('a@x.test', { ttlMs: 1000 });
    clock.advance(999);
    const held = book.reserve(nonce, { addresses: ['a@x.test'] });
    expect(held.ok).toBe(true);
    if (held.ok) held.reservation.release();
    clock.advance(1);
    expect(book.reserve(nonce, { addresses: ['a@x.test'] })).toEqual({ ok: false, reason: 'expired' });
    expect(book.size).toBe(0);
    expect(book.reserve(nonce, { addresses: ['a@x.test'] })).toEqual({ ok: false, reason: 'unknown' });
  });

  it('keeps a held nonce through its expiry until the attempt settles', async () => {
    const clock = manualClock();
    const book = await open(await tempDir(), { now: clock.now });
    const nonce = await book.expect('a@x.test', { ttlMs: 1000 });
    const held = book.reserve(nonce, { addresses: ['a@x.test'] });
    clock.advance(5000);
    expect(book.size).toBe(1);
    if (!held.ok) throw new Error('expected a reservation');
    await held.reservation.consume();
    expect(book.size).toBe(0);
  });
});

describe('on disk', () => {
  it('keeps pending nonces and used marks across a reopen', async () => {
    const dir = await tempDir();
    const first = await openNonceBook(dir, { caOrigin: CA });
    const pending = await first.expect('a@x.test', { ttlMs: HOUR });
    const used = await first.expect('b@x.test', { ttlMs: HOUR });
    const held = first.reserve(used, { addresses: ['b@x.test'] });
    if (!held.ok) throw new Error('expected a reservation');
    await held.reservation.consume();
    await first.close();

    const second = await open(dir);
    expect(second.size).toBe(2);
    expect(second.reserve(pending, { addresses: ['a@x.test'] }).ok).toBe(true);
    expect(second.reserve(used, { addresses: ['b@x.test'] })).toEqual({ ok: false, reason: 'used' });
  });

  it('writes every nonce of a burst of concurrent expects', async () => {
    const dir = await tempDir();
    const first = await openNonceBook(dir, { caOrigin: CA });
    const nonces = await Promise.all(Array.from({ length: 100 }, (_, i) => first.expect(`u${i}@x.test`, { ttlMs: HOUR })));
    await first.close();
    const second = await open(dir);
    expect(second.size).toBe(100);
    nonces.forEach((nonce, i) => expect(second.reserve(nonce, { addresses: [`u${i}@x.test`] }).ok).toBe(true));
  });

  it('stores digests only: the file holds no nonce in any common spelling', async () => {
    const dir = await tempDir();
    const book = await open(dir);
    const nonces = await Promise.all(Array.from({ length: 5 }, () => book.expect('a@x.test', { ttlMs: HOUR })));
    const text = await readFile(await onlyFile(dir), 'utf8');
    for (const nonce of nonces) {
      const raw = Buffer.from(nonce, 'base64url');
      for (const spelling of [nonce, raw.toString('hex'), raw.toString('base64'), raw.toString('base64').replace(/=+$/, '')]) {
        expect(text).not.toContain(spelling);
      }
      expect(text).toContain(createHash('sha256').update(nonce).digest('base64url'));
    }
  });

  it.skipIf(process.platform === 'win32')('creates the folder 0700 and the file 0600, and narrows an open folder and file', async () => {
    const parent = await tempDir();
    const dir = join(parent, 'nested', 'book');
    const book = await open(dir);
    await book.expect('a@x.test', { ttlMs: HOUR });
    const file = await onlyFile(dir);
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    await book.close();

    await chmod(dir, 0o755);
    await chmod(file, 0o644);
    await open(dir);
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });

  it('leaves no temporary file behind, and removes those a crashed write left', async () => {
    const dir = await tempDir();
    const book = await open(dir);
    await book.expect('a@x.test', { ttlMs: HOUR });
    const name = (await onlyFile(dir)).split('/').pop() ?? '';
    await book.close();
    await writeFile(join(dir, `.${name}.0123456789ab.tmp`), 'half a write');
    await open(dir);
    expect((await readdir(dir)).sort()).toEqual([name, `${name}.lock`]);
  });

  it('is open in one process at a time: a second opening is refused until the first closes; a lock left by a dead process is taken over', async () => {
    const dir = await tempDir();
    const first = await open(dir);
    await first.expect('a@x.test', { ttlMs: HOUR });
    await expect(openNonceBook(dir, { caOrigin: CA })).rejects.toMatchObject({ code: 'ERR_MAIL_HOOK_NONCE_BOOK_LOCKED' });
    // Another process: a child that tries to open the same book.
    const script = `import('${pathToFileURL(join(fileURLToPath(new URL('../dist/index.js', import.meta.url)))).href}').then((m) => m.openNonceBook(process.argv[1], { caOrigin: '${CA}' })).then(() => console.log('opened'), (e) => console.log(e.code))`;
    const other = spawnSync(process.execPath, ['-e', script, dir], { encoding: 'utf8', timeout: 20_000 });
    expect(other.stdout.trim()).toBe('ERR_MAIL_HOOK_NONCE_BOOK_LOCKED');
    await first.close();
    const second = await open(dir);
    await second.close();
    // A lock whose process is gone (a child that exited) does not hold anything.
    const bookName = (await readdir(dir)).find((n) => n.endsWith('.json'));
    expect(bookName).toMatch(/^nonces-[0-9a-f]{16}\.json$/);
    const dead = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' }).stdout.trim();
    await writeFile(join(dir, `${bookName}.lock`), `${dead}\n`);
    const third = await open(dir);
    expect(third.size).toBe(1);
    await third.close();
    expect(await readdir(dir)).toEqual([bookName]);
  });

  it('caps the nonces held; expired ones are purged from memory and file', async () => {
    const clock = manualClock();
    const dir = await tempDir();
    const book = await open(dir, { maxPending: 3, now: clock.now });
    await book.expect('a@x.test', { ttlMs: 1000 });
    await book.expect('b@x.test', { ttlMs: 1000 });
    await book.expect('c@x.test', { ttlMs: 5000 });
    await expect(book.expect('d@x.test', { ttlMs: 1000 })).rejects.toMatchObject({ code: 'ERR_MAIL_HOOK_NONCE_BOOK_FULL', name: 'NonceBookFullError' });
    expect(book.size).toBe(3);
    clock.advance(1000);
    await book.expect('d@x.test', { ttlMs: 1000 });
    expect(book.size).toBe(2);
    const entries = JSON.parse(await readFile(await onlyFile(dir), 'utf8')).entries as { address: string }[];
    expect(entries.map((e) => e.address).sort()).toEqual(['c@x.test', 'd@x.test']);
  });

  it('keeps one file per CA origin: a nonce for one origin is unknown to another', async () => {
    const dir = await tempDir();
    const a = await open(dir);
    const b = await open(dir, { caOrigin: 'https://other-ca.example' });
    const nonce = await a.expect('a@x.test', { ttlMs: HOUR });
    await b.expect('a@x.test', { ttlMs: HOUR });
    expect(b.reserve(nonce, { addresses: ['a@x.test'] })).toEqual({ ok: false, reason: 'unknown' });
    expect((await readdir(dir)).filter((f) => f.endsWith('.json'))).toHaveLength(2);
    expect(a.file).not.toBe(b.file);
  });

  it('refuses a corrupt file with ERR_MAIL_HOOK_NONCE_BOOK_CORRUPT and leaves it as it was', async () => {
    const dir = await tempDir();
    const book = await open(dir);
    await book.expect('a@x.test', { ttlMs: HOUR });
    await book.close();
    const file = await onlyFile(dir);
    for (const text of [
      '{"format":"certwizard-mail-hook-nonces"',
      JSON.stringify({ format: 'certwizard-mail-hook-nonces', version: 1, caOrigin: 'https://evil.example', entries: [] }),
    ]) {
      await writeFile(file, text);
      await expect(openNonceBook(dir, { caOrigin: CA })).rejects.toMatchObject({ code: 'ERR_MAIL_HOOK_NONCE_BOOK_CORRUPT' });
      expect(await readFile(file, 'utf8')).toBe(text);
    }
  });

  it('rejects with ERR_MAIL_HOOK_NONCE_BOOK_STORAGE when the folder is a file', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'file'), '');
    await expect(openNonceBook(join(dir, 'file'), { caOrigin: CA })).rejects.toMatchObject({ code: 'ERR_MAIL_HOOK_NONCE_BOOK_STORAGE' });
  });

  it.skipIf(process.platform === 'win32')('refuses a symbolic link in place of the folder or the file, leaving its target as it was', async () => {
    const dir = await tempDir();
    const elsewhere = join(dir, 'elsewhere');
    const genuine = await open(elsewhere); // a genuine book, to learn its file name
    await genuine.expect('a@x.test', { ttlMs: HOUR });
    await genuine.close();
    const [fileName] = (await readdir(elsewhere)).filter((n) => n.startsWith('nonces-'));
    await symlink(elsewhere, join(dir, 'linked-folder'));
    await expect(openNonceBook(join(dir, 'linked-folder'), { caOrigin: CA })).rejects.toMatchObject({ code: 'ERR_MAIL_HOOK_NONCE_BOOK_STORAGE' });

    const target = join(dir, 'someone-elses.json');
    await writeFile(target, 'not a nonce book', { mode: 0o644 });
    await chmod(target, 0o644);
    const book = join(dir, 'book');
    await mkdir(book, { mode: 0o700 });
    await symlink(target, join(book, fileName as string));
    await expect(openNonceBook(book, { caOrigin: CA })).rejects.toMatchObject({ code: 'ERR_MAIL_HOOK_NONCE_BOOK_STORAGE' });
    expect(await readFile(target, 'utf8')).toBe('not a nonce book');
    expect((await stat(target)).mode & 0o777).toBe(0o644);
  });

  it('does not issue a nonce it could not write', async () => {
    const dir = join(await tempDir(), 'book');
    const book = await open(dir);
    // The folder turns into a file under the book's feet (works as root too, unlike chmod).
    await rm(dir, { recursive: true });
    await writeFile(dir, '');
    await expect(book.expect('a@x.test', { ttlMs: HOUR })).rejects.toMatchObject({ code: 'ERR_MAIL_HOOK_NONCE_BOOK_STORAGE' });
    expect(book.size).toBe(0);
  });
});

describe('openNonceBook: options', () => {
  it.each([
    { name: 'an http origin off loopback', options: { caOrigin: 'http://ca.example' } },
    { name: 'an origin with a path', options: { caOrigin: 'https://ca.example/ca' } },
    { name: 'an origin with credentials', options: { caOrigin: 'https://u:p@ca.example' } },
    { name: 'an origin with a query', options: { caOrigin: 'https://ca.example/?x=1' } },
    { name: 'not a URL', options: { caOrigin: 'ca.example' } },
    { name: 'a zero cap', options: { caOrigin: CA, maxPending: 0 } },
    { name: 'a cap above 100000', options: { caOrigin: CA, maxPending: 100_001 } },
  ])('refuses $name with ERR_MAIL_HOOK_INVALID_ARGUMENT', async ({ options }) => {
    await expect(openNonceBook(await tempDir(), options)).rejects.toMatchObject({ code: 'ERR_MAIL_HOOK_INVALID_ARGUMENT' });
  });

  it('accepts http on loopback and normalizes the origin', async () => {
    const book = await open(await tempDir(), { caOrigin: 'http://127.0.0.1:8025/' });
    expect(book.caOrigin).toBe('http://127.0.0.1:8025');
  });

  it('rejects with ERR_MAIL_HOOK_ABORTED before touching the folder', async () => {
    const dir = join(await tempDir(), 'never');
    await expect(openNonceBook(dir, { caOrigin: CA, signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'ERR_MAIL_HOOK_ABORTED' });
    await expect(stat(dir)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
