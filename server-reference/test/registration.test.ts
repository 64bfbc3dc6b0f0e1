/**
 * The registration hand-off over real HTTP: prefill, callback URL checks, tickets, PKCE, the
 * confirmation link and the wizard token endpoint (docs/protocol.md, "The registration hand-off").
 */
import { createPkcePair, decodeWizardTokenResponse } from '@certwizard/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import {
  confirmAsPerson,
  confirmationLink,
  isItDone,
  linkHref,
  mailbox,
  newTicket,
  postForm,
  registrationFields,
  rowCounts,
} from './support/registration-client.js';
import { startTestCa, type TestCa } from './support/test-ca.js';

let ca: TestCa | undefined;
afterEach(async () => {
  await ca?.dispose();
  ca = undefined;
});

const CONTINUE = 'http://127.0.0.1:53111/done?state=k2J';
const ERROR = 'http://127.0.0.1:53111/failed?state=k2J';

function hiddenHandoff(ticket: string | undefined, challenge?: string): Record<string, string> {
  return {
    continue: CONTINUE,
    error: ERROR,
    ...(ticket ? { ticket } : {}),
    ...(challenge ? { code_challenge: challenge, code_challenge_method: 'S256' } : {}),
  };
}

describe('the registration page', () => {
  it('echoes script payloads in every prefill field escaped, and ignores other parameters', async () => {
    ca = await startTestCa();
    const payload = '"><script>alert(1)</script>';
    const q = new URLSearchParams({
      id: '1',
      FirstName: payload,
      MiddleName: payload,
      LastName: payload,
      EmailAddress: payload,
      Password: 'secret-pw',
      DateOfBirth: '2000-01-01',
    });
    const res = await fetch(`${ca.url}/index.php?${q}`);
    const html = await res.text();
    expect(res.status).toBe(200);
    expect(html).not.toContain('<script>');
    expect(html.split('&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;').length - 1).toBe(4);
    expect(html).not.toContain('secret-pw');
    expect(html).not.toContain('2000-01-01');
    expect(res.headers.get('content-security-policy')).toBe(
      "default-src 'none'; style-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    );
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(html).toContain('<html lang="en">');
    expect(html).toContain('<label for="EmailAddress">');
  });

  it('reports invalid continue and error URLs and stores them nowhere', async () => {
    ca = await startTestCa({ allowedHttpsOrigins: ['https://vendor.example'] });
    const ticket = await newTicket(ca);
    const q = new URLSearchParams({ id: '1', continue: 'http://127.1:53111/done', error: 'https://evil.example/x', ticket });
    const html = await (await fetch(`${ca.url}/index.php?${q}`)).text();
    expect(html).toContain('not_canonical');
    expect(html).toContain('https_origin_not_allowed');
    expect(html).not.toContain('name="continue"');
    expect(html).not.toContain('name="error"');
    // A POST carrying them anyway (tampered hidden fields) stores nothing either.
    const post = await postForm(`${ca.url}/index.php?id=1`, { ...registrationFields(), continue: 'javascript:alert(1)', ticket });
    expect(post.status).toBe(400);
    expect(post.text).toContain('bad_scheme');
    expect(await rowCounts(ca)).toMatchObject({ accounts: 0, registration_handoffs: 0, ticketUrls: 0 });
    const allowed = new URLSearchParams({ id: '1', continue: 'https://vendor.example/done' });
    expect(await (await fetch(`${ca.url}/index.php?${allowed}`)).text()).toContain('value="https://vendor.example/done"');
  });

  it('refuses a challenge without method S256', async () => {
    ca = await startTestCa();
    const { challenge } = createPkcePair();
    const html = await (await fetch(`${ca.url}/index.php?id=1&code_challenge=${challenge}&code_challenge_method=plain`)).text();
    expect(html).toContain('must be S256');
    expect(html).not.toContain('name="code_challenge"');
  });

  it('answers 404 for an unknown id', async () => {
    ca = await startTestCa();
    expect((await fetch(`${ca.url}/index.php?id=nope`)).status).toBe(404);
  });
});

describe('the hand-off with a ticket and PKCE', () => {
  it('goes from givemeaticket to an installation token', async () => {
    ca = await startTestCa();
    const ticket = await newTicket(ca);
    expect(await isItDone(ca, ticket)).toEqual({ status: 'pending' });
    const pkce = createPkcePair();
    const email = 'ada+wizard@example.org';
    const q = new URLSearchParams({ id: '1', EmailAddress: email, ...hiddenHandoff(ticket, pkce.challenge) });
    const form = await (await fetch(`${ca.url}/index.php?${q}`)).text();
    expect(form).toContain(`name="ticket" value="${ticket}"`);
    expect(form).toContain('value="ada+wizard@example.org"');

    const post = await postForm(`${ca.url}/index.php?id=1`, { ...registrationFields({ EmailAddress: email }), ...hiddenHandoff(ticket, pkce.challenge) });
    expect(post.status).toBe(200);
    expect(post.text).toContain('Check your mail to confirm your address');
    const mails = await mailbox(ca.url, email);
    expect(mails).toHaveLength(1);
    expect(mails[0]?.subject).toBe('Confirm your email address');
    expect((await ca.devMailbox?.list())?.[0]?.raw).toMatch(/^From: certwizard CA <ca@localhost>/m);

    const confirm = await confirmAsPerson(await confirmationLink(ca.url, email));
    const page = confirm.text;
    expect(confirm.status).toBe(200);
    const body = /<h1>[^<]*<\/h1>\n([\s\S]*)<\/main>/.exec(page)?.[1]?.trim() ?? '';
    const lines = body.split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toBe('<p>Your request was processed.</p>');
    expect(lines[1]).toMatch(/^<p><a href="[^"]+">Please click here to continue with the Installation Wizard<\/a><\/p>$/);
    const link = new URL(linkHref(page, 'Please click here to continue with the Installation Wizard') as string);
    expect(link.origin + link.pathname).toBe('http://127.0.0.1:53111/done');
    expect([...link.searchParams.keys()]).toEqual(['state', 'EmailAddress', 'code']);
    expect(link.searchParams.get('EmailAddress')).toBe(email);
    expect(link.search).toContain('EmailAddress=ada%2Bwizard%40example.org');
    const code = link.searchParams.get('code') as string;

    expect(await isItDone(ca, ticket)).toEqual({ status: 'done', emailAddress: email, code });

    const redeem = (verifier: string, extra: Record<string, string> = {}) =>
      postForm(`${ca?.url}/api/wizard/token`, { code, code_verifier: verifier, ...extra });
    const wrong = await redeem(createPkcePair().verifier);
    expect(wrong.status).toBe(400);
    expect(JSON.parse(wrong.text).error.code).toBe('invalid_grant');
    // The installer names itself; the account page shows that name next to its token.
    const ok = await redeem(pkce.verifier, { installation_label: 'ExampleMail installer' });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('cache-control')).toBe('no-store');
    const token = decodeWizardTokenResponse(ok.status, ok.text);
    expect(token).toMatchObject({ EmailAddress: email, FirstName: 'Ada', MiddleName: 'B', LastName: 'Lovelace', token_type: 'Bearer' });
    expect(token.installation_token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // The installer lost the answer (killed): the same code and verifier again give a fresh
    // token and revoke the first, so the code still has one live token.
    const again = await redeem(pkce.verifier);
    expect(again.status).toBe(200);
    const second = decodeWizardTokenResponse(again.status, again.text).installation_token;
    expect(second).not.toBe(token.installation_token);
    const cemails = (bearer: string) => fetch(`${ca?.url}/api/cemails.php`, { headers: { authorization: `Bearer ${bearer}` } });
    expect((await cemails(token.installation_token)).status).toBe(401);
    expect((await cemails(second)).status).toBe(200);
    // Redeemed: isitdone no longer hands out the code.
    expect(await isItDone(ca, ticket)).toEqual({ status: 'done', emailAddress: email });
    const login = await postForm(`${ca.url}/login`, { EmailAddress: email, Password: 'correct horse battery' });
    const cookie = (login.headers.get('set-cookie') as string).split(';')[0] as string;
    const account = await (await fetch(`${ca.url}/account`, { headers: { cookie } })).text();
    expect(account).toContain('ExampleMail installer (connected ');
  });

  it("the page after Register follows the registration: 'Check your mail' reloads itself until the address is confirmed, then says Done", async () => {
    ca = await startTestCa();
    const ticket = await newTicket(ca);
    const pkce = createPkcePair();
    const email = 'ada+follow@example.org';
    const post = await postForm(`${ca.url}/index.php?id=1`, { ...registrationFields({ EmailAddress: email }), ...hiddenHandoff(ticket, pkce.challenge) });
    expect(post.status).toBe(200);
    expect(post.text).toContain('Check your mail to confirm your address');
    const refresh = post.headers.get('refresh');
    expect(refresh).toBe(`2;url=/index.php?id=progress&ticket=${ticket}`);
    const progressUrl = new URL(refresh?.split(';url=')[1] as string, ca.url).href;
    const before = await fetch(progressUrl);
    expect(before.status).toBe(200);
    const beforeText = await before.text();
    expect(beforeText).toContain('<h1>Check your mail</h1>');
    expect(beforeText).toContain(`We sent a link to ${email}.`);
    expect(before.headers.get('refresh')).toBe(refresh);

    await confirmAsPerson(await confirmationLink(ca.url, email));
    const after = await fetch(progressUrl);
    const afterText = await after.text();
    expect(afterText).toContain('<h1>Done: go back to the installer</h1>');
    expect(after.headers.get('refresh')).toBeNull();
    // Neither the address's code nor the continue link is on the page: the installer gets them.
    expect(afterText).not.toMatch(/code=|127\.0\.0\.1:53111/);

    expect((await fetch(`${ca.url}/index.php?id=progress&ticket=${'A'.repeat(43)}`)).status).toBe(404);
    expect((await fetch(`${ca.url}/index.php?id=progress&ticket=x`)).status).toBe(404);
  });

  it('a registration without an installer ticket gets no self-reloading page', async () => {
    ca = await startTestCa();
    const post = await postForm(`${ca.url}/index.php?id=1`, registrationFields({ EmailAddress: 'ada+alone@example.org' }));
    expect(post.status).toBe(200);
    expect(post.text).toContain('Check your mail to confirm your address');
    expect(post.headers.get('refresh')).toBeNull();
  });

  it('refuses an installation_label that is empty, too long, repeated or carries control characters, and spends nothing', async () => {
    ca = await startTestCa();
    for (const label of ['', 'x'.repeat(101), 'bad\u202Elabel', 'line\nbreak']) {
      const res = await postForm(`${ca.url}/api/wizard/token`, { code: 'C'.repeat(43), code_verifier: 'v'.repeat(43), installation_label: label });
      expect(res.status, JSON.stringify(label)).toBe(400);
      expect(JSON.parse(res.text).error.code).toBe('invalid_request');
    }
    const twice = await postForm(`${ca.url}/api/wizard/token`, [
      ['code', 'C'.repeat(43)],
      ['code_verifier', 'v'.repeat(43)],
      ['installation_label', 'a'],
      ['installation_label', 'b'],
    ]);
    expect(twice.status).toBe(400);
  });

  it('issues the code from the stored challenge when no ticket was given', async () => {
    ca = await startTestCa();
    const pkce = createPkcePair();
    await postForm(`${ca.url}/index.php?id=1`, { ...registrationFields(), ...hiddenHandoff(undefined, pkce.challenge) });
    const page = (await confirmAsPerson(await confirmationLink(ca.url, 'ada+wizard@example.org'))).text;
    const link = new URL(linkHref(page, 'Please click here to continue with the Installation Wizard') as string);
    const ok = await postForm(`${ca.url}/api/wizard/token`, { code: link.searchParams.get('code') as string, code_verifier: pkce.verifier });
    expect(ok.status).toBe(200);
    expect((await rowCounts(ca)).registration_handoffs).toBe(0);
  });

  it('says only the first sentence without a continue URL, and fails a used link', async () => {
    ca = await startTestCa();
    await postForm(`${ca.url}/index.php?id=1`, registrationFields());
    const link = await confirmationLink(ca.url, 'ada+wizard@example.org');
    const page = (await confirmAsPerson(link)).text;
    expect(page).toContain('<p>Your request was processed.</p>\n</main>');
    // The link once used: its page says so, and a replayed POST fails.
    const again = await fetch(link);
    expect(again.status).toBe(200);
    expect(await again.text()).toContain('already confirmed');
    const url = new URL(link);
    const replay = await postForm(`${url.origin}/index.php?id=confirm`, { token: url.searchParams.get('token') as string, action: 'confirm' });
    expect(replay.status).toBe(400);
    expect(replay.text).toContain('confirmation failed');
  });

  it('links back with address_taken and fails the ticket when the address is registered', async () => {
    ca = await startTestCa();
    await postForm(`${ca.url}/index.php?id=1`, registrationFields());
    const ticket = await newTicket(ca);
    const res = await postForm(`${ca.url}/index.php?id=1`, { ...registrationFields({ EmailAddress: 'ADA+wizard@example.org' }), ...hiddenHandoff(ticket) });
    expect(res.status).toBe(409);
    expect(res.text).toContain('is already registered');
    expect(linkHref(res.text, 'Please click here to return to the Installation Wizard')).toBe(
      `${ERROR}&EmailAddress=ADA%2Bwizard%40example.org&reason=address_taken`,
    );
    expect(await isItDone(ca, ticket)).toEqual({ status: 'error', reason: 'address_taken' });
  });

  it('cancels: error link with reason cancelled, ticket error', async () => {
    ca = await startTestCa();
    const ticket = await newTicket(ca);
    const res = await postForm(`${ca.url}/index.php?id=1`, { ...hiddenHandoff(ticket), cancel: '1' });
    expect(res.status).toBe(200);
    expect(linkHref(res.text, 'Please click here to return to the Installation Wizard')).toBe(`${ERROR}&reason=cancelled`);
    expect(await isItDone(ca, ticket)).toEqual({ status: 'error', reason: 'cancelled' });
    expect((await rowCounts(ca)).accounts).toBe(0);
  });

  it('keeps values but not passwords when a field is invalid', async () => {
    ca = await startTestCa();
    const res = await postForm(`${ca.url}/index.php?id=1`, registrationFields({ PasswordConfirmation: 'something else!' }));
    expect(res.status).toBe(400);
    expect(res.text).toContain('The two passwords differ.');
    expect(res.text).toContain('value="Lovelace"');
    expect(res.text).not.toContain('correct horse battery');
    expect(res.text).not.toContain('London');
  });
});

describe('tickets', () => {
  it('expire by the injected clock', async () => {
    let now = Date.UTC(2030, 0, 1);
    ca = await startTestCa({ now: () => now, ticketLifetimeMinutes: 5 });
    const ticket = await newTicket(ca);
    now += 5 * 60_000 - 1;
    expect(await isItDone(ca, ticket)).toEqual({ status: 'pending' });
    now += 1;
    expect(await isItDone(ca, ticket)).toEqual({ status: 'expired' });
    const html = await (await fetch(`${ca.url}/index.php?id=1&ticket=${ticket}&error=${encodeURIComponent(ERROR)}`)).text();
    expect(html).toContain('has expired');
    expect(linkHref(html, 'Please click here to return to the Installation Wizard')).toBe(`${ERROR}&reason=ticket_expired`);
  });

  it('answer JSON when Accept prefers it, and unknown tickets as unknown', async () => {
    ca = await startTestCa();
    const res = await fetch(`${ca.url}/index.php?id=givemeaticket`, { headers: { accept: 'application/json' } });
    const body = (await res.json()) as { ticket: string; user_code: string };
    expect(Object.keys(body).sort()).toEqual(['ticket', 'user_code']);
    expect(body.user_code).toMatch(/^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
    const { ticket } = body;
    const done = await fetch(`${ca.url}/index.php?id=isitdone&ticket=${ticket}`, { headers: { accept: 'application/json' } });
    expect(await done.json()).toEqual({ status: 'pending' });
    expect(await isItDone(ca, 'A'.repeat(43))).toEqual({ status: 'unknown' });
  });

  it('isitdone with wait holds a pending answer and answers as soon as the registration ends (a long poll)', async () => {
    ca = await startTestCa();
    const ticket = await newTicket(ca);
    const pkce = createPkcePair();
    const email = 'ada+wait@example.org';
    const url = `${ca.url}/index.php?id=isitdone&ticket=${ticket}&wait=20`;
    const sentAt = Date.now();
    const held = fetch(url, { headers: { accept: 'application/json' } }).then(async (res) => ({ body: await res.json(), at: Date.now() }));
    // Nothing happens for a while: still held.
    const early = await Promise.race([held.then(() => 'answered'), new Promise((resolve) => setTimeout(() => resolve('held'), 1000))]);
    expect(early).toBe('held');
    // The person registers and confirms: the held request answers at once with the outcome.
    await postForm(`${ca.url}/index.php?id=1`, { ...registrationFields({ EmailAddress: email }), ...hiddenHandoff(ticket, pkce.challenge) });
    const confirmed = await confirmAsPerson(await confirmationLink(ca.url, email));
    expect(confirmed.status).toBe(200);
    const confirmedAt = Date.now();
    const { body, at } = await held;
    expect(body).toMatchObject({ status: 'done', EmailAddress: email, code: expect.any(String) });
    expect(at - confirmedAt).toBeLessThan(5000);
    expect(at - sentAt).toBeLessThan(20_000);
  });

  it('isitdone with wait: a pending answer after the wait; a wait that is not 1 to 30 whole seconds is a 400', async () => {
    ca = await startTestCa();
    const ticket = await newTicket(ca);
    const sentAt = Date.now();
    const pending = await fetch(`${ca.url}/index.php?id=isitdone&ticket=${ticket}&wait=1`, { headers: { accept: 'application/json' } });
    expect(await pending.json()).toEqual({ status: 'pending' });
    expect(Date.now() - sentAt).toBeGreaterThanOrEqual(700);
    // Only an existing ticket is waited for.
    const unknownAt = Date.now();
    expect(await (await fetch(`${ca.url}/index.php?id=isitdone&ticket=${'A'.repeat(43)}&wait=30`, { headers: { accept: 'application/json' } })).json()).toEqual(
      {
        status: 'unknown',
      },
    );
    expect(Date.now() - unknownAt).toBeLessThan(5000);
    for (const wait of ['0', '31', 'x', '1&wait=2']) {
      const bad = await fetch(`${ca.url}/index.php?id=isitdone&ticket=${ticket}&wait=${wait}`, { headers: { accept: 'application/json' } });
      expect(bad.status, wait).toBe(400);
      expect(((await bad.json()) as { error: { code: string } }).error.code).toBe('invalid_request');
    }
  });

  it('are rate-limited per client with 429 and Retry-After', async () => {
    ca = await startTestCa({ rateLimit: { capacity: 2, refillIntervalMs: 60_000 } });
    await newTicket(ca);
    await newTicket(ca);
    const res = await fetch(`${ca.url}/index.php?id=givemeaticket`);
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('60');
  });

  it('isitdone is rate-limited per client too, with 429 and Retry-After, in its text and JSON forms', async () => {
    ca = await startTestCa({ rateLimit: { capacity: 2, refillIntervalMs: 60_000 } });
    const ticket = await newTicket(ca);
    expect(await isItDone(ca, ticket)).toEqual({ status: 'pending' });
    expect(await isItDone(ca, 'A'.repeat(43))).toEqual({ status: 'unknown' });
    const text = await fetch(`${ca.url}/index.php?id=isitdone&ticket=${ticket}`);
    expect(text.status).toBe(429);
    expect(text.headers.get('retry-after')).toBe('60');
    expect(await text.text()).toBe('too many requests; retry later\n');
    const json = await fetch(`${ca.url}/index.php?id=isitdone&ticket=${ticket}`, { headers: { accept: 'application/json' } });
    expect(json.status).toBe(429);
    expect(((await json.json()) as { error: { code: string } }).error.code).toBe('too_many_requests');
  });
});

describe('the token endpoint', () => {
  it('refuses malformed requests and other methods', async () => {
    ca = await startTestCa();
    const bad = await postForm(`${ca.url}/api/wizard/token`, { code: 'x' });
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.text).error.code).toBe('invalid_request');
    const get = await fetch(`${ca.url}/api/wizard/token`);
    expect(get.status).toBe(405);
    expect(((await get.json()) as { error: { code: string } }).error.code).toBe('method_not_allowed');
  });
});
