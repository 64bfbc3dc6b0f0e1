/**
 * A form field given twice is refused by every form of the CA (readForm), with 400 and a message
 * naming the field, before anything is read from it: with two values, one part of the CA could
 * act on the first and another on the last (the address checked, the address mailed). Nothing
 * is stored, no mail leaves, no session is opened.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountWithToken, PASSWORD } from './support/cacert-client.js';
import { addOperator, OPERATOR, OPERATOR_PASSWORD } from './support/operator-client.js';
import { dbSnapshot } from './support/ping-client.js';
import { mailbox, postForm, registrationFields } from './support/registration-client.js';
import { startTestCa, type TestCa } from './support/test-ca.js';

let ca: TestCa;
let account: string;
beforeAll(async () => {
  ca = await startTestCa();
  ({ email: account } = await accountWithToken(ca, { EmailAddress: 'owner@example.org' }));
  await addOperator(ca);
});
afterAll(() => ca.dispose());

/** The fields of `fields` with `name` given a second time, right after the first. */
function withRepeat(fields: Record<string, string>, name: string, second: string): Array<[string, string]> {
  return Object.entries(fields).flatMap(([k, v]): Array<[string, string]> =>
    k === name
      ? [
          [k, v],
          [k, second],
        ]
      : [[k, v]],
  );
}

describe('a repeated form field', () => {
  it.each([
    { field: 'EmailAddress', second: 'attacker@evil.example' },
    { field: 'FirstName', second: 'Mallory' },
    { field: 'Password', second: 'another password 123' },
    { field: 'continue', second: 'http://127.0.0.1:6000/other' },
  ])('registration with $field twice: 400 naming it, nothing stored, no mail', async ({ field, second }) => {
    const fields = registrationFields({ EmailAddress: 'twice@example.org', continue: 'http://127.0.0.1:5000/done' });
    const before = await dbSnapshot(ca);
    const res = await postForm(`${ca.url}/index.php?id=1`, withRepeat(fields, field, second));
    expect(res.status).toBe(400);
    expect(res.text).toContain(`the field ${field} is given more than once`);
    expect(await dbSnapshot(ca)).toEqual(before);
    expect(await mailbox(ca.url, 'twice@example.org')).toEqual([]);
    expect(await mailbox(ca.url, 'attacker@evil.example')).toEqual([]);
  });

  it.each([
    { path: '/login', email: () => account, password: PASSWORD },
    { path: '/operator/login', email: () => OPERATOR, password: OPERATOR_PASSWORD },
  ])('$path with EmailAddress twice, the first one right: 400, no session', async ({ path, email, password }) => {
    const before = await dbSnapshot(ca);
    const res = await postForm(`${ca.url}${path}`, [
      ['EmailAddress', email()],
      ['EmailAddress', 'someone-else@example.org'],
      ['Password', password],
    ]);
    expect({ status: res.status, cookie: res.headers.get('set-cookie') }).toEqual({ status: 400, cookie: null });
    expect(res.text).toContain('the field EmailAddress is given more than once');
    expect(await dbSnapshot(ca)).toEqual(before);
  });

  it('the same login with each field once still logs in (the refusal is about the repeat)', async () => {
    const res = await postForm(`${ca.url}/login`, { EmailAddress: account, Password: PASSWORD });
    expect(res.status).toBe(303);
  });

  it('a CAcert API call with username twice: 400 invalid_request, nothing stored', async () => {
    const before = await dbSnapshot(ca);
    const res = await postForm(`${ca.url}/api/cemails.php`, [
      ['username', account],
      ['username', 'someone-else@example.org'],
      ['password', PASSWORD],
    ]);
    expect(res.status).toBe(400);
    expect(res.text).toMatch(/^400,invalid_request /);
    expect(await dbSnapshot(ca)).toEqual(before);
  });
});
