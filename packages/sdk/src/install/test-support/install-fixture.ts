/**
 * Test support: the hooks most install tests start with, a test PKI made once for the file and
 * a fresh base directory for each test, both removed afterwards. Not part of the package's build.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { createTestPki, type TestPki } from './test-pki.js';

/** What the hooks made; read it inside tests (the getters answer the current test's values). */
export interface InstallFixture {
  readonly pki: TestPki;
  /** This test's base directory, empty at the start, mode 0700. */
  readonly base: string;
}

/** Registers the hooks in the calling test file; `prefix` names its temporary directories. */
export function useInstallFixture(prefix: string): InstallFixture {
  let pkiDir: string | undefined;
  let pki: TestPki | undefined;
  let base: string | undefined;
  beforeAll(() => {
    pkiDir = mkdtempSync(join(tmpdir(), 'install-pki-'));
    pki = createTestPki(pkiDir);
  });
  afterAll(() => {
    if (pkiDir !== undefined) rmSync(pkiDir, { recursive: true, force: true });
  });
  beforeEach(() => {
    base = mkdtempSync(join(tmpdir(), prefix));
  });
  afterEach(() => {
    if (base !== undefined) rmSync(base, { recursive: true, force: true });
  });
  const made = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`${what} is made by the hooks: read it inside a test`);
    return value;
  };
  return {
    get pki() {
      return made(pki, 'pki');
    },
    get base() {
      return made(base, 'base');
    },
  };
}
