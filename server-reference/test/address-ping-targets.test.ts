/**
 * `POST /api/addresses` pings only addresses at a domain of the public DNS: not `localhost` or a
 * name below it (RFC 6761 §6.3), not a single-label name (resolved by search lists, inside the
 * CA's own network), not an address literal (`user@[127.0.0.1]`, RFC 5321 §4.1.3). Otherwise an
 * installation token would make the CA send mail to its own host or its network's. A refusal is
 * 400 `invalid_request`, sends no mail and stores nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountWithToken } from './support/cacert-client.js';
import { askForPing, dbSnapshot } from './support/ping-client.js';
import { mailbox } from './support/registration-client.js';
import { startTestCa, type TestCa } from './support/test-ca.js';

let ca: TestCa;
let bearer: string;
beforeAll(async () => {
  ca = await startTestCa();
  ({ token: bearer } = await accountWithToken(ca, { EmailAddress: 'owner@example.org' }));
});
afterAll(() => ca.dispose());

describe('POST /api/addresses refuses addresses that do not leave for the public DNS', () => {
  it.each([
    { name: 'localhost', email: 'root@localhost' },
    { name: 'localhost in upper case', email: 'root@LOCALHOST' },
    { name: 'a name below localhost', email: 'admin@mail.localhost' },
    { name: 'a single-label domain', email: 'admin@intranet' },
    { name: 'an IPv4 address literal', email: 'root@[127.0.0.1]' },
    { name: 'an IPv6 address literal', email: 'root@[IPv6:::1]' },
    { name: 'a bare IPv4 address as the domain', email: 'root@127.0.0.1' },
    { name: 'localhost with a trailing dot', email: 'root@localhost.' },
  ])('$name ($email): 400 invalid_request, no mail, nothing stored', async ({ email }) => {
    const mails = (await mailbox(ca.url)).length;
    const before = await dbSnapshot(ca);
    const res = await askForPing(ca, bearer, { email });
    expect({ status: res.status, code: res.json.error?.code }).toEqual({ status: 400, code: 'invalid_request' });
    expect(res.json.error?.message).not.toContain(email);
    expect(await dbSnapshot(ca)).toEqual(before);
    expect(await mailbox(ca.url)).toHaveLength(mails);
  });

  it('pings an address at a public domain name (the rule is about the domain)', async () => {
    const res = await askForPing(ca, bearer, { email: 'localhost@example.net' });
    expect(res).toMatchObject({ status: 202, json: { status: 'ping_sent', email: 'localhost@example.net' } });
    expect(await mailbox(ca.url, 'localhost@example.net')).toHaveLength(1);
  });
});
