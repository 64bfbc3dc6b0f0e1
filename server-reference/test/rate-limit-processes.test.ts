/**
 * Rate limits are kept in the database (migration 10), so two CA processes that share one data
 * directory enforce one limit between them: a client cannot double its allowance by spreading
 * its requests over the processes behind a load balancer. One CA runs in this process, the
 * other is the built `certwizard-ca serve` in a child process, on the same database.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ServeProcess, startServe } from './support/run-bin.js';
import { startTestCa, type TestCa } from './support/test-ca.js';

/** The default per-client limit of givemeaticket: a burst of 10, then one per 6 s. */
const CAPACITY = 10;
const REFILL_MS = 6000;

let ca: TestCa;
let other: ServeProcess | undefined;
beforeEach(async () => {
  ca = await startTestCa();
});
afterEach(async () => {
  await other?.stop();
  other = undefined;
  await ca.dispose();
});

describe('a rate limit across two CA processes sharing one database', () => {
  it('givemeaticket, asked of each process in turn, is limited to one burst in total', async () => {
    other = await startServe(['serve', '--identity', ca.identityDir, '--data', ca.dataDir, '--listen', '127.0.0.1:0'], {
      env: { CA_PASSPHRASE: 'test-ca-passphrase' },
    });
    const urls = [ca.url, other.url];
    const startedAt = Date.now();
    const statuses: number[][] = [[], []];
    // Each process alone would allow all 2 * CAPACITY requests of this client (CAPACITY each).
    for (let i = 0; i < 2 * CAPACITY; i++) {
      const res = await fetch(`${urls[i % 2]}/index.php?id=givemeaticket`);
      await res.arrayBuffer();
      statuses[i % 2]?.push(res.status);
    }
    const refilled = Math.floor((Date.now() - startedAt) / REFILL_MS);
    const allowed = statuses.flat().filter((s) => s === 200).length;
    expect(allowed).toBeGreaterThanOrEqual(CAPACITY);
    expect(allowed).toBeLessThanOrEqual(CAPACITY + refilled);
    expect(statuses.flat().filter((s) => s !== 200 && s !== 429)).toEqual([]);
    // Both processes refused: each counted the other's requests.
    expect(statuses[0]).toContain(429);
    expect(statuses[1]).toContain(429);
    expect((await ca.counts()).tickets).toBe(allowed);
  });
});
