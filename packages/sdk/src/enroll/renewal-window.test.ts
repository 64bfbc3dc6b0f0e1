/**
 * `renewalWindow` of both built-in methods against the real reference CA: the CA's default
 * window (2/3 to 5/6 of the lifetime) with its Retry-After, asked without any credential and
 * without following redirects; a revoked certificate's window in the past (renew now); 404 (a CA
 * without the endpoint, a certificate it does not know) is `undefined`; a malformed window and a
 * redirect are ERR_SDK_CA_PROTOCOL (real node:http servers on loopback stand for such CAs).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseCertificate } from '@certwizard/pki';
import { afterEach, describe, expect, it } from 'vitest';
import { cacertMethod } from '../methods/cacert/cacert-method.js';
import { sslApiMethod } from '../methods/ssl-api/ssl-api-method.js';
import type { CertificateValidity, EnrollmentMethod } from './enrollment-method.js';
import { createKeyAndCsr } from './key-and-csr.js';
import { submit } from './submit.js';
import { startTestCa, type TestCa } from './test-support/reference-ca.js';

let ca: TestCa | undefined;
let server: Server | undefined;
afterEach(async () => {
  await ca?.dispose();
  ca = undefined;
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

/** A fetch that records what the SDK sent (the real fetch does the sending). */
function recordingFetch(): { fetch: typeof fetch; sent: Array<{ url: string; headers: Headers; redirect: RequestRedirect | undefined }> } {
  const sent: Array<{ url: string; headers: Headers; redirect: RequestRedirect | undefined }> = [];
  return {
    sent,
    fetch: (input, init) => {
      sent.push({ url: String(input), headers: new Headers(init?.headers), redirect: init?.redirect });
      return fetch(input, init);
    },
  };
}

async function issued(method: EnrollmentMethod<null>, dns = 'mail.example.org'): Promise<CertificateValidity> {
  const { csrPem } = await createKeyAndCsr({ names: { dns: [dns] } });
  const cert = parseCertificate((await submit(method, { csrPem })).certificatePem);
  return { certificatePem: cert.pem, notBefore: cert.notBefore, notAfter: cert.notAfter };
}

/** A server on 127.0.0.1:0 answering every request with `status`, `headers` and `body`. */
async function fixedServer(status: number, body: string, headers: Record<string, string> = {}): Promise<string> {
  server = createServer((_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(body);
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const second = (ms: number) => Math.floor(ms / 1000) * 1000;

describe('renewalWindow', () => {
  it.each([
    { name: 'ssl-api', make: (url: string, f: typeof fetch) => sslApiMethod({ caUrl: url, client: 'vendor1', fetch: f }) },
    {
      name: 'cacert',
      make: (url: string, f: typeof fetch) => cacertMethod({ caUrl: url, credentials: { installationToken: 'a-token-never-sent' }, fetch: f }),
    },
    {
      name: 'cacert with a password',
      make: (url: string, f: typeof fetch) => cacertMethod({ caUrl: url, credentials: { username: 'ada@example.org', password: 'never sent' }, fetch: f }),
    },
  ])("$name: the CA's default window and Retry-After, asked without credentials or redirects", async ({ make }) => {
    ca = await startTestCa();
    const cert = await issued(sslApiMethod({ caUrl: ca.url, client: 'vendor1' }));
    const { fetch: recording, sent } = recordingFetch();
    const window = await (make(ca.url, recording) as EnrollmentMethod).renewalWindow?.(cert);
    const lifetime = cert.notAfter.getTime() - cert.notBefore.getTime();
    expect(window).toEqual({
      start: new Date(second(cert.notBefore.getTime() + Math.round((lifetime * 2) / 3))),
      end: new Date(second(cert.notBefore.getTime() + Math.round((lifetime * 5) / 6))),
      retryAfterMs: 21_600_000,
    });
    expect(sent).toHaveLength(1);
    expect(sent[0]?.url).toMatch(new RegExp(`^${ca.url}/api/renewal-info/[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+$`));
    expect(sent[0]?.headers.get('authorization')).toBeNull();
    expect(sent[0]?.redirect).toBe('manual');
  });

  it('is a window that ended (renew now) once the certificate is revoked', async () => {
    ca = await startTestCa();
    const method = sslApiMethod({ caUrl: ca.url, client: 'vendor1' });
    const cert = await issued(method);
    await method.revoke?.({ certificatePem: cert.certificatePem, reason: 'keyCompromise' });
    const window = await method.renewalWindow?.(cert);
    expect(window?.end.getTime()).toBeLessThanOrEqual(Date.now());
  });

  it('is undefined for a certificate the CA does not know (404), and for a CA without the endpoint', async () => {
    ca = await startTestCa();
    const other = await startTestCa({ commonName: 'Other CA' });
    try {
      const foreign = await issued(sslApiMethod({ caUrl: other.url, client: 'vendor1' }));
      expect(await sslApiMethod({ caUrl: ca.url, client: 'vendor1' }).renewalWindow?.(foreign)).toBeUndefined();
      const older = await fixedServer(404, JSON.stringify({ error: { code: 'not_found', message: 'no such resource' } }));
      expect(await sslApiMethod({ caUrl: older, client: 'vendor1' }).renewalWindow?.(foreign)).toBeUndefined();
    } finally {
      await other.dispose();
    }
  });

  it.each([
    { name: 'a window whose start is after its end', status: 200, body: { suggestedWindow: { start: '2026-03-02T00:00:00Z', end: '2026-03-01T00:00:00Z' } } },
    { name: 'a window of dates that do not exist', status: 200, body: { suggestedWindow: { start: '2026-02-30T00:00:00Z', end: '2026-03-31T00:00:00Z' } } },
    { name: 'no window at all', status: 200, body: { retry: 1 } },
    { name: 'a documented error other than 404', status: 400, body: { error: { code: 'malformed_cert_id', message: 'no' } } },
  ])('is ERR_SDK_CA_PROTOCOL for $name', async ({ status, body }) => {
    ca = await startTestCa();
    const cert = await issued(sslApiMethod({ caUrl: ca.url, client: 'vendor1' }));
    const url = await fixedServer(status, JSON.stringify(body));
    await expect(sslApiMethod({ caUrl: url, client: 'vendor1' }).renewalWindow?.(cert)).rejects.toMatchObject({ code: 'ERR_SDK_CA_PROTOCOL', status });
  });

  it('does not follow a redirect: ERR_SDK_CA_PROTOCOL, the target never asked', async () => {
    ca = await startTestCa();
    const cert = await issued(sslApiMethod({ caUrl: ca.url, client: 'vendor1' }));
    const url = await fixedServer(302, '', { location: `${ca.url}/api/renewal-info/elsewhere` });
    const { fetch: recording, sent } = recordingFetch();
    await expect(sslApiMethod({ caUrl: url, client: 'vendor1', fetch: recording }).renewalWindow?.(cert)).rejects.toMatchObject({
      code: 'ERR_SDK_CA_PROTOCOL',
      status: 302,
    });
    expect(sent.map((s) => new URL(s.url).origin)).toEqual([url]);
  });

  it('refuses a certificatePem that is not a certificate as a TypeError, sending nothing', async () => {
    const { fetch: recording, sent } = recordingFetch();
    const method = sslApiMethod({ caUrl: 'http://127.0.0.1:9', client: 'vendor1', fetch: recording });
    await expect(method.renewalWindow?.({ certificatePem: 'nope', notBefore: new Date(), notAfter: new Date() })).rejects.toThrow(TypeError);
    expect(sent).toEqual([]);
  });
});
