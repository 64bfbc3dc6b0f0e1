/**
 * Domains of an account against the real CA over HTTP (issue 13): added and verified by a DNS
 * TXT record (pebble-challtestsrv as the CA's resolver), by an HTTP file (a node:http server on
 * 127.0.0.1 with the CA's port override and private addresses allowed), and by an email ping
 * the machine answers with its nonce; `/api/cdomains.php` lists the verified ones; server
 * certificates for names inside them issue at once, names outside are refused naming them; a
 * verification lapses. Hostile cases: several TXT values, a file behind a redirect to another
 * host, a ping to an address outside the domain, trailing dot, IDN forms, `co.uk`, private
 * addresses when not allowed. Refusals change nothing stored.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createCsr, generateKeyPair, parseCertificateChain } from '@certwizard/pki';
import { decodeCcsrAnswer, decodeCdomainsAnswer, decodeDomainAnswer, decodeDomainList, decodeDomainVerifiedAnswer } from '@certwizard/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ChallTestSrv, startChallTestSrv } from '../src/ca/test-support/challtestsrv.js';
import { accountWithToken, callApi, PASSWORD } from './support/cacert-client.js';
import { confirmByMachine, dbSnapshot, newNonce } from './support/ping-client.js';
import { startTestCa, type TestCa } from './support/test-ca.js';

const key = generateKeyPair('p256');
const csrFor = (dns: string[], email: string[] = []) => createCsr({ privateKey: key.privateKey, subjectAltNames: { dns, email } }).pem;

let dns: ChallTestSrv;
let web: Server;
let handler: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.end();
let ca: TestCa;
let strictCa: TestCa;

async function domainsApi(c: TestCa, path: string, token: string, fields: Record<string, string>) {
  const res = await fetch(`${c.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

async function listDomains(c: TestCa, token: string) {
  const res = await fetch(`${c.url}/api/domains`, { headers: { authorization: `Bearer ${token}` } });
  return decodeDomainList(res.status, await res.json());
}

async function cdomains(c: TestCa, token: string): Promise<string[]> {
  const res = await callApi(c, '/api/cdomains.php', {}, { bearer: token });
  return decodeCdomainsAnswer(res.status, res.text);
}

beforeAll(async () => {
  dns = await startChallTestSrv();
  web = createServer((req, res) => handler(req, res));
  await new Promise<void>((resolve) => web.listen(0, '127.0.0.1', resolve));
  const port = (web.address() as { port: number }).port;
  ca = await startTestCa({ dnsResolvers: [dns.dnsServer], httpChallengePort: port, allowPrivateChallengeAddresses: true, rateLimit: { capacity: 100 } });
  strictCa = await startTestCa({ dnsResolvers: [dns.dnsServer], httpChallengePort: port });
}, 30_000);
afterAll(async () => {
  await ca?.dispose();
  await strictCa?.dispose();
  web?.closeAllConnections();
  await new Promise<void>((resolve) => (web ? web.close(() => resolve()) : resolve()));
  await dns?.stop();
});

describe('DNS TXT verification, cdomains and server certificates', () => {
  it('verifies by a TXT record among several, lists the domain, and issues for names inside it at once', async () => {
    const { token, email } = await accountWithToken(ca, { EmailAddress: 'ada+dns@example.org' });
    expect(await cdomains(ca, token)).toEqual([]);
    const asked = await domainsApi(ca, '/api/domains', token, { domain: 'ExampleMail.test.', method: 'dns' });
    const answer = decodeDomainAnswer(asked.status, asked.json);
    if (answer.status !== 'challenge' || answer.method !== 'dns') throw new Error('no dns challenge');
    expect(answer).toMatchObject({ domain: 'examplemail.test', name: '_certwizard-challenge.examplemail.test' });

    // Not published yet: the check fails and changes nothing.
    const before = await dbSnapshot(ca);
    const early = await domainsApi(ca, '/api/domains/check', token, { domain: 'examplemail.test', method: 'dns' });
    expect(early).toMatchObject({ status: 403, json: { error: { code: 'challenge_failed' } } });
    expect(await dbSnapshot(ca)).toEqual(before);

    await dns.setTxt(answer.name, 'v=spf1 -all');
    await dns.setTxt(answer.name, answer.value);
    const checked = await domainsApi(ca, '/api/domains/check', token, { domain: 'examplemail.test', method: 'dns' });
    expect(decodeDomainVerifiedAnswer(checked.status, checked.json)).toMatchObject({ domain: 'examplemail.test', method: 'dns' });
    expect(await cdomains(ca, token)).toEqual(['examplemail.test']);
    const cdomainsByPassword = await callApi(ca, '/api/cdomains.php', { username: email, password: PASSWORD });
    expect(cdomainsByPassword.text).toBe('200,Authentication Ok\nDOMAIN=examplemail.test\n');

    const issued = await callApi(ca, '/api/requests', { csr: csrFor(['mail.examplemail.test', 'examplemail.test']) }, { bearer: token });
    expect(issued.status).toBe(200);
    const [leaf] = parseCertificateChain((decodeCcsrAnswer(issued.status, issued.text) as { chainPem: string }).chainPem);
    expect(leaf?.subjectAltNames).toEqual({ dns: ['mail.examplemail.test', 'examplemail.test'], email: [], ip: [] });
    expect(leaf?.extendedKeyUsage).toEqual(['serverAuth']);
    expect(leaf?.subject).toEqual([{ type: 'CN', value: 'mail.examplemail.test' }]);

    const counts = await ca.counts();
    const outside = await callApi(ca, '/api/requests', { csr: csrFor(['mail.examplemail.test', 'www.badexamplemail.test']) }, { bearer: token });
    expect(outside.status).toBe(403);
    expect(outside.text).toBe('403,name_not_allowed not within a verified domain of this account: www.badexamplemail.test\n');
    expect(await ca.counts()).toEqual(counts);

    // A ccsr request naming both the account's address and a covered name gets both EKUs.
    const both = await callApi(ca, '/api/ccsr.php', {
      username: email,
      password: PASSWORD,
      email,
      name: 'Ada Lovelace',
      optionalCSR: csrFor(['mail.examplemail.test'], [email]),
    });
    expect(both.status).toBe(200);
    const [mixed] = parseCertificateChain((decodeCcsrAnswer(both.status, both.text) as { chainPem: string }).chainPem);
    expect(mixed?.subjectAltNames).toEqual({ dns: ['mail.examplemail.test'], email: [email], ip: [] });
    expect(mixed?.extendedKeyUsage).toEqual(['serverAuth', 'emailProtection', 'clientAuth']);
    const cemails = await callApi(ca, '/api/cemails.php', { username: email, password: PASSWORD });
    expect(cemails.text).toBe(`200,Authentication Ok\nCS=0\nNAME=Ada Lovelace\nNAME=Ada B Lovelace\nEMAIL=${email}\n`);

    // Another account cannot add the domain while it is verified here.
    const other = await accountWithToken(ca, { EmailAddress: 'eve@example.org' });
    expect(await domainsApi(ca, '/api/domains', other.token, { domain: 'examplemail.test', method: 'dns' })).toMatchObject({
      status: 409,
      json: { error: { code: 'domain_taken' } },
    });

    // The verification lapses after 396 days: the domain leaves cdomains, names are refused again.
    await ca.advanceClock(396 * 24 * 60 * 60_000);
    expect(await cdomains(ca, token)).toEqual([]);
    expect((await listDomains(ca, token))[0]).toMatchObject({ domain: 'examplemail.test', status: 'lapsed', method: 'dns' });
    const lapsed = await callApi(ca, '/api/requests', { csr: csrFor(['mail.examplemail.test']) }, { bearer: token });
    expect(lapsed.status).toBe(403);
  });

  it.each([
    ['co.uk', 'invalid_domain'],
    ['github.io', 'invalid_domain'],
    ['localhost', 'invalid_domain'],
    ['192.0.2.1', 'invalid_domain'],
  ])('refuses %s as %s, storing nothing', async (domain, code) => {
    const { token } = await accountWithToken(ca, { EmailAddress: `ada+${domain.replace(/\W/g, '')}@example.org` });
    const before = await dbSnapshot(ca);
    expect(await domainsApi(ca, '/api/domains', token, { domain, method: 'dns' })).toMatchObject({ status: 400, json: { error: { code } } });
    expect(await dbSnapshot(ca)).toEqual(before);
  });

  it('keeps IDN domains in A-label form whichever form is sent', async () => {
    const { token } = await accountWithToken(ca, { EmailAddress: 'ada+idn@example.org' });
    const asked = await domainsApi(ca, '/api/domains', token, { domain: 'Bücher.example.', method: 'http' });
    expect(asked.json).toMatchObject({ domain: 'xn--bcher-kva.example', url: expect.stringMatching(/^http:\/\/xn--bcher-kva\.example\/\.well-known\//) });
    await domainsApi(ca, '/api/domains', token, { domain: 'xn--bcher-kva.example', method: 'http' });
    expect(await listDomains(ca, token)).toEqual([{ domain: 'xn--bcher-kva.example', unicode: 'bücher.example', status: 'unverified' }]);
  });

  it('answers 401 without a token and 405 to another method', async () => {
    expect((await fetch(`${ca.url}/api/domains`)).status).toBe(401);
    const put = await fetch(`${ca.url}/api/domains/check`, { method: 'GET' });
    expect(put.status).toBe(405);
    expect(put.headers.get('allow')).toBe('POST');
  });
});

describe('HTTP file verification', () => {
  it('verifies by the file, follows no redirect to another host, and refuses private addresses unless allowed', async () => {
    const { token } = await accountWithToken(ca, { EmailAddress: 'ada+http@example.org' });
    const asked = await domainsApi(ca, '/api/domains', token, { domain: 'web.example.test', method: 'http' });
    const answer = decodeDomainAnswer(asked.status, asked.json);
    if (answer.status !== 'challenge' || answer.method !== 'http') throw new Error('no http challenge');
    const path = new URL(answer.url).pathname;

    handler = (req, res) => {
      res.writeHead(302, { location: `http://elsewhere.example.test${req.url ?? '/'}` });
      res.end();
    };
    const redirected = await domainsApi(ca, '/api/domains/check', token, { domain: 'web.example.test', method: 'http' });
    expect(redirected).toMatchObject({ status: 403, json: { error: { code: 'challenge_failed', message: expect.stringContaining('another host') } } });

    handler = (req, res) => res.end(req.url === path && req.headers.host === 'web.example.test' ? `${answer.content}\n` : 'no');
    const checked = await domainsApi(ca, '/api/domains/check', token, { domain: 'web.example.test', method: 'http' });
    expect(decodeDomainVerifiedAnswer(checked.status, checked.json)).toMatchObject({ domain: 'web.example.test', method: 'http' });

    // The same file on a CA that does not allow private addresses: refused, the server never asked.
    const strict = await accountWithToken(strictCa, { EmailAddress: 'ada+strict@example.org' });
    const strictAsked = await domainsApi(strictCa, '/api/domains', strict.token, { domain: 'web.example.test', method: 'http' });
    const strictAnswer = decodeDomainAnswer(strictAsked.status, strictAsked.json) as { content: string };
    let asked2 = 0;
    handler = (_req, res) => {
      asked2++;
      res.end(strictAnswer.content);
    };
    const refused = await domainsApi(strictCa, '/api/domains/check', strict.token, { domain: 'web.example.test', method: 'http' });
    expect(refused).toMatchObject({ status: 403, json: { error: { code: 'challenge_failed', message: expect.stringContaining('not a public address') } } });
    expect(asked2).toBe(0);
  });
});

describe('email ping verification', () => {
  it('pings an administrative address; the machine holding the nonce confirms it and the domain is verified', async () => {
    const { token } = await accountWithToken(ca, { EmailAddress: 'ada+mail@example.org' });
    const nonce = newNonce();
    const asked = await domainsApi(ca, '/api/domains', token, {
      domain: 'mailhost.example.test',
      method: 'email',
      address: 'Postmaster@mailhost.example.test',
      PingNonce: nonce,
    });
    expect(decodeDomainAnswer(asked.status, asked.json)).toEqual({
      status: 'ping_sent',
      domain: 'mailhost.example.test',
      address: 'postmaster@mailhost.example.test',
    });
    const [mail] = await ca.mailbox('postmaster@mailhost.example.test');
    expect(mail?.subject).toBe('Confirm a domain for a certwizard CA account');
    expect(mail?.text).toContain(`Ping-Nonce: ${nonce}`);
    const pingToken = new RegExp(`${ca.publicUrl.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/ping/confirm\\?token=([A-Za-z0-9_-]+)`).exec(
      mail?.text ?? '',
    )?.[1] as string;
    expect(await confirmByMachine(ca, pingToken, newNonce())).toMatchObject({ status: 409, json: { error: { code: 'nonce_mismatch' } } });
    expect(await confirmByMachine(ca, pingToken, nonce)).toMatchObject({
      status: 200,
      json: { status: 'confirmed', email: 'postmaster@mailhost.example.test' },
    });
    expect((await listDomains(ca, token))[0]).toMatchObject({ status: 'verified', method: 'email' });
    expect(await cdomains(ca, token)).toEqual(['mailhost.example.test']);

    // The nonce works once across the CA.
    const again = await domainsApi(ca, '/api/domains', token, {
      domain: 'mailhost.example.test',
      method: 'email',
      address: 'root@mailhost.example.test',
      PingNonce: nonce,
    });
    expect(again).toMatchObject({ status: 409, json: { error: { code: 'nonce_in_use' } } });
  });

  it.each([
    ['a person at the domain', 'ada@mail2.example.test'],
    ['postmaster of a subdomain', 'postmaster@sub.mail2.example.test'],
    ['postmaster of another domain', 'postmaster@example.org'],
  ])('refuses a ping to %s, storing and sending nothing', async (_name, address) => {
    const { token } = await accountWithToken(ca, { EmailAddress: `ada+${address.replace(/\W/g, '')}@example.org` });
    const before = await dbSnapshot(ca);
    const res = await domainsApi(ca, '/api/domains', token, { domain: 'mail2.example.test', method: 'email', address });
    expect(res).toMatchObject({ status: 400, json: { error: { code: 'invalid_address' } } });
    expect(await dbSnapshot(ca)).toEqual(before);
    expect(await ca.mailbox(address)).toEqual([]);
  });
});
