/**
 * The wizard's protection and API over real HTTP on 127.0.0.1: the one-time token, the session
 * cookie, the Host and Origin checks, the security headers, the event stream's replay, and the
 * API's refusals. No CA is needed: nothing here runs enroll() far.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultUiDir } from './http/static-ui.js';
import { raw, WizardClient } from './test-support/wizard-client.js';
import { startTestWizard, TINY_PNG, type TestWizard } from './test-support/test-wizard.js';
import { WIZARD_CSP, type HostNamesCheckAnswer, type WizardConfig } from './index.js';

let t: TestWizard;
let port: number;
beforeEach(async () => {
  t = await startTestWizard();
  port = t.wizard.port;
});
afterEach(async () => {
  await t.dispose();
});

const pathOf = (url: string) => {
  const u = new URL(url);
  return `${u.pathname}${u.search}`;
};

describe('the one-time token', () => {
  it('is a 256-bit secret in a URL on 127.0.0.1', () => {
    const url = new URL(t.wizard.url);
    expect(url.origin).toBe(`http://127.0.0.1:${port}`);
    expect(url.searchParams.get('t')).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('becomes an HttpOnly SameSite=Strict session cookie once, and is then dead', async () => {
    const first = await raw(port, { path: pathOf(t.wizard.url), headers: { host: `127.0.0.1:${port}` } });
    expect(first.status).toBe(303);
    expect(first.headers.location).toBe('/');
    const cookie = String(first.headers['set-cookie']);
    expect(cookie).toMatch(new RegExp(`^certwizard_wizard_${port}=[A-Za-z0-9_-]{43}; Path=/; HttpOnly; SameSite=Strict$`));
    expect(cookie).not.toContain(new URL(t.wizard.url).searchParams.get('t'));

    const second = await raw(port, { path: pathOf(t.wizard.url), headers: { host: `127.0.0.1:${port}` } });
    expect(second.status).toBe(403);
    expect(second.headers['set-cookie']).toBeUndefined();
    expect(second.text).toContain('already used');
    // It says how to get a fresh link, and is styled by a file of the wizard's origin (no session needed).
    expect(second.text).toContain('For a fresh link, start the installer again');
    expect(second.text).toContain('<link rel="stylesheet" href="/refusal.css">');
    const css = await raw(port, { path: '/refusal.css', headers: { host: `127.0.0.1:${port}` } });
    expect(css.status).toBe(200);
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
    expect(css.headers['content-security-policy']).toContain("style-src 'self'");
    expect(css.text).toContain('max-width: 38rem');

    const session = cookie.split(';')[0] as string;
    const page = await raw(port, { path: '/', headers: { host: `127.0.0.1:${port}`, cookie: session } });
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
  });

  it('a HEAD request does not spend the token', async () => {
    const head = await raw(port, { method: 'HEAD', path: pathOf(t.wizard.url), headers: { host: `127.0.0.1:${port}` } });
    expect(head.status).toBe(403);
    expect(head.headers['set-cookie']).toBeUndefined();
    await WizardClient.open(t.wizard.url);
  });

  it('a wrong token is refused and does not spend the right one', async () => {
    const wrong = await raw(port, { path: `/?t=${'A'.repeat(43)}`, headers: { host: `127.0.0.1:${port}` } });
    expect(wrong.status).toBe(403);
    const right = await raw(port, { path: pathOf(t.wizard.url), headers: { host: `127.0.0.1:${port}` } });
    expect(right.status).toBe(303);
  });
});

describe('without the session cookie', () => {
  it.each([
    { method: 'GET', path: '/api/config' },
    { method: 'GET', path: '/api/events' },
    { method: 'GET', path: '/api/logo' },
    { method: 'POST', path: '/api/details' },
    { method: 'POST', path: '/api/enroll' },
    { method: 'POST', path: '/api/pkcs12' },
    { method: 'POST', path: '/api/finish' },
  ])('the API refuses $method $path with 401 no_session', async ({ method, path }) => {
    await WizardClient.open(t.wizard.url); // a session exists, but this request does not carry it
    const res = await raw(port, {
      method,
      path,
      headers: {
        host: `127.0.0.1:${port}`,
        origin: `http://127.0.0.1:${port}`,
        'content-type': 'application/json',
        cookie: `certwizard_wizard_${port}=${'x'.repeat(43)}`,
      },
      body: method === 'POST' ? '{}' : undefined,
    });
    expect(res.status).toBe(401);
    expect(JSON.parse(res.text)).toMatchObject({ error: { code: 'no_session' } });
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('the page and its files are refused with a page that says what to do', async () => {
    for (const path of [
      '/',
      '/index.html',
      ...[...readFileSync(join(defaultUiDir(), 'index.html'), 'utf8').matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1] as string),
    ]) {
      const res = await raw(port, { path, headers: { host: `127.0.0.1:${port}` } });
      expect(res.status, path).toBe(403);
      expect(res.text).toContain('Open the wizard from the installer');
    }
  });
});

describe('DNS rebinding: the Host header', () => {
  it.each([
    { name: 'a rebound name', host: () => `evil.example:${port}`, want: 421 },
    { name: 'another port', host: () => `127.0.0.1:${port + 1}`, want: 421 },
    { name: 'no port', host: () => '127.0.0.1', want: 421 },
    { name: 'an IPv6 spelling', host: () => `[::1]:${port}`, want: 421 },
    { name: 'no Host at all', host: () => undefined, want: 421 },
    { name: 'localhost with the port', host: () => `localhost:${port}`, want: 200 },
    { name: '127.0.0.1 with the port', host: () => `127.0.0.1:${port}`, want: 200 },
  ])('$name: $want', async ({ host, want }) => {
    const client = await WizardClient.open(t.wizard.url);
    const value = host();
    const res = await raw(port, { path: '/api/config', headers: { cookie: client.cookie, ...(value === undefined ? {} : { host: value }) } });
    expect(res.status).toBe(want);
  });

  it('the token exchange is refused under a foreign Host, and the token stays usable', async () => {
    const res = await raw(port, { path: pathOf(t.wizard.url), headers: { host: `evil.example:${port}` } });
    expect(res.status).toBe(421);
    expect(res.headers['set-cookie']).toBeUndefined();
    await WizardClient.open(t.wizard.url);
  });
});

describe('cross-origin requests', () => {
  it.each([
    { name: 'no Origin', origin: () => undefined },
    { name: 'a foreign Origin', origin: () => 'http://evil.example' },
    { name: 'another local port', origin: () => `http://127.0.0.1:${port + 1}` },
    { name: 'an opaque Origin', origin: () => 'null' },
    { name: 'https instead of http', origin: () => `https://127.0.0.1:${port}` },
  ])('a POST with $name is refused (403)', async ({ origin }) => {
    const client = await WizardClient.open(t.wizard.url);
    const value = origin();
    const res = await raw(port, {
      method: 'POST',
      path: '/api/details',
      headers: { ...client.headers({ 'content-type': 'application/json' }), ...(value === undefined ? {} : { origin: value }) },
      body: JSON.stringify({ firstName: 'Eve', lastName: 'Evil', email: 'eve@example.org' }),
    });
    expect(res.status).toBe(403);
    // Nothing was saved: enrolling still wants the details first.
    expect(JSON.parse((await client.post('/api/enroll', { keyType: 'p256' })).text)).toMatchObject({ error: { code: 'out_of_order' } });
  });

  it.each(['same-site', 'cross-site'])('a request marked Sec-Fetch-Site: %s is refused, even with the cookie', async (site) => {
    const client = await WizardClient.open(t.wizard.url);
    expect((await client.get('/api/config', { 'sec-fetch-site': site })).status).toBe(403);
    expect((await client.get('/api/config', { 'sec-fetch-site': 'same-origin' })).status).toBe(200);
  });

  it('a POST with a form content type is refused (415), so that a plain HTML form cannot post', async () => {
    const client = await WizardClient.open(t.wizard.url);
    const res = await client.post('/api/details', {}, { 'content-type': 'text/plain' });
    expect(res.status).toBe(415);
  });
});

describe('headers', () => {
  it('every answer carries the strict CSP, nosniff, no-referrer and no-store', async () => {
    const client = await WizardClient.open(t.wizard.url);
    const html = readFileSync(join(defaultUiDir(), 'index.html'), 'utf8');
    const asset = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1] as string;
    const answers = [
      await client.get('/'),
      await client.get(asset),
      await client.get('/api/config'),
      await client.post('/api/details', {}),
      await raw(port, { path: '/api/config', headers: { host: `127.0.0.1:${port}` } }),
      await raw(port, { path: '/api/config', headers: { host: `evil.example:${port}` } }),
      await client.get('/no-such-file'),
    ];
    for (const res of answers) {
      expect(res.headers['content-security-policy']).toBe(WIZARD_CSP);
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['referrer-policy']).toBe('no-referrer');
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.headers['x-powered-by']).toBeUndefined();
    }
    expect(WIZARD_CSP).toBe(
      "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    );
  });

  it('the built page has no inline script, no inline style and no eval-like code', async () => {
    const client = await WizardClient.open(t.wizard.url);
    const html = (await client.get('/')).text;
    for (const tag of html.match(/<script\b[^>]*>/g) ?? []) expect(tag).toMatch(/\bsrc="\/assets\//);
    expect(html).not.toMatch(/<script\b[^>]*>[^<]+<\/script>/);
    expect(html).not.toMatch(/<style\b|\sstyle=|\son[a-z]+=/i);
    const script = (await client.get(/src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1] as string)).text;
    expect(script).not.toMatch(/\beval\(|new Function\(|innerHTML|\.setAttribute\(['"]style/);
  });

  it('the vendor logo is served with its type and a sandboxing CSP', async () => {
    const client = await WizardClient.open(t.wizard.url);
    const res = await client.get('/api/logo');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('image/png');
    expect(res.body.equals(TINY_PNG)).toBe(true);
    expect(res.headers['content-security-policy']).toContain('sandbox');
  });
});

describe('the API', () => {
  it('GET /api/config gives the vendor, the defaults and the choices, and no secret', async () => {
    const client = await WizardClient.open(t.wizard.url);
    const config = JSON.parse((await client.get('/api/config')).text) as WizardConfig;
    expect(config).toEqual({
      vendor: { name: 'ExampleMail', logoUrl: '/api/logo' },
      defaults: { firstName: 'Ada', lastName: 'Lovelace', email: 'ada@example.org' },
      keyTypes: ['p256', 'p384', 'rsa2048', 'rsa3072', 'rsa4096'],
      defaultKeyType: 'p256',
      caOrigin: 'http://127.0.0.1:9',
      caAccountUrl: 'http://127.0.0.1:9',
      addressConfirmation: 'person',
      certificate: { address: true },
    });
  });

  it('POST /api/host-names is refused when the certificate is not for host names', async () => {
    const client = await WizardClient.open(t.wizard.url);
    const res = await client.post('/api/host-names', { hostNames: ['mail.example.org'] });
    expect(res.status).toBe(403);
  });

  it.each([
    { name: 'empty names', body: { firstName: ' ', lastName: '', email: 'ada@example.org' }, fields: ['firstName', 'lastName'] },
    { name: 'a name over 64 characters', body: { firstName: 'A'.repeat(65), lastName: 'L', email: 'ada@example.org' }, fields: ['firstName'] },
    { name: 'a control character', body: { firstName: 'Ada\u0007', lastName: 'L', email: 'ada@example.org' }, fields: ['firstName'] },
    { name: 'an address without a domain', body: { firstName: 'Ada', lastName: 'L', email: 'ada@' }, fields: ['email'] },
    { name: 'an address with a space', body: { firstName: 'Ada', lastName: 'L', email: 'ada lovelace@example.org' }, fields: ['email'] },
    { name: 'no body fields at all', body: {}, fields: ['firstName', 'lastName', 'email'] },
  ])('POST /api/details refuses $name with 422 and a message per field', async ({ body, fields }) => {
    const client = await WizardClient.open(t.wizard.url);
    const res = await client.post('/api/details', body);
    expect(res.status).toBe(422);
    const error = (JSON.parse(res.text) as { error: { code: string; fields: Record<string, string> } }).error;
    expect(error.code).toBe('invalid_input');
    expect(Object.keys(error.fields).sort()).toEqual([...fields].sort());
  });

  it('POST /api/enroll needs the details first (409), and a key type that is offered (422)', async () => {
    const client = await WizardClient.open(t.wizard.url);
    expect(JSON.parse((await client.post('/api/enroll', { keyType: 'p256' })).text)).toMatchObject({ error: { code: 'out_of_order' } });
    expect((await client.post('/api/details', { firstName: 'Ada', lastName: 'Lovelace', email: 'ada@Example.ORG' })).status).toBe(204);
    const bad = await client.post('/api/enroll', { keyType: 'dsa1024' });
    expect(bad.status).toBe(422);
    expect(JSON.parse(bad.text)).toMatchObject({ error: { code: 'invalid_input', fields: { keyType: expect.any(String) } } });
  });

  it('a body that is not JSON is refused with 400, a large one with 400 too', async () => {
    const client = await WizardClient.open(t.wizard.url);
    const broken = await raw(port, {
      method: 'POST',
      path: '/api/details',
      headers: client.headers({ origin: `http://127.0.0.1:${port}`, 'content-type': 'application/json' }),
      body: '{"firstName":',
    });
    expect(broken.status).toBe(400);
    const large = await client.post('/api/details', { firstName: 'A'.repeat(20_000) });
    expect(large.status).toBe(400);
    expect(JSON.parse(large.text)).toMatchObject({ error: { code: 'invalid_request' } });
  });

  it('PKCS #12 and Finish are refused before a certificate is installed', async () => {
    const client = await WizardClient.open(t.wizard.url);
    expect(JSON.parse((await client.post('/api/pkcs12', { passphrase: 'long enough passphrase' })).text)).toMatchObject({ error: { code: 'not_allowed' } });
    expect(JSON.parse((await client.post('/api/finish')).text)).toMatchObject({ error: { code: 'out_of_order' } });
  });
});

describe('the event stream', () => {
  it('replays the whole history to a new stream, and only what is newer after Last-Event-ID', async () => {
    const client = await WizardClient.open(t.wizard.url);
    const details = { firstName: 'Ada', lastName: 'Lovelace', email: 'ada@example.org' };
    expect((await client.post('/api/details', details)).status).toBe(204);
    expect((await client.post('/api/details', { ...details, firstName: 'Augusta' })).status).toBe(204);

    const first = client.events();
    await first.waitFor((r) => r.event.type === 'details-saved' && r.event.details.firstName === 'Augusta');
    expect(first.records.map((r) => r.event)).toEqual([
      { type: 'details-saved', details },
      { type: 'details-saved', details: { ...details, firstName: 'Augusta' } },
    ]);
    expect(first.records.map((r) => r.id)).toEqual([1, 2]);
    first.close();

    // A reload: a new stream without Last-Event-ID gets everything again.
    const reloaded = client.events();
    await reloaded.waitFor((r) => r.id === 2);
    expect(reloaded.records).toHaveLength(2);
    // Live: a later event reaches the open stream.
    expect((await client.post('/api/details', { ...details, lastName: 'King' })).status).toBe(204);
    await reloaded.waitFor((r) => r.event.type === 'details-saved' && r.event.details.lastName === 'King');
    reloaded.close();

    // EventSource reconnecting after id 2 gets only id 3.
    const resumed = client.events(2);
    await resumed.waitFor((r) => r.id === 3);
    expect(resumed.records.map((r) => r.id)).toEqual([3]);
    resumed.close();
  });

  it('close() ends the stream with a closing event and rejects done with ERR_WIZARD_CLOSED', async () => {
    const client = await WizardClient.open(t.wizard.url);
    const events = client.events();
    await events.waitForOpen();
    await t.wizard.close();
    await events.waitFor((r) => r.event.type === 'closing');
    await events.waitForEnd();
    await expect(t.wizard.done).rejects.toMatchObject({ code: 'ERR_WIZARD_CLOSED' });
    await t.wizard.finished;
    await expect(raw(port, { path: '/api/config', headers: client.headers() })).rejects.toThrow();
  });
});

describe('a server certificate', () => {
  let server: TestWizard;
  beforeEach(async () => {
    server = await startTestWizard({
      enroll: { names: { dns: ['mail.examplemail.test'] } },
      proof: { text: 'Check that ExampleMail serves it:', command: 'openssl s_client -starttls smtp -connect 127.0.0.1:2525' },
    });
  });
  afterEach(async () => {
    await server.dispose();
  });

  it('GET /api/config says what the certificate is for, the prefilled host names and the proof', async () => {
    const client = await WizardClient.open(server.wizard.url);
    const config = JSON.parse((await client.get('/api/config')).text) as WizardConfig;
    expect(config.defaults.hostNames).toEqual(['mail.examplemail.test']);
    expect(config.certificate).toEqual({ server: { domainVerification: { method: 'email', localPart: 'postmaster', automatic: false } }, address: false });
    expect(config.proof).toEqual({ text: 'Check that ExampleMail serves it:', command: 'openssl s_client -starttls smtp -connect 127.0.0.1:2525' });
  });

  it('POST /api/host-names checks each name as the CA reads it, with its domain', async () => {
    const client = await WizardClient.open(server.wizard.url);
    const res = await client.post('/api/host-names', { hostNames: ['Mail.ExampleMail.test.', '', 'co.uk'] });
    expect(res.status).toBe(200);
    expect((JSON.parse(res.text) as HostNamesCheckAnswer).checked).toEqual([
      {
        input: 'Mail.ExampleMail.test.',
        ok: true,
        name: 'mail.examplemail.test',
        unicode: 'mail.examplemail.test',
        domain: 'examplemail.test',
        domainUnicode: 'examplemail.test',
      },
      expect.objectContaining({ input: 'co.uk', ok: false, reason: 'public_suffix' }),
    ]);
    expect((await client.post('/api/host-names', { hostNames: 'mail.examplemail.test' })).status).toBe(422);
  });

  it('POST /api/details takes the host names in ASCII form, and refuses bad ones by field', async () => {
    const client = await WizardClient.open(server.wizard.url);
    const details = { firstName: 'Ada', lastName: 'Lovelace', email: 'postmaster@examplemail.test' };
    const bad = await client.post('/api/details', { ...details, hostNames: ['localhost'] });
    expect(bad.status).toBe(422);
    expect(Object.keys((JSON.parse(bad.text) as { error: { fields: Record<string, string> } }).error.fields)).toEqual(['hostNames']);
    const none = await client.post('/api/details', details);
    expect(none.status).toBe(422);
    expect((await client.post('/api/details', { ...details, hostNames: ['MAIL.examplemail.test'] })).status).toBe(204);
  });
});
