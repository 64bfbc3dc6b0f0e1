/**
 * The ssl_api method against the real reference CA: issued chains that verify to the CA
 * certificate, documented refusals as ERR_SDK_ENROLL_REJECTED with the CA's code and nothing
 * stored, contract breaches as ERR_SDK_CA_PROTOCOL.
 */
import { certificateMatchesKey, parseCertificate, parseCertificateChain, verifyChain } from '@certwizard/pki';
import { afterEach, describe, expect, it } from 'vitest';
import { createKeyAndCsr } from '../../enroll/key-and-csr.js';
import { sslApiMethod } from './ssl-api-method.js';
import { submit } from '../../enroll/submit.js';
import { startTestCa, type TestCa } from '../../enroll/test-support/reference-ca.js';

let ca: TestCa | undefined;
afterEach(async () => {
  await ca?.dispose();
  ca = undefined;
});

describe('sslApiMethod', () => {
  it('issues a certificate for the configured names whose chain verifies to the CA certificate', async () => {
    ca = await startTestCa();
    const { privateKey, csrPem } = await createKeyAndCsr({ names: { dns: ['mail.example.org'] } });
    const events: string[] = [];
    const got = await submit(sslApiMethod({ caUrl: ca.url, client: 'vendor1' }), { csrPem }, { onEvent: (e) => events.push(e.type) });
    const leaf = parseCertificate(got.certificatePem);
    expect(parseCertificateChain(`${got.certificatePem}${got.chainPem}`)).toHaveLength(2);
    const path = verifyChain(leaf, { intermediates: parseCertificateChain(got.chainPem), trustAnchors: [parseCertificate(ca.caCertPem)] });
    expect(path).toHaveLength(2);
    expect(leaf.subjectAltNames.dns).toEqual(['mail.example.org']);
    expect(certificateMatchesKey(leaf, privateKey)).toBe(true);
    expect((await ca.certificate(leaf.serialNumberHex))?.requester).toContain('vendor1');
    expect(events).toEqual(['submitting', 'issued']);
  });

  it.each([
    { name: 'a request without any name', csr: async () => (await createKeyAndCsr({ names: {} })).csrPem, caCode: 'csr_invalid_name' },
    {
      name: 'a body that is not a request',
      csr: async () => '-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n',
      caCode: 'csr_malformed',
    },
  ])('turns the refusal of $name into ERR_SDK_ENROLL_REJECTED ($caCode) and stores nothing', async ({ csr, caCode }) => {
    ca = await startTestCa();
    const before = await ca.counts();
    const method = sslApiMethod({ caUrl: ca.url, client: 'vendor1' });
    const csrPem = await csr();
    expect(await method.submit({ csrPem })).toMatchObject({ status: 'rejected', caCode, httpStatus: 400 });
    await expect(submit(method, { csrPem })).rejects.toMatchObject({ code: 'ERR_SDK_ENROLL_REJECTED', caCode, status: 400 });
    expect(await ca.counts()).toEqual(before);
  });

  it('reports an answer outside the contract as ERR_SDK_CA_PROTOCOL', async () => {
    const fakeFetch = (async () => new Response('<html>proxy</html>', { status: 200 })) as typeof fetch;
    const method = sslApiMethod({ caUrl: 'https://ca.invalid', client: 'vendor1', fetch: fakeFetch });
    await expect(method.submit({ csrPem: 'x' })).rejects.toMatchObject({ code: 'ERR_SDK_CA_PROTOCOL', status: 200 });
  });

  it('refuses a malformed client hash or CA URL as caller misuse', () => {
    expect(() => sslApiMethod({ caUrl: 'https://ca.example', client: 'no/slashes' })).toThrow(TypeError);
    expect(() => sslApiMethod({ caUrl: 'https://user:pw@ca.example', client: 'vendor1' })).toThrow(TypeError);
  });
});
