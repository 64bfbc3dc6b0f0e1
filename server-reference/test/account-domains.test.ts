/**
 * Domains on the account page and in the operator area, against the real CA over HTTP (issue
 * 13): the owner adds a domain and verifies it by an email ping to the administrative address
 * picked from the list (read from the dev mailbox) or by a DNS TXT record the page shows
 * (pebble-challtestsrv as the CA's resolver), and removes it after a confirmation page; an
 * operator finds the account by domain and removes one, logged with the operator's id. Each
 * removal is what `/api/cdomains.php` then stops listing. Refusals are pages with a clear
 * message and change nothing stored: a public suffix, a missing CSRF token, a foreign Origin,
 * another account's domain, an address outside the list, a request over the account's bucket
 * of `/api/domains` (which the page shares). GET changes nothing.
 */
import { decodeCdomainsAnswer } from '@certwizard/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ChallTestSrv, startChallTestSrv } from '../src/ca/test-support/challtestsrv.js';
import type { Logger } from '../src/log.js';
import { accountWithToken, callApi, PASSWORD } from './support/cacert-client.js';
import { addOperator, OPERATOR, OPERATOR_PASSWORD } from './support/operator-client.js';
import { dbSnapshot } from './support/ping-client.js';
import { confirmAsPerson, postForm } from './support/registration-client.js';
import { startTestCa, type TestCa } from './support/test-ca.js';

let dns: ChallTestSrv;
let ca: TestCa;
let origin: string;
const logged: Array<{ msg: string; fields?: Record<string, unknown> }> = [];
const keep = (msg: string, fields?: Record<string, unknown>) => void logged.push({ msg, ...(fields ? { fields } : {}) });
const logger: Logger = { debug: keep, info: keep, warn: keep, error: keep };

beforeAll(async () => {
  dns = await startChallTestSrv();
  ca = await startTestCa({ dnsResolvers: [dns.dnsServer], rateLimit: { capacity: 100 }, logger });
  origin = new URL(ca.publicUrl).origin;
  await addOperator(ca);
}, 30_000);
afterAll(async () => {
  await ca?.dispose();
  await dns?.stop();
});

interface Browser {
  readonly cookie: string;
  readonly csrf: string;
}

/** Logs in at `loginPath` and reads the CSRF token of the page it leads to. */
async function logIn(loginPath: string, email: string, password: string, landing: string): Promise<Browser> {
  const res = await postForm(`${ca.url}${loginPath}`, { EmailAddress: email, Password: password }, { origin });
  expect(res.status).toBe(303);
  const cookie = (res.headers.get('set-cookie') as string).split(';')[0] as string;
  const page = await get(landing, { cookie, csrf: '' });
  return { cookie, csrf: /name="csrf" value="([^"]+)"/.exec(page.text)?.[1] as string };
}

const owner = (email: string) => logIn('/login', email, PASSWORD, '/account');

async function get(path: string, as: Browser): Promise<{ status: number; text: string; location: string | null }> {
  const res = await fetch(`${ca.url}${path}`, { headers: { cookie: as.cookie }, redirect: 'manual' });
  return { status: res.status, text: await res.text(), location: res.headers.get('location') };
}

/** A form post from the CA's page: the session cookie, its CSRF token, the CA's Origin. */
async function post(path: string, as: Browser, fields: Record<string, string> = {}, options: { csrf?: boolean; origin?: string } = {}) {
  const body = options.csrf === false ? fields : { csrf: as.csrf, ...fields };
  const res = await postForm(`${ca.url}${path}`, body, { cookie: as.cookie, origin: options.origin ?? origin });
  return { status: res.status, text: res.text, location: res.headers.get('location') };
}

async function cdomains(token: string): Promise<string[]> {
  const res = await callApi(ca, '/api/cdomains.php', {}, { bearer: token });
  return decodeCdomainsAnswer(res.status, res.text);
}

/** The text of the `<code>` after the `<dt>` named `label` on a page. */
const shown = (html: string, label: string) => new RegExp(`<dt>${label}</dt><dd><code>([^<]+)</code>`).exec(html)?.[1];

/** Adds a domain through the page and verifies it by a DNS TXT record, as an owner would. */
async function verifiedByDns(as: Browser, domain: string): Promise<void> {
  expect(await post('/account/domains', as, { domain })).toMatchObject({ status: 303, location: `/account/domains/${domain}` });
  expect(await post(`/account/domains/${domain}/challenge`, as, { method: 'dns' })).toMatchObject({ status: 303 });
  const page = (await get(`/account/domains/${domain}`, as)).text;
  await dns.setTxt(shown(page, 'Record name') as string, shown(page, 'Value') as string);
  expect(await post(`/account/domains/${domain}/check`, as, { method: 'dns' })).toMatchObject({ status: 303 });
}

describe('the Domains section of the account page', () => {
  it('adds a domain and sends the email ping to the administrative address picked from the list; its confirmation verifies it', async () => {
    const { email, token } = await accountWithToken(ca, { EmailAddress: 'ada+ping@example.org' });
    const ada = await owner(email);
    expect((await get('/account', ada)).text).toContain('<h2>Domains</h2>\n<p>Your installations');

    const added = await post('/account/domains', ada, { domain: ' ExampleMail.test. ' });
    expect(added).toMatchObject({ status: 303, location: '/account/domains/examplemail.test' });
    const page = await get('/account/domains/examplemail.test', ada);
    expect(page.status).toBe(200);
    const options = [...page.text.matchAll(/<option value="([^"]+)">/g)].map((m) => m[1]);
    expect(options).toEqual(['postmaster', 'hostmaster', 'webmaster', 'admin', 'root'].map((l) => `${l}@examplemail.test`));
    expect(page.text).toContain('<dt>Status</dt><dd>Not verified</dd>');

    // An address outside the list is refused on the page: nothing stored, nothing sent.
    const before = await dbSnapshot(ca);
    const outside = await post('/account/domains/examplemail.test/ping', ada, { address: 'ada@examplemail.test' });
    expect(outside.status).toBe(400);
    expect(outside.text).toContain(
      '<p class="error" role="alert">The address must be postmaster, hostmaster, webmaster, admin or root at examplemail.test itself.</p>',
    );
    expect(await dbSnapshot(ca)).toEqual(before);
    expect(await ca.mailbox('ada@examplemail.test')).toEqual([]);

    const sent = await post('/account/domains/examplemail.test/ping', ada, { address: 'hostmaster@examplemail.test' });
    expect(sent.status).toBe(200);
    expect(sent.text).toContain('A mail went to <strong>hostmaster@examplemail.test</strong>');
    const mails = await ca.mailbox('hostmaster@examplemail.test');
    expect(mails.map((m) => m.subject)).toEqual(['Confirm a domain for a certwizard CA account']);
    expect(await ca.mailbox('postmaster@examplemail.test')).toEqual([]);
    expect(await cdomains(token)).toEqual([]);

    const link = /https?:\/\/\S+\/ping\/confirm\?token=[A-Za-z0-9_-]+/.exec(mails[0]?.text ?? '')?.[0] as string;
    expect((await confirmAsPerson(link)).status).toBe(200);
    expect(await cdomains(token)).toEqual(['examplemail.test']);
    expect((await get('/account', ada)).text).toMatch(
      /<td data-label="Status">Verified \d{4}-\d\d-\d\d \d\d:\d\d UTC by email ping to hostmaster@examplemail\.test; lapses \d{4}-/,
    );
  });

  it('shows the DNS TXT record to publish, checks it against the resolver, and shows the verification', async () => {
    const { email, token } = await accountWithToken(ca, { EmailAddress: 'ada+dns@example.org' });
    const ada = await owner(email);
    expect((await post('/account/domains', ada, { domain: 'dns-page.test' })).status).toBe(303);

    // GET never makes a challenge: the page offers one.
    const before = await dbSnapshot(ca);
    const offer = await get('/account/domains/dns-page.test', ada);
    expect(offer.text).toContain('Show the DNS record to publish');
    expect(await dbSnapshot(ca)).toEqual(before);

    expect(await post('/account/domains/dns-page.test/challenge', ada, { method: 'dns' })).toMatchObject({
      status: 303,
      location: '/account/domains/dns-page.test',
    });
    const page = (await get('/account/domains/dns-page.test', ada)).text;
    const name = shown(page, 'Record name') as string;
    const value = shown(page, 'Value') as string;
    expect(name).toBe('_certwizard-challenge.dns-page.test');
    expect(value).toMatch(/^[A-Za-z0-9_-]{43}$/);

    // Not published yet: the page says what the CA saw, and nothing changes.
    const unpublished = await dbSnapshot(ca);
    const early = await post('/account/domains/dns-page.test/check', ada, { method: 'dns' });
    expect(early.status).toBe(403);
    expect(early.text).toMatch(/<p class="error" role="alert">The CA looked and did not find it: [^<]+<\/p>/);
    expect(early.text).toContain(value);
    expect(await dbSnapshot(ca)).toEqual(unpublished);

    await dns.setTxt(name, value);
    expect(await post('/account/domains/dns-page.test/check', ada, { method: 'dns' })).toMatchObject({
      status: 303,
      location: '/account/domains/dns-page.test',
    });
    expect((await get('/account/domains/dns-page.test', ada)).text).toMatch(/<dt>Status<\/dt><dd>Verified [^<]+ by DNS TXT record; lapses [^<]+<\/dd>/);
    expect(await cdomains(token)).toEqual(['dns-page.test']);
  });

  it('shows an IDN in both forms, escaped', async () => {
    const { email } = await accountWithToken(ca, { EmailAddress: 'ada+idn@example.org' });
    const ada = await owner(email);
    expect(await post('/account/domains', ada, { domain: 'Bücher.example' })).toMatchObject({
      status: 303,
      location: '/account/domains/xn--bcher-kva.example',
    });
    expect((await get('/account', ada)).text).toContain('<td data-label="Domain">bücher.example<br><code>xn--bcher-kva.example</code></td>');
    // A path in the Unicode form, an address in it: the mail names the stored (ASCII) form.
    const sent = await post(`/account/domains/${encodeURIComponent('Bücher.Example')}/ping`, ada, { address: 'Postmaster@bücher.example' });
    expect(sent.status).toBe(200);
    expect(sent.text).toContain('A mail went to <strong>postmaster@xn--bcher-kva.example</strong>');
    const [mail] = await ca.mailbox('postmaster@xn--bcher-kva.example');
    expect(mail?.text).toContain('asks to verify the domain xn--bcher-kva.example,');
  });

  it('refuses a public suffix with a clear message, keeping what was typed, and stores nothing', async () => {
    const { email } = await accountWithToken(ca, { EmailAddress: 'ada+suffix@example.org' });
    const ada = await owner(email);
    const before = await dbSnapshot(ca);
    const refused = await post('/account/domains', ada, { domain: 'co.uk' });
    expect(refused.status).toBe(400);
    expect(refused.text).toContain(
      '<p class="error" id="domain-error" role="alert">Not a domain an account may hold: co.uk is a public suffix: nobody holds it for everyone below it.</p>',
    );
    expect(refused.text).toContain('value="co.uk" aria-invalid="true" aria-describedby="domain-error"');
    const hostile = await post('/account/domains', ada, { domain: '<b>"x' });
    expect(hostile.status).toBe(400);
    expect(hostile.text).toContain('value="&lt;b&gt;&quot;x"');
    expect(hostile.text).not.toContain('<b>');
    expect(await dbSnapshot(ca)).toEqual(before);
  });

  it('refuses a change without the CSRF token or from another origin, changing nothing', async () => {
    const { email, token } = await accountWithToken(ca, { EmailAddress: 'ada+csrf@example.org' });
    const ada = await owner(email);
    await verifiedByDns(ada, 'csrf.test');
    const before = await dbSnapshot(ca);
    for (const [path, fields] of [
      ['/account/domains', { domain: 'other-csrf.test' }],
      ['/account/domains/csrf.test/remove', {}],
      ['/account/domains/csrf.test/challenge', { method: 'http' }],
      ['/account/domains/csrf.test/ping', { address: 'postmaster@csrf.test' }],
    ] as const) {
      expect((await post(path, ada, fields, { csrf: false })).status, path).toBe(403);
      expect((await post(path, ada, fields, { origin: 'https://evil.example' })).status, path).toBe(403);
      expect((await post(path, ada, { ...fields, csrf: 'x'.repeat(43) }, { csrf: false })).status, path).toBe(403);
    }
    expect(await dbSnapshot(ca)).toEqual(before);
    expect(await ca.mailbox('postmaster@csrf.test')).toEqual([]);
    expect(await cdomains(token)).toEqual(['csrf.test']);
  });
});

describe('the rules of the API', () => {
  it("counts the page's domain requests in the account's bucket of /api/domains: over it, 429 with Retry-After and nothing stored", async () => {
    const tight = await startTestCa({ rateLimit: { capacity: 3, refillIntervalMs: 60_000 } });
    try {
      const { email, token } = await accountWithToken(tight, { EmailAddress: 'ada+bucket@example.org' });
      const login = await postForm(`${tight.url}/login`, { EmailAddress: email, Password: PASSWORD });
      const cookie = (login.headers.get('set-cookie') as string).split(';')[0] as string;
      const page = await (await fetch(`${tight.url}/account`, { headers: { cookie } })).text();
      const csrf = /name="csrf" value="([^"]+)"/.exec(page)?.[1] as string;
      expect((await postForm(`${tight.url}/account/domains`, { csrf, domain: 'bucket.test' }, { cookie })).status).toBe(303);
      for (let i = 0; i < 2; i += 1) {
        expect((await fetch(`${tight.url}/api/domains`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
      }
      const before = await dbSnapshot(tight);
      const over = await postForm(`${tight.url}/account/domains/bucket.test/challenge`, { csrf, method: 'dns' }, { cookie });
      expect(over.status).toBe(429);
      expect(Number(over.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(over.text).toContain('Too many domain requests from this account');
      expect(await dbSnapshot(tight)).toEqual(before);
    } finally {
      await tight.dispose();
    }
  });
});

describe('removing a domain', () => {
  it('by the owner, after a confirmation page: cdomains stops listing it', async () => {
    const { email, token } = await accountWithToken(ca, { EmailAddress: 'ada+remove@example.org' });
    const ada = await owner(email);
    await verifiedByDns(ada, 'owner-removes.test');
    expect(await cdomains(token)).toEqual(['owner-removes.test']);

    const before = await dbSnapshot(ca);
    const confirm = await get('/account/domains/owner-removes.test/remove', ada);
    expect(confirm.status).toBe(200);
    expect(confirm.text).toContain('<form method="post" action="/account/domains/owner-removes.test/remove">');
    expect(await dbSnapshot(ca)).toEqual(before);

    expect(await post('/account/domains/owner-removes.test/remove', ada)).toMatchObject({ status: 303, location: '/account' });
    expect(await cdomains(token)).toEqual([]);
    expect((await get('/account', ada)).text).not.toContain('owner-removes.test');
    expect((await post('/account/domains/owner-removes.test/remove', ada)).status).toBe(404);
  });

  it("not by another account's owner: 404 and nothing changes", async () => {
    const ada = await accountWithToken(ca, { EmailAddress: 'ada+kept@example.org' });
    await verifiedByDns(await owner(ada.email), 'kept.test');
    const eve = await owner((await accountWithToken(ca, { EmailAddress: 'eve+kept@example.org' })).email);
    const before = await dbSnapshot(ca);
    expect((await get('/account/domains/kept.test', eve)).status).toBe(404);
    expect((await get('/account/domains/kept.test/remove', eve)).status).toBe(404);
    expect((await post('/account/domains/kept.test/remove', eve)).status).toBe(404);
    expect((await post('/account/domains/kept.test/check', eve, { method: 'dns' })).status).toBe(404);
    expect(await dbSnapshot(ca)).toEqual(before);
    expect(await cdomains(ada.token)).toEqual(['kept.test']);
  });

  it('by an operator who finds the account by the domain: logged with the operator id, cdomains stops listing it', async () => {
    const ada = await accountWithToken(ca, { EmailAddress: 'ada+operator@example.org' });
    await verifiedByDns(await owner(ada.email), 'operator-removes.test');
    const accountId = (await ca.account(ada.email))?.id as number;
    const operator = await logIn('/operator/login', OPERATOR, OPERATOR_PASSWORD, '/operator/queue');
    const operatorId = logged.findLast((l) => l.msg === 'operator login')?.fields?.operatorId;
    expect(operatorId).toEqual(expect.any(Number));
    expect((await get('/operator/queue', operator)).text).toContain('<form method="get" action="/operator/accounts">');

    expect(await get('/operator/accounts?q=Operator-Removes.test.', operator)).toMatchObject({ status: 303, location: `/operator/accounts/${accountId}` });
    expect(await get(`/operator/accounts?q=${encodeURIComponent(ada.email)}`, operator)).toMatchObject({
      status: 303,
      location: `/operator/accounts/${accountId}`,
    });
    expect((await get('/operator/accounts?q=nobody-holds.test', operator)).status).toBe(404);
    const page = await get(`/operator/accounts/${accountId}`, operator);
    expect(page.text).toMatch(/<td data-label="Status">Verified [^<]+ by DNS TXT record; lapses [^<]+<\/td>/);
    expect(page.text).toContain('aria-label="Remove operator-removes.test from this account"');

    // An owner's session is no operator's, and the operator's POST needs its CSRF token.
    const asOwner = await owner(ada.email);
    const before = await dbSnapshot(ca);
    const path = `/operator/accounts/${accountId}/domains/remove`;
    expect((await post(path, operator, { domain: 'operator-removes.test' }, { csrf: false })).status).toBe(403);
    expect((await post(path, asOwner, { domain: 'operator-removes.test' })).status).toBe(403);
    expect((await post(`/operator/accounts/${accountId + 1000}/domains/remove`, operator, { domain: 'operator-removes.test' })).status).toBe(404);
    expect(await dbSnapshot(ca)).toEqual(before);

    logged.length = 0;
    expect(await post(path, operator, { domain: 'operator-removes.test' })).toMatchObject({ status: 303, location: `/operator/accounts/${accountId}` });
    expect(await cdomains(ada.token)).toEqual([]);
    expect(logged).toContainEqual({ msg: 'domain removed', fields: { accountId, domain: 'operator-removes.test', by: 'operator', operatorId } });
    expect((await get(`/operator/accounts/${accountId}`, operator)).text).not.toContain('operator-removes.test');
  });
});
