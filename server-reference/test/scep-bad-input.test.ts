/**
 * The SCEP endpoint's bad-input table (RFC 8894 over real HTTP): truncated and oversized
 * messages, wrong content types, unknown operations, bad base64, a message signed by a key that
 * is not its signer certificate's, an envelope for another recipient, a PIN-less request whose
 * signer is not the request's key. Each is answered HTTP 400 (plain text) or a CertRep FAILURE
 * with its failInfo; nothing is stored (row counts before and after), and the CA still answers.
 */
import { randomBytes } from 'node:crypto';
import { generateKeyPair } from '@certwizard/pki';
import { buildScepRequest, createTransientSigner, parseCertRep, SCEP_MAX_MESSAGE_BYTES } from '@certwizard/scep';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requester, ScepTestClient, subjectDerOfCsr } from './support/scep-client.js';
import { startTestCa, type TestCa } from './support/test-ca.js';

let ca: TestCa;
let client: ScepTestClient;
let ra: Uint8Array;
beforeAll(async () => {
  ca = await startTestCa();
  client = new ScepTestClient(`${ca.url}/scep`);
  ra = (await client.caCerts()).raCertificateDer;
});
afterAll(async () => {
  await ca.dispose();
});

/** A well-formed PKCSReq without a PIN, as DER. */
function pkcsReq(options: { recipient?: Uint8Array; signerKey?: ReturnType<typeof generateKeyPair>['privateKey'] } = {}) {
  const r = requester({ dns: ['bad.example.org'] });
  const signer = options.signerKey ? { certificateDer: r.signer.certificateDer, privateKey: options.signerKey } : r.signer;
  const built = buildScepRequest({
    messageType: 'PKCSReq',
    transactionId: r.transactionId,
    content: r.csrDer,
    recipientCertificateDer: options.recipient ?? ra,
    signer,
  });
  return { ...built, r };
}

type Case = { name: string; send: () => Promise<Response> };
const http400: Case[] = [
  { name: 'unknown operation', send: () => fetch(`${ca.url}/scep?operation=GetEverything`) },
  { name: 'no operation', send: () => fetch(`${ca.url}/scep`) },
  { name: 'two operations', send: () => fetch(`${ca.url}/scep?operation=GetCACaps&operation=GetCACert`) },
  { name: 'bad base64', send: () => fetch(`${ca.url}/scep?operation=PKIOperation&message=${encodeURIComponent('not*base64!')}`) },
  { name: 'no message', send: () => fetch(`${ca.url}/scep?operation=PKIOperation`) },
  {
    name: 'truncated message (GET)',
    send: () => fetch(`${ca.url}/scep?operation=PKIOperation&message=${encodeURIComponent(Buffer.from(pkcsReq().der.subarray(0, 300)).toString('base64'))}`),
  },
  { name: 'truncated message (POST)', send: () => client.raw(pkcsReq().der.subarray(0, 1000), 'POST') },
  { name: 'garbage DER', send: () => client.raw(randomBytes(2000), 'POST') },
  { name: 'oversized message (POST)', send: () => client.raw(randomBytes(SCEP_MAX_MESSAGE_BYTES + 1), 'POST') },
  {
    name: 'wrong content type',
    send: () =>
      fetch(`${ca.url}/scep?operation=PKIOperation`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: Buffer.from(pkcsReq().der) }),
  },
  {
    name: 'no content type',
    send: () => fetch(`${ca.url}/scep?operation=PKIOperation`, { method: 'POST', body: new Uint8Array(pkcsReq().der) }),
  },
  {
    name: 'signed by a key that is not the signer certificate\u2019s',
    send: () => client.raw(pkcsReq({ signerKey: generateKeyPair('rsa2048').privateKey }).der),
  },
  { name: 'unknown personal URL', send: () => fetch(`${ca.url}/scep/u/${'A'.repeat(22)}?operation=GetCACaps`) },
];

describe('SCEP bad input', () => {
  it.each(http400)('$name: HTTP 4xx plain text, nothing stored, the CA still answers', async ({ send }) => {
    const before = await ca.counts();
    const res = await send();
    expect([400, 404]).toContain(res.status);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await ca.counts()).toEqual(before);
    expect((await fetch(`${ca.url}/scep?operation=GetCACaps`)).status).toBe(200);
  });

  it('an envelope for another recipient: CertRep FAILURE badMessageCheck, signed by the RA, nothing stored', async () => {
    const stranger = generateKeyPair('rsa2048');
    const strangerCert = createTransientSigner({ privateKey: stranger.privateKey, subjectDer: subjectDerOfCsr(requester({ dns: ['x.example.org'] }).csrDer) });
    const { der, senderNonce, r } = pkcsReq({ recipient: strangerCert.certificateDer });
    const before = await ca.counts();
    const res = await client.raw(der);
    expect(res.status).toBe(200);
    const reply = parseCertRep(new Uint8Array(await res.arrayBuffer()), {
      raCertificateDer: ra,
      transactionId: r.transactionId,
      senderNonce,
      recipient: r.signer,
    });
    expect(reply).toMatchObject({ status: 'FAILURE', failInfo: 'badMessageCheck' });
    expect(await ca.counts()).toEqual(before);
  });

  it('a PKCSReq whose signer certificate is for another key than the request: FAILURE badMessageCheck, nothing stored', async () => {
    const r = requester({ dns: ['mismatch.example.org'] });
    const otherKey = generateKeyPair('rsa2048').privateKey;
    const signer = createTransientSigner({ privateKey: otherKey, subjectDer: subjectDerOfCsr(r.csrDer) });
    const before = await ca.counts();
    expect(await client.send('PKCSReq', r.csrDer, { signer, transactionId: r.transactionId })).toMatchObject({
      status: 'FAILURE',
      failInfo: 'badMessageCheck',
    });
    expect(await ca.counts()).toEqual(before);
  });

  it('a PKCSReq whose content is no PKCS #10 request: FAILURE badRequest, nothing stored', async () => {
    const r = requester({ dns: ['junk.example.org'] });
    const before = await ca.counts();
    expect(await client.send('PKCSReq', randomBytes(64), r)).toMatchObject({ status: 'FAILURE', failInfo: 'badRequest' });
    expect(await ca.counts()).toEqual(before);
  });

  it('other methods: 405 with Allow', async () => {
    const res = await fetch(`${ca.url}/scep?operation=GetCACaps`, { method: 'PUT' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, POST');
  });
});
