/**
 * startScepProxy() against the real reference CA with a real installation token, driven by the
 * codec's client side as a device would: GetCACaps, GetCACert (the proxy's RA, the CA), a
 * PKCSReq forwarded with the token (PENDING), CertPoll while it waits, across a restart of the
 * proxy, and SUCCESS once the owner approved it on the account page; a discarded request ends
 * FAILURE badRequest; another key cannot poll a device's transaction; bad input is refused and
 * the proxy stays up; the start refuses a non-loopback address without the flag and a missing token.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCsr, createSelfSignedCa, decodePem, generateKeyPair, generateSerialNumber, parseCertificate, type DistinguishedName } from '@certwizard/pki';
import {
  buildIssuerAndSubject,
  buildScepRequest,
  createTransientSigner,
  parseCaCaps,
  parseCaCertResponse,
  parseCertRep,
  type ScepSigner,
} from '@certwizard/scep';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CredentialStore } from '../credentials/credential-store.js';
import { openFileStore } from '../credentials/file-store.js';
import { accountWithToken, approveOnAccountPage, decideOnAccountPage, EMAIL, startTestCa, type TestCa } from '../enroll/test-support/reference-ca.js';
import { installationTokenKey } from '../methods/cacert/credential-keys.js';
import { startScepProxy, type ScepProxy, type ScepProxyEvent } from './scep-proxy.js';

let dir: string;
let store: CredentialStore;
let ca: TestCa;
let proxies: ScepProxy[];

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'certwizard-scep-proxy-'));
  store = await openFileStore({ dir: join(dir, 'secrets') });
  ca = await startTestCa({ retryAfterSeconds: 1 });
  proxies = [];
});
afterEach(async () => {
  await Promise.all(proxies.map((p) => p.close()));
  await ca.dispose();
  rmSync(dir, { recursive: true, force: true });
});

const stateDir = () => join(dir, 'state');

async function start(events: ScepProxyEvent[] = []): Promise<ScepProxy> {
  const proxy = await startScepProxy({ caUrl: ca.url, credentials: store, stateDir: stateDir(), onEvent: (e) => events.push(e) });
  proxies.push(proxy);
  return proxy;
}

/** The DER of a Name, as a device has it (read back from a throwaway certificate). */
function nameDer(subject: DistinguishedName): Uint8Array {
  const { privateKey } = generateKeyPair('p256');
  const now = new Date();
  return parseCertificate(
    createSelfSignedCa({ subject, privateKey, notBefore: now, notAfter: new Date(now.getTime() + 60_000), serialNumber: generateSerialNumber() }).pem,
  ).subjectDer;
}

/** A device: an RSA key, its CSR and its self-signed SCEP signer. */
function device(): { signer: ScepSigner; csrDer: Uint8Array; subjectDer: Uint8Array; transactionId: string } {
  const { privateKey } = generateKeyPair('rsa2048');
  const subject: DistinguishedName = [{ type: 'CN', value: 'printer-3' }];
  const subjectDer = nameDer(subject);
  const csrDer = createCsr({ privateKey, subject, subjectAltNames: { email: [EMAIL] } }).der;
  return {
    signer: createTransientSigner({ privateKey, subjectDer }),
    csrDer,
    subjectDer,
    transactionId: String(BigInt(`0x${Buffer.from(crypto.getRandomValues(new Uint8Array(12))).toString('hex')}`)),
  };
}

/** GetCACert through the proxy: its RA and the CA certificates. */
async function caCerts(proxy: ScepProxy) {
  const res = await fetch(`${proxy.url}?operation=GetCACert`);
  expect(res.status).toBe(200);
  return parseCaCertResponse(new Uint8Array(await res.arrayBuffer()), res.headers.get('content-type') ?? '');
}

/** Sends one pkiMessage by POST (or GET with base64) and checks the CertRep as a device does. */
async function operate(
  proxy: ScepProxy,
  d: ReturnType<typeof device>,
  messageType: 'PKCSReq' | 'CertPoll',
  raCertificateDer: Uint8Array,
  caSubjectDer: Uint8Array,
  by: 'GET' | 'POST' = 'POST',
) {
  const content = messageType === 'PKCSReq' ? d.csrDer : buildIssuerAndSubject(caSubjectDer, d.subjectDer);
  const { der, senderNonce } = buildScepRequest({
    messageType,
    transactionId: d.transactionId,
    content,
    recipientCertificateDer: raCertificateDer,
    signer: d.signer,
  });
  const res =
    by === 'POST'
      ? await fetch(`${proxy.url}?operation=PKIOperation`, { method: 'POST', headers: { 'content-type': 'application/x-pki-message' }, body: der })
      : await fetch(`${proxy.url}?operation=PKIOperation&message=${encodeURIComponent(Buffer.from(der).toString('base64'))}`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('application/x-pki-message');
  return parseCertRep(new Uint8Array(await res.arrayBuffer()), { raCertificateDer, transactionId: d.transactionId, senderNonce, recipient: d.signer });
}

describe('startScepProxy against the reference CA', () => {
  beforeEach(async () => {
    await store.set(installationTokenKey(new URL(ca.url).origin), await accountWithToken(ca));
  });

  it('answers GetCACaps and GetCACert with its RA and the pinned CA certificate', async () => {
    const proxy = await start();
    const caps = parseCaCaps(await (await fetch(`${proxy.url}?operation=GetCACaps`)).text());
    expect(caps).toEqual(expect.arrayContaining(['POSTPKIOperation', 'SHA-256', 'AES', 'SCEPStandard']));
    expect(caps).not.toContain('Renewal');
    const certs = await caCerts(proxy);
    expect(Buffer.from(certs.raCertificateDer)).toEqual(Buffer.from(decodePem(proxy.raCertificatePem, 'CERTIFICATE')));
    // The RA, the proxy's local CA that issued it (the first CA: clients check the RA with it),
    // and the CA that will issue the device's certificate.
    expect(certs.certificatesDer.map((der) => Buffer.from(der))).toEqual(
      [proxy.raCertificatePem, readFileSync(join(stateDir(), 'local-ca.cert.pem'), 'utf8'), ca.caCertPem].map((pem) =>
        Buffer.from(decodePem(pem, 'CERTIFICATE')),
      ),
    );
    expect(proxy.fingerprints.caSha256).toBe(parseCertificate(ca.caCertPem).fingerprintSha256);
  });

  it('forwards a PKCSReq (PENDING), answers CertPoll across a restart, and SUCCESS once the owner approved it', async () => {
    const events: ScepProxyEvent[] = [];
    const first = await start(events);
    const { raCertificateDer } = await caCerts(first);
    const caSubjectDer = parseCertificate(ca.caCertPem).subjectDer;
    const d = device();
    expect(await operate(first, d, 'PKCSReq', raCertificateDer, caSubjectDer)).toMatchObject({ status: 'PENDING' });
    const forwarded = events.find((e) => e.type === 'forwarded');
    expect(forwarded).toMatchObject({ type: 'forwarded', transactionId: d.transactionId, status: 'pending' });
    const requestId = (forwarded as { requestId: string }).requestId;
    expect(await ca.request(requestId)).toMatchObject({ status: 'pending' });
    expect(await operate(first, d, 'CertPoll', raCertificateDer, caSubjectDer, 'GET')).toMatchObject({ status: 'PENDING' });

    // A device that is not the requester cannot poll (or take) its transaction.
    const other = { ...device(), transactionId: d.transactionId };
    expect(await operate(first, other, 'CertPoll', raCertificateDer, caSubjectDer)).toMatchObject({ status: 'FAILURE', failInfo: 'badRequest' });

    await first.close();
    await approveOnAccountPage(ca, requestId);
    const second = await start();
    expect(second.fingerprints).toEqual(first.fingerprints);
    const reply = await operate(second, d, 'CertPoll', raCertificateDer, caSubjectDer);
    expect(reply.status).toBe('SUCCESS');
    const issued = parseCertificate((reply as { certificatesDer: readonly Uint8Array[] }).certificatesDer[0] as Uint8Array);
    expect(issued.subjectAltNames.email).toEqual([EMAIL]);
    expect(Buffer.from(issued.publicKeyDer)).toEqual(Buffer.from(parseCertificate(d.signer.certificateDer).publicKeyDer));
    expect(issued.issuerDer).toEqual(caSubjectDer);
  });

  it('answers FAILURE badRequest once the owner discarded the request', async () => {
    const events: ScepProxyEvent[] = [];
    const proxy = await start(events);
    const { raCertificateDer } = await caCerts(proxy);
    const caSubjectDer = parseCertificate(ca.caCertPem).subjectDer;
    const d = device();
    expect(await operate(proxy, d, 'PKCSReq', raCertificateDer, caSubjectDer)).toMatchObject({ status: 'PENDING' });
    const requestId = (events.find((e) => e.type === 'forwarded') as { requestId: string }).requestId;
    await decideOnAccountPage(ca, requestId, 'discard');
    expect(await operate(proxy, d, 'CertPoll', raCertificateDer, caSubjectDer)).toMatchObject({ status: 'FAILURE', failInfo: 'badRequest' });
  });

  it('refuses bad input with 400/413/404, forwards nothing and stays up', async () => {
    const proxy = await start();
    const before = await ca.counts();
    expect((await fetch(`${proxy.url}?operation=PKIOperation&message=%%%`)).status).toBe(400);
    expect((await fetch(`${proxy.url}?operation=PKIOperation&message=${Buffer.from('not a message').toString('base64')}`)).status).toBe(400);
    expect((await fetch(`${proxy.url}?operation=PKIOperation`, { method: 'POST', body: new Uint8Array(70_000) })).status).toBe(413);
    expect((await fetch(`${proxy.url}?operation=Nope`)).status).toBe(400);
    expect((await fetch(new URL('/elsewhere', proxy.url))).status).toBe(404);
    expect(await ca.counts()).toEqual(before);
    expect((await fetch(`${proxy.url}?operation=GetCACaps`)).status).toBe(200);
  });
});

describe('startScepProxy refuses to start', () => {
  it('on a non-loopback address without allowNonLoopback, and without an installation token', async () => {
    await expect(startScepProxy({ caUrl: ca.url, credentials: store, stateDir: stateDir(), host: '0.0.0.0' })).rejects.toMatchObject({
      code: 'ERR_SDK_SCEP_PROXY',
    });
    await expect(startScepProxy({ caUrl: ca.url, credentials: store, stateDir: stateDir() })).rejects.toMatchObject({
      code: 'ERR_SDK_SCEP_PROXY',
      message: expect.stringContaining('no installation token') as unknown,
    });
  });
});
