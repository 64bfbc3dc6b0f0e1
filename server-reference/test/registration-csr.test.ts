/**
 * A certificate request sent with the registration (`CSR` field of `/index.php?id=1`) over real
 * HTTP: issued on confirmation when it names the registered address, left pending for the owner
 * when the person changed the address in the form, refused before anything is stored when
 * malformed; the installer finds it with `GET /api/requests?source=registration`.
 */
import { createCsr, generateKeyPair, parseCertificateChain } from '@certwizard/pki';
import { decodeRequestStatus } from '@certwizard/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { accountWithToken } from './support/cacert-client.js';
import { confirmAsPerson, confirmationLink, postForm, registrationFields } from './support/registration-client.js';
import { startTestCa, type TestCa } from './support/test-ca.js';

const EMAIL = 'ada+wizard@example.org';

let ca: TestCa | undefined;
afterEach(async () => {
  await ca?.dispose();
  ca = undefined;
});

const key = generateKeyPair('p256');
const csrFor = (email: string) => createCsr({ privateKey: key.privateKey, subjectAltNames: { email: [email] } }).pem;

async function listRegistrationRequests(c: TestCa, token: string): Promise<Array<{ id: string; status: string; source: string }>> {
  const res = await fetch(`${c.url}/api/requests?source=registration`, { headers: { authorization: `Bearer ${token}` } });
  expect(res.status).toBe(200);
  return ((await res.json()) as { requests: Array<{ id: string; status: string; source: string }> }).requests;
}

describe('CSR sent with the registration', () => {
  it('carries the CSR of the registration link in the form', async () => {
    ca = await startTestCa();
    const page = await (await fetch(`${ca.url}/index.php?id=1&CSR=${encodeURIComponent(csrFor(EMAIL))}`)).text();
    expect(page).toContain('<input type="hidden" name="CSR" value="-----BEGIN CERTIFICATE REQUEST-----');
  });

  it('is issued once the registered address is confirmed, and listed for the installer', async () => {
    ca = await startTestCa();
    const { token } = await accountWithToken(ca, { CSR: csrFor(EMAIL) });
    const [listed, ...rest] = await listRegistrationRequests(ca, token);
    expect(rest).toEqual([]);
    expect(listed).toMatchObject({ status: 'issued', source: 'registration' });
    const res = await fetch(`${ca.url}/api/requests/${listed?.id as string}`, { headers: { authorization: `Bearer ${token}` } });
    const answer = decodeRequestStatus(res.status, await res.json()).answer;
    if (answer.status !== 'issued') throw new Error(`not issued: ${answer.status}`);
    expect(parseCertificateChain(answer.certificate)[0]?.subjectAltNames).toEqual({ dns: [], email: [EMAIL], ip: [] });
    // Other sources are not listed under this filter; the unfiltered list has it too.
    const all = await fetch(`${ca.url}/api/requests`, { headers: { authorization: `Bearer ${token}` } });
    expect(((await all.json()) as { requests: unknown[] }).requests).toHaveLength(1);
  });

  it('stays pending for the owner when the person changed the prefilled address', async () => {
    ca = await startTestCa();
    const { token } = await accountWithToken(ca, { CSR: csrFor('prefilled@example.org') });
    const before = await ca.counts();
    const [listed] = await listRegistrationRequests(ca, token);
    expect(listed).toMatchObject({ status: 'pending', source: 'registration' });
    expect((await ca.counts()).certificates).toBe(0);
    expect(await ca.counts()).toEqual(before);
    const login = await postForm(`${ca.url}/login`, { EmailAddress: EMAIL, Password: 'correct horse battery' });
    const cookie = (login.headers.get('set-cookie') as string).split(';')[0] as string;
    const page = await (await fetch(`${ca.url}/account`, { headers: { cookie } })).text();
    expect(page).toContain(`Approve request ${listed?.id as string}`);
    expect(page).toContain('<td data-label="Sent by">registration</td>');
  });

  // Regression: the page said "Confirming also issues a certificate" for a request that named
  // the prefilled address after the person had typed another one, which confirming never issues.
  it.each([
    {
      name: 'names the registered address: confirming issues it',
      requestFor: EMAIL,
      says: `Confirming also issues a certificate for <strong>${EMAIL}</strong> to this key:`,
      saysNot: 'confirming does not issue it',
      status: 'issued',
    },
    {
      name: 'names another address: it waits for the owner',
      requestFor: 'prefilled@example.org',
      says: `The installer also sent a certificate request for <strong>prefilled@example.org</strong>, to this key:`,
      saysNot: 'Confirming also issues',
      status: 'pending',
    },
  ])('the confirmation page says what confirming does with a request that $name', async ({ requestFor, says, saysNot, status }) => {
    ca = await startTestCa();
    const posted = await postForm(`${ca.url}/index.php?id=1`, { ...registrationFields({ EmailAddress: EMAIL }), CSR: csrFor(requestFor) });
    expect(posted.status).toBe(200);
    const { page } = await confirmAsPerson(await confirmationLink(ca.url, EMAIL));
    expect(page).toContain(says);
    expect(page).not.toContain(saysNot);
    if (status === 'pending') {
      expect(page).toContain(
        `so confirming does not issue it: it waits on your account page, where you can approve a certificate for ${EMAIL} to this key, or discard it.`,
      );
    }
    // What the page said is what happened.
    expect((await ca.counts()).certificates).toBe(status === 'issued' ? 1 : 0);
  });

  it('refuses a malformed CSR before anything is stored, and offers the form without it', async () => {
    ca = await startTestCa();
    const before = await ca.counts();
    const res = await postForm(`${ca.url}/index.php?id=1`, { ...registrationFields(), CSR: 'not a request' });
    expect(res.status).toBe(400);
    expect(res.text).toContain('The installer&#39;s certificate request cannot be used');
    expect(res.text).not.toContain('name="CSR"');
    expect(await ca.counts()).toEqual(before);
  });

  it('refuses the list without a valid token', async () => {
    ca = await startTestCa();
    const res = await fetch(`${ca.url}/api/requests`, { headers: { authorization: 'Bearer nope' } });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer');
  });
});
