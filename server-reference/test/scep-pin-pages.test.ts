/**
 * The SCEP parts of the pages over real HTTP: the operator area makes a PIN (shown once, stored
 * as SHA-256) and lists unexpired PINs without the PIN; the account page's SCEP section makes the
 * personal SCEP URL on a POST (the GET makes nothing) and owner PINs for the owner's own
 * confirmed address only. Every form refuses a POST without the session's CSRF token.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountWithToken, PASSWORD } from './support/cacert-client.js';
import { addOperator, OPERATOR, OPERATOR_PASSWORD } from './support/operator-client.js';
import { postForm } from './support/registration-client.js';
import { startTestCa, type TestCa } from './support/test-ca.js';

let ca: TestCa;
let origin: string;
let email: string;
beforeAll(async () => {
  ca = await startTestCa();
  origin = new URL(ca.url).origin;
  await addOperator(ca);
  ({ email } = await accountWithToken(ca));
});
afterAll(async () => {
  await ca.dispose();
});

async function login(path: string, fields: Record<string, string>): Promise<string> {
  const res = await postForm(`${ca.url}${path}`, fields);
  return (res.headers.get('set-cookie') as string).split(';')[0] as string;
}
const page = async (path: string, cookie: string) => (await fetch(`${ca.url}${path}`, { headers: { cookie } })).text();
const csrfOf = (html: string) => /name="csrf" value="([^"]+)"/.exec(html)?.[1] as string;
const pinOf = (html: string) => /<pre id="scep-pin">([A-Za-z0-9_-]{24})<\/pre>/.exec(html)?.[1];
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

describe('operator area: SCEP PINs', () => {
  it('makes a PIN shown once, bound to the names and TTL, listed without the PIN; refuses bad input and a POST without CSRF', async () => {
    const cookie = await login('/operator/login', { EmailAddress: OPERATOR, Password: OPERATOR_PASSWORD });
    expect(await page('/operator/queue', cookie)).toContain('href="/operator/scep"');
    const form = await page('/operator/scep', cookie);
    expect(form).toContain('Make a PIN');
    const csrf = csrfOf(form);
    const before = await ca.counts();
    expect((await postForm(`${ca.url}/operator/scep-pins`, { dns: 'a.example.org' }, { cookie, origin })).status).toBe(403);
    const bad = await postForm(`${ca.url}/operator/scep-pins`, { csrf, dns: 'bad_name!' }, { cookie, origin });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('not a DNS name');
    expect((await postForm(`${ca.url}/operator/scep-pins`, { csrf, dns: '', subject: '' }, { cookie, origin })).status).toBe(400);
    expect(await ca.counts()).toEqual(before);

    const made = await postForm(
      `${ca.url}/operator/scep-pins`,
      { csrf, dns: 'Device1.example.org\ndevice2.example.org', subject: 'cn=device1.example.org', ttl: String(86_400_000) },
      { cookie, origin },
    );
    expect(made.status).toBe(200);
    expect(made.text).toContain("Give this PIN to the device's admin");
    const pin = pinOf(made.text) as string;
    expect(pin).toBeDefined();
    const rows = (await ca.rows()).scep_pins as Record<string, unknown>[];
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      digest: sha256(pin),
      account_id: null,
      dns_names_json: '["device1.example.org","device2.example.org"]',
      subject: 'CN=device1.example.org',
      used_at_ms: null,
    });
    expect((rows[0]?.expires_at_ms as number) - (rows[0]?.created_at_ms as number)).toBe(86_400_000);
    expect(JSON.stringify(rows)).not.toContain(pin);

    const listed = await page('/operator/scep', cookie);
    expect(listed).toContain('device1.example.org, device2.example.org, subject CN=device1.example.org');
    expect(listed).toContain('unused');
    expect(listed).not.toContain(pin);
    // A GET changes nothing.
    const after = await ca.rows();
    await page('/operator/scep', cookie);
    expect(await ca.rows()).toEqual(after);
  });
});

describe('account page: SCEP section', () => {
  it('makes the personal SCEP URL on a POST only, once, and shows it on every view', async () => {
    const cookie = await login('/login', { EmailAddress: email, Password: PASSWORD });
    const first = await page('/account', cookie);
    expect(first).toContain('Show my personal SCEP URL');
    expect((await ca.rows()).scep_handles).toEqual([]);
    const csrf = csrfOf(first);
    expect((await postForm(`${ca.url}/account/scep/url`, {}, { cookie, origin })).status).toBe(403);
    expect((await ca.rows()).scep_handles).toEqual([]);
    expect((await postForm(`${ca.url}/account/scep/url`, { csrf }, { cookie, origin })).status).toBe(303);
    const shown = await page('/account', cookie);
    const url = /<code id="scep-url">([^<]+)<\/code>/.exec(shown)?.[1] as string;
    expect(url).toMatch(new RegExp(`^${ca.url.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/scep/u/[A-Za-z0-9_-]{24}$`));
    await postForm(`${ca.url}/account/scep/url`, { csrf }, { cookie, origin });
    expect(await page('/account', cookie)).toContain(url);
    expect((await ca.rows()).scep_handles).toHaveLength(1);
  });

  it("makes owner PINs for the owner's confirmed address only, shown once; others' names are refused, storing nothing", async () => {
    const cookie = await login('/login', { EmailAddress: email, Password: PASSWORD });
    const csrf = csrfOf(await page('/account', cookie));
    const before = await ca.counts();
    const others = await postForm(`${ca.url}/account/scep-pins`, { csrf, dns: 'www.example.org' }, { cookie, origin });
    expect(others.status).toBe(403);
    expect(others.text).toContain('not your verified names: www.example.org');
    expect((await postForm(`${ca.url}/account/scep-pins`, { csrf, subject: 'CN=eve@example.org' }, { cookie, origin })).status).toBe(403);
    expect((await postForm(`${ca.url}/account/scep-pins`, { subject: `E=${email}` }, { cookie, origin })).status).toBe(403);
    expect(await ca.counts()).toEqual(before);

    const made = await postForm(`${ca.url}/account/scep-pins`, { csrf, subject: `CN=${email}, E=${email}` }, { cookie, origin });
    expect(made.status).toBe(200);
    const pin = pinOf(made.text) as string;
    const rows = (await ca.rows()).scep_pins as Record<string, unknown>[];
    const mine = rows.find((r) => r.digest === sha256(pin));
    expect(mine).toMatchObject({
      dns_names_json: '[]',
      subject: `CN=${email.replace('+', '\\+')}, emailAddress=${email.replace('+', '\\+')}`,
      created_by: expect.stringMatching(/^account:\d+$/),
    });
    expect(mine?.account_id).not.toBeNull();
    expect(await page('/account', cookie)).not.toContain(pin);
  });
});
