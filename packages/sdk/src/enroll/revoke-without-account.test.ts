/**
 * revokeWithKey and revokeWithSecret against the real reference CA: the secret comes with the
 * issued result of both methods (once: a resent request gets none), each client revokes onto the
 * CRL with its reason, a repeat answers the first revocation, and refusals (another key, another
 * CA's URL, a clock off by more than five minutes, a wrong secret) are ERR_SDK_REVOKE_REFUSED
 * with the CA's code and leave the certificate valid.
 */
import { generateKeyPairSync } from 'node:crypto';
import { parseCertificate } from '@certwizard/pki';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cacertMethod } from '../methods/cacert/cacert-method.js';
import { sslApiMethod } from '../methods/ssl-api/ssl-api-method.js';
import { createKeyAndCsr } from './key-and-csr.js';
import { revokeWithKey } from './revoke-with-key.js';
import { revokeWithSecret } from './revoke-with-secret.js';
import { submit } from './submit.js';
import { accountWithToken, approveOnAccountPage, crlEntry, EMAIL, startTestCa, type TestCa } from './test-support/reference-ca.js';

let ca: TestCa;
beforeAll(async () => {
  ca = await startTestCa();
});
afterAll(() => ca.dispose());

async function issued(keyType: 'p256' | 'p384' | 'rsa2048' = 'p256') {
  const key = await createKeyAndCsr({ names: { dns: ['mail.example.org'] }, keyType });
  const got = await submit(sslApiMethod({ caUrl: ca.url, client: 'vendor1' }), { csrPem: key.csrPem });
  return { ...key, ...got, serialHex: parseCertificate(got.certificatePem).serialNumberHex };
}

async function refusal(call: Promise<unknown>): Promise<{ code?: string; caCode?: string }> {
  try {
    await call;
  } catch (err) {
    return err as { code?: string; caCode?: string };
  }
  throw new Error('expected a refusal');
}

describe('revokeWithKey', () => {
  it.each(['p256', 'p384', 'rsa2048'] as const)('revokes a %s certificate with its own key; a repeat answers the first revocation', async (keyType) => {
    const cert = await issued(keyType);
    const first = await revokeWithKey({ caUrl: ca.url, certificatePem: cert.certificatePem, privateKey: cert.privateKeyPem, reason: 'keyCompromise' });
    expect(first).toMatchObject({ status: 'revoked', serialHex: cert.serialHex, reason: 'keyCompromise' });
    expect((await crlEntry(ca, cert.serialHex))?.reason).toBe('keyCompromise');
    await ca.advanceClock(60_000);
    const again = await revokeWithKey({ caUrl: `${ca.url}/`, certificatePem: cert.certificatePem, privateKey: cert.privateKey, reason: 'superseded' });
    expect(again).toEqual({ status: 'already_revoked', serialHex: cert.serialHex, revokedAt: first.revokedAt, reason: 'keyCompromise' });
  });

  it.each([
    { name: 'another key', caCode: 'bad_signature', options: () => ({ privateKey: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey }) },
    { name: "another CA's URL", caCode: 'wrong_ca', options: () => ({ caUrl: 'http://127.0.0.1:9' }) },
    { name: 'a time six minutes off', caCode: 'stale_request', options: () => ({ nowMs: Date.now() - 6 * 60_000 }) },
  ])('refuses $name ($caCode) and the certificate stays valid', async ({ caCode, options }) => {
    const cert = await issued();
    const extra = options() as { caUrl?: string };
    // Another CA's URL is signed into the request, but it is sent to this CA.
    const fetchTo = extra.caUrl ? (input: RequestInfo | URL, init?: RequestInit) => fetch(String(input).replace(extra.caUrl as string, ca.url), init) : fetch;
    const err = await refusal(
      revokeWithKey({ caUrl: ca.url, certificatePem: cert.certificatePem, privateKey: cert.privateKey, ...options(), fetch: fetchTo as typeof fetch }),
    );
    expect(err).toMatchObject({ code: 'ERR_SDK_REVOKE_REFUSED', caCode });
    expect((await ca.certificate(cert.serialHex))?.status).toBe('valid');
  });
});

describe('revokeWithSecret', () => {
  it('the ssl_api method returns the secret once; it revokes, and a repeat answers the first revocation', async () => {
    const cert = await issued();
    expect(cert.revocationSecret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // The same request again is answered with the same certificate, without a new secret.
    const replay = await submit(sslApiMethod({ caUrl: ca.url, client: 'vendor1' }), { csrPem: cert.csrPem });
    expect(replay.certificatePem).toBe(cert.certificatePem);
    expect(replay.revocationSecret).toBeUndefined();
    const wrong = await refusal(revokeWithSecret({ caUrl: ca.url, serialHex: cert.serialHex, secret: 'B'.repeat(43), reason: 'keyCompromise' }));
    expect(wrong).toMatchObject({ code: 'ERR_SDK_REVOKE_REFUSED', caCode: 'secret_invalid' });
    expect((await ca.certificate(cert.serialHex))?.status).toBe('valid');
    const done = await revokeWithSecret({
      caUrl: ca.url,
      certificatePem: cert.certificatePem,
      secret: cert.revocationSecret as string,
      reason: 'cessationOfOperation',
    });
    expect(done).toMatchObject({ status: 'revoked', reason: 'cessationOfOperation' });
    const again = await revokeWithSecret({ caUrl: ca.url, serialHex: cert.serialHex, secret: cert.revocationSecret as string, reason: 'keyCompromise' });
    expect(again).toMatchObject({ status: 'already_revoked', reason: 'cessationOfOperation', revokedAt: done.revokedAt });
    expect((await crlEntry(ca, cert.serialHex))?.reason).toBe('cessationOfOperation');
  });

  it("the CAcert method's held request carries the secret to the issued certificate (submit keeps it), and it revokes", async () => {
    const token = await accountWithToken(ca);
    const method = cacertMethod({ caUrl: ca.url, credentials: { installationToken: token } });
    const key = await createKeyAndCsr({ names: { email: [EMAIL] } });
    let approving: Promise<void> | undefined;
    const got = await submit(
      method,
      { csrPem: key.csrPem },
      {
        pollIntervalMs: 100,
        // The owner approves while the installation polls; polls never carry the secret.
        onEvent: (e) => {
          if (e.type === 'pending') approving ??= approveOnAccountPage(ca, e.requestId);
        },
      },
    );
    await approving;
    expect(got.revocationSecret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const serialHex = parseCertificate(got.certificatePem).serialNumberHex;
    const done = await revokeWithSecret({ caUrl: ca.url, serialHex, secret: got.revocationSecret as string, reason: 'superseded' });
    expect(done).toMatchObject({ status: 'revoked', serialHex, reason: 'superseded' });
  });
});
