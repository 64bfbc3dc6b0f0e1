/**
 * Revocation over the API against a real CA: `POST /api/csr/:client/revoke` (ssl_api JSON,
 * authenticated by the client segment) and `POST /api/crevoke.php` (CAcert lines, the
 * installation token for the certificates that installation requested, or the owner's password
 * for any of the account's). A holder's own certificate is revoked and the next CRL lists it with the reason;
 * another holder's serial is unknown and stays valid; a repeat is "already revoked" and changes
 * nothing; a bad serial, reason, body or credential is refused with its code and nothing stored
 * changes; a GET never revokes.
 */
import { createCsr, generateKeyPair, parseCertificateChain, parseCrl, type RevokedEntry } from '@certwizard/pki';
import { CREVOKE_PATH, decodeCcsrAnswer } from '@certwizard/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountWithToken, callApi, PASSWORD } from './support/cacert-client.js';
import { putCsr, startTestCa, type TestCa } from './support/test-ca.js';

let ca: TestCa;
beforeAll(async () => {
  // Room for the many ccsr calls with a password that make the accounts' certificates.
  ca = await startTestCa({ rateLimit: { capacity: 1000 } });
});
afterAll(() => ca.dispose());

/** A fresh certificate issued to an ssl_api client; its serial, lower-case hex. */
async function sslApiCertificate(client: string): Promise<string> {
  const { privateKey } = generateKeyPair('p256');
  const csr = createCsr({ privateKey, subject: [{ type: 'CN', value: 'mail.example.test' }], subjectAltNames: { dns: ['mail.example.test'] } });
  const res = await putCsr(ca, csr.pem, { client });
  if (res.status !== 200) throw new Error(`PUT /api/csr answered ${res.status}`);
  return parseCertificateChain(res.json.signed_x509_pem as string)[0]?.serialNumberHex as string;
}

/** A fresh certificate issued at once to an account (ccsr with its password); its serial. */
async function accountCertificate(email: string): Promise<string> {
  const { privateKey } = generateKeyPair('p256');
  const optionalCSR = createCsr({ privateKey, subject: [{ type: 'CN', value: 'ignored by ccsr' }] }).pem;
  const res = await callApi(ca, '/api/ccsr.php', { username: email, password: PASSWORD, email, name: 'Ada Lovelace', optionalCSR });
  const answer = decodeCcsrAnswer(res.status, res.text);
  if (answer.status !== 'issued') throw new Error('ccsr did not issue');
  return parseCertificateChain(answer.chainPem)[0]?.serialNumberHex as string;
}

/** A certificate requested with an installation token (held for the owner, approved); its serial. */
async function installationCertificate(email: string, token: string): Promise<string> {
  const { privateKey } = generateKeyPair('p256');
  const optionalCSR = createCsr({ privateKey, subject: [{ type: 'CN', value: 'ignored by ccsr' }] }).pem;
  const res = await callApi(ca, '/api/ccsr.php', { email, name: 'Ada Lovelace', optionalCSR }, { bearer: token });
  const answer = decodeCcsrAnswer(res.status, res.text);
  if (answer.status !== 'pending') throw new Error('ccsr with a token did not hold the request');
  return ca.approveRequest(answer.requestId);
}

/** `POST /api/csr/:client/revoke` with a JSON body (or the given raw body and media type). */
async function revokeSslApi(client: string, body: unknown, options: { method?: string; contentType?: string } = {}) {
  const res = await fetch(`${ca.url}/api/csr/${client}/revoke`, {
    method: options.method ?? 'POST',
    headers: { 'content-type': options.contentType ?? 'application/json' },
    ...(options.method === 'GET' ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown>, allow: res.headers.get('allow') };
}

/**
 * Every stored certificate row, with its status, revocation time and reason. (Not every table: a
 * valid installation token records when it was last used, which is not a change a refusal makes.)
 */
async function storedCertificates(): Promise<unknown[]> {
  return (await ca.rows()).certificates as unknown[];
}

/** The CRL as the CA serves it now: its entries by serial. */
async function crlEntries(): Promise<Map<string, RevokedEntry>> {
  const res = await fetch(`${ca.url}/crl`);
  const crl = parseCrl(new Uint8Array(await res.arrayBuffer()));
  return new Map(crl.revoked.map((entry) => [entry.serialNumberHex, entry]));
}

describe('POST /api/csr/:client/revoke', () => {
  it("revokes the client's own certificate, and the next CRL lists it with the reason", async () => {
    const serial = await sslApiCertificate('vendorA');
    expect((await crlEntries()).has(serial)).toBe(false);
    const res = await revokeSslApi('vendorA', { serial: serial.toUpperCase(), reason: 'keyCompromise' });
    expect(res).toMatchObject({ status: 200, json: { status: 'revoked', serial } });
    expect(await ca.certificate(serial)).toMatchObject({ status: 'revoked', revocationReason: 'keyCompromise' });
    expect((await crlEntries()).get(serial)).toMatchObject({ serialNumberHex: serial, reason: 'keyCompromise' });
  });

  it('answers a repeat "already_revoked" and keeps the first time and reason', async () => {
    const serial = await sslApiCertificate('vendorA');
    expect((await revokeSslApi('vendorA', { serial, reason: 'superseded' })).json).toEqual({ status: 'revoked', serial });
    const first = await ca.certificate(serial);
    await ca.advanceClock(60_000);
    const again = await revokeSslApi('vendorA', { serial, reason: 'keyCompromise' });
    expect(again).toMatchObject({ status: 200, json: { status: 'already_revoked', serial } });
    expect(await ca.certificate(serial)).toEqual(first);
    expect((await crlEntries()).get(serial)?.reason).toBe('superseded');
  });

  it("answers another client's certificate as unknown, as an unknown serial, and leaves it valid", async () => {
    const serial = await sslApiCertificate('vendorA');
    const before = await storedCertificates();
    const other = await revokeSslApi('vendorB', { serial, reason: 'keyCompromise' });
    const unknown = await revokeSslApi('vendorA', { serial: '7f'.repeat(16), reason: 'keyCompromise' });
    expect(other).toMatchObject({ status: 404, json: { error: { code: 'unknown_certificate' } } });
    expect(unknown.status).toBe(404);
    expect(unknown.json).toEqual(other.json);
    expect(await storedCertificates()).toEqual(before);
    expect((await ca.certificate(serial))?.status).toBe('valid');
  });

  it.each([
    { name: 'certificateHold', body: (serial: string) => ({ serial, reason: 'certificateHold' }), status: 400, code: 'invalid_reason' },
    { name: 'removeFromCRL', body: (serial: string) => ({ serial, reason: 'removeFromCRL' }), status: 400, code: 'invalid_reason' },
    { name: 'cACompromise', body: (serial: string) => ({ serial, reason: 'cACompromise' }), status: 400, code: 'invalid_reason' },
    { name: 'an unknown reason', body: (serial: string) => ({ serial, reason: 'stolen' }), status: 400, code: 'invalid_reason' },
    {
      name: 'a serial with colons',
      body: (serial: string) => ({ serial: serial.replace(/(..)(?!$)/g, '$1:'), reason: 'superseded' }),
      status: 400,
      code: 'invalid_serial',
    },
    { name: 'no serial', body: () => ({ reason: 'superseded' }), status: 400, code: 'invalid_request' },
    { name: 'a member more', body: (serial: string) => ({ serial, reason: 'superseded', force: true }), status: 400, code: 'invalid_request' },
    { name: 'a body that is not JSON', body: (serial: string) => `serial=${serial}`, status: 400, code: 'invalid_request' },
  ])('refuses $name with $code and changes nothing', async ({ body, status, code }) => {
    const serial = await sslApiCertificate('vendorA');
    const before = await storedCertificates();
    const res = await revokeSslApi('vendorA', body(serial));
    expect(res).toMatchObject({ status, json: { error: { code } } });
    expect(await storedCertificates()).toEqual(before);
    expect((await ca.certificate(serial))?.status).toBe('valid');
  });

  it('refuses a bad client segment (its only credential) and another media type, changing nothing', async () => {
    const serial = await sslApiCertificate('vendorA');
    const before = await storedCertificates();
    expect(await revokeSslApi('vendor-A', { serial })).toMatchObject({ status: 400, json: { error: { code: 'invalid_client' } } });
    const form = await revokeSslApi('vendorA', `serial=${serial}`, { contentType: 'application/x-www-form-urlencoded' });
    expect(form).toMatchObject({ status: 415, json: { error: { code: 'unsupported_media_type' } } });
    expect(await storedCertificates()).toEqual(before);
  });

  it.each(['GET', 'PUT', 'DELETE'])('answers %s with 405 (Allow: POST) and does not revoke', async (method) => {
    const serial = await sslApiCertificate('vendorA');
    const res = await revokeSslApi('vendorA', { serial, reason: 'keyCompromise' }, { method });
    expect(res).toMatchObject({ status: 405, allow: 'POST', json: { error: { code: 'method_not_allowed' } } });
    const get = await fetch(`${ca.url}/api/csr/vendorA/revoke?serial=${serial}&reason=keyCompromise`);
    expect(get.status).toBe(405);
    expect((await ca.certificate(serial))?.status).toBe('valid');
  });
});

describe('POST /api/crevoke.php', () => {
  let ada: { email: string; token: string };
  let bob: { email: string; token: string };
  beforeAll(async () => {
    ada = await accountWithToken(ca, { EmailAddress: 'ada+revoke@example.org' });
    bob = await accountWithToken(ca, { EmailAddress: 'bob+revoke@example.org' });
  });

  it('revokes a certificate requested with the installation token; the next CRL lists it with the reason', async () => {
    const serial = await installationCertificate(ada.email, ada.token);
    const res = await callApi(ca, CREVOKE_PATH, { serial: serial.toUpperCase(), reason: 'cessationOfOperation' }, { bearer: ada.token });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(res.text).toBe(`200,Revoked ${serial}\n`);
    expect(await ca.certificate(serial)).toMatchObject({ status: 'revoked', revocationReason: 'cessationOfOperation' });
    expect((await crlEntries()).get(serial)).toMatchObject({ reason: 'cessationOfOperation' });
  });

  it('answers a repeat "Already revoked" with the first time and reason (headers) and keeps them', async () => {
    const serial = await installationCertificate(ada.email, ada.token);
    expect((await callApi(ca, CREVOKE_PATH, { serial, reason: 'affiliationChanged' }, { bearer: ada.token })).text).toBe(`200,Revoked ${serial}\n`);
    const first = await ca.certificate(serial);
    await ca.advanceClock(60_000);
    const again = await callApi(ca, CREVOKE_PATH, { serial, reason: 'keyCompromise' }, { bearer: ada.token });
    expect(again.status).toBe(200);
    expect(again.text).toBe(`200,Already revoked ${serial}\n`);
    expect(again.headers.get('revoked-at')).toBe(first?.revokedAt && new Date(first.revokedAt).toISOString());
    expect(again.headers.get('revocation-reason')).toBe('affiliationChanged');
    expect(await ca.certificate(serial)).toEqual(first);
  });

  it('without a reason revokes as unspecified, which the CRL entry leaves out (RFC 5280 §5.3.1)', async () => {
    const serial = await installationCertificate(ada.email, ada.token);
    expect((await callApi(ca, CREVOKE_PATH, { serial }, { bearer: ada.token })).text).toBe(`200,Revoked ${serial}\n`);
    expect(await ca.certificate(serial)).toMatchObject({ status: 'revoked', revocationReason: 'unspecified' });
    const entry = (await crlEntries()).get(serial);
    expect(entry).toBeDefined();
    expect(entry?.reason).toBeUndefined();
  });

  it("answers another account's certificate, an ssl_api client's and an unknown serial alike, and leaves them valid", async () => {
    const bobs = await accountCertificate(bob.email);
    const clients = await sslApiCertificate('vendorA');
    const before = await storedCertificates();
    const answers = await Promise.all(
      [bobs, clients, '7f'.repeat(16)].map((serial) => callApi(ca, CREVOKE_PATH, { serial, reason: 'keyCompromise' }, { bearer: ada.token })),
    );
    for (const res of answers) {
      expect(res.status).toBe(404);
      expect(res.text).toBe('404,unknown_certificate the account has no certificate with this serial\n');
    }
    expect(await storedCertificates()).toEqual(before);
    expect((await ca.certificate(bobs))?.status).toBe('valid');
  });

  it.each([
    { name: 'certificateHold', fields: (serial: string) => ({ serial, reason: 'certificateHold' }), line: /^400,invalid_reason / },
    { name: 'removeFromCRL', fields: (serial: string) => ({ serial, reason: 'removeFromCRL' }), line: /^400,invalid_reason / },
    { name: 'privilegeWithdrawn', fields: (serial: string) => ({ serial, reason: 'privilegeWithdrawn' }), line: /^400,invalid_reason / },
    { name: 'a reason code number', fields: (serial: string) => ({ serial, reason: '1' }), line: /^400,invalid_reason / },
    { name: 'an odd-length serial', fields: (serial: string) => ({ serial: `${serial}0`, reason: 'superseded' }), line: /^400,invalid_serial / },
    { name: 'no serial', fields: () => ({ reason: 'superseded' }), line: /^400,invalid_request / },
  ])('refuses $name and changes nothing', async ({ fields, line }) => {
    const serial = await accountCertificate(ada.email);
    const before = await storedCertificates();
    const res = await callApi(ca, CREVOKE_PATH, fields(serial), { bearer: ada.token });
    expect(res.status).toBe(400);
    expect(res.text).toMatch(line);
    expect(res.text.split('\n')).toHaveLength(2);
    expect(await storedCertificates()).toEqual(before);
  });

  it.each([
    { name: 'no credentials', fields: {}, bearer: undefined, status: 400, line: /^400,invalid_request username and password are required/ },
    { name: 'a wrong token', fields: {}, bearer: 'A'.repeat(43), status: 401, line: /^401,authentication_failed Authentication failed$/ },
    { name: 'a malformed authorization', fields: {}, bearer: 'not a token', status: 401, line: /^401,authentication_failed Authentication failed$/ },
    {
      name: 'a wrong password',
      fields: { username: 'ada+revoke@example.org', password: `${PASSWORD}!` },
      bearer: undefined,
      status: 401,
      line: /^401,authentication_failed Authentication failed$/,
    },
    {
      name: 'a password beside the token',
      fields: { username: 'ada+revoke@example.org', password: PASSWORD },
      bearer: 'token',
      status: 400,
      line: /^400,invalid_request /,
    },
  ])('refuses $name and changes nothing', async ({ fields, bearer, status, line }) => {
    const serial = await accountCertificate(ada.email);
    const before = await storedCertificates();
    const token = bearer === 'token' ? ada.token : bearer;
    const res = await callApi(ca, CREVOKE_PATH, { ...fields, serial, reason: 'keyCompromise' }, token === undefined ? {} : { bearer: token });
    expect(res.status).toBe(status);
    expect(res.text.trimEnd()).toMatch(line);
    expect(await storedCertificates()).toEqual(before);
    expect((await ca.certificate(serial))?.status).toBe('valid');
  });

  it("refuses, with the installation token, the account's certificates that installation did not request, and leaves them valid", async () => {
    // Issued with the owner's password (ccsr): the account's, but no installation's.
    const owners = await accountCertificate(ada.email);
    const before = await storedCertificates();
    const res = await callApi(ca, CREVOKE_PATH, { serial: owners, reason: 'keyCompromise' }, { bearer: ada.token });
    expect(res.status).toBe(404);
    expect(res.text).toBe('404,unknown_certificate the account has no certificate with this serial\n');
    expect(await storedCertificates()).toEqual(before);
    expect((await ca.certificate(owners))?.status).toBe('valid');
  });

  it("revokes with the owner's address and password any certificate of the account, an installation's too", async () => {
    const owners = await accountCertificate(ada.email);
    const installations = await installationCertificate(ada.email, ada.token);
    for (const serial of [owners, installations]) {
      const res = await callApi(ca, CREVOKE_PATH, { username: ada.email, password: PASSWORD, serial, reason: 'superseded' });
      expect(res.text).toBe(`200,Revoked ${serial}\n`);
      expect(res.headers.get('revocation-reason')).toBe('superseded');
      expect((await crlEntries()).get(serial)).toMatchObject({ reason: 'superseded' });
    }
    // Bob's password does not reach Ada's certificates.
    const adas = await accountCertificate(ada.email);
    const other = await callApi(ca, CREVOKE_PATH, { username: bob.email, password: PASSWORD, serial: adas, reason: 'superseded' });
    expect(other.status).toBe(404);
    expect((await ca.certificate(adas))?.status).toBe('valid');
  });

  it.each(['GET', 'PUT'] as const)('answers %s with 405 (Allow: POST) and does not revoke', async (method) => {
    const serial = await accountCertificate(ada.email);
    const res = await callApi(ca, CREVOKE_PATH, { serial, reason: 'keyCompromise' }, { method, bearer: ada.token });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
    expect(res.text).toBe('405,method_not_allowed use POST\n');
    expect((await ca.certificate(serial))?.status).toBe('valid');
  });
});
