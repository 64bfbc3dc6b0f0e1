/**
 * Certificate status against a real CA, read by OpenSSL: issued certificates name the OCSP
 * responder (authorityInfoAccess) and the CRL; `openssl ocsp` (POST with and without a nonce,
 * GET, SHA-1 and SHA-256 CertIDs) answers good, then revoked with the reason once the holder
 * revokes through `POST /api/csr/:client/revoke`; another issuer's certificate and a serial never
 * issued are unknown; `openssl crl` shows the entry and a higher CRL number. A second CA process
 * on the same database revokes, and the first one's CRL and OCSP answers list it at once. Bad
 * requests get the malformedRequest answer; no OCSP request changes anything stored.
 * `serve --validity DURATION` issues short-lived certificates and refuses other spellings.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import {
  createCsr,
  createOcspRequest,
  createSelfSignedCa,
  generateKeyPair,
  generateSerialNumber,
  issueCertificate,
  parseCertificate,
  parseCertificateChain,
  parseCsr,
  parseOcspResponse,
} from '@certwizard/pki';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { opensslCrlEntries, opensslOcspStatus } from '../src/ca/test-support/openssl-status.js';
import { runBin, type ServeProcess, startServe } from './support/run-bin.js';
import { putCsr, startTestCa, type TestCa } from './support/test-ca.js';

let ca: TestCa;
beforeAll(async () => {
  ca = await startTestCa();
});
afterAll(() => ca.dispose());

/** A fresh certificate issued to an ssl_api client: its serial (lower-case hex) and PEM. */
async function issue(target: { url: string }, client = 'vendorA'): Promise<{ serial: string; pem: string }> {
  const { privateKey } = generateKeyPair('p256');
  const csr = createCsr({ privateKey, subject: [{ type: 'CN', value: 'mail.example.test' }], subjectAltNames: { dns: ['mail.example.test'] } });
  const res = await putCsr(target, csr.pem, { client });
  if (res.status !== 200) throw new Error(`PUT /api/csr answered ${res.status}`);
  const leaf = parseCertificateChain(res.json.signed_x509_pem as string)[0];
  if (!leaf) throw new Error('no certificate in the answer');
  return { serial: leaf.serialNumberHex, pem: leaf.pem };
}

async function revoke(target: { url: string }, serial: string, reason: string, client = 'vendorA'): Promise<void> {
  const res = await fetch(`${target.url}/api/csr/${client}/revoke`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ serial, reason }),
  });
  expect(res.status).toBe(200);
}

async function postOcsp(
  body: Uint8Array | string,
  contentType = 'application/ocsp-request',
): Promise<{ status: number; type: string | null; der: Uint8Array }> {
  const res = await fetch(`${ca.url}/ocsp`, {
    method: 'POST',
    headers: { 'content-type': contentType },
    body: typeof body === 'string' ? body : Buffer.from(body),
  });
  return { status: res.status, type: res.headers.get('content-type'), der: new Uint8Array(await res.arrayBuffer()) };
}

describe('issued certificates', () => {
  it('name the OCSP responder (authorityInfoAccess) beside the CRL distribution point', async () => {
    const { pem } = await issue(ca);
    const cert = parseCertificate(pem);
    expect(cert.ocspUrls).toEqual([`${ca.publicUrl}/ocsp`]);
    expect(cert.crlDistributionPoints).toEqual([`${ca.publicUrl}/crl`]);
    expect(execFileSync('openssl', ['x509', '-noout', '-ocsp_uri'], { input: pem, encoding: 'utf8' }).trim()).toBe(`${ca.publicUrl}/ocsp`);
  });
});

describe('openssl ocsp against /ocsp', () => {
  it('answers good, then revoked with the reason after the holder revokes (POST with a nonce, verified)', async () => {
    const { serial, pem } = await issue(ca);
    const before = await opensslOcspStatus({ caUrl: ca.url, caPem: ca.caCertPem, certPem: pem });
    expect(before, before.output).toMatchObject({ status: 'good', verified: true, timesValid: true });
    expect(before.nextUpdate!.getTime() - before.thisUpdate.getTime()).toBe(3600_000);

    await revoke(ca, serial, 'keyCompromise');
    const after = await opensslOcspStatus({ caUrl: ca.url, caPem: ca.caCertPem, certPem: pem });
    expect(after, after.output).toMatchObject({ status: 'revoked', reason: 'keyCompromise', verified: true });
    const stored = await ca.certificate(serial);
    expect(after.revokedAt?.getTime()).toBe(Math.floor(new Date(stored!.revokedAt!).getTime() / 1000) * 1000);
  });

  it.each([
    { name: 'POST without a nonce, SHA-256 CertID', options: { nonce: false, certIdHash: 'sha256' } as const },
    { name: 'GET (RFC 6960 A.1), SHA-1 CertID', options: { method: 'GET' } as const },
    { name: 'GET, SHA-256 CertID', options: { method: 'GET', certIdHash: 'sha256' } as const },
  ])('answers by $name: good, then revoked (superseded)', async ({ options }) => {
    const { serial, pem } = await issue(ca);
    const good = await opensslOcspStatus({ caUrl: ca.url, caPem: ca.caCertPem, certPem: pem, ...options });
    expect(good, good.output).toMatchObject({ status: 'good', verified: true });
    await revoke(ca, serial, 'superseded');
    const revoked = await opensslOcspStatus({ caUrl: ca.url, caPem: ca.caCertPem, certPem: pem, ...options });
    expect(revoked, revoked.output).toMatchObject({ status: 'revoked', reason: 'superseded', verified: true });
    // A GET answer may be cached until its nextUpdate (RFC 5019 §6.2); a POST one is not.
    if ('method' in options) expect(revoked.cacheControl).toBe('public, max-age=3600, no-transform, must-revalidate');
  });

  it('answers on the CA clock: moved two days on, openssl reads the status and says the times are off unless given the leeway', async () => {
    const moved = await startTestCa();
    try {
      const { pem } = await issue(moved);
      await moved.advanceClock(2 * 86_400_000);
      const strict = await opensslOcspStatus({ caUrl: moved.url, caPem: moved.caCertPem, certPem: pem });
      expect(strict, strict.output).toMatchObject({ status: 'good', verified: true, timesValid: false });
      expect(strict.thisUpdate.getTime()).toBeGreaterThan(Date.now() + 86_400_000);
      const lenient = await opensslOcspStatus({ caUrl: moved.url, caPem: moved.caCertPem, certPem: pem, validityPeriodSeconds: 3 * 86_400 });
      expect(lenient, lenient.output).toMatchObject({ status: 'good', verified: true, timesValid: true });
    } finally {
      await moved.dispose();
    }
  });

  it('leaves the reason out for a revocation without one (unspecified), as the CRL does', async () => {
    const { serial, pem } = await issue(ca);
    await revoke(ca, serial, 'unspecified');
    const answer = await opensslOcspStatus({ caUrl: ca.url, caPem: ca.caCertPem, certPem: pem });
    expect(answer, answer.output).toMatchObject({ status: 'revoked', verified: true });
    expect(answer.reason).toBeUndefined();
  });

  it("answers unknown for another issuer's certificate, even with a serial of ours, and for a serial never issued", async () => {
    const ours = await issue(ca);
    await revoke(ca, ours.serial, 'keyCompromise');
    // Another CA, and a certificate of it that has the serial of our revoked certificate.
    const otherKey = generateKeyPair('p256').privateKey;
    const now = Date.now();
    const other = parseCertificate(
      createSelfSignedCa({
        subject: [{ type: 'CN', value: 'Test CA' }],
        privateKey: otherKey,
        notBefore: new Date(now - 3600_000),
        notAfter: new Date(now + 86_400_000),
        serialNumber: generateSerialNumber(),
      }).der,
    );
    const request = parseCsr(createCsr({ privateKey: generateKeyPair('p256').privateKey, subjectAltNames: { dns: ['x.example.test'] } }).der);
    const foreign = issueCertificate({
      request,
      issuer: { certificate: other, privateKey: otherKey },
      serialNumber: new Uint8Array(Buffer.from(ours.serial, 'hex')),
      profile: { notBefore: new Date(now - 60_000), notAfter: new Date(now + 3600_000), subjectAltNames: request.subjectAltNames },
    });
    const caCert = parseCertificate(ca.caCertPem);
    const answers = [];
    for (const [issuer, serial] of [
      [other, parseCertificate(foreign.der).serialNumberHex],
      [caCert, '7f'.repeat(16)],
    ] as const) {
      const res = await postOcsp(createOcspRequest({ issuer, serialNumbersHex: [serial] }));
      expect(res).toMatchObject({ status: 200, type: 'application/ocsp-response' });
      answers.push(parseOcspResponse(res.der, { issuer: caCert }).basic?.responses[0]?.status);
    }
    expect(answers).toEqual([{ type: 'unknown' }, { type: 'unknown' }]);
  });

  it('answers several CertIDs in one request, each with its own status, nonce echoed', async () => {
    const good = await issue(ca);
    const gone = await issue(ca);
    await revoke(ca, gone.serial, 'cessationOfOperation');
    const caCert = parseCertificate(ca.caCertPem);
    const nonce = new Uint8Array(32).fill(0x5a);
    const res = await postOcsp(createOcspRequest({ issuer: caCert, serialNumbersHex: [good.serial, gone.serial, '01'], hashAlgorithm: 'sha256', nonce }));
    const basic = parseOcspResponse(res.der, { issuer: caCert }).basic;
    expect(basic?.nonce).toEqual(nonce);
    expect(basic?.responses.map((r) => [r.certId.serialNumberHex, r.status.type])).toEqual([
      [good.serial, 'good'],
      [gone.serial, 'revoked'],
      ['01', 'unknown'],
    ]);
  });

  it('reads a GET path whose base64 is not url-encoded (its / and + as they are), and the encoded one alike', async () => {
    const { serial } = await issue(ca);
    const caCert = parseCertificate(ca.caCertPem);
    // A nonce that makes the base64 carry both / and + (bounded search; 1 in 4 of them do).
    let text = '';
    for (let i = 0; i < 256 && !(text.includes('/') && text.includes('+')); i++) {
      text = Buffer.from(createOcspRequest({ issuer: caCert, serialNumbersHex: [serial], nonce: new Uint8Array([i, 0xfb, 0xff, 0xbf]) })).toString('base64');
    }
    expect(text).toMatch(/\/.*\+|\+.*\//);
    for (const path of [text, encodeURIComponent(text)]) {
      const res = await fetch(`${ca.url}/ocsp/${path}`);
      expect(res.status).toBe(200);
      const basic = parseOcspResponse(new Uint8Array(await res.arrayBuffer()), { issuer: caCert }).basic;
      expect(basic?.responses[0]).toMatchObject({ certId: { serialNumberHex: serial }, status: { type: 'good' } });
    }
  });

  it('refuses bad requests with the malformedRequest answer, and no OCSP request changes anything stored', async () => {
    const { pem } = await issue(ca);
    const before = await ca.rows();
    const malformed = new Uint8Array([0x30, 0x03, 0x0a, 0x01, 0x01]);
    const cases = [
      { res: await postOcsp(new Uint8Array([1, 2, 3])), status: 400 },
      { res: await postOcsp('', 'application/ocsp-request'), status: 400 },
      { res: await postOcsp(new Uint8Array([0x30, 0x00]), 'application/octet-stream'), status: 415 },
      { res: await postOcsp(new Uint8Array(17 * 1024)), status: 413 },
    ];
    for (const path of ['/ocsp/not%20base64', '/ocsp/MAo%3D%3D%3D', '/ocsp', `/ocsp/${'A'.repeat(4000)}`]) {
      const res = await fetch(`${ca.url}${path}`);
      cases.push({ res: { status: res.status, type: res.headers.get('content-type'), der: new Uint8Array(await res.arrayBuffer()) }, status: 400 });
      expect(res.headers.get('cache-control')).toBe('no-store');
    }
    for (const { res, status } of cases) {
      expect(res.status).toBe(status);
      expect(res.type).toBe('application/ocsp-response');
      expect(res.der).toEqual(malformed);
    }
    const put = await fetch(`${ca.url}/ocsp`, { method: 'PUT', body: 'x' });
    expect(put.status).toBe(405);
    expect(put.headers.get('allow')).toBe('GET, POST');
    // Asking, by GET and POST, reads only.
    await opensslOcspStatus({ caUrl: ca.url, caPem: ca.caCertPem, certPem: pem, method: 'GET' });
    await opensslOcspStatus({ caUrl: ca.url, caPem: ca.caCertPem, certPem: pem });
    expect(await ca.rows()).toEqual(before);
  });
});

describe('openssl crl on GET /crl', () => {
  it('lists a revocation with its reason in a CRL with a higher number, verified', async () => {
    const { serial } = await issue(ca);
    const before = await opensslCrlEntries({ caUrl: ca.url, caPem: ca.caCertPem });
    expect(before.verified, before.output).toBe(true);
    expect(before.entries.has(serial)).toBe(false);
    // Unchanged revocations: the same CRL again, not a new number per request.
    expect((await opensslCrlEntries({ caUrl: ca.url, caPem: ca.caCertPem })).crlNumber).toBe(before.crlNumber);

    await revoke(ca, serial, 'affiliationChanged');
    const after = await opensslCrlEntries({ caUrl: ca.url, caPem: ca.caCertPem });
    expect(after.verified, after.output).toBe(true);
    expect(after.crlNumber).toBeGreaterThan(before.crlNumber);
    expect(after.entries.get(serial)).toMatchObject({ serialHex: serial, reason: 'affiliationChanged' });
    expect(after.nextUpdate.getTime() - after.thisUpdate.getTime()).toBe(86_400_000);
  });

  it('changes nothing stored when it makes a new CRL (the number comes from the time)', async () => {
    const { serial } = await issue(ca);
    await revoke(ca, serial, 'superseded');
    const before = await ca.rows();
    const made = await opensslCrlEntries({ caUrl: ca.url, caPem: ca.caCertPem });
    expect(made.entries.has(serial)).toBe(true);
    expect(await ca.rows()).toEqual(before);
  });
});

describe('two CA processes on one database', () => {
  it("a revocation through the second is in the first one's next CRL and OCSP answer", async () => {
    const second = await startTestCa({ sharing: ca });
    try {
      const { serial, pem } = await issue(ca);
      const before = await opensslCrlEntries({ caUrl: ca.url, caPem: ca.caCertPem });
      expect((await opensslOcspStatus({ caUrl: ca.url, caPem: ca.caCertPem, certPem: pem })).status).toBe('good');

      await revoke(second, serial, 'keyCompromise');
      const after = await opensslCrlEntries({ caUrl: ca.url, caPem: ca.caCertPem });
      expect(after.entries.get(serial)?.reason).toBe('keyCompromise');
      expect(after.crlNumber).toBeGreaterThan(before.crlNumber);
      const fromFirst = await opensslOcspStatus({ caUrl: ca.url, caPem: ca.caCertPem, certPem: pem });
      expect(fromFirst, fromFirst.output).toMatchObject({ status: 'revoked', reason: 'keyCompromise', verified: true });
      // The numbers come from the one database: the second's CRL is newer still.
      expect((await opensslCrlEntries({ caUrl: second.url, caPem: ca.caCertPem })).crlNumber).toBeGreaterThan(after.crlNumber);
    } finally {
      await second.dispose();
    }
  });
});

describe('serve --validity DURATION', () => {
  let serving: ServeProcess | undefined;
  afterAll(async () => {
    await serving?.stop();
  });

  it('issues certificates of that lifetime (the built binary, 10m)', async () => {
    serving = await startServe(['serve', '--identity', ca.identityDir, '--data', join(ca.dir, 'short-lived'), '--listen', '127.0.0.1:0', '--validity', '10m'], {
      env: { CA_PASSPHRASE: 'test-ca-passphrase' },
    });
    const started = Date.now();
    const cert = parseCertificate((await issue(serving)).pem);
    // notAfter = the CA's now + 10 minutes (whole seconds).
    expect(cert.notAfter.getTime()).toBeGreaterThanOrEqual(Math.floor(started / 1000) * 1000 + 600_000 - 1000);
    expect(cert.notAfter.getTime()).toBeLessThanOrEqual(Date.now() + 600_000);
  });

  it.each([
    { args: ['--validity', '30s'], want: /--validity wants a duration such as 90d, 12h or 10m/ },
    { args: ['--validity', '1d12h'], want: /--validity wants a duration/ },
    { args: ['--validity', '0m'], want: /--validity wants a duration/ },
    { args: ['--validity', '10m', '--validity-days', '1'], want: /--validity and --validity-days both set/ },
  ])('refuses $args with a usage error', async ({ args, want }) => {
    const r = await runBin(['serve', '--identity', ca.identityDir, '--data', join(ca.dir, 'refused'), '--listen', '127.0.0.1:0', ...args]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(want);
  });

  it('a test CA with validity 12h issues 12-hour certificates', async () => {
    const short = await startTestCa({ validity: '12h' });
    try {
      const cert = parseCertificate((await issue(short)).pem);
      const backdate = 5 * 60_000;
      expect(cert.notAfter.getTime() - cert.notBefore.getTime()).toBeGreaterThanOrEqual(12 * 3600_000 + backdate - 1000);
      expect(cert.notAfter.getTime() - cert.notBefore.getTime()).toBeLessThanOrEqual(12 * 3600_000 + backdate + 1000);
    } finally {
      await short.dispose();
    }
  });
});
