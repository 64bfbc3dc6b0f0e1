/**
 * The registration page refuses `continue` and `error` URLs that name `localhost`, or that
 * already carry a parameter the CA appends (`EmailAddress`, `code`, `reason`): a pre-set one
 * would reach the installer next to the CA's own, and could be the one it reads. A POST carrying
 * one (hidden fields tampered with) is answered 400 and stores nothing, mails nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dbSnapshot } from './support/ping-client.js';
import { mailbox, newTicket, postForm, registrationFields } from './support/registration-client.js';
import { startTestCa, type TestCa } from './support/test-ca.js';

let ca: TestCa;
beforeAll(async () => {
  ca = await startTestCa({ allowedHttpsOrigins: ['https://vendor.example'] });
});
afterAll(() => ca.dispose());

const cases = [
  { name: 'continue at localhost', field: 'continue', url: 'http://localhost:53111/done', reason: 'not_loopback' },
  { name: 'error at localhost', field: 'error', url: 'http://localhost:53111/failed', reason: 'not_loopback' },
  {
    name: 'continue carrying EmailAddress',
    field: 'continue',
    url: 'http://127.0.0.1:53111/done?EmailAddress=victim%40evil.test',
    reason: 'reserved_parameter',
  },
  { name: 'continue carrying code', field: 'continue', url: 'http://127.0.0.1:53111/done?state=k2J&code=attacker-code', reason: 'reserved_parameter' },
  { name: 'error carrying reason', field: 'error', url: 'http://[::1]:53111/failed?reason=cancelled', reason: 'reserved_parameter' },
  { name: 'an allowed https continue carrying code', field: 'continue', url: 'https://vendor.example/done?code=x', reason: 'reserved_parameter' },
] as const;

describe('continue and error URLs the CA refuses', () => {
  it.each(cases)('the page reports $name as $reason and keeps no hidden field for it', async ({ field, url, reason }) => {
    const before = await dbSnapshot(ca);
    const html = await (await fetch(`${ca.url}/index.php?${new URLSearchParams({ id: '1', [field]: url })}`)).text();
    expect(html).toContain(`(${reason})`);
    expect(html).not.toContain(`name="${field}"`);
    expect(await dbSnapshot(ca)).toEqual(before);
  });

  it.each(cases)('a registration POST with $name is answered 400 ($reason), storing and mailing nothing', async ({ field, url, reason }) => {
    const ticket = await newTicket(ca);
    const email = `refused-${field}@example.org`;
    const before = await dbSnapshot(ca);
    const res = await postForm(`${ca.url}/index.php?id=1`, { ...registrationFields({ EmailAddress: email }), [field]: url, ticket });
    expect(res.status).toBe(400);
    expect(res.text).toContain(`(${reason})`);
    expect(await dbSnapshot(ca)).toEqual(before);
    expect(await mailbox(ca.url, email)).toEqual([]);
  });
});
