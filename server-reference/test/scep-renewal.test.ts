/**
 * SCEP renewal by PKCSReq (RFC 8894 §3.3.1.2: a renewal is signed by the existing certificate)
 * over real HTTP, driven with the codec's client functions, the way certmonger 0.79 renews: its
 * `getcert resubmit` sends a PKCSReq with the first enrolment's transactionID, the same key and
 * the first CSR (with its spent PIN), signed by the current certificate; `getcert rekey` the same
 * with a new key. Each is a new transaction with a new certificate; a resent one answers the same
 * certificate; a revoked or expired signer is refused with nothing stored. The first PIN comes
 * from the real `certwizard-ca scep-pin`.
 */
import { generateKeyPair, parseCertificate } from '@certwizard/pki';
import { buildIssuerAndSubject, type ScepReply } from '@certwizard/scep';
import { afterEach, describe, expect, it } from 'vitest';
import { runBin } from './support/run-bin.js';
import { type Requester, requester, ScepTestClient, subjectDerOfCsr, opensslVerify } from './support/scep-client.js';
import { startTestCa, type TestCa } from './support/test-ca.js';

let ca: TestCa | undefined;
afterEach(async () => {
  await ca?.dispose();
  ca = undefined;
});

function certificateOf(reply: ScepReply) {
  if (reply.status !== 'SUCCESS' || !('certificatesDer' in reply)) throw new Error(`expected certificates, got ${JSON.stringify(reply)}`);
  return parseCertificate(reply.certificatesDer[0] as Uint8Array);
}

/** A first enrolment with a PIN from `certwizard-ca scep-pin`: the requester and its certificate. */
async function enrolled(c: TestCa, client: ScepTestClient, dns: string) {
  const made = await runBin(['scep-pin', '--data', c.dataDir, '--dns', dns, '--ttl', '1h']);
  expect(made.code, made.stderr).toBe(0);
  const first = requester({ dns: [dns], pin: made.stdout.trim(), privateKey: generateKeyPair('rsa2048').privateKey });
  return { first, certificate: certificateOf(await client.send('PKCSReq', first.csrDer, first)) };
}

/** `from` resent as certmonger's resubmit does: its transactionID and CSR, signed by `certificate` and its key. */
function signedByCertificate(from: Requester, certificateDer: Uint8Array, csr: { csrDer: Uint8Array; privateKey?: Requester['privateKey'] } = from) {
  return { transactionId: from.transactionId, csrDer: csr.csrDer, signer: { certificateDer, privateKey: from.privateKey } };
}

describe('SCEP renewal by a PKCSReq signed by our certificate', () => {
  it('resubmit (same key, same transactionID, the spent PIN): a new certificate; resent and polled, the same; no third one', async () => {
    ca = await startTestCa();
    const client = new ScepTestClient(`${ca.url}/scep`);
    const { first, certificate } = await enrolled(ca, client, 'resubmit.example.org');
    const resubmit = signedByCertificate(first, certificate.der);
    const renewed = certificateOf(await client.send('PKCSReq', resubmit.csrDer, resubmit, { method: 'POST' }));
    expect(renewed.serialNumberHex).not.toBe(certificate.serialNumberHex);
    expect(renewed.subjectAltNames.dns).toEqual(['resubmit.example.org']);
    expect(renewed.publicKeyDer).toEqual(certificate.publicKeyDer);
    expect(opensslVerify(ca, renewed.der)).toMatch(/OK/);

    const before = await ca.counts();
    expect(certificateOf(await client.send('PKCSReq', resubmit.csrDer, resubmit)).der).toEqual(renewed.der);
    const poll = buildIssuerAndSubject(await client.caSubjectDer(), subjectDerOfCsr(first.csrDer));
    expect(certificateOf(await client.send('CertPoll', poll, resubmit)).der).toEqual(renewed.der);
    // The first enrolment resent (self-signed signer): still the first certificate.
    expect(certificateOf(await client.send('PKCSReq', first.csrDer, first)).der).toEqual(certificate.der);
    expect(await ca.counts()).toEqual(before);
    expect((await ca.rows()).scep_transactions).toHaveLength(2);
  });

  it('rekey (a new key, signed by the old certificate and key): a new certificate for the new key', async () => {
    ca = await startTestCa();
    const client = new ScepTestClient(`${ca.url}/scep`);
    const { first, certificate } = await enrolled(ca, client, 'rekey.example.org');
    const fresh = requester({ dns: ['rekey.example.org'], pin: 'the-spent-pin-is-ignored', privateKey: generateKeyPair('rsa2048').privateKey });
    const rekey = signedByCertificate(first, certificate.der, fresh);
    const renewed = certificateOf(await client.send('PKCSReq', rekey.csrDer, rekey));
    expect(renewed.serialNumberHex).not.toBe(certificate.serialNumberHex);
    expect(renewed.publicKeyDer).not.toEqual(certificate.publicKeyDer);
    expect(renewed.publicKeyDer).toEqual(parseCertificate(fresh.signer.certificateDer).publicKeyDer);
    expect(opensslVerify(ca, renewed.der)).toMatch(/OK/);
  });

  it('a revoked signer and an expired signer are refused, nothing stored', async () => {
    ca = await startTestCa();
    const client = new ScepTestClient(`${ca.url}/scep`);
    const revoked = await enrolled(ca, client, 'revoked.example.org');
    const dated = await enrolled(ca, client, 'dated.example.org');
    await ca.store.revoke(revoked.certificate.serialNumberHex, { reason: 'superseded' });
    let before = await ca.counts();
    const afterRevocation = signedByCertificate(revoked.first, revoked.certificate.der);
    expect(await client.send('PKCSReq', afterRevocation.csrDer, afterRevocation)).toMatchObject({ status: 'FAILURE', failInfo: 'badRequest' });
    expect(await ca.counts()).toEqual(before);

    await ca.advanceClock(91 * 24 * 60 * 60_000);
    before = await ca.counts();
    const late = signedByCertificate(dated.first, dated.certificate.der);
    // The request's signingTime is the real clock's, the CA's is 91 days on: badTime, or past
    // that check badRequest (the service test proves that one): either way nothing is issued.
    expect(await client.send('PKCSReq', late.csrDer, late)).toMatchObject({ status: 'FAILURE' });
    expect(await ca.counts()).toEqual(before);
  });
});
