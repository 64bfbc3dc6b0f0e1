/**
 * `certwizard scep-proxy` (the built CLI) against the real reference CA, with certmonger 0.79 as
 * the device: `getcert add-scep-ca -u <proxy>/scep` and `getcert request -w` end CA_WORKING (the
 * proxy forwarded the request with the installation token; it waits for the owner), the owner
 * approves it on the account page, `getcert refresh` resends the PKCSReq and the request ends
 * MONITORING with a certificate of the CA that openssl verifies. Also: the usage refusals, and a
 * non-loopback --listen without --allow-network.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { startCertmonger, type Certmonger } from '@certwizard/server-reference/testing';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openFileStore } from '../../sdk/src/credentials/file-store.js';
import { accountWithToken, approveOnAccountPage, EMAIL, startTestCa, type TestCa } from '../../sdk/src/enroll/test-support/reference-ca.js';
import { installationTokenKey } from '../../sdk/src/methods/cacert/credential-keys.js';
import { cliCommand, expectBuilt, jsonLines, runCli, runCommand } from './test-support/run-cli.js';

let dir: string;
let ca: TestCa;

beforeAll(() => expectBuilt(['scep-proxy-command', 'main']));
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'certwizard-cli-scep-proxy-'));
  ca = await startTestCa({ retryAfterSeconds: 1 });
});
afterEach(async () => {
  await ca.dispose();
  rmSync(dir, { recursive: true, force: true });
});

const common = () => ['--ca', ca.url, '--dir', join(dir, 'certs'), '--credentials-dir', join(dir, 'secrets'), '--state-dir', join(dir, 'proxy')];

describe('certwizard scep-proxy', () => {
  it('refuses bad usage and a non-loopback address without --allow-network, before listening', async () => {
    const noListen = await runCli(['scep-proxy', '--ca', ca.url]);
    expect(noListen.code).toBe(2);
    expect(noListen.stderr).toContain('--listen HOST:PORT is required');
    const badListen = await runCli(['scep-proxy', '--listen', 'nowhere', '--ca', ca.url]);
    expect(badListen.code).toBe(2);
    const network = await runCli(['scep-proxy', '--listen', '0.0.0.0:0', ...common(), '--json']);
    expect(network.code).toBe(1);
    expect(jsonLines(network.stdout)).toEqual([expect.objectContaining({ type: 'error', code: 'ERR_SDK_SCEP_PROXY' })]);
  });

  it('fails with ERR_SDK_SCEP_PROXY when this installation has no token for the CA', async () => {
    const run = await runCli(['scep-proxy', '--listen', '127.0.0.1:0', ...common(), '--json']);
    expect(run.code).toBe(1);
    expect(jsonLines(run.stdout)[0]).toMatchObject({ type: 'error', code: 'ERR_SDK_SCEP_PROXY' });
    expect(run.stdout + run.stderr).toContain('no installation token');
  });

  describe('with certmonger as the device', () => {
    let certmonger: Certmonger | undefined;
    afterEach(async () => {
      await certmonger?.stop();
    });

    it('enrolls through the proxy: CA_WORKING until the owner approves, then MONITORING with a certificate openssl verifies', async () => {
      const store = await openFileStore({ dir: join(dir, 'secrets') });
      await store.set(installationTokenKey(new URL(ca.url).origin), await accountWithToken(ca));
      certmonger = await startCertmonger();
      const cm = certmonger;
      // The proxy's own signal function, learnt from its first output (it prints the URL first).
      let kill: ((name: NodeJS.Signals) => void) | undefined;
      let listening: (url: string) => void = () => undefined;
      const url = new Promise<string>((resolve) => (listening = resolve));
      const run = runCommand(cliCommand('scep-proxy', '--listen', '127.0.0.1:0', ...common(), '--json'), {
        timeoutMs: 60_000,
        closeStdin: true,
        onOutput: (all, _write, signal) => {
          kill = signal;
          const found = /"type":"listening","url":"([^"]+)"/.exec(all)?.[1];
          if (found !== undefined) listening(found);
        },
      });
      try {
        const scepUrl = await Promise.race([url, run.then((r) => Promise.reject(new Error(`the proxy exited: ${r.stderr}${r.stdout}`)))]);
        const added = await cm.getcert(['add-scep-ca', '-c', 'proxy', '-u', scepUrl]);
        expect(added.code, added.stderr).toBe(0);
        const cert = join(cm.dir, 'device.crt');
        const requested = await cm.getcert([
          'request',
          '-c',
          'proxy',
          '-I',
          'device',
          '-f',
          cert,
          '-k',
          join(cm.dir, 'device.key'),
          '-N',
          'CN=printer-3',
          '-E',
          EMAIL,
          '-w',
        ]);
        const tracked = await cm.tracked('device');
        expect(tracked.status, `${requested.stderr}\n${tracked.listing}`).toBe('CA_WORKING');
        const pending = (await ca.rows()).certificate_requests as { id: string; status: string }[];
        const waiting = pending.filter((r) => r.status === 'pending');
        expect(waiting).toHaveLength(1);
        await approveOnAccountPage(ca, (waiting[0] as { id: string }).id);
        const refreshed = await cm.getcert(['refresh', '-i', 'device']);
        expect(refreshed.code, refreshed.stderr).toBe(0);
        await cm.waitFor('device', (s) => s === 'MONITORING', { timeoutMs: 30_000 });
        const caFile = join(cm.dir, 'ca.pem');
        writeFileSync(caFile, ca.caCertPem);
        expect(execFileSync('openssl', ['verify', '-CAfile', caFile, cert], { encoding: 'utf8' })).toContain(': OK');
        expect(new X509Certificate(readFileSync(cert)).subjectAltName).toBe(`email:${EMAIL}`);
      } finally {
        kill?.('SIGTERM');
      }
      const done = await run;
      expect(done.code).toBe(0);
      expect(jsonLines(done.stdout).map((e) => e.type)).toEqual(expect.arrayContaining(['listening', 'proxy-forwarded', 'stopped']));
    });
  });
});
