/**
 * The ssl_api-style hooks: what each receives, what each can change, and the example module
 * in examples/ca-hooks as an operator would load it.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCsr, generateKeyPair, type KeyType, parseCertificateChain, publicKeySha1Hex } from '@certwizard/pki';
import type { CertificateDraft, HookContext } from '@certwizard/server-reference';
import { afterEach, describe, expect, it } from 'vitest';
import { putCsr, startTestCa, type TestCa } from './support/test-ca.js';

const EXAMPLE_HOOKS = resolve(fileURLToPath(new URL('../../examples/ca-hooks/hooks.mjs', import.meta.url)));

function request(names: { dns?: string[]; email?: string[] }, keyType: KeyType = 'p256') {
  const { privateKey } = generateKeyPair(keyType);
  return { privateKey, pem: createCsr({ privateKey, subjectAltNames: names }).pem };
}

describe('hooks', () => {
  let ca: TestCa | undefined;
  afterEach(async () => {
    await ca?.dispose();
    ca = undefined;
  });

  it('authorize sees the names and the ssl_api context; false refuses with 403 and stores nothing', async () => {
    const seen: { names: unknown; ctx: HookContext }[] = [];
    ca = await startTestCa({
      hooks: {
        authorize: (names, ctx) => {
          seen.push({ names, ctx });
          return false;
        },
      },
    });
    const { privateKey, pem } = request({ dns: ['a.example.test'] });
    const res = await putCsr(ca, pem, { client: 'client42' });
    expect(res.status).toBe(403);
    expect((res.json.error as { code: string }).code).toBe('refused');
    expect((await ca.counts()).certificates).toBe(0);
    expect(seen).toHaveLength(1);
    expect(seen[0]?.names).toEqual({ dns: ['a.example.test'], email: [], ip: [] });
    expect(seen[0]?.ctx.clientHash).toBe('client42');
    expect(seen[0]?.ctx.publicKeyHash).toBe(publicKeySha1Hex(privateKey));
    expect(seen[0]?.ctx.publicKeyHash).toMatch(/^[0-9a-f]{40}$/);
    expect(seen[0]?.ctx.csr.subjectAltNames.dns).toEqual(['a.example.test']);
  });

  it('presign can shorten validity, drop names and add an extension', async () => {
    ca = await startTestCa({
      hooks: {
        presign: (draft: CertificateDraft) => {
          draft.notAfter = new Date(draft.notBefore.getTime() + 7 * 86_400_000);
          draft.subjectAltNames = { ...draft.subjectAltNames, dns: ['keep.example.test'] };
          // id-ce-certificatePolicies with anyPolicy (RFC 5280 §4.2.1.4).
          draft.extensions.push({
            oid: '2.5.29.32',
            critical: false,
            value: new Uint8Array(Buffer.from('300830060604551d2000', 'hex')),
          });
        },
      },
    });
    const res = await putCsr(ca, request({ dns: ['keep.example.test', 'drop.example.test'] }).pem);
    expect(res.status).toBe(200);
    const [leaf] = parseCertificateChain(res.json.signed_x509_pem as string);
    expect(leaf?.subjectAltNames.dns).toEqual(['keep.example.test']);
    expect(((leaf?.notAfter.getTime() ?? 0) - (leaf?.notBefore.getTime() ?? 0)) / 86_400_000).toBe(7);
    const text = execFileSync('openssl', ['x509', '-noout', '-text'], { input: leaf?.pem, encoding: 'utf8' });
    expect(text).toMatch(/X509v3 Certificate Policies:\s*\n\s*Policy: X509v3 Any Policy/);
  });

  it('presign cannot add a name the requester did not ask for', async () => {
    ca = await startTestCa({
      hooks: {
        presign: (draft) => {
          draft.subjectAltNames = {
            ...draft.subjectAltNames,
            dns: [...draft.subjectAltNames.dns, 'evil.example.test'],
          };
        },
      },
    });
    const res = await putCsr(ca, request({ dns: ['a.example.test'] }).pem);
    expect(res.status).toBe(400);
    expect((await ca.counts()).certificates).toBe(0);
  });

  it('serialNumber supplies the serial, and a serial already used is refused without storing', async () => {
    ca = await startTestCa({ hooks: { serialNumber: () => 0x1234567890abcdefn } });
    const first = await putCsr(ca, request({ dns: ['a.example.test'] }).pem);
    expect(first.status).toBe(200);
    expect(parseCertificateChain(first.json.signed_x509_pem as string)[0]?.serialNumberHex).toBe('1234567890abcdef');
    const second = await putCsr(ca, request({ dns: ['b.example.test'] }).pem);
    expect(second.status).toBe(500);
    expect((second.json.error as { code: string }).code).toBe('internal_error');
    expect((await ca.counts()).certificates).toBe(1);
  });

  it('postsign sees the stored certificate; its failure does not take the certificate from the client', async () => {
    const serials: string[] = [];
    ca = await startTestCa({
      hooks: {
        postsign: (cert) => {
          serials.push(cert.serialHex);
          throw new Error('publishing failed');
        },
      },
    });
    const res = await putCsr(ca, request({ dns: ['a.example.test'] }).pem);
    expect(res.status).toBe(200);
    const serial = parseCertificateChain(res.json.signed_x509_pem as string)[0]?.serialNumberHex as string;
    expect(serials).toEqual([serial]);
    expect((await ca.certificate(serial))?.status).toBe('valid');
  });

  it('the example hooks module enforces its domain policy, 30-day validity and audit log', async () => {
    ca = await startTestCa({ hooksModule: EXAMPLE_HOOKS });
    const ok = await putCsr(ca, request({ dns: ['www.example.test'] }).pem, { client: 'shop1' });
    expect(ok.status).toBe(200);
    const [leaf] = parseCertificateChain(ok.json.signed_x509_pem as string);
    expect(((leaf?.notAfter.getTime() ?? 0) - (leaf?.notBefore.getTime() ?? 0)) / 86_400_000).toBe(30);
    expect(leaf?.extendedKeyUsage).toEqual(['serverAuth']);
    const audit = readFileSync(join(ca.dataDir, 'issued.log'), 'utf8').trim().split('\n');
    expect(audit.map((l) => JSON.parse(l).serial)).toEqual([leaf?.serialNumberHex]);

    for (const names of [{ dns: ['www.other.test'] }, { dns: ['*.example.test'] }, { email: ['a@other.test'] }]) {
      const refused = await putCsr(ca, request(names).pem);
      expect(refused.status).toBe(403);
    }
    expect((await ca.counts()).certificates).toBe(1);
  });

  it('a hooks module that cannot be loaded stops the CA from starting', async () => {
    await expect(startTestCa({ hooksModule: '/nonexistent/hooks.mjs' })).rejects.toMatchObject({
      code: 'ERR_CA_HOOKS',
    });
  });
});
