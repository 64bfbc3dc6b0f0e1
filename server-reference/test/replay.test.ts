/**
 * Replays: an installer that lost an answer (a crash, a dropped connection) sends the same
 * request again. Each endpoint answers it from what it stored the first time: one request, one
 * certificate, one mail to the owner; and `GET /api/requests?fingerprint=` tells a resuming
 * installer what became of a request it may or may not have sent.
 */
import { createHash } from 'node:crypto';
import { createCsr, generateKeyPair, parseCertificateChain } from '@certwizard/pki';
import { decodeCcsrAnswer } from '@certwizard/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { accountWithToken, callApi, PASSWORD } from './support/cacert-client.js';
import { mailbox, postForm } from './support/registration-client.js';
import { putCsr, startTestCa, type TestCa } from './support/test-ca.js';

const EMAIL = 'ada+wizard@example.org';
const CCSR = '/api/ccsr.php';

let ca: TestCa | undefined;
afterEach(async () => {
  await ca?.dispose();
  ca = undefined;
});

function newCsr(names: { dns?: string[] } = {}): { pem: string; fingerprint: string } {
  const { privateKey } = generateKeyPair('p256');
  const csr = createCsr({ privateKey, subjectAltNames: { dns: names.dns ?? ['mail.example.test'] } });
  return { pem: csr.pem, fingerprint: createHash('sha256').update(csr.der).digest('hex') };
}

const serialOf = (chainPem: string) => parseCertificateChain(chainPem)[0]?.serialNumberHex;

async function listRequests(c: TestCa, token: string, query: string) {
  const res = await fetch(`${c.url}/api/requests${query}`, { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, json: (await res.json()) as { requests: Array<Record<string, string>> } };
}

describe('PUT /api/csr/:client replays', () => {
  it('answers the same request from the same client with the certificate already signed, running postsign once', async () => {
    let postsigned = 0;
    ca = await startTestCa({ hooks: { postsign: () => void postsigned++ } });
    const csr = newCsr();
    const first = await putCsr(ca, csr.pem, { client: 'alpha' });
    const again = await putCsr(ca, csr.pem, { client: 'alpha' });
    expect(first.status).toBe(200);
    expect(again.status).toBe(200);
    expect(again.json.signed_x509_pem).toBe(first.json.signed_x509_pem);
    expect((await ca.counts()).certificates).toBe(1);
    expect(postsigned).toBe(1);

    // Another client, or another request of the same client, is a new certificate.
    const other = await putCsr(ca, csr.pem, { client: 'beta' });
    expect(serialOf(other.json.signed_x509_pem as string)).not.toBe(serialOf(first.json.signed_x509_pem as string));
    await putCsr(ca, newCsr().pem, { client: 'alpha' });
    expect((await ca.counts()).certificates).toBe(3);
    expect(postsigned).toBe(3);
  });

  it('signs once when copies of one request race each other', async () => {
    ca = await startTestCa();
    const csr = newCsr();
    const answers = await Promise.all(Array.from({ length: 8 }, () => putCsr(ca as TestCa, csr.pem, { client: 'racer' })));
    expect(new Set(answers.map((a) => a.json.signed_x509_pem)).size).toBe(1);
    expect((await ca.counts()).certificates).toBe(1);
  });

  it('asks the authorize hook again: a replay it refuses is refused', async () => {
    let allow = true;
    ca = await startTestCa({ hooks: { authorize: () => allow } });
    const csr = newCsr();
    expect((await putCsr(ca, csr.pem, { client: 'alpha' })).status).toBe(200);
    allow = false;
    const refused = await putCsr(ca, csr.pem, { client: 'alpha' });
    expect(refused.status).toBe(403);
    expect((await ca.counts()).certificates).toBe(1);
  });
});

describe('/api/ccsr.php replays', () => {
  const key = generateKeyPair('p256');
  const csr = createCsr({ privateKey: key.privateKey, subject: [{ type: 'CN', value: 'ignored by ccsr' }] });
  const csrPem = csr.pem;
  const fingerprint = createHash('sha256').update(csr.der).digest('hex');
  const fields = (overrides: Record<string, string> = {}) => ({ email: EMAIL, name: 'Ada Lovelace', codesign: '0', optionalCSR: csrPem, ...overrides });

  async function ownerSession(c: TestCa): Promise<{ cookie: string; csrf: string }> {
    const res = await postForm(`${c.url}/login`, { EmailAddress: EMAIL, Password: PASSWORD });
    const cookie = (res.headers.get('set-cookie') as string).split(';')[0] as string;
    const page = await (await fetch(`${c.url}/account`, { headers: { cookie } })).text();
    return { cookie, csrf: /name="csrf" value="([^"]+)"/.exec(page)?.[1] as string };
  }

  it('answers a pending request sent again with the same id, one request and one mail; once approved, with the certificate', async () => {
    ca = await startTestCa();
    const { token } = await accountWithToken(ca);
    const mailsBefore = (await mailbox(ca.url, EMAIL)).length;
    const first = decodeCcsrAnswer(202, (await callApi(ca, CCSR, fields(), { bearer: token })).text);
    const again = await callApi(ca, CCSR, fields(), { bearer: token });
    expect(again.status).toBe(202);
    expect(decodeCcsrAnswer(again.status, again.text)).toEqual(first);
    expect((await ca.counts()).certificate_requests).toBe(1);
    expect((await mailbox(ca.url, EMAIL)).length).toBe(mailsBefore + 1);

    const listed = await listRequests(ca, token, `?fingerprint=${fingerprint.toUpperCase()}`);
    expect(listed.json.requests).toEqual([expect.objectContaining({ id: first.requestId, status: 'pending', source: 'installation', fingerprint })]);
    expect((await listRequests(ca, token, `?fingerprint=${'0'.repeat(64)}`)).json.requests).toEqual([]);

    const { cookie, csrf } = await ownerSession(ca);
    expect((await postForm(`${ca.url}/account/requests/${first.requestId}/approve`, { csrf }, { cookie })).status).toBe(303);
    const issued = await callApi(ca, CCSR, fields(), { bearer: token });
    expect(issued.status).toBe(200);
    const answer = decodeCcsrAnswer(issued.status, issued.text);
    expect(answer).toMatchObject({ status: 'issued', requestId: first.requestId });
    expect(await ca.counts()).toMatchObject({ certificates: 1, certificate_requests: 1 });
  });

  it('takes the request as new once the owner discarded it, or when it asks for another name form', async () => {
    ca = await startTestCa();
    const { token } = await accountWithToken(ca);
    const first = decodeCcsrAnswer(202, (await callApi(ca, CCSR, fields(), { bearer: token })).text);
    const otherName = decodeCcsrAnswer(202, (await callApi(ca, CCSR, fields({ name: 'Ada B Lovelace' }), { bearer: token })).text);
    expect(otherName.requestId).not.toBe(first.requestId);
    const { cookie, csrf } = await ownerSession(ca);
    expect((await postForm(`${ca.url}/account/requests/${first.requestId}/discard`, { csrf }, { cookie })).status).toBe(303);
    const fresh = decodeCcsrAnswer(202, (await callApi(ca, CCSR, fields(), { bearer: token })).text);
    expect(fresh.requestId).not.toBe(first.requestId);
    expect((await ca.counts()).certificate_requests).toBe(3);
  });

  it('answers a request issued at once for a password with the same certificate', async () => {
    ca = await startTestCa();
    await accountWithToken(ca);
    const login = { username: EMAIL, password: PASSWORD };
    const first = decodeCcsrAnswer(200, (await callApi(ca, CCSR, { ...fields(), ...login })).text);
    const again = await callApi(ca, CCSR, { ...fields(), ...login });
    expect(decodeCcsrAnswer(again.status, again.text)).toEqual(first);
    expect(await ca.counts()).toMatchObject({ certificates: 1, certificate_requests: 1 });
  });
});
