/**
 * Renewal information against a real CA: `GET /api/renewal-info/:certId` answers the default
 * window (2/3 to 5/6 of the lifetime) with Retry-After 21600 and changes nothing stored; an
 * unknown certificate, or our serial under another issuer's key identifier, is 404
 * unknown_certificate; a malformed identifier 400; another method 405. A revoked certificate is
 * advised a window in the past. `certwizard-ca renewal-window` (run in-process on the serving
 * CA's data directory) sets a window that two CA processes on that directory both answer, for one
 * serial or every certificate issued before a time; it refuses an unknown serial (exit 1) and an
 * end before the start (exit 2), storing nothing.
 */
import { PassThrough } from 'node:stream';
import { createCsr, generateKeyPair, parseCertificateChain, type Certificate } from '@certwizard/pki';
import { certIdOf, certIdOfCertificate, decodeRenewalInfoAnswer, parseCertId } from '@certwizard/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliIo, runCli } from '../src/cli.js';
import { putCsr, startTestCa, type TestCa } from './support/test-ca.js';

let ca: TestCa;
beforeAll(async () => {
  ca = await startTestCa();
});
afterAll(() => ca.dispose());

/** A fresh certificate issued to an ssl_api client. */
async function issue(client = 'renewals', dns = 'mail.example.test'): Promise<Certificate> {
  const { privateKey } = generateKeyPair('p256');
  const csr = createCsr({ privateKey, subject: [{ type: 'CN', value: dns }], subjectAltNames: { dns: [dns] } });
  const res = await putCsr(ca, csr.pem, { client });
  if (res.status !== 200) throw new Error(`PUT /api/csr answered ${res.status}`);
  return parseCertificateChain(res.json.signed_x509_pem as string)[0] as Certificate;
}

async function renewalInfo(certId: string, on: { url: string } = ca, method = 'GET') {
  const res = await fetch(`${on.url}/api/renewal-info/${certId}`, { method });
  return { status: res.status, text: await res.text(), retryAfter: res.headers.get('retry-after'), allow: res.headers.get('allow') };
}

/** Runs `certwizard-ca` in-process; its exit code and what it printed. */
async function cli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const stdout = new PassThrough().on('data', (d: Buffer) => void (out += d.toString()));
  const stderr = new PassThrough().on('data', (d: Buffer) => void (err += d.toString()));
  const io = { env: {}, stdin: new PassThrough(), stdout, stderr, stopRequested: new Promise<void>(() => {}) } as unknown as CliIo;
  const code = await runCli(argv, io);
  return { code, out, err };
}

const seconds = (ms: number) => Math.floor(ms / 1000) * 1000;

describe('GET /api/renewal-info/:certId', () => {
  it('answers the default window, from 2/3 to 5/6 of the lifetime, with Retry-After 21600, and changes nothing', async () => {
    const cert = await issue();
    const before = await ca.rows();
    const res = await renewalInfo(certIdOfCertificate(cert));
    expect(res.status).toBe(200);
    expect(res.retryAfter).toBe('21600');
    const lifetime = cert.notAfter.getTime() - cert.notBefore.getTime();
    const { suggestedWindow } = decodeRenewalInfoAnswer(res.status, res.text);
    expect(suggestedWindow.start.getTime()).toBe(seconds(cert.notBefore.getTime() + Math.round((lifetime * 2) / 3)));
    expect(suggestedWindow.end.getTime()).toBe(seconds(cert.notBefore.getTime() + Math.round((lifetime * 5) / 6)));
    expect(await ca.rows()).toEqual(before);
  });

  it('is 404 unknown_certificate for a serial it never issued, and for its serial under another key identifier', async () => {
    const cert = await issue();
    const ours = parseCertId(certIdOfCertificate(cert));
    const otherSerial = certIdOf({ authorityKeyIdentifier: ours.authorityKeyIdentifier, serialNumber: Uint8Array.of(0x01, 0x02, 0x03) });
    const otherIssuer = certIdOf({ authorityKeyIdentifier: Uint8Array.of(1, 2, 3, 4), serialNumber: ours.serialNumber });
    for (const id of [otherSerial, otherIssuer]) {
      const res = await renewalInfo(id);
      expect(res.status).toBe(404);
      expect(JSON.parse(res.text)).toEqual({ error: { code: 'unknown_certificate', message: expect.any(String) } });
    }
  });

  it.each(['not-an-id', 'AQ.AIdl%2BQyE', 'aYhba4dGQEHhs3uEe6CuLN4ByNQ.AAE', 'AQ.AQ.AQ'])('is 400 malformed_cert_id for %s', async (id) => {
    const res = await renewalInfo(id);
    expect(res.status).toBe(400);
    expect(JSON.parse(res.text).error.code).toBe('malformed_cert_id');
  });

  it('is 405 with Allow for another method, and a POST changes nothing', async () => {
    const cert = await issue();
    const before = await ca.rows();
    const res = await renewalInfo(certIdOfCertificate(cert), ca, 'POST');
    expect(res.status).toBe(405);
    expect(res.allow).toBe('GET, HEAD');
    expect(JSON.parse(res.text).error.code).toBe('method_not_allowed');
    expect(await ca.rows()).toEqual(before);
  });

  it('advises a revoked certificate a window in the past: renew now (RFC 9773 §4.2)', async () => {
    const cert = await issue('revoked');
    const revoke = await fetch(`${ca.url}/api/csr/revoked/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ serial: cert.serialNumberHex, reason: 'keyCompromise' }),
    });
    expect(revoke.status).toBe(200);
    const revokedAt = (await ca.certificate(cert.serialNumberHex))?.revokedAt as unknown as string;
    const res = await renewalInfo(certIdOfCertificate(cert));
    const { suggestedWindow } = decodeRenewalInfoAnswer(res.status, res.text);
    expect(suggestedWindow.end.getTime()).toBe(seconds(Date.parse(revokedAt)));
    expect(suggestedWindow.end.getTime()).toBeLessThanOrEqual(Date.now());
  });
});

describe('certwizard-ca renewal-window', () => {
  it('sets the window of one certificate, which every CA process on the database answers at once', async () => {
    const cert = await issue();
    const second = await startTestCa({ sharing: ca });
    try {
      const set = await cli([
        'renewal-window',
        '--data',
        ca.dataDir,
        '--serial',
        cert.serialNumberHex.toUpperCase(),
        '--start',
        '2026-01-01T00:00:00Z',
        '--end',
        '2026-01-02T12:00:00Z',
      ]);
      expect(set).toMatchObject({ code: 0, err: '' });
      expect(set.out).toBe(`renewal window of ${cert.serialNumberHex} set: 2026-01-01T00:00:00.000Z to 2026-01-02T12:00:00.000Z\n`);
      for (const on of [ca, second]) {
        const res = await renewalInfo(certIdOfCertificate(cert), on);
        expect(decodeRenewalInfoAnswer(res.status, res.text).suggestedWindow).toEqual({
          start: new Date('2026-01-01T00:00:00Z'),
          end: new Date('2026-01-02T12:00:00Z'),
        });
      }
      // Setting it again replaces it; relative times count from now, to whole seconds.
      const again = await cli(['renewal-window', '--data', ca.dataDir, '--serial', cert.serialNumberHex, '--start', 'now', '--end', 'now+2h']);
      expect(again.code).toBe(0);
      const res = await renewalInfo(certIdOfCertificate(cert), second);
      const { start, end } = decodeRenewalInfoAnswer(res.status, res.text).suggestedWindow;
      expect(end.getTime() - start.getTime()).toBe(2 * 3_600_000);
      expect(Math.abs(start.getTime() - Date.now())).toBeLessThan(60_000);
    } finally {
      await second.dispose();
    }
  });

  it('pulls every certificate issued before a time forward at once', async () => {
    const a = await issue('early', 'a.example.test');
    const b = await issue('early', 'b.example.test');
    const set = await cli(['renewal-window', '--data', ca.dataDir, '--all-issued-before', '+1m', '--start', 'now-2h', '--end', 'now-1h']);
    expect(set.code).toBe(0);
    expect(set.out).toMatch(/^renewal window .* set for \d+ valid certificates issued before /);
    for (const cert of [a, b]) {
      const res = await renewalInfo(certIdOfCertificate(cert));
      expect(decodeRenewalInfoAnswer(res.status, res.text).suggestedWindow.end.getTime()).toBeLessThan(Date.now());
    }
  });

  it.each([
    { name: 'an unknown serial (exit 1)', args: ['--serial', '7f0102', '--start', 'now', '--end', '+1d'], code: 1, err: /no certificate with serial 7f0102/ },
    { name: 'an end before the start (exit 2)', args: ['--serial', 'SERIAL', '--start', '+2h', '--end', '+1h'], code: 2, err: /--end must be after --start/ },
    { name: 'an equal start and end (exit 2)', args: ['--serial', 'SERIAL', '--start', 'now', '--end', 'now'], code: 2, err: /--end must be after --start/ },
    {
      name: 'a time it cannot read (exit 2)',
      args: ['--serial', 'SERIAL', '--start', 'tomorrow', '--end', '+1h'],
      code: 2,
      err: /--start wants an RFC 3339 time/,
    },
    {
      name: 'a serial that is not hex (exit 2)',
      args: ['--serial', 'xyz', '--start', 'now', '--end', '+1h'],
      code: 2,
      err: /--serial wants the serial number in hex/,
    },
    {
      name: 'both --serial and --all-issued-before (exit 2)',
      args: ['--serial', 'SERIAL', '--all-issued-before', 'now', '--start', 'now', '--end', '+1h'],
      code: 2,
      err: /exactly one of/,
    },
  ])('refuses $name and stores nothing', async ({ args, code, err }) => {
    const cert = await issue();
    const before = (await ca.rows()).renewal_windows;
    const run = await cli(['renewal-window', '--data', ca.dataDir, ...args.map((a) => (a === 'SERIAL' ? cert.serialNumberHex : a))]);
    expect(run.code).toBe(code);
    expect(run.err).toMatch(err);
    expect(run.out).toBe('');
    expect((await ca.rows()).renewal_windows).toEqual(before);
  });
});
