/**
 * The certmonger test support (src/testing/certmonger.ts) on its own, with certmonger's local
 * signer: a private daemon answers getcert, keeps its state in its own directory (never
 * /var/lib/certmonger), and is gone with its directory after stop().
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { type Certmonger, scepSubmit, startCertmonger } from '../src/testing/certmonger.js';

describe('certmonger test support', () => {
  let certmonger: Certmonger | undefined;
  afterEach(async () => {
    await certmonger?.stop();
    certmonger = undefined;
  });

  it('issues through certmonger’s local signer on a private daemon, its state in its own directory, removed on stop', async () => {
    certmonger = await startCertmonger();
    const { dir } = certmonger;
    const id = `support-${process.pid}-${Date.now()}`;
    const cert = `${dir}/cert.pem`;
    const requested = await certmonger.getcert([
      'request',
      '-c',
      'local',
      '-I',
      id,
      '-f',
      cert,
      '-k',
      `${dir}/key.pem`,
      '-N',
      'CN=local.example',
      '-D',
      'local.example',
      '-w',
    ]);
    expect(requested.code, requested.stderr).toBe(0);
    const now = await certmonger.tracked(id);
    expect(now.status).toBe('MONITORING');
    expect(execFileSync('openssl', ['x509', '-in', cert, '-noout', '-ext', 'subjectAltName'], { encoding: 'utf8' })).toContain('DNS:local.example');
    // The request is stored under the private directory, not in the system's.
    expect(readdirSync(`${dir}/requests`)).toHaveLength(1);
    const system = '/var/lib/certmonger/requests';
    if (existsSync(system)) {
      for (const f of readdirSync(system)) expect(readFileSync(`${system}/${f}`, 'utf8')).not.toContain(dir);
    }
    await expect(certmonger.tracked('no-such-request')).rejects.toThrow(/getcert list -i no-such-request/);
    await certmonger.stop();
    expect(existsSync(dir)).toBe(false);
  });

  it('runs scep-submit without a daemon; a URL where nothing listens is a failure exit', async () => {
    const result = await scepSubmit('http://127.0.0.1:9/scep', 'capabilities', { timeoutMs: 20_000 });
    expect(result.code).not.toBe(0);
  });
});
