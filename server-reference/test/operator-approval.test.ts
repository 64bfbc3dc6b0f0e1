/**
 * Operator approval over real HTTP: `POST /api/requests` puts a request for DNS names in the
 * operator queue (never the owner's), an operator logs in at /operator/login, sees it at
 * /operator/queue, approves it (issued through the signing core) or rejects it with a reason
 * (then `GET /api/requests/:id` answers rejected, and the owner gets a mail). Refusals leave the
 * stored rows as they were. Operators come from the management server, one from the real
 * `certwizard-ca add-operator` process.
 */
import { createCsr, generateKeyPair, parseCertificateChain } from '@certwizard/pki';
import { decodeCcsrAnswer, decodeRequestStatus } from '@certwizard/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { accountWithToken, callApi } from './support/cacert-client.js';
import { addOperator, OPERATOR, OPERATOR_PASSWORD } from './support/operator-client.js';
import { mailbox, postForm } from './support/registration-client.js';
import { runBin } from './support/run-bin.js';
import { startTestCa, type TestCa } from './support/test-ca.js';

let ca: TestCa | undefined;
afterEach(async () => {
  await ca?.dispose();
  ca = undefined;
});

const key = generateKeyPair('p256');
const serverCsr = createCsr({
  privateKey: key.privateKey,
  subject: [{ type: 'CN', value: 'www.example.org' }],
  subjectAltNames: { dns: ['www.example.org', 'example.org'] },
}).pem;

async function operatorLogin(c: TestCa): Promise<{ cookie: string; csrf: string }> {
  const res = await postForm(`${c.url}/operator/login`, { EmailAddress: OPERATOR, Password: OPERATOR_PASSWORD });
  expect(res.status).toBe(303);
  const setCookie = res.headers.get('set-cookie') as string;
  expect(setCookie).toMatch(/^certwizard_operator=[A-Za-z0-9_-]{43}; Max-Age=\d+; HttpOnly; SameSite=Strict; Path=\/operator$/);
  const cookie = setCookie.split(';')[0] as string;
  const page = await (await fetch(`${c.url}/operator/queue`, { headers: { cookie } })).text();
  return { cookie, csrf: /name="csrf" value="([^"]+)"/.exec(page)?.[1] as string };
}

async function pendingServerRequest(c: TestCa): Promise<{ token: string; id: string }> {
  const { token } = await accountWithToken(c);
  const res = await callApi(c, '/api/requests', { csr: serverCsr }, { bearer: token });
  expect(res.status).toBe(202);
  const answer = decodeCcsrAnswer(res.status, res.text);
  return { token, id: answer.requestId };
}

async function status(c: TestCa, id: string, token: string) {
  const res = await fetch(`${c.url}/api/requests/${id}`, { headers: { authorization: `Bearer ${token}` } });
  return decodeRequestStatus(res.status, await res.json(), res.headers.get('retry-after')).answer;
}

describe('POST /api/requests (server certificates)', () => {
  it('stores a DNS-name request for an operator: not on the owner page, not approvable by the owner', async () => {
    ca = await startTestCa({ namesOutsideDomains: 'operator' });
    const before = await ca.counts();
    const { token, id } = await pendingServerRequest(ca);
    expect((await ca.counts()).certificates).toBe(before.certificates);
    expect(await status(ca, id, token)).toMatchObject({ status: 'pending', id });

    const login = await postForm(`${ca.url}/login`, { EmailAddress: 'ada+wizard@example.org', Password: 'correct horse battery' });
    const cookie = (login.headers.get('set-cookie') as string).split(';')[0] as string;
    const page = await (await fetch(`${ca.url}/account`, { headers: { cookie } })).text();
    expect(page).not.toContain('www.example.org');
    const csrf = /name="csrf" value="([^"]+)"/.exec(page)?.[1] as string;
    const counts = await ca.counts();
    for (const decision of ['approve', 'discard']) {
      expect((await postForm(`${ca.url}/account/requests/${id}/${decision}`, { csrf }, { cookie })).status).toBe(404);
    }
    expect(await ca.counts()).toEqual(counts);
    expect(await status(ca, id, token)).toMatchObject({ status: 'pending' });
  });

  it.each([
    {
      name: 'a request with no DNS name',
      fields: { csr: createCsr({ privateKey: key.privateKey, subjectAltNames: { email: ['a@example.org'] } }).pem },
      want: /^400,invalid_request /,
    },
    { name: 'no csr field', fields: {}, want: /^400,csr_required / },
    { name: 'a malformed request', fields: { csr: 'hello' }, want: /^400,csr_malformed / },
  ])('refuses $name and stores nothing', async ({ fields, want }) => {
    ca = await startTestCa({ namesOutsideDomains: 'operator' });
    const { token } = await accountWithToken(ca);
    const before = await ca.counts();
    const res = await callApi(ca, '/api/requests', fields, { bearer: token });
    expect(res.text).toMatch(want);
    expect(await ca.counts()).toEqual(before);
  });

  it('refuses an unknown bearer token and stores nothing', async () => {
    ca = await startTestCa({ namesOutsideDomains: 'operator' });
    await accountWithToken(ca);
    const before = await ca.counts();
    const res = await callApi(ca, '/api/requests', { csr: serverCsr }, { bearer: 'x'.repeat(43) });
    expect(res).toMatchObject({ status: 401, text: '401,authentication_failed Authentication failed\n' });
    expect(await ca.counts()).toEqual(before);
  });
});

describe('operator area', () => {
  it('shows the request details and approves it through the signing core', async () => {
    ca = await startTestCa({ namesOutsideDomains: 'operator' });
    await addOperator(ca);
    const { token, id } = await pendingServerRequest(ca);
    const { cookie, csrf } = await operatorLogin(ca);
    const page = await (await fetch(`${ca.url}/operator/queue`, { headers: { cookie } })).text();
    for (const text of [id, 'CN=www.example.org', 'www.example.org, example.org', 'ECDSA P-256', 'ada+wizard@example.org', 'an installer (connected ']) {
      expect(page).toContain(text);
    }

    const before = await ca.counts();
    const ok = await postForm(`${ca.url}/operator/requests/${id}/approve`, { csrf }, { cookie, origin: new URL(ca.url).origin });
    expect(ok.status).toBe(303);
    expect((await ca.counts()).certificates).toBe(before.certificates + 1);
    const answer = await status(ca, id, token);
    if (answer.status !== 'issued') throw new Error(`not issued: ${answer.status}`);
    const [leaf] = parseCertificateChain(answer.certificate);
    expect(leaf?.subjectAltNames).toEqual({ dns: ['www.example.org', 'example.org'], email: [], ip: [] });
    expect(leaf?.extendedKeyUsage).toEqual(['serverAuth']);
    expect((await mailbox(ca.url, 'ada+wizard@example.org'))[0]?.text).toContain('was approved');
    expect(await (await fetch(`${ca.url}/operator/queue`, { headers: { cookie } })).text()).not.toContain(id);
    // A second approval finds nothing pending.
    expect((await postForm(`${ca.url}/operator/requests/${id}/approve`, { csrf }, { cookie })).status).toBe(404);
  });

  it('rejects with a reason that the poller and the owner see', async () => {
    ca = await startTestCa({ namesOutsideDomains: 'operator' });
    await addOperator(ca);
    const { token, id } = await pendingServerRequest(ca);
    const { cookie, csrf } = await operatorLogin(ca);
    const before = await ca.counts();
    expect((await postForm(`${ca.url}/operator/requests/${id}/reject`, { csrf, reason: '' }, { cookie })).status).toBe(400);
    expect(await status(ca, id, token)).toMatchObject({ status: 'pending' });
    const res = await postForm(`${ca.url}/operator/requests/${id}/reject`, { csrf, reason: 'example.org is not yours' }, { cookie });
    expect(res.status).toBe(303);
    expect(await status(ca, id, token)).toEqual({ status: 'rejected', id, reason: 'example.org is not yours' });
    expect(await ca.counts()).toEqual({ ...before, dev_mailbox: (before.dev_mailbox as number) + 1 });
    const [mail] = await mailbox(ca.url, 'ada+wizard@example.org');
    expect(mail?.text).toContain('example.org is not yours');
  });

  it.each([
    { name: 'no session', withCookie: false, csrf: true, origin: undefined },
    { name: 'no CSRF token', withCookie: true, csrf: false, origin: undefined },
    { name: 'a foreign Origin', withCookie: true, csrf: true, origin: 'https://evil.example' },
  ])('refuses a decision with $name and changes nothing', async ({ withCookie, csrf: sendCsrf, origin }) => {
    ca = await startTestCa({ namesOutsideDomains: 'operator' });
    await addOperator(ca);
    const { token, id } = await pendingServerRequest(ca);
    const { cookie, csrf } = await operatorLogin(ca);
    const before = await ca.counts();
    const headers: Record<string, string> = { ...(withCookie ? { cookie } : {}), ...(origin ? { origin } : {}) };
    for (const decision of ['approve', 'reject']) {
      const res = await postForm(`${ca.url}/operator/requests/${id}/${decision}`, { ...(sendCsrf ? { csrf } : {}), reason: 'no' }, headers);
      expect(res.status).toBe(403);
    }
    expect(await ca.counts()).toEqual(before);
    expect(await status(ca, id, token)).toMatchObject({ status: 'pending' });
  });

  it('refuses a wrong password and an account session, and logs out', async () => {
    ca = await startTestCa({ namesOutsideDomains: 'operator' });
    await addOperator(ca);
    await accountWithToken(ca);
    const wrong = await postForm(`${ca.url}/operator/login`, { EmailAddress: OPERATOR, Password: 'not it' });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('set-cookie')).toBeNull();
    // An account's login is not an operator's.
    const account = await postForm(`${ca.url}/operator/login`, { EmailAddress: 'ada+wizard@example.org', Password: 'correct horse battery' });
    expect(account.status).toBe(401);
    const login = await postForm(`${ca.url}/login`, { EmailAddress: 'ada+wizard@example.org', Password: 'correct horse battery' });
    const accountCookie = (login.headers.get('set-cookie') as string).split(';')[0] as string;
    const queue = await fetch(`${ca.url}/operator/queue`, { headers: { cookie: accountCookie }, redirect: 'manual' });
    expect(queue.status).toBe(303);
    expect(queue.headers.get('location')).toBe('/operator/login');

    const { cookie, csrf } = await operatorLogin(ca);
    expect((await postForm(`${ca.url}/operator/logout`, { csrf }, { cookie })).status).toBe(303);
    expect((await fetch(`${ca.url}/operator/queue`, { headers: { cookie }, redirect: 'manual' })).status).toBe(303);
  });

  it('takes an operator that `certwizard-ca add-operator` adds while the CA serves (the password from the environment)', async () => {
    ca = await startTestCa({ namesOutsideDomains: 'operator' });
    const added = await runBin(['add-operator', '--data', ca.dataDir, '--email', OPERATOR], { env: { OPERATOR_PASSWORD } });
    expect(added).toMatchObject({ code: 0, stdout: `created operator ${OPERATOR}; log in at /operator/login\n`, stderr: '' });
    const { cookie } = await operatorLogin(ca);
    expect((await fetch(`${ca.url}/operator/queue`, { headers: { cookie } })).status).toBe(200);
  });
});
