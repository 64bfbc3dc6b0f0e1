/**
 * Bidirectional controls (U+202A-U+202E, U+2066-U+2069, U+200E, U+200F, U+061C) can make a name
 * on a page read as something else ("Trojan Source", CVE-2021-42574): a name that displays as an
 * operator's, a label that reverses the text after it. Registration refuses them, naming the
 * field; the account and operator pages write any that rows stored before the rule still hold as
 * visible `\u202E` escapes.
 */
import { createCsr, generateKeyPair } from '@certwizard/pki';
import { decodeCcsrAnswer } from '@certwizard/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountWithToken, callApi, PASSWORD } from './support/cacert-client.js';
import { addOperator, OPERATOR, OPERATOR_PASSWORD } from './support/operator-client.js';
import { dbSnapshot } from './support/ping-client.js';
import { mailbox, postForm, registrationFields } from './support/registration-client.js';
import { startTestCa, type TestCa } from './support/test-ca.js';

const BIDI = /[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/u;

let ca: TestCa;
beforeAll(async () => {
  ca = await startTestCa({ namesOutsideDomains: 'operator' });
});
afterAll(() => ca.dispose());

/** Logs in at `path` and returns the session cookie. */
async function login(path: string, email: string, password: string): Promise<string> {
  const res = await postForm(`${ca.url}${path}`, { EmailAddress: email, Password: password });
  expect(res.status).toBe(303);
  return (res.headers.get('set-cookie') as string).split(';')[0] as string;
}

describe('registration', () => {
  it.each([
    { field: 'FirstName', value: 'Ada\u202E', code: 'U+202E' },
    { field: 'MiddleName', value: 'B\u2066', code: 'U+2066' },
    { field: 'LastName', value: 'Lovelace\u200F', code: 'U+200F' },
    { field: 'LastName', value: '\u200ELovelace', code: 'U+200E' },
    { field: 'FirstName', value: 'Ada\u061C', code: 'U+061C' },
  ])('refuses $code in $field next to that field, storing and mailing nothing', async ({ field, value }) => {
    const email = 'bidi@example.org';
    const before = await dbSnapshot(ca);
    const res = await postForm(`${ca.url}/index.php?id=1`, registrationFields({ EmailAddress: email, [field]: value }));
    expect(res.status).toBe(400);
    expect(res.text).toMatch(new RegExp(`id="${field}-error">[^<]*bidirectional control`));
    expect(await dbSnapshot(ca)).toEqual(before);
    expect(await mailbox(ca.url, email)).toEqual([]);
  });
});

describe('rows stored before the rule', () => {
  let email: string;
  let requestId: string;
  beforeAll(async () => {
    let token: string;
    ({ email, token } = await accountWithToken(ca, { EmailAddress: 'old-row@example.org' }));
    const csr = createCsr({
      privateKey: generateKeyPair('p256').privateKey,
      subject: [{ type: 'CN', value: 'www.example.org' }],
      subjectAltNames: { dns: ['www.example.org'] },
    }).pem;
    const res = await callApi(ca, '/api/requests', { csr }, { bearer: token });
    expect(res.status).toBe(202);
    requestId = decodeCcsrAnswer(res.status, res.text).requestId as string;
    // Rows as an older CA stored them, before registration and the token request refused bidi controls.
    const account = await ca.account(email);
    if (account === undefined) throw new Error('no account');
    await ca.storeAsBeforeTheRules('accounts', account.id, { first_name: 'Ada\u202Eevil', last_name: 'Love\u2067lace' });
    const rows = await ca.rows();
    for (const row of rows.installation_tokens as { id: number }[]) await ca.storeAsBeforeTheRules('installation_tokens', row.id, { label: 'laptop\u200F' });
    for (const row of rows.certificate_requests as { id: string }[])
      await ca.storeAsBeforeTheRules('certificate_requests', row.id, { subject: 'CN=www\u202Eexample.org' });
    await addOperator(ca);
  });

  it('the account page shows the names and the installation label with visible escapes', async () => {
    const cookie = await login('/login', email, PASSWORD);
    const page = await (await fetch(`${ca.url}/account`, { headers: { cookie } })).text();
    expect(page).toContain('Ada\\u202Eevil B Love\\u2067lace');
    expect(page).toContain('<td data-label="Installation">laptop\\u200F (connected ');
    expect(page).not.toMatch(BIDI);
  });

  it('the operator queue shows the request subject and the installation label with visible escapes', async () => {
    const cookie = await login('/operator/login', OPERATOR, OPERATOR_PASSWORD);
    const page = await (await fetch(`${ca.url}/operator/queue`, { headers: { cookie } })).text();
    expect(page).toContain(requestId);
    expect(page).toContain('CN=www\\u202Eexample.org');
    expect(page).toContain('laptop\\u200F (connected ');
    expect(page).not.toMatch(BIDI);
  });
});
