/**
 * Test support: what is live, as bytes, so that a refusal can be shown to change nothing, and
 * the invariants every state after a failure must keep. Not part of the package's build.
 */
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { readInstalled } from '../read-installed.js';

const LIVE_FILES = ['privkey.pem', 'cert.pem', 'chain.pem', 'fullchain.pem', 'bundle.p12'];

/** The live link's target and the SHA-256 of every file it shows; `absent` when there is none. */
export function liveSnapshot(baseDir: string, name: string): Record<string, string> {
  const link = join(baseDir, 'live', name);
  let target: string;
  try {
    target = readlinkSync(link);
  } catch {
    return { link: 'absent' };
  }
  const snapshot: Record<string, string> = { link: target };
  for (const file of LIVE_FILES) {
    const path = join(link, file);
    snapshot[file] = existsSync(path) ? createHash('sha256').update(readFileSync(path)).digest('hex') : 'absent';
  }
  return snapshot;
}

/**
 * Asserts the crash-consistency invariants: the live key and certificate parse and match (or
 * nothing is live), every key and bundle in the archive is 0600, every directory 0700.
 * @returns the live version, `undefined` when none.
 */
export async function expectConsistent(baseDir: string, name: string): Promise<number | undefined> {
  const live = await readInstalled(baseDir, name);
  const archive = join(baseDir, 'archive', name);
  if (existsSync(archive)) {
    for (const entry of readdirSync(archive)) {
      const mode = lstatSync(join(archive, entry)).mode & 0o777;
      if (/^(privkey\d+\.pem|bundle\d+\.p12)$/.test(entry)) expect(mode, entry).toBe(0o600);
      if (/^v\d+$/.test(entry)) expect(mode, entry).toBe(0o700);
    }
  }
  for (const dir of ['archive', 'live', join('archive', name)]) {
    if (existsSync(join(baseDir, dir))) expect(lstatSync(join(baseDir, dir)).mode & 0o777, dir).toBe(0o700);
  }
  return live?.version;
}
