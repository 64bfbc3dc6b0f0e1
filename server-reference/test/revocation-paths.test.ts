/**
 * The revocation paths of issue 14 against a real CA: proof of possession (`POST
 * /api/revoke-by-key`), the one-time revocation secret (`POST /api/revoke-with-secret`, also
 * across a second CA process on the same database), the owner's account page (status list,
 * Revoke with a reason, a confirmation first) and the operator area (search, revoke, logged with
 * the operator's id), and the onNamesLost policy hook. Each path records time and reason, shows
 * in the CRL (read by openssl), answers a repeat with the first revocation, and refuses without
 * changing anything stored.
 */
import { createHash, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { createCsr, generateKeyPair, type KeyType, parseCertificateChain } from '@certwizard/pki';
import {
  decodeCcsrAnswer,
  encodeRevokeByKeyPayload,
  encodeRevokeByKeyRequest,
  REVOKE_BY_KEY_PATH,
  REVOKE_WITH_SECRET_PATH,
  revokeByKeySigningInput,
} from '@certwizard/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NamesLostEvent } from '../src/ca/hooks.js';
import { opensslCrlEntries, opensslOcspStatus } from '../src/ca/test-support/openssl-status.js';
import { accountWithToken, callApi, PASSWORD } from './support/cacert-client.js';
import { addOperator, OPERATOR, OPERATOR_PASSWORD } from './support/operator-client.js';
import { postForm } from './support/registration-client.js';
import { type ServeProcess, startServe } from './support/run-bin.js';
import { putCsr, startTestCa, type TestCa } from './support/test-ca.js';

interface LogLine {
  readonly message: string;
  readonly fields?: Record<string, unknown>;
}
const lines: LogLine[] = [];
const keep = (message: string, fields?: Record<string, unknown>) => void lines.push({ message, ...(fields ? { fields } : {}) });
const hookCalls: NamesLostEvent[] = [];
let ca: TestCa;
beforeAll(async () => {
  ca = await startTestCa({
    rateLimit: { capacity: 1000 },
    logger: { debug: keep, info: keep, warn: keep, error: keep },
    namesOutsideDomains: 'operator',
    hooks: {
      onNamesLost(event) {
        hookCalls.push(event);
        return event.certificates.map((c) => ({ serialHex: c.serialHex, reason: 'affiliationChanged' as const }));
      },
    },
  });
  await addOperator(ca);
});
afterAll(() => ca.dispose());

/** A certificate of an ssl_api client, with its key, serial and the answer's revocation secret. */
async function clientCertificate(keyType: KeyType = 'p256', client = 'vendorA') {
  const { privateKey } = generateKeyPair(keyType);
  const csr = createCsr({ privateKey, subject: [{ type: 'CN', value: 'mail.example.test' }], subjectAltNames: { dns: ['mail.example.test'] } });
  const res = await putCsr(ca, csr.pem, { client });
  const pem = res.json.signed_x509_pem as string;
  const serial = parseCertificateChain(pem)[0]?.serialNumberHex as string;
  return { csr: csr.pem, key: privateKey as unknown as KeyObject, pem, serial, secret: res.json.revocation_secret as string | undefined };
}

async function post(path: string, body: unknown, contentType = 'application/json') {
  const res = await fetch(`${ca.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': contentType },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown>, retryAfter: res.headers.get('retry-after') };
}

function signedRequest(
  c: { key: KeyObject; serial: string },
  options: { caUrl?: string; timeMs?: number; reason?: 'keyCompromise' | 'superseded'; key?: KeyObject } = {},
) {
  const payload = encodeRevokeByKeyPayload({
    serialHex: c.serial,
    reason: options.reason ?? 'keyCompromise',
    caUrl: options.caUrl ?? ca.publicUrl,
    timeMs: options.timeMs ?? Date.now(),
  });
  const key = options.key ?? c.key;
  const hash = key.asymmetricKeyDetails?.namedCurve === 'secp384r1' ? 'sha384' : 'sha256';
  return encodeRevokeByKeyRequest(payload, sign(hash, revokeByKeySigningInput(payload), key));
}

/** Every table but the rate-limit buckets (a refused attempt takes a token: that is its point). */
async function storedState() {
  const { rate_limits: _buckets, installation_tokens: _lastUsed, ...rest } = await ca.rows();
  return rest;
}

/** The leaf's status as `openssl ocsp` reads it from the CA's responder (signature verified). */
async function ocspOf(pem: string) {
  const leaf = `-----BEGIN CERTIFICATE-----${pem.split('-----BEGIN CERTIFICATE-----')[1]}`;
  const status = await opensslOcspStatus({ caUrl: ca.url, caPem: ca.caCertPem, certPem: leaf });
  expect(status.verified).toBe(true);
  return { status: status.status, reason: status.reason };
}

async function crlReasonOf(serial: string): Promise<string | undefined> {
  const crl = await opensslCrlEntries({ caUrl: ca.url, caPem: ca.caCertPem });
  expect(crl.verified).toBe(true);
  return crl.entries.get(serial)?.reason;
}

describe('POST /api/revoke-by-key', () => {
  it.each(['p256', 'p384', 'rsa2048'] as const)(
    'revokes a %s certificate signed with its key; openssl reads the CRL entry; a repeat answers the first',
    async (keyType) => {
      const c = await clientCertificate(keyType);
      const res = await post(REVOKE_BY_KEY_PATH, signedRequest(c));
      expect(res).toMatchObject({ status: 200, json: { status: 'revoked', serial: c.serial, reason: 'keyCompromise' } });
      expect(await crlReasonOf(c.serial)).toMatch(/key ?compromise/i);
      expect(await ocspOf(c.pem)).toEqual({ status: 'revoked', reason: 'keyCompromise' });
      await ca.advanceClock(60_000);
      const again = await post(REVOKE_BY_KEY_PATH, signedRequest(c, { reason: 'superseded', timeMs: Date.now() + 60_000 }));
      expect(again).toMatchObject({ status: 200, json: { status: 'already_revoked', reason: 'keyCompromise', revokedAt: res.json.revokedAt } });
    },
  );

  it.each([
    {
      name: 'another key',
      code: 'bad_signature',
      status: 403,
      body: (c: Awaited<ReturnType<typeof clientCertificate>>) => signedRequest(c, { key: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey }),
    },
    {
      name: 'another CA',
      code: 'wrong_ca',
      status: 403,
      body: (c: Awaited<ReturnType<typeof clientCertificate>>) => signedRequest(c, { caUrl: 'https://other-ca.example' }),
    },
    {
      name: 'a time 6 minutes old',
      code: 'stale_request',
      status: 403,
      body: (c: Awaited<ReturnType<typeof clientCertificate>>) => signedRequest(c, { timeMs: Date.now() - 6 * 60_000 }),
    },
    {
      name: 'a time 15 minutes ahead (this CA runs at most 3 minutes ahead)',
      code: 'stale_request',
      status: 403,
      body: (c: Awaited<ReturnType<typeof clientCertificate>>) => signedRequest(c, { timeMs: Date.now() + 15 * 60_000 }),
    },
    {
      name: 'an unknown serial',
      code: 'unknown_certificate',
      status: 404,
      body: (c: Awaited<ReturnType<typeof clientCertificate>>) => signedRequest({ ...c, serial: '7f'.repeat(16) }),
    },
    { name: 'a body that is not the JSON object', code: 'invalid_request', status: 400, body: () => '{"payload":"e30"}' },
  ])('refuses $name ($code) and changes nothing', async ({ code, status, body }) => {
    const c = await clientCertificate();
    const before = await storedState();
    expect(await post(REVOKE_BY_KEY_PATH, body(c))).toMatchObject({ status, json: { error: { code } } });
    expect(await storedState()).toEqual(before);
  });

  it('answers GET with 405 and another media type with 415, revoking nothing', async () => {
    const c = await clientCertificate();
    expect((await fetch(`${ca.url}${REVOKE_BY_KEY_PATH}?payload=x`)).status).toBe(405);
    expect((await post(REVOKE_BY_KEY_PATH, signedRequest(c), 'text/plain')).status).toBe(415);
    expect((await ca.certificate(c.serial))?.status).toBe('valid');
  });
});

describe('POST /api/revoke-with-secret', () => {
  it('is handed out once with the certificate (a replay has none), stored as its SHA-256 only', async () => {
    const c = await clientCertificate();
    expect(c.secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const replay = await putCsr(ca, c.csr, { client: 'vendorA' });
    expect(replay.json.signed_x509_pem).toBe(c.pem);
    expect(replay.json).not.toHaveProperty('revocation_secret');
    const stored = (await ca.rows()).revocation_secrets as { holder: string; digest: string }[];
    const row = stored.find((r) => r.holder === `serial:${c.serial}`);
    expect(row?.digest).toBe(
      createHash('sha256')
        .update(c.secret as string)
        .digest('hex'),
    );
    expect(JSON.stringify(await ca.rows())).not.toContain(c.secret);
  });

  it('refuses a wrong secret without changing anything, then revokes with the right one; a repeat answers the first revocation', async () => {
    const c = await clientCertificate();
    expect((await ocspOf(c.pem)).status).toBe('good');
    const before = await storedState();
    const wrong = await post(REVOKE_WITH_SECRET_PATH, { serial: c.serial, secret: 'W'.repeat(43), reason: 'keyCompromise' });
    expect(wrong).toMatchObject({ status: 403, json: { error: { code: 'secret_invalid' } } });
    expect(await storedState()).toEqual(before);
    const done = await post(REVOKE_WITH_SECRET_PATH, { serial: c.serial, secret: c.secret, reason: 'cessationOfOperation' });
    expect(done).toMatchObject({ status: 200, json: { status: 'revoked', reason: 'cessationOfOperation' } });
    expect(await crlReasonOf(c.serial)).toMatch(/cessation/i);
    expect(await ocspOf(c.pem)).toEqual({ status: 'revoked', reason: 'cessationOfOperation' });
    const again = await post(REVOKE_WITH_SECRET_PATH, { serial: c.serial, secret: c.secret, reason: 'keyCompromise' });
    expect(again).toMatchObject({ status: 200, json: { status: 'already_revoked', reason: 'cessationOfOperation', revokedAt: done.json.revokedAt } });
    expect(lines.some((l) => JSON.stringify(l).includes(c.secret as string))).toBe(false);
  });

  it("comes in ccsr's Revocation-Secret header, for a held request too, and revokes the certificate approved later", async () => {
    const { email, token } = await accountWithToken(ca, { EmailAddress: 'carol+secret@example.org' });
    const { privateKey } = generateKeyPair('p256');
    const optionalCSR = createCsr({ privateKey, subject: [{ type: 'CN', value: 'x' }] }).pem;
    const res = await callApi(ca, '/api/ccsr.php', { email, name: 'Ada Lovelace', optionalCSR }, { bearer: token });
    const secret = res.headers.get('revocation-secret') as string;
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const answer = decodeCcsrAnswer(res.status, res.text);
    const serial = await ca.approveRequest(answer.requestId);
    const done = await post(REVOKE_WITH_SECRET_PATH, { serial, secret, reason: 'superseded' });
    expect(done).toMatchObject({ status: 200, json: { status: 'revoked', serial, reason: 'superseded' } });
    // The password path issues at once, with its own secret.
    const issued = await callApi(ca, '/api/ccsr.php', { username: email, password: PASSWORD, email, name: 'Ada Lovelace', optionalCSR });
    expect(issued.status).toBe(200);
    expect(issued.headers.get('revocation-secret')).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('answers GET with 405: a secret never travels in a URL', async () => {
    const c = await clientCertificate();
    const res = await fetch(`${ca.url}${REVOKE_WITH_SECRET_PATH}?serial=${c.serial}&secret=${c.secret}`);
    expect(res.status).toBe(405);
    expect((await ca.certificate(c.serial))?.status).toBe('valid');
  });
});

describe('a revocation secret across two CA processes on one database', () => {
  let one: TestCa;
  let other: ServeProcess | undefined;
  beforeAll(async () => {
    one = await startTestCa();
    other = await startServe(['serve', '--identity', one.identityDir, '--data', one.dataDir, '--listen', '127.0.0.1:0'], {
      env: { CA_PASSPHRASE: 'test-ca-passphrase' },
    });
  });
  afterAll(async () => {
    await other?.stop();
    await one.dispose();
  });

  const revoke = async (base: string, body: unknown) => {
    const res = await fetch(`${base}${REVOKE_WITH_SECRET_PATH}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  };

  it('used in one process, it answers the first revocation in the other; wrong attempts share one bucket per serial', async () => {
    const { privateKey } = generateKeyPair('p256');
    const csr = createCsr({ privateKey, subject: [{ type: 'CN', value: 'a.example.test' }], subjectAltNames: { dns: ['a.example.test'] } }).pem;
    const res = await putCsr(one, csr, { client: 'vendorB' });
    const serial = parseCertificateChain(res.json.signed_x509_pem as string)[0]?.serialNumberHex as string;
    const secret = res.json.revocation_secret as string;
    const urls = [one.url, (other as ServeProcess).url];
    // The default bucket: 10 attempts per serial. Spread over both processes, the 11th is refused.
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) statuses.push((await revoke(urls[i % 2] as string, { serial, secret: 'W'.repeat(43) })).status);
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(403));
    expect(statuses[10]).toBe(429);
    // Over the limit even the right secret waits: the bucket is checked before the secret.
    expect((await revoke(urls[1] as string, { serial, secret })).status).toBe(429);
    expect((await one.certificate(serial))?.status).toBe('valid');
    // A fresh certificate: the right secret in the other process, then again in this one.
    const fresh = await putCsr(
      one,
      createCsr({ privateKey, subject: [{ type: 'CN', value: 'b.example.test' }], subjectAltNames: { dns: ['b.example.test'] } }).pem,
      { client: 'vendorB' },
    );
    const freshSerial = parseCertificateChain(fresh.json.signed_x509_pem as string)[0]?.serialNumberHex as string;
    const first = await revoke(urls[1] as string, { serial: freshSerial, secret: fresh.json.revocation_secret, reason: 'keyCompromise' });
    expect(first).toMatchObject({ status: 200, json: { status: 'revoked', reason: 'keyCompromise' } });
    const second = await revoke(urls[0] as string, { serial: freshSerial, secret: fresh.json.revocation_secret, reason: 'superseded' });
    expect(second).toMatchObject({ status: 200, json: { status: 'already_revoked', reason: 'keyCompromise', revokedAt: first.json.revokedAt } });
    const row = ((await one.rows()).revocation_secrets as { holder: string; used_at_ms: number | null }[]).find((r) => r.holder === `serial:${freshSerial}`);
    expect(row?.used_at_ms).toBeTypeOf('number');
  });
});

describe('the account page', () => {
  let ada: { email: string; token: string };
  let session: { cookie: string; csrf: string };
  const origin = () => ({ origin: new URL(ca.url).origin });
  const logIn = async () => {
    const res = await postForm(`${ca.url}/login`, { EmailAddress: ada.email, Password: PASSWORD });
    const cookie = (res.headers.get('set-cookie') as string).split(';')[0] as string;
    const page = await (await fetch(`${ca.url}/account`, { headers: { cookie } })).text();
    session = { cookie, csrf: /name="csrf" value="([^"]+)"/.exec(page)?.[1] as string };
  };
  beforeAll(async () => {
    ada = await accountWithToken(ca, { EmailAddress: 'ada+page@example.org' });
    await logIn();
  });

  async function passwordCertificate(): Promise<string> {
    const { privateKey } = generateKeyPair('p256');
    const optionalCSR = createCsr({ privateKey, subject: [{ type: 'CN', value: 'x' }] }).pem;
    const res = await callApi(ca, '/api/ccsr.php', { username: ada.email, password: PASSWORD, email: ada.email, name: 'Ada Lovelace', optionalCSR });
    const answer = decodeCcsrAnswer(res.status, res.text);
    if (answer.status !== 'issued') throw new Error('not issued');
    return parseCertificateChain(answer.chainPem)[0]?.serialNumberHex as string;
  }
  const rowOf = async (serial: string) => {
    const page = await (await fetch(`${ca.url}/account`, { headers: { cookie: session.cookie } })).text();
    return new RegExp(`<tr data-serial="${serial}">.*?</tr>`).exec(page)?.[0] ?? '';
  };

  it('lists valid, superseded and revoked certificates; Revoke asks first, then revokes with the reason; a GET never revokes', async () => {
    const older = await passwordCertificate();
    // A later notBefore makes it the newer one.
    await ca.advanceClock(2000);
    const newer = await passwordCertificate();
    expect(await rowOf(newer)).toContain('<td data-label="Status" class="status">valid</td>');
    expect(await rowOf(older)).toContain('class="status">superseded</td>');
    expect(await rowOf(newer)).toContain(`action="/account/certificates/${newer}/revoke"`);
    const url = `${ca.url}/account/certificates/${newer}/revoke`;
    expect((await fetch(url, { headers: { cookie: session.cookie } })).status).toBe(404);
    const before = await storedState();
    const ask = await postForm(url, { csrf: session.csrf, reason: 'keyCompromise' }, { cookie: session.cookie, ...origin() });
    expect(ask.status).toBe(200);
    expect(ask.text).toContain('Yes, revoke this certificate');
    expect(await storedState()).toEqual(before);
    expect((await postForm(url, { csrf: 'x'.repeat(43), reason: 'keyCompromise', confirm: 'yes' }, { cookie: session.cookie })).status).toBe(403);
    expect(await storedState()).toEqual(before);
    const done = await postForm(url, { csrf: session.csrf, reason: 'keyCompromise', confirm: 'yes' }, { cookie: session.cookie, ...origin() });
    expect(done.status).toBe(200);
    expect(done.text).toContain('is revoked as of');
    expect(await rowOf(newer)).toMatch(/class="status">revoked \d{4}-\d\d-\d\d \d\d:\d\d UTC, The private key may be known to someone else \(keyCompromise\)/);
    expect(lines.some((l) => l.message === 'certificate revoked' && l.fields?.serial === newer && l.fields?.by === 'owner')).toBe(true);
    const again = await postForm(url, { csrf: session.csrf, reason: 'superseded', confirm: 'yes' }, { cookie: session.cookie, ...origin() });
    expect(again.status).toBe(200);
    expect(again.text).toContain('was already revoked');
    expect(again.text).toContain('keyCompromise');
  });

  it("shows expiring within 30 days of notAfter, and answers another holder's serial as not found", async () => {
    const bobs = await clientCertificate();
    const res = await postForm(
      `${ca.url}/account/certificates/${bobs.serial}/revoke`,
      { csrf: session.csrf, confirm: 'yes' },
      { cookie: session.cookie, ...origin() },
    );
    expect(res.status).toBe(404);
    expect((await ca.certificate(bobs.serial))?.status).toBe('valid');
    const serial = await passwordCertificate();
    const stored = await ca.certificate(serial);
    await ca.advanceClock(new Date(stored?.notAfter as Date).getTime() - Date.now() - 29 * 24 * 60 * 60_000);
    // The session did not last that long.
    await logIn();
    expect(await rowOf(serial)).toContain('class="status">expiring</td>');
  });
});

describe('the operator area', () => {
  it('finds a certificate by serial, name or account, and revokes it with a reason after a confirmation, logged with the operator id', async () => {
    const c = await clientCertificate('p256', 'vendorOps');
    const login = await postForm(`${ca.url}/operator/login`, { EmailAddress: OPERATOR, Password: OPERATOR_PASSWORD });
    const cookie = (login.headers.get('set-cookie') as string).split(';')[0] as string;
    const queue = await (await fetch(`${ca.url}/operator/queue`, { headers: { cookie } })).text();
    const csrf = /name="csrf" value="([^"]+)"/.exec(queue)?.[1] as string;
    for (const q of [c.serial.slice(0, 8), 'MAIL.example.test']) {
      const found = await (await fetch(`${ca.url}/operator/certificates?q=${encodeURIComponent(q)}`, { headers: { cookie } })).text();
      expect(found).toContain(`data-serial="${c.serial}"`);
    }
    const none = await (await fetch(`${ca.url}/operator/certificates?q=nothing.invalid`, { headers: { cookie } })).text();
    expect(none).toContain('No certificate matches.');
    const url = `${ca.url}/operator/certificates/${c.serial}/revoke`;
    const origin = new URL(ca.url).origin;
    const ask = await postForm(url, { csrf, reason: 'privilegeWithdrawn' }, { cookie, origin });
    expect(ask.text).toContain('Yes, revoke this certificate');
    expect((await ca.certificate(c.serial))?.status).toBe('valid');
    const done = await postForm(url, { csrf, reason: 'privilegeWithdrawn', confirm: 'yes' }, { cookie, origin });
    expect(done.status).toBe(200);
    expect(await ca.certificate(c.serial)).toMatchObject({ status: 'revoked', revocationReason: 'privilegeWithdrawn' });
    expect(await crlReasonOf(c.serial)).toMatch(/privilege/i);
    expect(lines.some((l) => l.message === 'certificate revoked' && l.fields?.serial === c.serial && l.fields?.operatorId !== undefined)).toBe(true);
    expect((await postForm(url, { reason: 'keyCompromise', confirm: 'yes' }, { cookie, origin })).status).toBe(403);
  });
});

describe('the onNamesLost hook', () => {
  it('is offered the live certificates under a removed domain and the CA revokes what it answers', async () => {
    const { token } = await accountWithToken(ca, { EmailAddress: 'dora+domains@example.org' });
    const { privateKey } = generateKeyPair('p256');
    const csr = createCsr({ privateKey, subject: [{ type: 'CN', value: 'www.lost.example' }], subjectAltNames: { dns: ['www.lost.example'] } }).pem;
    const held = decodeCcsrAnswer(
      ...(await (async () => {
        const r = await callApi(ca, '/api/requests', { csr }, { bearer: token });
        return [r.status, r.text] as const;
      })()),
    );
    const serial = await ca.approveRequest(held.requestId);
    expect((await callApi(ca, '/api/domains', { domain: 'lost.example', method: 'dns' }, { bearer: token })).status).toBeLessThan(300);
    // An operator removes the domain (the owner's Remove goes through the same DomainService.remove).
    const login = await postForm(`${ca.url}/operator/login`, { EmailAddress: OPERATOR, Password: OPERATOR_PASSWORD });
    const cookie = (login.headers.get('set-cookie') as string).split(';')[0] as string;
    const csrf = /name="csrf" value="([^"]+)"/.exec(await (await fetch(`${ca.url}/operator/queue`, { headers: { cookie } })).text())?.[1] as string;
    const accountId = (await ca.account('dora+domains@example.org'))?.id as number;
    const removed = await postForm(
      `${ca.url}/operator/accounts/${accountId}/domains/remove`,
      { csrf, domain: 'lost.example' },
      { cookie, origin: new URL(ca.url).origin },
    );
    expect(removed.status).toBeLessThan(400);
    expect(hookCalls.at(-1)).toMatchObject({ why: 'domain_removed', names: ['lost.example'], certificates: [{ serialHex: serial }] });
    expect(await ca.certificate(serial)).toMatchObject({ status: 'revoked', revocationReason: 'affiliationChanged' });
  });
});
