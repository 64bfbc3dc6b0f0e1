/**
 * The account area over real HTTP: login, the connected installations, revocation guarded by
 * Origin and the session's CSRF token.
 */
import { createPkcePair } from '@certwizard/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { confirmAsPerson, confirmationLink, linkHref, postForm, registrationFields, rowCounts } from './support/registration-client.js';
import { startTestCa, type TestCa } from './support/test-ca.js';

let ca: TestCa | undefined;
afterEach(async () => {
  await ca?.dispose();
  ca = undefined;
});

/** Registers, confirms and redeems a code: an account with one installation token. */
async function accountWithInstallation(c: TestCa): Promise<void> {
  const pkce = createPkcePair();
  await postForm(`${c.url}/index.php?id=1`, {
    ...registrationFields(),
    continue: 'http://127.0.0.1:5000/done',
    code_challenge: pkce.challenge,
    code_challenge_method: 'S256',
  });
  const page = (await confirmAsPerson(await confirmationLink(c.url, 'ada+wizard@example.org'))).text;
  const code = new URL(linkHref(page, 'Please click here to continue with the Installation Wizard') as string).searchParams.get('code') as string;
  const res = await postForm(`${c.url}/api/wizard/token`, { code, code_verifier: pkce.verifier });
  expect(res.status).toBe(200);
}

async function login(c: TestCa): Promise<{ cookie: string; csrf: string; page: string }> {
  const res = await postForm(`${c.url}/login`, { EmailAddress: 'ada+wizard@example.org', Password: 'correct horse battery' });
  expect(res.status).toBe(303);
  const setCookie = res.headers.get('set-cookie') as string;
  expect(setCookie).toMatch(/HttpOnly/);
  expect(setCookie).toMatch(/SameSite=Strict/);
  expect(setCookie).toMatch(/Path=\//);
  expect(setCookie).not.toMatch(/Secure/);
  const cookie = setCookie.split(';')[0] as string;
  const page = await (await fetch(`${c.url}/account`, { headers: { cookie } })).text();
  const csrf = /name="csrf" value="([^"]+)"/.exec(page)?.[1] as string;
  return { cookie, csrf, page };
}

describe('the account area', () => {
  it('lists the installation after login and revokes it with the CSRF token', async () => {
    ca = await startTestCa();
    await accountWithInstallation(ca);
    const { cookie, csrf, page } = await login(ca);
    expect(page).toContain('Connected installations');
    expect(page).toContain('Ada B Lovelace');
    expect(page).toContain('ada+wizard@example.org');
    expect(page).toContain('/account/installations/1/revoke');
    expect((await rowCounts(ca)).sessions).toBe(1);

    const url = `${ca.url}/account/installations/1/revoke`;
    expect((await postForm(url, {}, { cookie })).status).toBe(403);
    expect((await postForm(url, { csrf: 'x'.repeat(43) }, { cookie })).status).toBe(403);
    expect((await postForm(url, { csrf }, { cookie, origin: 'https://evil.example' })).status).toBe(403);
    expect((await postForm(url, { csrf })).status).toBe(403);
    expect(await fetch(`${ca.url}/account`, { headers: { cookie } }).then((r) => r.text())).not.toContain('revoked ');

    const ok = await postForm(url, { csrf }, { cookie, origin: new URL(ca.url).origin });
    expect(ok.status).toBe(303);
    expect(ok.headers.get('location')).toBe('/account');
    expect(await (await fetch(`${ca.url}/account`, { headers: { cookie } })).text()).toContain('revoked ');
  });

  it('refuses a wrong password and a foreign Origin on login, and logs out', async () => {
    ca = await startTestCa();
    await accountWithInstallation(ca);
    const wrong = await postForm(`${ca.url}/login`, { EmailAddress: 'ada+wizard@example.org', Password: 'not the password' });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('set-cookie')).toBeNull();
    const foreign = await postForm(
      `${ca.url}/login`,
      { EmailAddress: 'ada+wizard@example.org', Password: 'correct horse battery' },
      { origin: 'https://evil.example' },
    );
    expect(foreign.status).toBe(403);
    const { cookie, csrf } = await login(ca);
    expect((await postForm(`${ca.url}/logout`, { csrf }, { cookie })).status).toBe(303);
    expect((await rowCounts(ca)).sessions).toBe(0);
    const after = await fetch(`${ca.url}/account`, { headers: { cookie }, redirect: 'manual' });
    expect(after.status).toBe(303);
  });

  it('serves the dev mailbox page with escaped text and clickable links', async () => {
    ca = await startTestCa();
    await postForm(`${ca.url}/index.php?id=1`, registrationFields({ FirstName: '<b>Ada</b>' }));
    const res = await fetch(`${ca.url}/dev/mailbox`);
    const html = await res.text();
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(html).toContain('Hello &lt;b&gt;Ada&lt;/b&gt;');
    expect(html).toMatch(/<a href="http:\/\/127\.0\.0\.1:\d+\/index\.php\?id=confirm&amp;token=[A-Za-z0-9_-]{43}">/);
  });
});
