/**
 * The SCEP endpoint (RFC 8894) of the reference CA over real HTTP, driven with the codec's own
 * client functions: GetCACaps, GetCACert, PKCSReq with a one-time PIN (issued, verified with
 * openssl), a used, wrong, expired or foreign-names PIN (FAILURE badRequest, nothing stored or
 * consumed), PKCSReq without a PIN (PENDING in the operator queue, approved there, CertPoll
 * returns it), the transaction (a resent PKCSReq is the same request), RenewalReq (good, revoked
 * signer, expired signer), GetCert, GetCRL. PINs come from the real `certwizard-ca scep-pin`.
 */
import { createCsr, generateKeyPair, parseCertificate } from '@certwizard/pki';
import { buildIssuerAndSerial, buildIssuerAndSubject, type ScepReply } from '@certwizard/scep';
import { afterEach, describe, expect, it } from 'vitest';
import { addOperator, OPERATOR, OPERATOR_PASSWORD } from './support/operator-client.js';
import { accountWithToken, PASSWORD } from './support/cacert-client.js';
import { mailbox, postForm } from './support/registration-client.js';
import { runBin } from './support/run-bin.js';
import { requester, ScepTestClient, subjectDerOfCsr, opensslVerify } from './support/scep-client.js';
import { startTestCa, type TestCa } from './support/test-ca.js';

let ca: TestCa | undefined;
let other: TestCa | undefined;
afterEach(async () => {
  await other?.dispose();
  await ca?.dispose();
  ca = other = undefined;
});

/** A PIN from the real `certwizard-ca scep-pin` (stdout: the PIN alone). */
async function makePin(c: TestCa, dns: readonly string[], ttl = '1h'): Promise<string> {
  const result = await runBin(['scep-pin', '--data', c.dataDir, ...dns.flatMap((d) => ['--dns', d]), '--ttl', ttl]);
  expect(result.code, result.stderr).toBe(0);
  return result.stdout.trim();
}

function certificatesOf(reply: ScepReply): readonly Uint8Array[] {
  if (reply.status !== 'SUCCESS' || !('certificatesDer' in reply)) throw new Error(`expected certificates, got ${JSON.stringify(reply)}`);
  return reply.certificatesDer;
}

async function scepRequests(c: TestCa): Promise<Array<{ id: string; status: string; source: string; account_id: number | null }>> {
  return (await c.rows()).certificate_requests as Array<{ id: string; status: string; source: string; account_id: number | null }>;
}

describe('SCEP GetCACaps and GetCACert', () => {
  it('advertises exactly what works, and serves RA then CA on /scep and the alias', async () => {
    ca = await startTestCa();
    for (const path of ['/scep', '/cgi-bin/pkiclient.exe']) {
      const caps = await fetch(`${ca.url}${path}?operation=GetCACaps`);
      expect(caps.status).toBe(200);
      expect(caps.headers.get('content-type')).toMatch(/^text\/plain/);
      expect((await caps.text()).split('\n').filter(Boolean)).toEqual(['POSTPKIOperation', 'SHA-256', 'SHA-512', 'AES', 'SCEPStandard', 'Renewal']);
      const client = new ScepTestClient(`${ca.url}${path}`);
      const { raCertificateDer, caCertificateDer } = await client.caCerts();
      expect(parseCertificate(caCertificateDer).pem).toBe(ca.caCertPem);
      expect(parseCertificate(raCertificateDer).issuerDer).toEqual(parseCertificate(caCertificateDer).subjectDer);
      // certmonger walks the chain with message=1, 2...: the same set each time.
      const walk = await fetch(`${ca.url}${path}?operation=GetCACert&message=1`);
      expect(walk.headers.get('content-type')).toBe('application/x-x509-ca-ra-cert');
    }
    expect((await fetch(`${ca.url}/scep?operation=GetNextCACert`)).status).toBe(404);
  });
});

describe('SCEP PKCSReq with a PIN', () => {
  it('issues at once (GET and POST), openssl verifies it, the SAN is there; the PIN then is used up', async () => {
    ca = await startTestCa();
    const client = new ScepTestClient(`${ca.url}/scep`);
    const pin = await makePin(ca, ['device.example.org']);
    const r = requester({ dns: ['device.example.org'], pin });
    const certificates = certificatesOf(await client.send('PKCSReq', r.csrDer, r));
    const issued = parseCertificate(certificates[0] as Uint8Array);
    expect(issued.subjectAltNames.dns).toEqual(['device.example.org']);
    expect(opensslVerify(ca, issued.der)).toMatch(/OK/);
    expect(parseCertificate(certificates[1] as Uint8Array).pem).toBe(ca.caCertPem);
    expect((await scepRequests(ca)).map((q) => [q.status, q.source, q.account_id])).toEqual([['issued', 'scep', null]]);

    // The same PIN again, another transaction: FAILURE badRequest, nothing stored.
    const before = await ca.counts();
    const again = requester({ dns: ['device.example.org'], pin });
    expect(await client.send('PKCSReq', again.csrDer, again, { method: 'POST' })).toMatchObject({ status: 'FAILURE', failInfo: 'badRequest' });
    expect(await ca.counts()).toEqual(before);

    // The first transaction resent: its certificate again, no second request.
    expect(certificatesOf(await client.send('PKCSReq', r.csrDer, r))[0]).toEqual(issued.der);
    expect(await ca.counts()).toEqual(before);
  });

  it('answers a wrong PIN, names outside the binding and an expired PIN with FAILURE badRequest, consuming nothing', async () => {
    ca = await startTestCa();
    const client = new ScepTestClient(`${ca.url}/scep`);
    const pin = await makePin(ca, ['bound.example.org'], '10m');
    const before = await ca.counts();
    const wrong = requester({ dns: ['bound.example.org'], pin: 'not-the-pin-at-all-0123456789' });
    expect(await client.send('PKCSReq', wrong.csrDer, wrong)).toEqual(expect.objectContaining({ status: 'FAILURE', failInfo: 'badRequest' }));
    const foreign = requester({ dns: ['bound.example.org', 'other.example.org'], pin });
    expect(await client.send('PKCSReq', foreign.csrDer, foreign)).toEqual(expect.objectContaining({ status: 'FAILURE', failInfo: 'badRequest' }));
    expect(await ca.counts()).toEqual(before);
    // Nothing was used up: the PIN issues once its own names are asked.
    const right = requester({ dns: ['bound.example.org'], pin });
    expect((await client.send('PKCSReq', right.csrDer, right)).status).toBe('SUCCESS');
    const pin2 = await makePin(ca, ['late.example.org'], '10m');
    await ca.advanceClock(11 * 60_000);
    const expired = requester({ dns: ['late.example.org'], pin: pin2 });
    expect(await client.send('PKCSReq', expired.csrDer, expired)).toEqual(expect.objectContaining({ status: 'FAILURE', failInfo: 'badRequest' }));
    const after = await ca.counts();
    expect([after.certificates, after.certificate_requests]).toEqual([(before.certificates ?? 0) + 1, (before.certificate_requests ?? 0) + 1]);
  });

  it('two CA processes on one database: one PIN, two requests at once, exactly one SUCCESS', async () => {
    ca = await startTestCa();
    other = await startTestCa({ sharing: ca });
    const pin = await makePin(ca, ['race.example.org']);
    const first = requester({ dns: ['race.example.org'], pin });
    const second = requester({ dns: ['race.example.org'], pin, privateKey: generateKeyPair('rsa2048').privateKey });
    const replies = await Promise.all([
      new ScepTestClient(`${ca.url}/scep`).send('PKCSReq', first.csrDer, first),
      new ScepTestClient(`${other.url}/scep`).send('PKCSReq', second.csrDer, second),
    ]);
    expect(replies.map((r) => r.status).sort()).toEqual(['FAILURE', 'SUCCESS']);
    expect((await ca.counts()).certificates).toBe(1);
  });
});

describe('SCEP PKCSReq without a PIN', () => {
  it('waits in the operator queue; approved there, CertPoll returns the certificate', async () => {
    ca = await startTestCa();
    const client = new ScepTestClient(`${ca.url}/scep`);
    const r = requester({ dns: ['queued.example.org'] });
    expect(await client.send('PKCSReq', r.csrDer, r)).toMatchObject({ status: 'PENDING' });
    // Resent: the same request, still pending.
    expect(await client.send('PKCSReq', r.csrDer, r)).toMatchObject({ status: 'PENDING' });
    const stored = await scepRequests(ca);
    expect(stored.map((q) => [q.status, q.source, q.account_id])).toEqual([['pending', 'scep', null]]);
    const poll = buildIssuerAndSubject(await client.caSubjectDer(), subjectDerOfCsr(r.csrDer));
    expect(await client.send('CertPoll', poll, r)).toMatchObject({ status: 'PENDING' });

    await addOperator(ca);
    const login = await postForm(`${ca.url}/operator/login`, { EmailAddress: OPERATOR, Password: OPERATOR_PASSWORD });
    const cookie = (login.headers.get('set-cookie') as string).split(';')[0] as string;
    const page = await (await fetch(`${ca.url}/operator/queue`, { headers: { cookie } })).text();
    expect(page).toContain('queued.example.org');
    expect(page).toContain('none (SCEP, no account)');
    const csrf = /name="csrf" value="([^"]+)"/.exec(page)?.[1] as string;
    const approved = await postForm(`${ca.url}/operator/requests/${(stored[0] as { id: string }).id}/approve`, { csrf }, { cookie });
    expect(approved.status).toBe(303);

    const certificate = parseCertificate(certificatesOf(await client.send('CertPoll', poll, r))[0] as Uint8Array);
    expect(certificate.subjectAltNames.dns).toEqual(['queued.example.org']);
    expect(opensslVerify(ca, certificate.der)).toMatch(/OK/);
  });

  it('answers CertPoll of a rejected request with FAILURE badRequest, and of an unknown transaction too', async () => {
    ca = await startTestCa();
    const client = new ScepTestClient(`${ca.url}/scep`);
    const r = requester({ dns: ['refused.example.org'] });
    expect(await client.send('PKCSReq', r.csrDer, r)).toMatchObject({ status: 'PENDING' });
    await ca.rejectRequest(((await scepRequests(ca))[0] as { id: string }).id, 'not ours');
    const poll = buildIssuerAndSubject(await client.caSubjectDer(), subjectDerOfCsr(r.csrDer));
    expect(await client.send('CertPoll', poll, r)).toMatchObject({ status: 'FAILURE', failInfo: 'badRequest' });
    expect(await client.send('CertPoll', poll, { ...r, transactionId: 'never-sent' })).toMatchObject({ status: 'FAILURE', failInfo: 'badRequest' });
  });
});

describe('SCEP RenewalReq, GetCert, GetCRL', () => {
  /** A certificate issued through the operator queue (no PIN): PKCSReq, approval, CertPoll. */
  async function issued(c: TestCa, client: ScepTestClient, dns: string) {
    const r = requester({ dns: [dns], privateKey: generateKeyPair('rsa2048').privateKey });
    expect(await client.send('PKCSReq', r.csrDer, r)).toMatchObject({ status: 'PENDING' });
    const pending = (await scepRequests(c)).filter((q) => q.status === 'pending');
    await c.approveRequest((pending[0] as { id: string }).id);
    const poll = buildIssuerAndSubject(await client.caSubjectDer(), subjectDerOfCsr(r.csrDer));
    const der = certificatesOf(await client.send('CertPoll', poll, r))[0] as Uint8Array;
    return { der, privateKey: r.privateKey };
  }

  function renewal(old: { der: Uint8Array; privateKey: ReturnType<typeof generateKeyPair>['privateKey'] }, dns: readonly string[]) {
    const fresh = generateKeyPair('rsa2048');
    const csr = createCsr({ privateKey: fresh.privateKey, subject: [{ type: 'CN', value: dns[0] as string }], subjectAltNames: { dns: [...dns] } });
    return { csrDer: csr.der, signer: { certificateDer: old.der, privateKey: old.privateKey }, transactionId: `renew-${Math.random()}` };
  }

  it('renews without a PIN when signed by the old certificate; refuses new names, a revoked and an expired signer', async () => {
    ca = await startTestCa();
    const client = new ScepTestClient(`${ca.url}/scep`);
    const old = await issued(ca, client, 'renew.example.org');
    const good = renewal(old, ['renew.example.org']);
    const renewed = parseCertificate(certificatesOf(await client.send('RenewalReq', good.csrDer, good))[0] as Uint8Array);
    expect(renewed.subjectAltNames.dns).toEqual(['renew.example.org']);
    expect(renewed.serialNumberHex).not.toBe(parseCertificate(old.der).serialNumberHex);

    let before = await ca.counts();
    const wider = renewal(old, ['renew.example.org', 'more.example.org']);
    expect(await client.send('RenewalReq', wider.csrDer, wider)).toMatchObject({ status: 'FAILURE', failInfo: 'badRequest' });
    await ca.store.revoke(parseCertificate(old.der).serialNumberHex, { reason: 'superseded' });
    const revoked = renewal(old, ['renew.example.org']);
    expect(await client.send('RenewalReq', revoked.csrDer, revoked)).toMatchObject({ status: 'FAILURE', failInfo: 'badRequest' });
    expect((await ca.counts()).certificates).toBe(before.certificates);

    const dated = await issued(ca, client, 'expire.example.org');
    await ca.advanceClock(91 * 24 * 60 * 60_000);
    before = await ca.counts();
    const expired = renewal(dated, ['expire.example.org']);
    // The request's own signingTime is the real clock's; the CA's is 91 days on, so it is
    // answered badTime or, past that check, badRequest: either way nothing is issued.
    expect(await client.send('RenewalReq', expired.csrDer, expired)).toMatchObject({ status: 'FAILURE' });
    expect((await ca.counts()).certificates).toBe(before.certificates);
  });

  it('GetCert returns a certificate of this CA by issuer and serial (badCertId when unknown); GetCRL the current CRL', async () => {
    ca = await startTestCa();
    const client = new ScepTestClient(`${ca.url}/scep`);
    const old = await issued(ca, client, 'getcert.example.org');
    const serial = parseCertificate(old.der).serialNumberHex;
    const asker = requester({ dns: ['asker.example.org'] });
    const issuerDer = await client.caSubjectDer();
    expect(certificatesOf(await client.send('GetCert', buildIssuerAndSerial(issuerDer, serial), asker))[0]).toEqual(old.der);
    expect(await client.send('GetCert', buildIssuerAndSerial(issuerDer, '0badc0de'), asker)).toMatchObject({ status: 'FAILURE', failInfo: 'badCertId' });
    await ca.store.revoke(serial, { reason: 'keyCompromise' });
    ca.ca.invalidateCrl();
    const crl = await client.send('GetCRL', buildIssuerAndSerial(issuerDer, serial), asker);
    expect(crl.status).toBe('SUCCESS');
    expect(Buffer.from((crl as { crlDer: Uint8Array }).crlDer)).toEqual(Buffer.from(await ca.ca.currentCrl()));
  });
});

describe('SCEP personal URL', () => {
  it("holds a PIN-less request for the URL's owner (account page, mail), who approves it; CertPoll then returns it", async () => {
    ca = await startTestCa();
    const { email } = await accountWithToken(ca);
    const origin = new URL(ca.url).origin;
    const cookie = ((await postForm(`${ca.url}/login`, { EmailAddress: email, Password: PASSWORD })).headers.get('set-cookie') as string).split(
      ';',
    )[0] as string;
    const page = async () => (await fetch(`${ca.url}/account`, { headers: { cookie } })).text();
    const csrf = /name="csrf" value="([^"]+)"/.exec(await page())?.[1] as string;
    expect((await postForm(`${ca.url}/account/scep/url`, { csrf }, { cookie, origin })).status).toBe(303);
    const url = /<code id="scep-url">([^<]+)<\/code>/.exec(await page())?.[1] as string;
    expect(url).toContain('/scep/u/');

    const client = new ScepTestClient(url);
    const r = requester({ dns: ['owned.example.org'] });
    expect(await client.send('PKCSReq', r.csrDer, r)).toMatchObject({ status: 'PENDING' });
    const [stored] = await scepRequests(ca);
    expect(stored).toMatchObject({ status: 'pending', source: 'scep', account_id: (await ca.account(email))?.id });
    expect(await page()).toContain((stored as { id: string }).id);
    expect((await mailbox(ca.url, email)).map((m) => m.subject)).toContain('A certificate request waits for your approval');
    // Not the operator's to decide.
    expect((await ca.rows()).certificate_requests).toEqual([expect.objectContaining({ approver: 'owner' })]);

    await ca.approveRequest((stored as { id: string }).id);
    const poll = buildIssuerAndSubject(await client.caSubjectDer(), subjectDerOfCsr(r.csrDer));
    expect(parseCertificate(certificatesOf(await client.send('CertPoll', poll, r))[0] as Uint8Array).subjectAltNames.dns).toEqual(['owned.example.org']);
  });
});
