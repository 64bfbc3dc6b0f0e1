/**
 * `certwizard enroll --method scep` over the built CLI: the PIN never from argv (`--pin` refused
 * with the reason and what to use), a malformed PIN refused without echoing it, an EC key type
 * refused; and against the reference CA: issued with `--pin-file` and `--ca-fingerprint`, a CA
 * whose fingerprint is not the one given refused before any request, and (without a terminal and
 * without `--ca-fingerprint`) the fingerprints printed and nothing trusted unseen.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parseCertificate, sha256Hex } from '@certwizard/pki';
import { startTestCa, type TestCa } from '@certwizard/server-reference/testing';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { expectBuilt, jsonLines, runCli } from './test-support/run-cli.js';

const CA_BIN = fileURLToPath(new URL('../../../server-reference/dist/bin.js', import.meta.url));
const PIN = 'Zr4Jq0p9uJk7nq3vW1xY2A';

let ca: TestCa | undefined;
const dirs: string[] = [];
beforeAll(() => expectBuilt(['enroll-command', 'scep-pin']));
afterEach(async () => {
  await ca?.dispose();
  ca = undefined;
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'scep-cli-'));
  dirs.push(dir);
  return dir;
}

describe('certwizard enroll --method scep: the PIN and the key', () => {
  it('refuses --pin VALUE, saying why and what to use, and never echoes the value', async () => {
    const run = await runCli(['enroll', '--method', 'scep', '--ca', 'http://127.0.0.1:9/scep', '--dns', 'a.example.org', '--pin', PIN, '--yes']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--pin is refused: a PIN on the command line is visible to every user of this machine/);
    expect(run.stderr).toMatch(/--pin-file FILE/);
    expect(run.stderr).toMatch(/CERTWIZARD_SCEP_PIN/);
    expect(`${run.stdout}${run.stderr}`).not.toContain(PIN);
  });

  it('refuses a malformed PIN from the file or the environment without echoing it', async () => {
    const dir = tempDir();
    const file = join(dir, 'pin');
    writeFileSync(file, 'has a space\n', { mode: 0o600 });
    const where = ['--dir', dir, '--credentials-dir', join(dir, 'cred')];
    const fromFile = await runCli([
      'enroll',
      '--method',
      'scep',
      '--ca',
      'http://127.0.0.1:9/scep',
      '--dns',
      'a.example.org',
      '--pin-file',
      file,
      ...where,
      '--yes',
    ]);
    expect(fromFile.code).toBe(2);
    expect(fromFile.stderr).toMatch(/--pin-file .*: the PIN must be/);
    expect(fromFile.stderr).not.toContain('has a space');
    const fromEnv = await runCli(['enroll', '--method', 'scep', '--ca', 'http://127.0.0.1:9/scep', '--dns', 'a.example.org', ...where, '--yes'], {
      CERTWIZARD_SCEP_PIN: 'x y',
    });
    expect(fromEnv.code).toBe(2);
    expect(fromEnv.stderr).toMatch(/CERTWIZARD_SCEP_PIN: the PIN must be/);
  });

  it('refuses an EC key type and the SCEP flags with another method', async () => {
    const ec = await runCli(['enroll', '--method', 'scep', '--ca', 'http://127.0.0.1:9/scep', '--dns', 'a.example.org', '--key-type', 'p256', '--yes']);
    expect(ec.code).toBe(2);
    expect(ec.stderr).toMatch(/--method scep needs an RSA key/);
    const other = await runCli([
      'enroll',
      '--method',
      'ssl-api',
      '--ca',
      'http://127.0.0.1:9',
      '--dns',
      'a.example.org',
      '--ca-fingerprint',
      'ab'.repeat(32),
      '--yes',
    ]);
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(/--ca-fingerprint goes with --method scep/);
  });
});

describe('certwizard enroll --method scep against the reference CA', () => {
  it('issues with --pin-file and --ca-fingerprint; a wrong fingerprint is refused before any request', async () => {
    ca = await startTestCa({ commonName: 'CLI SCEP Test CA' });
    const { stdout } = await promisify(execFile)(process.execPath, [CA_BIN, 'scep-pin', '--data', ca.dataDir, '--dns', 'cli.example.org', '--ttl', '1h']);
    const dir = tempDir();
    const pinFile = join(dir, 'pin');
    writeFileSync(pinFile, `${stdout.trim()}\n`, { mode: 0o600 });
    const fingerprint = sha256Hex(parseCertificate(ca.caCertPem).der);
    const common = [
      'enroll',
      '--method',
      'scep',
      '--ca',
      `${ca.url}/scep`,
      '--dns',
      'cli.example.org',
      '--dir',
      dir,
      '--credentials-dir',
      join(dir, 'cred'),
      '--json',
    ];
    const wrong = await runCli([...common, '--pin-file', pinFile, '--ca-fingerprint', 'ab'.repeat(32)]);
    expect(wrong.code).toBe(1);
    expect(jsonLines(wrong.stdout).at(-1)).toMatchObject({ type: 'error', code: 'ERR_SDK_SCEP_CA_UNTRUSTED' });
    const unseen = await runCli([...common, '--pin-file', pinFile]);
    expect(jsonLines(unseen.stdout).at(-1)).toMatchObject({ type: 'error', code: 'ERR_SDK_SCEP_CA_UNTRUSTED' });
    // Printed in colon form, as the CA's operator publishes it.
    expect(unseen.stderr).toContain(`CA certificate SHA-256: ${(fingerprint.toUpperCase().match(/../g) ?? []).join(':')}`);
    const good = await runCli([...common, '--pin-file', pinFile, '--ca-fingerprint', fingerprint]);
    expect(good.code, good.stderr).toBe(0);
    const leaf = parseCertificate(readFileSync(join(dir, 'live', 'mail', 'cert.pem'), 'utf8'));
    expect(leaf.subjectAltNames.dns).toEqual(['cli.example.org']);
    expect(leaf.publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
  });
});
