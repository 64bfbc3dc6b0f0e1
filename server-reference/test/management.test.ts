/**
 * The test-only management server: reachable only on its own 127.0.0.1 listener (the CA's
 * public port does not serve it), it reads stored state, moves the clock and sets up what an
 * operator would, through the CA's own services, so that tests never open the database file.
 */
import { createCsr, generateKeyPair, parseCertificateChain } from '@certwizard/pki';
import { afterEach, describe, expect, it } from 'vitest';
import { accountWithToken, callApi, PASSWORD } from './support/cacert-client.js';
import { isItDone, newTicket, postForm } from './support/registration-client.js';
import { putCsr, startTestCa, type TestCa } from './support/test-ca.js';

let ca: TestCa | undefined;
afterEach(async () => {
  await ca?.dispose();
  ca = undefined;
});

describe('the management server', () => {
  it('is a separate loopback listener; the public port does not serve it', async () => {
    ca = await startTestCa();
    expect(new URL(ca.managementUrl).hostname).toBe('127.0.0.1');
    expect(new URL(ca.managementUrl).port).not.toBe(new URL(ca.url).port);
    for (const path of ['/counts', '/rows', '/clock?advanceMs=1', '/accounts?email=a%40example.org'])
      expect((await fetch(`${ca.url}${path}`)).status).toBe(404);
    for (const path of ['/operators', '/accounts/1/code-signing?allowed=true', '/rows/accounts/1']) {
      expect((await fetch(`${ca.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).status).toBe(404);
    }
  });

  it('reads counts, rows and a stored certificate by serial', async () => {
    ca = await startTestCa();
    expect((await ca.counts()).certificates).toBe(0);
    expect(await ca.certificate('0a')).toBeUndefined();
    const key = generateKeyPair('p256');
    const answer = await putCsr(ca, createCsr({ privateKey: key.privateKey, subjectAltNames: { dns: ['mail.example.org'] } }).pem);
    expect(answer.status).toBe(200);
    const [leaf] = parseCertificateChain(answer.json.signed_x509_pem as string);
    if (leaf === undefined) throw new Error('no certificate');
    expect((await ca.counts()).certificates).toBe(1);
    expect((await ca.rows()).certificates).toHaveLength(1);
    expect(await ca.certificate(leaf.serialNumberHex)).toMatchObject({ serialHex: leaf.serialNumberHex, status: 'valid' });
  });

  it('moves the CA clock: a ticket expires without waiting', async () => {
    ca = await startTestCa();
    const ticket = await newTicket(ca);
    expect(await isItDone(ca, ticket)).toEqual({ status: 'pending' });
    await ca.advanceClock(31 * 60_000);
    expect(await isItDone(ca, ticket)).toEqual({ status: 'expired' });
    expect((await fetch(`${ca.managementUrl}/clock?advanceMs=-1`, { method: 'POST' })).status).toBe(400);
  });

  it('has no clock to move when the test drives the clock itself', async () => {
    const now = Date.UTC(2030, 0, 1);
    ca = await startTestCa({ now: () => now });
    await expect(ca.advanceClock(1)).rejects.toThrow(/404/);
  });

  it('adds an operator through the operator service: one who logs in, once per address', async () => {
    ca = await startTestCa();
    await ca.addOperator('ops@ca.example', 'operator password 1');
    expect((await ca.rows()).operators).toHaveLength(1);
    // The password is stored hashed, never as given.
    expect(JSON.stringify((await ca.rows()).operators)).not.toContain('operator password 1');
    const login = await postForm(`${ca.url}/operator/login`, { EmailAddress: 'ops@ca.example', Password: 'operator password 1' });
    expect(login.status).toBe(303);
    await expect(ca.addOperator('OPS@ca.example', 'another password')).rejects.toThrow(/409/);
    await expect(ca.addOperator('not an address', 'another password')).rejects.toThrow(/400/);
    expect((await ca.rows()).operators).toHaveLength(1);
  });

  it("reads an account by address and records an operator's code-signing decision and a confirmed address", async () => {
    ca = await startTestCa();
    expect(await ca.account('ada+wizard@example.org')).toBeUndefined();
    await accountWithToken(ca);
    const account = await ca.account('ADA+wizard@Example.org');
    expect(account).toMatchObject({ email: 'ada+wizard@example.org', status: 'active', codeSigning: false });
    expect(JSON.stringify(account)).not.toMatch(/scrypt/);
    const login = { username: 'ada+wizard@example.org', password: PASSWORD };
    await ca.setCodeSigning(account?.id as number, true);
    await ca.addConfirmedAddress(account?.id as number, 'A.L@Example.NET');
    expect((await callApi(ca, '/api/cemails.php', login)).text).toMatch(/^200,Authentication Ok\nCS=1\n.*EMAIL=A\.L@example\.net\n$/s);
    await ca.setCodeSigning(account?.id as number, false);
    expect((await callApi(ca, '/api/cemails.php', login)).text).toContain('\nCS=0\n');

    await expect(ca.setCodeSigning(99, true)).rejects.toThrow(/404/);
    await expect(ca.addConfirmedAddress(99, 'a@example.org')).rejects.toThrow(/404/);
    await expect(ca.addConfirmedAddress(account?.id as number, 'not an address')).rejects.toThrow(/400/);
    expect((await fetch(`${ca.managementUrl}/accounts/1/code-signing?allowed=yes`, { method: 'POST' })).status).toBe(400);
  });

  it('overwrites only listed free-text columns of an existing row', async () => {
    ca = await startTestCa();
    await accountWithToken(ca);
    const before = await ca.rows();
    await ca.storeAsBeforeTheRules('accounts', 1, { first_name: 'Ada\u202E' });
    expect(((await ca.rows()).accounts[0] as { first_name: string }).first_name).toBe('Ada\u202E');
    const refused = async (path: string, body: unknown) =>
      (await fetch(`${ca?.managementUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).status;
    expect(await refused('/rows/accounts/1', { status: 'active', first_name: 'Ada' })).toBe(400);
    expect(await refused('/rows/accounts/1', { password_hash: 'x' })).toBe(400);
    expect(await refused('/rows/operators/1', { email: 'x' })).toBe(400);
    expect(await refused('/rows/accounts/1', { first_name: 1 })).toBe(400);
    expect(await refused('/rows/accounts/1', {})).toBe(400);
    expect(await refused('/rows/accounts/99', { first_name: 'Ada' })).toBe(404);
    const after = await ca.rows();
    expect({ ...after, accounts: [] }).toEqual({ ...before, accounts: [] });
    expect(after.accounts).toEqual([{ ...(before.accounts[0] as object), first_name: 'Ada\u202E' }]);
  });
});
