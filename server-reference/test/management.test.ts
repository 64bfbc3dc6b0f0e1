/**
 * The test-only management server: reachable only on its own 127.0.0.1 listener (the CA's
 * public port does not serve it), it reads stored state and moves the clock, so that tests never
 * open the database file.
 */
import { createCsr, generateKeyPair, parseCertificateChain } from '@certwizard/pki';
import { afterEach, describe, expect, it } from 'vitest';
import { isItDone, newTicket } from './support/registration-client.js';
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
    for (const path of ['/counts', '/rows', '/clock?advanceMs=1']) expect((await fetch(`${ca.url}${path}`)).status).toBe(404);
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
});
