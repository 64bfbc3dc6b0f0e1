/**
 * `GET /healthz` answers 503 with a reason when the CA could not keep what it is asked to keep:
 * its data directory takes no new file, or its database cannot be written. The check writes and
 * removes a probe file in the data directory, at most once per cache period (injected clock).
 *
 * How the test makes the directory refuse the probe: tests run as root, and root ignores mode
 * bits, so `chmod 0500` would prove nothing; a read-only bind mount or `chattr +i` needs
 * capabilities (CAP_SYS_ADMIN, CAP_LINUX_IMMUTABLE) that many containers drop. A directory put
 * where the probe file goes makes the probe's open fail (EISDIR) for any user on any file system,
 * through the same path as EROFS or EACCES would: the open for writing throws.
 */
import { mkdirSync, readdirSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { dbSnapshot } from './support/ping-client.js';
import { startTestCa, type TestCa } from './support/test-ca.js';

/** Name of the probe file in the data directory (server-reference/src/store/data-dir-health.ts). */
const PROBE = '.healthz-probe';
/** How long a health answer is reused, in ms (HEALTH_CACHE_MS_DEFAULT). */
const CACHE_MS = 5000;

let ca: TestCa | undefined;
afterEach(async () => {
  await ca?.dispose();
  ca = undefined;
});

async function healthz(c: TestCa): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`${c.url}/healthz`);
  return { status: res.status, json: await res.json() };
}

describe('GET /healthz', () => {
  it('answers ok and leaves the data directory and the database as they were', async () => {
    ca = await startTestCa();
    const files = readdirSync(ca.dataDir).sort();
    const rows = await dbSnapshot(ca);
    expect(await healthz(ca)).toEqual({ status: 200, json: { status: 'ok' } });
    expect(readdirSync(ca.dataDir).sort()).toEqual(files);
    expect(await dbSnapshot(ca)).toEqual(rows);
  });

  it('answers 503 data_dir_not_writable once the data directory refuses a new file, and ok once it takes one again', async () => {
    let now = Date.UTC(2030, 0, 1);
    ca = await startTestCa({ now: () => now });
    expect(await healthz(ca)).toEqual({ status: 200, json: { status: 'ok' } });

    mkdirSync(join(ca.dataDir, PROBE));
    // Within the cache period the last answer stands: a burst of probes costs one write.
    now += CACHE_MS - 1;
    expect((await healthz(ca)).status).toBe(200);
    now += 1;
    const rows = await dbSnapshot(ca);
    expect(await healthz(ca)).toEqual({
      status: 503,
      json: { status: 'unhealthy', reason: 'data_dir_not_writable', message: expect.stringContaining('EISDIR') },
    });
    expect(await dbSnapshot(ca)).toEqual(rows);

    rmdirSync(join(ca.dataDir, PROBE));
    expect((await healthz(ca)).status).toBe(503);
    now += CACHE_MS;
    expect(await healthz(ca)).toEqual({ status: 200, json: { status: 'ok' } });
    expect(readdirSync(ca.dataDir)).not.toContain(PROBE);
  });
});
