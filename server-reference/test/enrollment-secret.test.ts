/**
 * One-time enrollment secrets over real HTTP: made on the account page (shown once, stored
 * hashed), used at `POST /api/enroll` for a confirmed address (issued at once), refused the
 * second time, after expiry, and for an address the account has not confirmed, storing nothing.
 */
import { createHash } from 'node:crypto';
import { createCsr, generateKeyPair, parseCertificateChain } from '@certwizard/pki';
import { decodeCcsrAnswer } from '@certwizard/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { accountWithToken, callApi } from './support/cacert-client.js';
import { postForm } from './support/registration-client.js';
import { startTestCa, type TestCa } from './support/test-ca.js';

const EMAIL = 'ada+wizard@example.org';
const ENROLL = '/api/enroll';

let ca: TestCa | undefined;
afterEach(async () => {
  await ca?.dispose();
  ca = undefined;
});

const key = generateKeyPair('p256');
const csrFor = (email: string) => createCsr({ privateKey: key.privateKey, subjectAltNames: { email: [email] } }).pem;

async function createSecret(c: TestCa): Promise<string> {
  const login = await postForm(`${c.url}/login`, { EmailAddress: EMAIL, Password: 'correct horse battery' });
  const cookie = (login.headers.get('set-cookie') as string).split(';')[0] as string;
  const page = await (await fetch(`${c.url}/account`, { headers: { cookie } })).text();
  expect(page).toContain('Create an enrollment secret');
  const csrf = /name="csrf" value="([^"]+)"/.exec(page)?.[1] as string;
  expect((await postForm(`${c.url}/account/enrollment-secrets`, {}, { cookie })).status).toBe(403);
  const res = await postForm(`${c.url}/account/enrollment-secrets`, { csrf }, { cookie, origin: new URL(c.url).origin });
  expect(res.status).toBe(200);
  return /<pre id="enrollment-secret">([A-Za-z0-9_-]{43})<\/pre>/.exec(res.text)?.[1] as string;
}

describe('POST /api/enroll', () => {
  it('issues once for a confirmed address, stores only the hash, and refuses the second use', async () => {
    ca = await startTestCa();
    await accountWithToken(ca);
    const secret = await createSecret(ca);
    const rows = (await ca.rows()).enrollment_secrets as { secret_hash: string }[];
    expect(rows.map(({ secret_hash }) => ({ secret_hash }))).toEqual([{ secret_hash: createHash('sha256').update(secret).digest('hex') }]);
    const before = await ca.counts();
    const res = await callApi(ca, ENROLL, { secret, csr: csrFor(EMAIL) });
    expect(res.status).toBe(200);
    const answer = decodeCcsrAnswer(res.status, res.text);
    if (answer.status !== 'issued') throw new Error('not issued');
    const [leaf] = parseCertificateChain(answer.chainPem);
    expect(leaf?.subjectAltNames).toEqual({ dns: [], email: [EMAIL], ip: [] });
    expect(await ca.counts()).toEqual({
      ...before,
      certificates: before.certificates + 1,
      certificate_requests: before.certificate_requests + 1,
      revocation_secrets: before.revocation_secrets + 1,
    });

    const after = await ca.counts();
    const again = await callApi(ca, ENROLL, { secret, csr: csrFor(EMAIL) });
    expect(again).toMatchObject({ status: 401, text: '401,authentication_failed Authentication failed\n' });
    expect(await ca.counts()).toEqual(after);
  });

  it.each([
    { name: 'an address the account has not confirmed', csr: () => csrFor('other@example.org'), want: /^403,address_not_confirmed / },
    {
      name: 'a request for a DNS name',
      csr: () => createCsr({ privateKey: key.privateKey, subjectAltNames: { dns: ['www.example.org'] } }).pem,
      want: /^400,invalid_request /,
    },
    { name: 'a malformed request', csr: () => 'hello', want: /^400,csr_malformed / },
  ])('refuses $name, stores nothing, and leaves the secret usable', async ({ csr, want }) => {
    ca = await startTestCa();
    await accountWithToken(ca);
    const secret = await createSecret(ca);
    const before = await ca.counts();
    expect((await callApi(ca, ENROLL, { secret, csr: csr() })).text).toMatch(want);
    expect(await ca.counts()).toEqual(before);
    expect((await callApi(ca, ENROLL, { secret, csr: csrFor(EMAIL) })).status).toBe(200);
  });

  it('refuses an expired secret and an unknown one', async () => {
    let now = Date.parse('2026-01-01T00:00:00Z');
    ca = await startTestCa({ now: () => now });
    await accountWithToken(ca);
    const secret = await createSecret(ca);
    now += 24 * 60 * 60_000;
    const before = await ca.counts();
    expect((await callApi(ca, ENROLL, { secret, csr: csrFor(EMAIL) })).status).toBe(401);
    expect((await callApi(ca, ENROLL, { secret: 'x'.repeat(43), csr: csrFor(EMAIL) })).status).toBe(401);
    expect(await ca.counts()).toEqual(before);
  });
});
