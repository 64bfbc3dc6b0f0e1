/**
 * Regression: with another process holding the database's write lock, a write through the
 * CA waits for it (the busy timeout) instead of answering 500 at once. A deferred transaction
 * that reads first cannot wait: SQLite refuses to upgrade a read to a write while another
 * connection writes, without calling the busy handler. Immediate transactions take the write
 * lock up front, where the busy timeout applies.
 *
 * The one exception to "tests talk to the CA through HTTP and its management server, never by
 * opening its database file": a second writer on that file, in another process, is the situation
 * under test.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { generateKeyPair } from '@certwizard/pki';
import { DATABASE_FILE } from '@certwizard/server-reference';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { goodCsrDer } from '../../packages/pki/src/test-support/bad-csrs.js';
import { pemOf } from '../../packages/pki/src/test-support/raw-csr.js';
import { putCsr, startTestCa, type TestCa } from './support/test-ca.js';

/** How long the other process keeps the lock, in ms: well under the CA's 5 s busy timeout. */
const HOLD_MS = 1000;

/**
 * The other process: takes the write lock, says so on stdout, keeps it for HOLD_MS, commits
 * and says so. Its own timer, not the test's: while the CA waits for the lock, the CA (in this
 * process) blocks this process's event loop.
 */
const LOCK_HOLDER = `
const Database = require(process.argv[1]);
const db = new Database(process.argv[2]);
db.exec('BEGIN IMMEDIATE');
process.stdout.write('locked\\n');
setTimeout(() => {
  db.exec('COMMIT');
  db.close();
  process.stdout.write('released ' + Date.now() + '\\n');
}, Number(process.argv[3]));
`;

let ca: TestCa;
let holder: ChildProcess | undefined;
beforeEach(async () => {
  ca = await startTestCa();
});
afterEach(async () => {
  if (holder && holder.exitCode === null && holder.signalCode === null) {
    holder.kill('SIGKILL');
    await once(holder, 'close');
  }
  holder = undefined;
  await ca.dispose();
});

/** Starts the lock holder on the CA's database; resolves once it holds the lock, with its later lines. */
async function holdWriteLock(dbFile: string): Promise<{ lines: AsyncIterator<string>; exited: Promise<unknown> }> {
  const sqlite = createRequire(import.meta.url).resolve('better-sqlite3');
  const child = spawn(process.execPath, ['-e', LOCK_HOLDER, sqlite, dbFile, String(HOLD_MS)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  holder = child;
  const exited = once(child, 'close');
  const lines = createInterface({ input: child.stdout as NonNullable<typeof child.stdout> })[Symbol.asyncIterator]();
  const first = await lines.next();
  expect(first.value).toBe('locked');
  return { lines, exited };
}

describe('a write while another process holds the write lock', () => {
  it('PUT /api/csr waits for the lock and signs, instead of answering 500', async () => {
    // A first request loads what the endpoint needs, so the one under test reaches the database
    // within milliseconds, while the lock is held.
    expect((await putCsr(ca, pemOf(goodCsrDer(generateKeyPair('p256').privateKey)))).status).toBe(200);
    const before = await ca.counts();
    const { lines, exited } = await holdWriteLock(join(ca.dataDir, DATABASE_FILE));
    const sentAt = Date.now();
    const res = await putCsr(ca, pemOf(goodCsrDer(generateKeyPair('p256').privateKey)));
    const answeredAt = Date.now();
    const released = await lines.next();
    await exited;
    expect({ status: res.status, error: res.json.error }).toEqual({ status: 200, error: undefined });
    expect(released.value).toMatch(/^released \d+$/);
    const releasedAt = Number(String(released.value).split(' ')[1]);
    // The request went out while the lock had most of its time left, and was answered only
    // after the other process let go: the CA waited for the lock.
    expect(releasedAt - sentAt).toBeGreaterThan(HOLD_MS / 2);
    expect(answeredAt).toBeGreaterThanOrEqual(releasedAt);
    expect(await ca.counts()).toEqual({ ...before, certificates: before.certificates + 1, revocation_secrets: before.revocation_secrets + 1 });
  });
});
