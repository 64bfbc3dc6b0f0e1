/**
 * The proxy's RA identity and queue on disk: made once with private modes, reused after a
 * restart, an incomplete identity refused rather than replaced, the queue persisted, bounded
 * and aged, and a damaged queue file refused.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ProxyQueue, QUEUE_FILE } from './proxy-queue.js';
import { loadOrCreateRaIdentity, RA_FILES } from './ra-identity.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'certwizard-scep-proxy-ra-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('loadOrCreateRaIdentity', () => {
  it('makes an RSA-2048 RA certificate (keyEncipherment, not a CA) issued by a local CA, with 0700/0600 modes, and reuses it', async () => {
    const state = join(dir, 'state');
    const first = await loadOrCreateRaIdentity(state);
    expect(statSync(state).mode & 0o777).toBe(0o700);
    expect(statSync(join(state, RA_FILES.raKey)).mode & 0o777).toBe(0o600);
    expect(statSync(join(state, RA_FILES.localCaKey)).mode & 0o777).toBe(0o600);
    expect(first.raPrivateKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
    expect(first.raCertificate.keyUsage).toEqual(expect.arrayContaining(['keyEncipherment', 'digitalSignature']));
    expect(first.raCertificate.isCa).toBe(false);
    expect(first.localCaCertificate.isCa).toBe(true);
    // openssl agrees that the local CA issued the RA certificate.
    const out = execFileSync('openssl', ['verify', '-CAfile', join(state, RA_FILES.localCaCert), join(state, RA_FILES.raCert)], { encoding: 'utf8' });
    expect(out).toContain(': OK');

    const again = await loadOrCreateRaIdentity(state);
    expect(again.raCertificate.fingerprintSha256).toBe(first.raCertificate.fingerprintSha256);
    expect(again.raPrivateKey.export({ type: 'pkcs8', format: 'der' })).toEqual(first.raPrivateKey.export({ type: 'pkcs8', format: 'der' }));
  });

  it('refuses an identity with a file missing instead of replacing what devices pinned', async () => {
    await loadOrCreateRaIdentity(dir);
    const certBefore = readFileSync(join(dir, RA_FILES.raCert), 'utf8');
    unlinkSync(join(dir, RA_FILES.raKey));
    await expect(loadOrCreateRaIdentity(dir)).rejects.toMatchObject({ code: 'ERR_SDK_SCEP_PROXY' });
    expect(readFileSync(join(dir, RA_FILES.raCert), 'utf8')).toBe(certBefore);
  });
});

describe('ProxyQueue', () => {
  const entry = (n: number, createdAtMs: number) => ({ transactionId: `t${n}`, requestId: `r${n}`, createdAtMs, signerKeySha256: 'ab'.repeat(32) });
  const limits = { maxEntries: 2, maxAgeMs: 1_000 };

  it('persists entries across a restart, 0600, and stays bounded', () => {
    const queue = new ProxyQueue(dir, limits, 10_000);
    expect(queue.hasRoom(10_000)).toBe(true);
    queue.add(entry(1, 10_000));
    queue.add(entry(2, 10_000));
    expect(queue.hasRoom(10_000)).toBe(false);
    expect(statSync(join(dir, QUEUE_FILE)).mode & 0o777).toBe(0o600);

    const restarted = new ProxyQueue(dir, limits, 10_500);
    expect(restarted.get('t1')).toEqual(entry(1, 10_000));
    expect(restarted.size).toBe(2);
    // Older than maxAgeMs: forgotten, which frees room, and the file says so.
    expect(restarted.hasRoom(11_001)).toBe(true);
    expect(restarted.get('t1')).toBeUndefined();
    expect(JSON.parse(readFileSync(join(dir, QUEUE_FILE), 'utf8'))).toEqual([]);
  });

  it('refuses a damaged queue file rather than forgetting the devices waiting on it', () => {
    writeFileSync(join(dir, QUEUE_FILE), JSON.stringify([{ transactionId: 't1' }]));
    expect(() => new ProxyQueue(dir, limits, 0)).toThrow(expect.objectContaining({ code: 'ERR_SDK_SCEP_PROXY' }));
    writeFileSync(join(dir, QUEUE_FILE), '{}');
    expect(() => new ProxyQueue(dir, limits, 0)).toThrow(expect.objectContaining({ code: 'ERR_SDK_SCEP_PROXY' }));
  });
});
