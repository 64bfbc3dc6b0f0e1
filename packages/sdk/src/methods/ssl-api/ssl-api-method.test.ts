/**
 * The ssl_api method against the real reference CA: issued chains that verify to the CA
 * certificate, documented refusals as ERR_SDK_ENROLL_REJECTED with the CA's code and nothing
 * stored, contract breaches as ERR_SDK_CA_PROTOCOL; revoke: the client's own certificate onto
 * the CRL with its reason, a repeat already_revoked, another client's ERR_SDK_REVOKE_REFUSED.
 */
import { certificateMatchesKey, parseCertificate, parseCertificateChain, verifyChain } from '@certwizard/pki';
import { afterEach, describe, expect, it } from 'vitest';
import { createKeyAndCsr } from '../../enroll/key-and-csr.js';
import { sslApiMethod } from './ssl-api-method.js';
import { submit } from '../../enroll/submit.js';
import { crlEntry, startTestCa, type TestCa } from '../../enroll/test-support/reference-ca.js';

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

describe('sslApiMethod.revoke', () => {
  /** A certificate issued to `client`, PEM, and its serial. */
  async function issued(c: TestCa, client: string): Promise<{ certificatePem: string; serialHex: string }> {
    const { csrPem } = await createKeyAndCsr({ names: { dns: ['mail.example.org'] } });
    const { certificatePem } = await submit(sslApiMethod({ caUrl: c.url, client }), { csrPem });
    return { certificatePem, serialHex: parseCertificate(certificatePem).serialNumberHex };
  }

  it("revokes the client's own certificate by its PEM; the CRL lists it with the reason, and a repeat is already_revoked", async () => {
    ca = await startTestCa();
    const { certificatePem, serialHex } = await issued(ca, 'vendor1');
    const calls: RequestInit[] = [];
    const recording = (async (input: string | URL | Request, init?: RequestInit) => {
      calls.push(init ?? {});
      return fetch(input, init);
    }) as typeof fetch;
    const method = sslApiMethod({ caUrl: ca.url, client: 'vendor1', fetch: recording });
    expect(await method.revoke?.({ certificatePem, reason: 'keyCompromise' })).toEqual({ status: 'revoked', serialHex });
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ method: 'POST', redirect: 'manual' });
    expect(await crlEntry(ca, serialHex)).toMatchObject({ reason: 'keyCompromise' });
    const first = await ca.certificate(serialHex);
    await ca.advanceClock(60_000);
    expect(await method.revoke?.({ serialHex: serialHex.toUpperCase(), reason: 'superseded' })).toEqual({ status: 'already_revoked', serialHex });
    expect(await ca.certificate(serialHex)).toEqual(first);
  });

  it("refuses another client's certificate and an unknown serial alike as ERR_SDK_REVOKE_REFUSED (unknown_certificate), leaving it valid", async () => {
    ca = await startTestCa();
    const { serialHex } = await issued(ca, 'vendor1');
    const other = sslApiMethod({ caUrl: ca.url, client: 'vendor2' });
    for (const serial of [serialHex, '7f'.repeat(16)]) {
      await expect(other.revoke?.({ serialHex: serial, reason: 'keyCompromise' })).rejects.toMatchObject({
        code: 'ERR_SDK_REVOKE_REFUSED',
        caCode: 'unknown_certificate',
        status: 404,
        serialHex: serial,
      });
    }
    expect((await ca.certificate(serialHex))?.status).toBe('valid');
  });

  it('refuses a reason a holder may not give, or no certificate and no serial, as caller misuse before sending anything', async () => {
    let sent = 0;
    const counting = (async () => {
      sent += 1;
      return new Response('{}');
    }) as typeof fetch;
    const method = sslApiMethod({ caUrl: 'https://ca.invalid', client: 'vendor1', fetch: counting });
    await expect(method.revoke?.({ serialHex: '0a1b', reason: 'certificateHold' as never })).rejects.toThrow(TypeError);
    await expect(method.revoke?.({ reason: 'keyCompromise' })).rejects.toThrow(TypeError);
    await expect(method.revoke?.({ serialHex: '0a1b', certificatePem: 'x' })).rejects.toThrow(TypeError);
    await expect(method.revoke?.({ certificatePem: 'not a certificate' })).rejects.toThrow(TypeError);
    expect(sent).toBe(0);
  });

  it('stops with the signal and revokes nothing', async () => {
    ca = await startTestCa();
    const { serialHex } = await issued(ca, 'vendor1');
    const controller = new AbortController();
    const reason = new Error('the installer is closing');
    controller.abort(reason);
    await expect(sslApiMethod({ caUrl: ca.url, client: 'vendor1' }).revoke?.({ serialHex }, { signal: controller.signal })).rejects.toBe(reason);
    expect((await ca.certificate(serialHex))?.status).toBe('valid');
  });

  it.each([
    { name: 'a page from a proxy', response: () => new Response('<html>proxy</html>', { status: 200 }) },
    { name: 'an answer about another serial', response: () => new Response('{"status":"revoked","serial":"0a1c"}', { status: 200 }) },
    { name: 'a redirect', response: () => new Response(null, { status: 307, headers: { location: 'https://elsewhere.example/' } }) },
  ])('reports $name as ERR_SDK_CA_PROTOCOL', async ({ response }) => {
    const method = sslApiMethod({ caUrl: 'https://ca.invalid', client: 'vendor1', fetch: (async () => response()) as typeof fetch });
    await expect(method.revoke?.({ serialHex: '0a1b' })).rejects.toMatchObject({ code: 'ERR_SDK_CA_PROTOCOL' });
  });
});
