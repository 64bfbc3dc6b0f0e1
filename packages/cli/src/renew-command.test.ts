/**
 * `certwizard renew` through the built CLI against the real reference CA, for a server enrolled
 * with `--method ssl-api` (its client hash kept in the credential store, which renew finds): a
 * certificate not due says until when and sends nothing; `--force` renews it (new key, new
 * serial, the old version kept in archive/); a renewal whose certificate does not chain to
 * `--ca-cert` fails with exit 1, keeps the old pair live, shows in `status` as failed and backs
 * off on the next run; an untracked NAME exits 3; bad usage exits 2. The bin runs the built
 * packages (dist/): `npx tsc -b packages/cli` first.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCertificate } from '@certwizard/pki';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTestCa, type TestCa } from '../../sdk/src/enroll/test-support/reference-ca.js';
import { createTestPki } from '../../sdk/src/install/test-support/test-pki.js';
import { expectBuilt, jsonLines, runCli } from './test-support/run-cli.js';

let ca: TestCa;
let dir: string;
beforeAll(() => expectBuilt(['main', 'renew-command', 'list-commands', 'enroll-command', 'ssl-api-client', 'credentials-option']));
beforeEach(async () => {
  ca = await startTestCa({ retryAfterSeconds: 1 });
  dir = mkdtempSync(join(tmpdir(), 'certwizard-cli-renew-'));
});
afterEach(async () => {
  await ca.dispose();
  rmSync(dir, { recursive: true, force: true });
});

const base = () => ['--dir', join(dir, 'certs'), '--credentials-dir', join(dir, 'secrets')];
const liveSerial = () => parseCertificate(readFileSync(join(dir, 'certs', 'live', 'web', 'cert.pem'), 'utf8')).serialNumberHex;

async function enrollServer(): Promise<void> {
  const got = await runCli(['enroll', '--method', 'ssl-api', '--ca', ca.url, '--dns', 'mail.example.org', '--name', 'web', ...base(), '--json'], {
    CERTWIZARD_SSL_API_CLIENT: 'vendor1',
  });
  expect(got.code, got.stderr).toBe(0);
}

describe('certwizard renew', () => {
  it('says a certificate is not due and until when, sending no request; --force renews it with a new key', async () => {
    await enrollServer();
    const first = liveSerial();
    const notDue = await runCli(['renew', ...base(), '--json']);
    expect(notDue.code, notDue.stderr).toBe(0);
    const [outcome] = jsonLines(notDue.stdout);
    expect(outcome).toMatchObject({ type: 'outcome', name: 'web', status: 'not-due' });
    const dueInDays = (Date.parse(outcome?.dueAt as string) - Date.now()) / 86_400_000;
    expect(dueInDays).toBeGreaterThan(59);
    expect(dueInDays).toBeLessThan(76);
    expect((await ca.counts()).certificates).toBe(1);

    const words = await runCli(['renew', ...base()]);
    expect(words.code).toBe(0);
    expect(words.stderr).toMatch(/^web: not due until \d{4}-\d\d-\d\d \d\d:\d\d UTC \((the CA's renewal window|a third of its lifetime left)\)$/m);
    const listed = await runCli(['list', '--dir', join(dir, 'certs')]);
    expect(listed.stdout).toMatch(/RENEWAL\nweb\s+installed\s+mail\.example\.org\s+\S+\s+\d+\s+due \d{4}-\d\d-\d\d\n/);

    const forced = await runCli(['renew', 'web', '--force', ...base(), '--json']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(jsonLines(forced.stdout)).toEqual([expect.objectContaining({ type: 'outcome', name: 'web', status: 'renewed', previousSerialHex: first })]);
    expect(liveSerial()).not.toBe(first);
    expect(readFileSync(join(dir, 'certs', 'archive', 'web', 'privkey1.pem'), 'utf8')).not.toBe(
      readFileSync(join(dir, 'certs', 'live', 'web', 'privkey.pem'), 'utf8'),
    );
    expect((await ca.counts()).certificates).toBe(2);
  });

  it('fails with exit 1 when the new certificate does not chain to --ca-cert, keeps the old pair, shows it, and backs off', async () => {
    await enrollServer();
    const first = liveSerial();
    writeFileSync(join(dir, 'other-ca.pem'), createTestPki(mkdtempSync(join(dir, 'pki-'))).otherRootPem);
    const failed = await runCli(['renew', '--force', '--ca-cert', join(dir, 'other-ca.pem'), ...base(), '--json']);
    expect(failed.code, failed.stderr).toBe(1);
    expect(jsonLines(failed.stdout)).toEqual([expect.objectContaining({ name: 'web', status: 'failed', code: 'ERR_SDK_INSTALL_CHAIN', failures: 1 })]);
    expect(liveSerial()).toBe(first);
    const status = await runCli(['status', 'web', '--dir', join(dir, 'certs')]);
    expect(status.stdout).toMatch(/^state {9}installed, renewing: issued, installing$/m);
    expect(status.stdout).toMatch(/^renewal failed \(.*ERR_SDK_INSTALL_CHAIN\) at .*1 time\(s\) in a row; next attempt after /m);
    const list = await runCli(['list', '--dir', join(dir, 'certs')]);
    expect(list.stdout).toMatch(/renewal failed \(ERR_SDK_INSTALL_CHAIN\)/);
    // The next run waits for the back-off; it says so and changes nothing.
    const again = await runCli(['renew', ...base()]);
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(/^web: renewal failed earlier \(.*ERR_SDK_INSTALL_CHAIN\); next attempt after .* \(--force tries now\)$/m);
    // Forced with the right anchor (the one the live chain led to), the same certificate goes live.
    const fixed = await runCli(['renew', '--force', ...base(), '--json']);
    expect(fixed.code, fixed.stderr).toBe(0);
    expect(jsonLines(fixed.stdout)[0]).toMatchObject({ status: 'renewed', previousSerialHex: first });
    expect((await ca.counts()).certificates).toBe(2);
  });

  it('exits 3 for a NAME nothing tracks and 2 for bad usage, changing nothing', async () => {
    const unknown = await runCli(['renew', 'nothing', ...base(), '--json']);
    expect(unknown.code).toBe(3);
    expect(jsonLines(unknown.stdout)[0]).toMatchObject({ type: 'error', code: 'ERR_SDK_NOT_ENROLLED' });
    expect((await runCli(['renew', 'a', 'b', ...base()])).code).toBe(2);
    expect((await runCli(['renew', '--wait', 'soon', ...base()])).code).toBe(2);
    expect((await runCli(['renew', 'Not/A/Name', ...base()])).code).toBe(2);
    expect(existsSync(join(dir, 'certs', 'enrollments'))).toBe(false);
  });
});
