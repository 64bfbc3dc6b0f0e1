/**
 * `PUT /api/csr/:client` against a real CA: issuance checked with openssl, and every refusal
 * of issue #2 §4 answered with its status and code while the database stays unchanged.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createCsr, generateKeyPair, parseCertificateChain, publicKeySha1Hex } from '@certwizard/pki';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { badCsrCases, goodCsrDer } from '../../packages/pki/src/test-support/bad-csrs.js';
import { pemOf } from '../../packages/pki/src/test-support/raw-csr.js';
import { putCsr, startTestCa, type TestCa } from './support/test-ca.js';

function openssl(args: string[], cwd: string): string {
  return execFileSync('openssl', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

describe.each(['p256', 'rsa2048'] as const)('issuance with a %s CA', (caKey) => {
  let ca: TestCa;
  beforeAll(async () => {
    ca = await startTestCa({ keyType: caKey });
  });
  afterAll(() => ca.dispose());

  it('signs a valid request for the names it asks, and stores it before answering', async () => {
    const { privateKey } = generateKeyPair('rsa2048');
    const csr = createCsr({
      privateKey,
      subject: [{ type: 'CN', value: 'mail.example.test' }],
      subjectAltNames: { dns: ['mail.example.test', 'smtp.example.test'], email: ['postmaster@example.test'] },
    });
    const before = (await ca.counts()).certificates;
    const res = await putCsr(ca, csr.pem, { client: 'abc123' });
    expect(res.status).toBe(200);
    expect(Object.fromEntries(['content-type', 'x-content-type-options', 'cache-control'].map((h) => [h, res.headers.get(h)]))).toEqual({
      'content-type': 'application/json; charset=utf-8',
      'x-content-type-options': 'nosniff',
      'cache-control': 'no-store',
    });
    const chainPem = res.json.signed_x509_pem as string;
    const [leaf, caCert] = parseCertificateChain(chainPem);
    expect(leaf?.subjectAltNames).toEqual({
      dns: ['mail.example.test', 'smtp.example.test'],
      email: ['postmaster@example.test'],
      ip: [],
    });
    expect(leaf?.isCa).toBe(false);
    expect(caCert?.fingerprintSha256).toBe(ca.ca.certificate.fingerprintSha256);
    expect(BigInt(`0x${leaf?.serialNumberHex}`) > 2n ** 64n).toBe(true);
    expect(leaf?.crlDistributionPoints).toEqual([`${ca.publicUrl}/crl`]);

    const stored = await ca.certificate(leaf?.serialNumberHex as string);
    expect(stored).toMatchObject({
      requester: 'abc123',
      status: 'valid',
      publicKeySha1: publicKeySha1Hex(privateKey),
      fingerprintSha256: leaf?.fingerprintSha256,
    });
    expect(stored?.pem.trim()).toBe(leaf?.pem.trim());
    expect((await ca.counts()).certificates).toBe(before + 1);

    writeFileSync(join(ca.dir, 'chain.pem'), chainPem);
    writeFileSync(join(ca.dir, 'leaf.pem'), leaf?.pem as string);
    expect(openssl(['verify', '-CAfile', join(ca.identityDir, 'ca.cert.pem'), 'leaf.pem'], ca.dir)).toContain('leaf.pem: OK');
    const text = openssl(['x509', '-in', 'leaf.pem', '-noout', '-text'], ca.dir);
    expect(text).toContain('DNS:mail.example.test');
    expect(text).toContain('CA:FALSE');
  });

  it('accepts application/pkcs10 with a DER body', async () => {
    const res = await putCsr(ca, goodCsrDer(), { contentType: 'application/pkcs10' });
    expect(res.status).toBe(200);
  });

  it('gives every certificate its own serial', async () => {
    const serials = new Set<string>();
    const results = await Promise.all(Array.from({ length: 20 }, () => putCsr(ca, pemOf(goodCsrDer()))));
    for (const r of results) {
      expect(r.status).toBe(200);
      serials.add(parseCertificateChain(r.json.signed_x509_pem as string)[0]?.serialNumberHex as string);
    }
    expect(serials.size).toBe(20);
  });
});

describe('refusals leave the database unchanged', () => {
  let ca: TestCa;
  beforeAll(async () => {
    ca = await startTestCa();
  });
  afterAll(() => ca.dispose());

  const cases: {
    name: string;
    send: () => Promise<{ status: number; json: Record<string, unknown> }>;
    status: number;
    code: string;
  }[] = [
    ...badCsrCases().map((c) => ({
      name: c.name,
      send: () =>
        putCsr(ca, c.input, {
          contentType: typeof c.input === 'string' ? 'application/x-pem-file' : 'application/pkcs10',
        }),
      status: c.status,
      code: c.wireCode,
    })),
    {
      name: 'body over 1 MiB',
      send: () => putCsr(ca, 'A'.repeat(1024 * 1024 + 1)),
      status: 413,
      code: 'payload_too_large',
    },
    {
      name: 'wrong content type (application/json)',
      send: () => putCsr(ca, pemOf(goodCsrDer()), { contentType: 'application/json' }),
      status: 415,
      code: 'unsupported_media_type',
    },
    {
      name: 'no content type',
      send: () => putCsr(ca, pemOf(goodCsrDer()), { contentType: null }),
      status: 415,
      code: 'unsupported_media_type',
    },
    {
      name: 'client with symbols',
      send: () => putCsr(ca, pemOf(goodCsrDer()), { client: 'abc$def' }),
      status: 400,
      code: 'invalid_client',
    },
    {
      name: 'client with an encoded slash',
      send: () => putCsr(ca, pemOf(goodCsrDer()), { client: 'abc%2Fdef' }),
      status: 400,
      code: 'invalid_client',
    },
    {
      name: 'empty body',
      send: () => putCsr(ca, ''),
      status: 400,
      code: 'csr_malformed',
    },
    {
      name: 'a request naming nothing',
      send: () => putCsr(ca, createCsr({ privateKey: generateKeyPair('p256').privateKey, subject: [{ type: 'O', value: 'x' }] }).pem),
      status: 400,
      code: 'csr_invalid_name',
    },
  ];

  it.each(cases)('$name -> $status $code', async ({ send, status, code }) => {
    const before = await ca.counts();
    const res = await send();
    expect({ status: res.status, code: (res.json.error as { code?: string } | undefined)?.code }).toEqual({
      status,
      code,
    });
    expect(typeof (res.json.error as { message?: unknown }).message).toBe('string');
    expect(await ca.counts()).toEqual(before);
  });

  it('answers other methods on the endpoint with 405 and unknown paths with 404', async () => {
    const get = await fetch(`${ca.url}/api/csr/abc`);
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('PUT');
    const missing = await fetch(`${ca.url}/nope`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('not_found');
  });
});

describe('CRL and health', () => {
  let ca: TestCa;
  beforeAll(async () => {
    ca = await startTestCa({ keyType: 'rsa2048' });
  });
  afterAll(() => ca.dispose());

  it('serves an empty DER CRL signed by the CA, which openssl verifies', async () => {
    const askedAtMs = Date.now();
    const res = await fetch(`${ca.url}/crl`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/pkix-crl');
    writeFileSync(join(ca.dir, 'crl.der'), Buffer.from(await res.arrayBuffer()));
    const out = execFileSync('openssl', ['crl', '-inform', 'DER', '-in', 'crl.der', '-CAfile', join(ca.identityDir, 'ca.cert.pem'), '-noout', '-text'], {
      cwd: ca.dir,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    expect(out).toContain('No Revoked Certificates');
    // The number is the time it was made, in thousandths of a millisecond (docs/protocol.md).
    const crlNumber = BigInt(/X509v3 CRL Number:\s*\n\s*(\d+)/.exec(out)?.[1] ?? '0');
    expect(crlNumber).toBeGreaterThanOrEqual(BigInt(askedAtMs - 60_000) * 1000n);
    expect(crlNumber).toBeLessThanOrEqual(BigInt(Date.now() + 60_000) * 1000n);
  });

  it('answers /healthz with ok', async () => {
    const res = await fetch(`${ca.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });
});
