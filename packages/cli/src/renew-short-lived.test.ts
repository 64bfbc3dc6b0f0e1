/**
 * One real short-lived run, no clock moved: a reference CA issuing 5-minute certificates
 * (`--validity 5m`), a server enrolled through the built CLI (`--method ssl-api`), then
 * `certwizard renew` before the window (not due, nothing sent) and again once the due time it
 * announced has passed (renewed: a new certificate, valid for 5 minutes from then). It waits in
 * real time until the announced due time, at most five sixths of the lifetime (4 min 10 s).
 * The bin runs the built packages (dist/): `npx tsc -b packages/cli` first.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseCertificate } from '@certwizard/pki';
import { startTestCa, type TestCa } from '@certwizard/server-reference/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectBuilt, jsonLines, runCli } from './test-support/run-cli.js';

const LIFETIME_MS = 5 * 60_000;

let ca: TestCa;
let dir: string;
beforeAll(async () => {
  expectBuilt(['main', 'renew-command', 'enroll-command']);
  ca = await startTestCa({ commonName: 'Short-lived Test CA', validity: '5m' });
  dir = mkdtempSync(join(tmpdir(), 'certwizard-cli-short-'));
});
afterAll(async () => {
  await ca?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

const base = () => ['--dir', join(dir, 'certs'), '--credentials-dir', join(dir, 'secrets')];
const live = () => parseCertificate(readFileSync(join(dir, 'certs', 'live', 'web', 'cert.pem'), 'utf8'));

describe('certwizard renew with 5-minute certificates, in real time', () => {
  it('is not due at first, and renews once the due time it announced has passed', { timeout: 7 * 60_000 }, async () => {
    const enrolled = await runCli(['enroll', '--method', 'ssl-api', '--ca', ca.url, '--dns', 'mail.example.org', '--name', 'web', ...base(), '--json'], {
      CERTWIZARD_SSL_API_CLIENT: 'vendor1',
    });
    expect(enrolled.code, enrolled.stderr).toBe(0);
    const first = live();
    // Valid for five minutes from issuance (the CA may start it a little earlier, for clocks behind its own).
    expect(first.notAfter.getTime() - Date.now()).toBeLessThanOrEqual(LIFETIME_MS);

    const before = await runCli(['renew', ...base(), '--json']);
    expect(before.code, before.stderr).toBe(0);
    const [notDue] = jsonLines(before.stdout);
    expect(notDue).toMatchObject({ name: 'web', status: 'not-due' });
    const dueAt = Date.parse(notDue?.dueAt as string);
    // Inside the last third of the lifetime, before five sixths of it.
    expect(dueAt).toBeGreaterThanOrEqual(first.notBefore.getTime() + ((first.notAfter.getTime() - first.notBefore.getTime()) * 2) / 3 - 1000);
    expect(dueAt).toBeLessThanOrEqual(first.notBefore.getTime() + ((first.notAfter.getTime() - first.notBefore.getTime()) * 5) / 6 + 1000);
    expect((await ca.counts()).certificates).toBe(1);

    const waitMs = dueAt - Date.now() + 1000;
    expect(waitMs).toBeLessThan(LIFETIME_MS);
    await sleep(Math.max(0, waitMs));

    const after = await runCli(['renew', ...base(), '--json']);
    expect(after.code, after.stderr).toBe(0);
    expect(jsonLines(after.stdout)[0]).toMatchObject({ name: 'web', status: 'renewed', previousSerialHex: first.serialNumberHex });
    const renewed = live();
    expect(renewed.serialNumberHex).not.toBe(first.serialNumberHex);
    expect(renewed.notAfter.getTime()).toBeGreaterThan(first.notAfter.getTime());
    expect(renewed.notAfter.getTime()).toBeGreaterThan(Date.now());
    expect((await ca.counts()).certificates).toBe(2);
  });
});
