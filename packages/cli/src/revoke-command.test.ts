/**
 * `certwizard enroll --method ssl-api` and `certwizard revoke` through the built CLI against the
 * real reference CA: a server enrolls without a browser (the client hash from the environment or
 * a file, never argv, kept in the credential store), `revoke --yes` gets it onto the CA's CRL with
 * its reason and moves live/NAME aside, `list` and `status` show it revoked, a second revoke
 * changes nothing; the refusals (no terminal without --yes, an untracked name, bad usage) change
 * nothing. The bin runs the built packages (dist/): `npx tsc -b packages/cli` first.
 */
import { existsSync, lstatSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCertificate } from '@certwizard/pki';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openFileStore } from '../../sdk/src/credentials/file-store.js';
import { crlEntry, startTestCa, type TestCa } from '../../sdk/src/enroll/test-support/reference-ca.js';
import { revocationSecretKey } from '../../sdk/src/flow/revocation-secrets.js';
import { cliCommand, expectBuilt, jsonLines, onTerminal, runCli, runCommand, type CliRun } from './test-support/run-cli.js';

const RUN_TIMEOUT_MS = 40_000;
const CLIENT = 'vendor1';

let ca: TestCa;
let dir: string;
beforeAll(() => expectBuilt(['main', 'enroll-command', 'revoke-command', 'list-commands', 'ssl-api-client', 'credentials-option']));
beforeEach(async () => {
  ca = await startTestCa({ retryAfterSeconds: 1 });
  dir = mkdtempSync(join(tmpdir(), 'certwizard-cli-revoke-'));
});
afterEach(async () => {
  await ca.dispose();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs the built CLI with `args`, stdin closed (no terminal), in a bounded time. */
const cli = (args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> => runCli(args, env, RUN_TIMEOUT_MS);

/** Runs the built CLI on a pseudo-terminal, typing `answer` once `prompt` shows. */
function typingOnTerminal(args: string[], prompt: RegExp, answer: string): Promise<CliRun> {
  let typed = false;
  return runCommand(onTerminal(cliCommand(...args)), {
    timeoutMs: RUN_TIMEOUT_MS,
    onOutput: (all, write) => {
      if (typed || !prompt.test(all)) return;
      typed = true;
      setTimeout(() => write(answer), 50);
    },
  });
}

const lines = jsonLines;
const base = () => ['--dir', join(dir, 'certs'), '--credentials-dir', join(dir, 'secrets')];

/** `enroll --method ssl-api` of mail.example.org under the name `web`; the client hash from the environment. */
async function enrollServer(): Promise<{ serialHex: string; certPem: string }> {
  const got = await cli(['enroll', '--method', 'ssl-api', '--ca', ca.url, '--dns', 'mail.example.org', '--name', 'web', ...base(), '--json'], {
    CERTWIZARD_SSL_API_CLIENT: CLIENT,
  });
  expect(got.code, got.stderr).toBe(0);
  const certPem = readFileSync(join(dir, 'certs', 'live', 'web', 'cert.pem'), 'utf8');
  return { serialHex: parseCertificate(certPem).serialNumberHex, certPem };
}

describe('certwizard enroll --method ssl-api', () => {
  it('gets a server certificate without a browser or registration, and keeps the client hash out of every file but the credential store', async () => {
    const before = await ca.counts();
    const got = await cli(['enroll', '--method', 'ssl-api', '--ca', ca.url, '--dns', 'mail.example.org', '--name', 'web', ...base(), '--json'], {
      CERTWIZARD_SSL_API_CLIENT: CLIENT,
    });
    expect(got.code, got.stderr).toBe(0);
    const events = lines(got.stdout);
    expect(events.some((e) => e.type === 'registration' || e.type === 'registration-url')).toBe(false);
    expect(events.at(-1)).toMatchObject({ type: 'result', installed: { name: 'web', names: ['mail.example.org'] } });
    const leaf = parseCertificate(readFileSync(join(dir, 'certs', 'live', 'web', 'cert.pem'), 'utf8'));
    expect(leaf.subjectAltNames.dns).toEqual(['mail.example.org']);
    expect((await ca.certificate(leaf.serialNumberHex))?.requester).toContain(CLIENT);
    // No account was made: ssl_api has none.
    expect(await ca.counts()).toMatchObject({ accounts: before.accounts, installation_tokens: before.installation_tokens });
    const state = readFileSync(join(dir, 'certs', 'enrollments', 'web.json'), 'utf8');
    expect(JSON.parse(state)).toMatchObject({ step: 'done', method: { name: 'ssl-api' } });
    expect(state).not.toContain(CLIENT);
    expect(readFileSync(join(dir, 'secrets', 'credentials.json'), 'utf8')).toContain(CLIENT);
  });

  it('takes the client hash from --client-file; refuses a missing one, a malformed one (not echoed) and the registration flags', async () => {
    writeFileSync(join(dir, 'client'), `${CLIENT}\n`, { mode: 0o600 });
    const ok = await cli([
      'enroll',
      '--method',
      'ssl-api',
      '--ca',
      ca.url,
      '--dns',
      'mail.example.org',
      '--name',
      'web',
      ...base(),
      '--client-file',
      join(dir, 'client'),
      '--yes',
    ]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stderr).toContain('Installed');

    const fresh = ['--dir', join(dir, 'other'), '--credentials-dir', join(dir, 'other-secrets')];
    const missing = await cli(['enroll', '--method', 'ssl-api', '--ca', ca.url, '--dns', 'mail.example.org', ...fresh, '--yes']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('CERTWIZARD_SSL_API_CLIENT');
    const bad = await cli(['enroll', '--method', 'ssl-api', '--ca', ca.url, '--dns', 'mail.example.org', ...fresh, '--yes'], {
      CERTWIZARD_SSL_API_CLIENT: 'not/a-hash-secret42',
    });
    expect(bad.code).toBe(2);
    expect(bad.stderr).not.toContain('not/a-hash-secret42');
    for (const flags of [['--first-name', 'Ada'], ['--domain-method', 'dns'], ['--no-browser']]) {
      const refused = await cli(['enroll', '--method', 'ssl-api', '--ca', ca.url, '--dns', 'mail.example.org', ...fresh, '--yes', ...flags], {
        CERTWIZARD_SSL_API_CLIENT: CLIENT,
      });
      expect(refused.code, flags.join(' ')).toBe(2);
    }
    const noDns = await cli(['enroll', '--method', 'ssl-api', '--ca', ca.url, '--email', 'ada@example.org', ...fresh, '--yes'], {
      CERTWIZARD_SSL_API_CLIENT: CLIENT,
    });
    expect(noDns.code).toBe(2);
    expect((await cli(['enroll', '--method', 'scep', '--ca', ca.url, ...fresh, '--yes'])).code).toBe(2);
    expect(existsSync(join(dir, 'other', 'live'))).toBe(false);
  });
});

describe('certwizard revoke', () => {
  it("revokes with --yes: on the CA's CRL with the reason, live/NAME moved to revoked/, list and status say revoked, a rerun changes nothing", async () => {
    const { serialHex, certPem } = await enrollServer();
    const got = await cli(['revoke', 'web', '--reason', 'keyCompromise', '--yes', ...base().slice(0, 2), '--credentials-dir', join(dir, 'secrets')]);
    expect(got.code, got.stderr).toBe(0);
    expect(got.stderr).toContain(`Revoked: web, serial ${serialHex} (keyCompromise)`);
    expect((await crlEntry(ca, serialHex))?.reason).toBe('keyCompromise');
    expect(() => lstatSync(join(dir, 'certs', 'live', 'web'))).toThrow();
    const moved = join(dir, 'certs', 'revoked', `web-${serialHex}`);
    expect(readlinkSync(moved)).toMatch(/^\.\.\/archive\/web\/v1$/);
    expect(readFileSync(join(moved, 'cert.pem'), 'utf8')).toBe(certPem);

    const list = await cli(['list', '--dir', join(dir, 'certs')]);
    expect(list.stdout).toMatch(new RegExp(`^web\\s+revoked \\d{4}-\\d\\d-\\d\\d \\(keyCompromise\\)`, 'm'));
    const status = await cli(['status', 'web', '--dir', join(dir, 'certs')]);
    expect(status.stdout).toContain(`serial ${serialHex}`);
    expect(status.stdout).toContain(`moved to      ${moved}`);
    const statusJson = JSON.parse((await cli(['status', 'web', '--dir', join(dir, 'certs'), '--json'])).stdout) as Record<string, unknown>;
    expect(statusJson).toMatchObject({ state: 'revoked', revoked: { serialHex, reason: 'keyCompromise', movedTo: moved } });

    const counts = await ca.counts();
    const again = await cli(['revoke', 'web', '--yes', '--json', ...base()]);
    expect(again.code, again.stderr).toBe(0);
    expect(lines(again.stdout).at(-1)).toMatchObject({ type: 'result', serialHex, reason: 'keyCompromise', alreadyDone: true });
    expect(await ca.counts()).toEqual(counts);
  });

  it('on a terminal: shows the certificate, its serial and what happens, and revokes only on yes', async () => {
    const { serialHex } = await enrollServer();
    const declined = await typingOnTerminal(['revoke', 'web', '--reason', 'superseded', ...base()], /Revoke web\?/, 'n\r');
    expect(declined.code, declined.stdout).toBe(1);
    expect(declined.stdout).toContain(`serial    ${serialHex}`);
    expect(declined.stdout).toContain('names     mail.example.org');
    expect(declined.stdout).toContain(`will be moved to ${join(dir, 'certs', 'revoked')}/web-${serialHex}`);
    expect(declined.stdout).toContain('Nothing was revoked.');
    expect(await crlEntry(ca, serialHex)).toBeUndefined();
    expect(lstatSync(join(dir, 'certs', 'live', 'web')).isSymbolicLink()).toBe(true);

    const confirmed = await typingOnTerminal(['revoke', 'web', '--reason', 'superseded', ...base()], /Revoke web\?/, 'y\r');
    expect(confirmed.code, confirmed.stdout).toBe(0);
    expect((await crlEntry(ca, serialHex))?.reason).toBe('superseded');
  });

  it('with --json: the revoking and revoked events, then the result', async () => {
    const { serialHex } = await enrollServer();
    const got = await cli(['revoke', 'web', '--reason', 'superseded', '--yes', '--json', ...base()]);
    expect(got.code, got.stderr).toBe(0);
    expect(lines(got.stdout).map((e) => e.type)).toEqual(['revoking', 'revoked', 'result']);
    expect(lines(got.stdout)[2]).toMatchObject({ serialHex, reason: 'superseded', caStatus: 'revoked', alreadyDone: false });
  });

  it('refuses without a terminal unless --yes, an untracked name (exit 3), a bad reason, --json without --yes: nothing revoked, nothing moved', async () => {
    const { serialHex } = await enrollServer();
    const noTerminal = await cli(['revoke', 'web', ...base()]);
    expect(noTerminal.code).toBe(2);
    expect(noTerminal.stderr).toContain('pass --yes');
    expect((await cli(['revoke', 'web', '--json', ...base()])).code).toBe(2);
    expect((await cli(['revoke', 'web', '--reason', 'certificateHold', '--yes', ...base()])).code).toBe(2);
    expect((await cli(['revoke', '--yes', ...base()])).code).toBe(2);
    const unknown = await cli(['revoke', 'mail', '--yes', '--json', ...base()]);
    expect(unknown.code).toBe(3);
    expect(lines(unknown.stdout)[0]).toMatchObject({ type: 'error', code: 'ERR_SDK_NOT_ENROLLED' });
    expect(await crlEntry(ca, serialHex)).toBeUndefined();
    expect(lstatSync(join(dir, 'certs', 'live', 'web')).isSymbolicLink()).toBe(true);
  });

  it("the CA's no: exit 1 with its code and what to check, the live files stay", async () => {
    const { serialHex } = await enrollServer();
    // Another client's hash (unknown_certificate), and the CA's clock ten minutes ahead, outside
    // the five minutes in which it takes the request signed with the live key.
    await ca.advanceClock(10 * 60_000);
    // And without the certificate's kept revocation secret, which would revoke it.
    const secrets = await openFileStore({ dir: join(dir, 'secrets') });
    expect(await secrets.delete(revocationSecretKey(new URL(ca.url).origin, 'web', serialHex))).toBe(true);
    writeFileSync(join(dir, 'other-client'), 'vendor2\n');
    const got = await cli(['revoke', 'web', '--yes', ...base(), '--client-file', join(dir, 'other-client')]);
    expect(got.code).toBe(1);
    expect(got.stderr).toContain('ERR_SDK_REVOKE_REFUSED');
    expect(got.stderr).not.toContain('vendor2');
    expect(await crlEntry(ca, serialHex)).toBeUndefined();
    expect(lstatSync(join(dir, 'certs', 'live', 'web')).isSymbolicLink()).toBe(true);
  });
});
