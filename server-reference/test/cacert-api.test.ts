/**
 * The CAcert-style request API over real HTTP: `/api/cemails.php` with its exact text answers,
 * `/api/ccsr.php` issuing S/MIME certificates (at once with a password, pending with an
 * installation token), `GET /api/requests/:id`, and for every refusal the stored rows unchanged.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createCsr, generateKeyPair, parseCertificateChain, publicKeySha1Hex } from '@certwizard/pki';
import { decodeCcsrAnswer, decodeRequestStatus } from '@certwizard/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { accountWithToken, callApi, PASSWORD } from './support/cacert-client.js';
import { mailbox, postForm, registrationFields } from './support/registration-client.js';
import { startTestCa, type TestCa } from './support/test-ca.js';

const EMAIL = 'ada+wizard@example.org';
const CEMAILS = '/api/cemails.php';
const CCSR = '/api/ccsr.php';
const OK_TEXT = `200,Authentication Ok\nCS=0\nNAME=Ada Lovelace\nNAME=Ada B Lovelace\nEMAIL=${EMAIL}\n`;
const AUTH_FAILED = '401,authentication_failed Authentication failed\n';

let ca: TestCa | undefined;
afterEach(async () => {
  await ca?.dispose();
  ca = undefined;
});

const key = generateKeyPair('p256');
const csrPem = createCsr({ privateKey: key.privateKey, subject: [{ type: 'CN', value: 'ignored by ccsr' }] }).pem;
const ccsrFields = (overrides: Record<string, string> = {}) => ({ email: EMAIL, name: 'Ada Lovelace', codesign: '0', optionalCSR: csrPem, ...overrides });
const login = { username: EMAIL, password: PASSWORD };

async function requestStatus(c: TestCa, id: string, bearer?: string) {
  const res = await fetch(`${c.url}/api/requests/${id}`, bearer ? { headers: { authorization: `Bearer ${bearer}` } } : {});
  return { status: res.status, json: (await res.json()) as Record<string, unknown>, headers: res.headers };
}

describe('/api/cemails.php', () => {
  it('answers the exact CAcert text for username and password (POST and GET)', async () => {
    ca = await startTestCa();
    await accountWithToken(ca);
    const post = await callApi(ca, CEMAILS, login);
    expect(post.status).toBe(200);
    expect(post.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(post.headers.get('cache-control')).toBe('no-store');
    expect(post.text).toBe(OK_TEXT);
    const get = await callApi(ca, CEMAILS, login, { method: 'GET' });
    expect(get.status).toBe(200);
    expect(get.text).toBe(OK_TEXT);
  });

  it('answers the same for the installation token, and CS=1 and extra confirmed addresses once granted', async () => {
    ca = await startTestCa();
    const { token } = await accountWithToken(ca);
    expect((await callApi(ca, CEMAILS, {}, { bearer: token })).text).toBe(OK_TEXT);
    await ca.setCodeSigning(1, true);
    await ca.addConfirmedAddress(1, 'A.L@Example.NET');
    await ca.addConfirmedAddress(1, 'ADA+wizard@example.org');
    const res = await callApi(ca, CEMAILS, {}, { bearer: token });
    expect(res.text).toBe(`200,Authentication Ok\nCS=1\nNAME=Ada Lovelace\nNAME=Ada B Lovelace\nEMAIL=${EMAIL}\nEMAIL=A.L@example.net\n`);
  });

  it('has one NAME line for an account without a middle name', async () => {
    ca = await startTestCa();
    await accountWithToken(ca, { MiddleName: '' });
    expect((await callApi(ca, CEMAILS, login)).text).toBe(`200,Authentication Ok\nCS=0\nNAME=Ada Lovelace\nEMAIL=${EMAIL}\n`);
  });

  it.each([
    { name: 'a wrong password', fields: { username: EMAIL, password: 'not the password' }, status: 401, text: AUTH_FAILED },
    { name: 'an unknown user', fields: { username: 'nobody@example.org', password: PASSWORD }, status: 401, text: AUTH_FAILED },
    { name: 'no password', fields: { username: EMAIL }, status: 400, text: '400,invalid_request username and password are required, once each\n' },
    {
      name: 'a repeated username',
      fields: [
        ['username', EMAIL],
        ['username', EMAIL],
        ['password', PASSWORD],
      ],
      status: 400,
      text: '400,invalid_request the field username is given more than once; send each field once\n',
    },
  ])('refuses $name with a documented line and changes nothing', async ({ fields, status, text }) => {
    ca = await startTestCa();
    await accountWithToken(ca);
    const before = await ca.counts();
    const res = await fetch(`${ca.url}${CEMAILS}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
    });
    expect(res.status).toBe(status);
    expect(await res.text()).toBe(text);
    expect(await ca.counts()).toEqual(before);
  });

  it('tells an unconfirmed account apart (only with its right password)', async () => {
    ca = await startTestCa();
    await postForm(`${ca.url}/index.php?id=1`, registrationFields());
    const before = await ca.counts();
    const res = await callApi(ca, CEMAILS, login);
    expect(res.status).toBe(403);
    expect(res.text).toBe('403,account_inactive the account address is not confirmed yet\n');
    expect((await callApi(ca, CEMAILS, { ...login, password: 'wrong password!' })).text).toBe(AUTH_FAILED);
    expect(await ca.counts()).toEqual(before);
  });

  it('refuses unknown and revoked tokens, both credentials at once, other methods and media types', async () => {
    ca = await startTestCa();
    const { token } = await accountWithToken(ca);
    const before = await ca.counts();
    expect(await callApi(ca, CEMAILS, {}, { bearer: 'x'.repeat(43) })).toMatchObject({ status: 401, text: AUTH_FAILED });
    expect(await callApi(ca, CEMAILS, {}, { bearer: 'not a token' })).toMatchObject({ status: 401, text: AUTH_FAILED });
    expect(await callApi(ca, CEMAILS, login, { bearer: token })).toMatchObject({
      status: 400,
      text: '400,invalid_request send either a bearer token or username and password, not both\n',
    });
    const put = await callApi(ca, CEMAILS, login, { method: 'PUT' });
    expect(put).toMatchObject({ status: 405, text: '405,method_not_allowed use POST (or GET)\n' });
    expect(put.headers.get('allow')).toBe('GET, POST');
    expect(await callApi(ca, CEMAILS, login, { contentType: 'application/json' })).toMatchObject({
      status: 415,
      text: '415,unsupported_media_type send the fields as application/x-www-form-urlencoded\n',
    });
    expect(await ca.counts()).toEqual(before);
  });

  it('rate-limits password attempts per client with Retry-After', async () => {
    ca = await startTestCa({ rateLimit: { capacity: 2, refillIntervalMs: 60_000 } });
    await accountWithToken(ca);
    const bad = { username: EMAIL, password: 'wrong password!' };
    expect((await callApi(ca, CEMAILS, bad)).status).toBe(401);
    expect((await callApi(ca, CEMAILS, bad)).status).toBe(401);
    const limited = await callApi(ca, CEMAILS, login);
    expect(limited.status).toBe(429);
    expect(limited.text).toBe('429,too_many_requests too many attempts; retry later\n');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});

describe('/api/ccsr.php', () => {
  it('issues an S/MIME certificate at once for a password, stored with the account as requester', async () => {
    ca = await startTestCa();
    const { token } = await accountWithToken(ca);
    const before = await ca.counts();
    const res = await callApi(ca, CCSR, { ...login, ...ccsrFields({ name: 'Ada B Lovelace' }) });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(res.text).toMatch(/^200,Issued [A-Za-z0-9_-]{22}\n-----BEGIN CERTIFICATE-----\n/);
    const answer = decodeCcsrAnswer(res.status, res.text);
    if (answer.status !== 'issued') throw new Error('not issued');
    const [leaf, caCert] = parseCertificateChain(answer.chainPem);
    expect(caCert?.fingerprintSha256).toBe(ca.ca.certificate.fingerprintSha256);
    expect(leaf?.subjectAltNames).toEqual({ dns: [], email: [EMAIL], ip: [] });
    expect(leaf?.extendedKeyUsage).toEqual(['emailProtection', 'clientAuth']);
    expect(leaf?.subject).toEqual([
      { type: 'GN', value: 'Ada B' },
      { type: 'SN', value: 'Lovelace' },
      { type: 'emailAddress', value: EMAIL },
    ]);
    expect(await ca.certificate(leaf?.serialNumberHex as string)).toMatchObject({ requester: 'account:1', publicKeySha1: publicKeySha1Hex(key.privateKey) });
    expect(await ca.counts()).toEqual({
      ...before,
      certificates: before.certificates + 1,
      certificate_requests: 1,
      revocation_secrets: before.revocation_secrets + 1,
    });

    writeFileSync(join(ca.dir, 'leaf.pem'), leaf?.pem as string);
    const text = execFileSync('openssl', ['x509', '-in', 'leaf.pem', '-noout', '-text'], { cwd: ca.dir, encoding: 'utf8' });
    expect(text).toContain(`email:${EMAIL}`);
    expect(text).toContain('E-mail Protection, TLS Web Client Authentication');

    const status = await requestStatus(ca, answer.requestId, token);
    expect(status.status).toBe(200);
    expect(decodeRequestStatus(200, status.json).answer).toEqual({
      status: 'issued',
      id: answer.requestId,
      certificate: leaf?.pem,
      chain: ca.ca.certificate.pem,
    });
  });

  it('adds code signing only for accounts with CS=1', async () => {
    ca = await startTestCa();
    await accountWithToken(ca);
    const before = await ca.counts();
    const refused = await callApi(ca, CCSR, { ...login, ...ccsrFields({ codesign: '1' }) });
    expect(refused).toMatchObject({ status: 403, text: '403,codesign_not_allowed this account may not request code signing certificates (CS=0)\n' });
    expect(await ca.counts()).toEqual(before);
    await ca.setCodeSigning(1, true);
    const res = await callApi(ca, CCSR, { ...login, ...ccsrFields({ codesign: '1' }) });
    expect(res.status).toBe(200);
    const answer = decodeCcsrAnswer(res.status, res.text);
    const [leaf] = parseCertificateChain(answer.status === 'issued' ? answer.chainPem : '');
    expect(leaf?.extendedKeyUsage).toEqual(['emailProtection', 'clientAuth', 'codeSigning']);
  });

  it.each([
    {
      name: 'an address that is not confirmed',
      fields: { email: 'other@example.org' },
      status: 403,
      text: '403,address_not_confirmed the address is not a confirmed address of this account\n',
    },
    {
      name: 'a name that is not a NAME form',
      fields: { name: 'Lady Ada' },
      status: 403,
      text: '403,name_not_allowed the name is not one of the NAME values of cemails\n',
    },
    {
      name: 'no optionalCSR',
      fields: { optionalCSR: '' },
      status: 400,
      text: '400,csr_required send the certificate request in optionalCSR; this CA never generates keys\n',
    },
    { name: 'codesign=2', fields: { codesign: '2' }, status: 400, text: '400,invalid_request codesign must be 0 or 1\n' },
    { name: 'no email', fields: { email: '' }, status: 400, text: '400,invalid_request email is required\n' },
    { name: 'a CSR that is not PEM', fields: { optionalCSR: 'hello' }, status: 400, text: /^400,csr_malformed \S.*\n$/ },
    { name: 'a wrong password', fields: { password: 'wrong password!' }, status: 401, text: AUTH_FAILED },
  ])('refuses $name and changes nothing', async ({ fields, status, text }) => {
    ca = await startTestCa();
    await accountWithToken(ca);
    const before = await ca.counts();
    const res = await callApi(ca, CCSR, { ...login, ...ccsrFields(fields) });
    expect(res.status).toBe(status);
    if (typeof text === 'string') expect(res.text).toBe(text);
    else expect(res.text).toMatch(text);
    expect(await ca.counts()).toEqual(before);
  });

  it('refuses with 403 refused when the authorize hook says no, storing nothing', async () => {
    ca = await startTestCa({ hooks: { authorize: (names) => !names.email.includes(EMAIL) } });
    await accountWithToken(ca);
    const before = await ca.counts();
    expect(await callApi(ca, CCSR, { ...login, ...ccsrFields() })).toMatchObject({ status: 403, text: '403,refused the CA policy refused this request\n' });
    expect(await ca.counts()).toEqual(before);
  });

  it('keeps a request sent with an installation token pending, mails the owner, and answers its status', async () => {
    ca = await startTestCa({ retryAfterSeconds: 7 });
    const { token } = await accountWithToken(ca);
    const other = await accountWithToken(ca, { EmailAddress: 'bob@example.org', FirstName: 'Bob' });
    const mailsBefore = (await mailbox(ca.url, EMAIL)).length;
    const res = await callApi(ca, CCSR, ccsrFields(), { bearer: token });
    expect(res.status).toBe(202);
    expect(res.text).toMatch(/^202,Pending [A-Za-z0-9_-]{22}\n$/);
    const answer = decodeCcsrAnswer(res.status, res.text);
    expect((await ca.counts()).certificates).toBe(0);
    expect((await ca.counts()).certificate_requests).toBe(1);

    const mails = await mailbox(ca.url, EMAIL);
    expect(mails.length).toBe(mailsBefore + 1);
    expect(mails[0]?.subject).toBe('A certificate request waits for your approval');
    expect(mails[0]?.text).toContain('ECDSA P-256');
    expect(mails[0]?.text).toContain(`${ca.publicUrl}/account`);
    expect(mails[0]?.text).not.toContain(token);

    const pending = await requestStatus(ca, answer.requestId, token);
    expect(pending.status).toBe(200);
    expect(pending.json).toEqual({ status: 'pending', id: answer.requestId });
    expect(pending.headers.get('retry-after')).toBe('7');
    expect(decodeRequestStatus(200, pending.json, pending.headers.get('retry-after')).retryAfterSeconds).toBe(7);

    const foreign = await requestStatus(ca, answer.requestId, other.token);
    expect(foreign).toMatchObject({ status: 404, json: { error: { code: 'not_found', message: 'no such request for this account' } } });
    const anonymous = await requestStatus(ca, answer.requestId);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBe('Bearer');
    expect((await requestStatus(ca, 'A'.repeat(22), token)).status).toBe(404);
  });
});

describe('pending requests on the account page', () => {
  async function loginSession(c: TestCa): Promise<{ cookie: string; csrf: string }> {
    const res = await postForm(`${c.url}/login`, { EmailAddress: EMAIL, Password: PASSWORD });
    const cookie = (res.headers.get('set-cookie') as string).split(';')[0] as string;
    const page = await (await fetch(`${c.url}/account`, { headers: { cookie } })).text();
    return { cookie, csrf: /name="csrf" value="([^"]+)"/.exec(page)?.[1] as string };
  }

  async function pendingRequest(c: TestCa, token: string): Promise<string> {
    const answer = decodeCcsrAnswer(202, (await callApi(c, CCSR, ccsrFields(), { bearer: token })).text);
    return answer.requestId;
  }

  it('lists what a pending request asks and who sent it, and approving issues it once', async () => {
    ca = await startTestCa();
    const { token } = await accountWithToken(ca);
    const id = await pendingRequest(ca, token);
    const { cookie, csrf } = await loginSession(ca);
    const page = await (await fetch(`${ca.url}/account`, { headers: { cookie } })).text();
    expect(page).toContain('<h2>Pending requests</h2>');
    expect(page).toContain('CN=ignored by ccsr');
    expect(page).toContain(EMAIL);
    expect(page).toContain('ECDSA P-256');
    expect(page).toContain('an installer (connected ');
    expect(page).toMatch(/<code class="fp">([0-9A-F]{2}:<wbr>){31}[0-9A-F]{2}<\/code>/);
    expect(page).toContain(`/account/requests/${id}/approve`);
    expect(page).toContain(`/account/requests/${id}/discard`);

    const url = `${ca.url}/account/requests/${id}/approve`;
    const before = await ca.counts();
    expect((await postForm(url, {}, { cookie })).status).toBe(403);
    expect((await postForm(url, { csrf }, { cookie, origin: 'https://evil.example' })).status).toBe(403);
    expect((await postForm(url, { csrf })).status).toBe(403);
    expect(await ca.counts()).toEqual(before);
    expect((await requestStatus(ca, id, token)).json.status).toBe('pending');

    const ok = await postForm(url, { csrf }, { cookie });
    expect(ok.status).toBe(303);
    expect(ok.headers.get('location')).toBe('/account');
    const issued = await requestStatus(ca, id, token);
    expect(issued.json.status).toBe('issued');
    const [leaf] = parseCertificateChain(issued.json.certificate as string);
    expect(leaf?.subjectAltNames.email).toEqual([EMAIL]);
    expect((await ca.certificate(leaf?.serialNumberHex as string))?.requester).toBe('account:1');
    expect((await ca.counts()).certificates).toBe(before.certificates + 1);

    expect((await postForm(url, { csrf }, { cookie })).status).toBe(404);
    expect((await postForm(`${ca.url}/account/requests/${id}/discard`, { csrf }, { cookie })).status).toBe(404);
    expect((await ca.counts()).certificates).toBe(before.certificates + 1);
    const after = await (await fetch(`${ca.url}/account`, { headers: { cookie } })).text();
    expect(after).not.toContain(`/account/requests/${id}/approve`);
    // The account page lists the account's certificates: the one just issued, valid.
    expect(after).toContain('<h2>Your certificates</h2>');
    expect(after).toContain(`<td data-label="Serial"><code class="fp">${leaf?.serialNumberHex as string}</code></td><td data-label="For">${EMAIL}</td>`);
    expect(after).toMatch(/<td data-label="Status" class="status">valid<\/td>/);
  });

  it('discarding closes the request without a certificate; another account cannot act on it', async () => {
    ca = await startTestCa();
    const { token } = await accountWithToken(ca);
    const id = await pendingRequest(ca, token);
    await accountWithToken(ca, { EmailAddress: 'bob@example.org', FirstName: 'Bob' });
    const bobLogin = await postForm(`${ca.url}/login`, { EmailAddress: 'bob@example.org', Password: PASSWORD });
    const bobCookie = (bobLogin.headers.get('set-cookie') as string).split(';')[0] as string;
    const bobCsrf = /name="csrf" value="([^"]+)"/.exec(await (await fetch(`${ca.url}/account`, { headers: { cookie: bobCookie } })).text())?.[1] as string;
    expect((await postForm(`${ca.url}/account/requests/${id}/approve`, { csrf: bobCsrf }, { cookie: bobCookie })).status).toBe(404);
    expect((await postForm(`${ca.url}/account/requests/${id}/discard`, { csrf: bobCsrf }, { cookie: bobCookie })).status).toBe(404);
    expect((await requestStatus(ca, id, token)).json.status).toBe('pending');

    const { cookie, csrf } = await loginSession(ca);
    expect((await postForm(`${ca.url}/account/requests/${id}/discard`, { csrf }, { cookie })).status).toBe(303);
    expect((await requestStatus(ca, id, token)).json).toEqual({ status: 'discarded', id });
    expect((await ca.counts()).certificates).toBe(0);
  });

  it('keeps the request pending when the CA policy refuses it at approval', async () => {
    let allow = true;
    ca = await startTestCa({ hooks: { authorize: () => allow } });
    const { token } = await accountWithToken(ca);
    const id = await pendingRequest(ca, token);
    allow = false;
    const { cookie, csrf } = await loginSession(ca);
    expect((await postForm(`${ca.url}/account/requests/${id}/approve`, { csrf }, { cookie })).status).toBe(403);
    expect((await requestStatus(ca, id, token)).json.status).toBe('pending');
    allow = true;
    expect((await postForm(`${ca.url}/account/requests/${id}/approve`, { csrf }, { cookie })).status).toBe(303);
    expect((await requestStatus(ca, id, token)).json.status).toBe('issued');
  });
});
