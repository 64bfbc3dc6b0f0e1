/**
 * The SCEP method against the real reference CA's `/scep` (RFC 8894): issued with a one-time PIN
 * from the real `certwizard-ca scep-pin`; without a PIN pending in the operator queue, approved
 * there, then CertPoll returns it; a wrong PIN rejected; a renewal through RenewalReq signed by
 * the old pair; forged CertReps (another signer, a replayed answer with another recipientNonce)
 * served by a relay on 127.0.0.1:0 refused; a pinned fingerprint mismatch refused before any
 * PKIOperation; a pending request resumed by a second enroll() run after the first was stopped.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createCsr, generateKeyPair, parseCertificate, publicKeyDer } from '@certwizard/pki';
import { buildCertRep, createTransientSigner, parseScepRequest } from '@certwizard/scep';
import { afterEach, describe, expect, it } from 'vitest';
import { openFileStore } from '../../credentials/file-store.js';
import { accountWithToken, approveOnAccountPage, EMAIL, PASSWORD, startTestCa, type TestCa } from '../../enroll/test-support/reference-ca.js';
import { enroll } from '../../flow/default-method.js';
import { renew } from '../../flow/renew.js';
import { readState, statePaths } from '../../flow/state-file.js';
import { nodeFileSystem } from '../../install/file-system.js';
import { scepMethod } from './scep-method.js';
import type { ScepState } from './scep-state.js';

const CA_BIN = fileURLToPath(new URL('../../../../../server-reference/dist/bin.js', import.meta.url));
const DNS = 'scep.example.org';

let ca: TestCa | undefined;
let relay: Server | undefined;
const dirs: string[] = [];
afterEach(async () => {
  await new Promise<void>((resolve) => (relay === undefined ? resolve() : relay.close(() => resolve())));
  await ca?.dispose();
  ca = relay = undefined;
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A PIN from the real `certwizard-ca scep-pin` (stdout: the PIN alone; needs `npx tsc -b`). */
async function makePin(c: TestCa, dns: string): Promise<string> {
  const { stdout } = await promisify(execFile)(process.execPath, [CA_BIN, 'scep-pin', '--data', c.dataDir, '--dns', dns, '--ttl', '1h']);
  return stdout.trim();
}

const fingerprintOf = (c: TestCa) => parseCertificate(c.caCertPem).der;
const sha256 = async (der: Uint8Array) => (await import('./scep-state.js')).sha256Hex(der);

/** An RSA-2048 key and a request for `dns`, with `pin` as its challengePassword when given. */
function keyAndCsr(dns: string, pin?: string) {
  const { privateKey } = generateKeyPair('rsa2048');
  const csr = createCsr({
    privateKey,
    subjectAltNames: { dns: [dns] },
    ...(pin === undefined ? {} : { challengePassword: pin }),
  });
  return { privateKey, csrPem: csr.pem };
}

/** Approves a held request in the operator queue, as H3's endpoint test does (login, csrf, approve). */
async function approveAsOperator(c: TestCa, requestId: string): Promise<void> {
  await c.addOperator('ops@ca.example', 'operator password 1');
  const form = (url: string, fields: Record<string, string>, headers: Record<string, string> = {}) =>
    fetch(url, {
      method: 'POST',
      redirect: 'manual',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        ...headers,
      },
      body: new URLSearchParams(fields).toString(),
    });
  const login = await form(`${c.url}/operator/login`, {
    EmailAddress: 'ops@ca.example',
    Password: 'operator password 1',
  });
  const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  const page = await (await fetch(`${c.url}/operator/queue`, { headers: { cookie } })).text();
  const csrf = /name="csrf" value="([^"]+)"/.exec(page)?.[1] ?? '';
  const approved = await form(`${c.url}/operator/requests/${requestId}/approve`, { csrf }, { cookie });
  expect(approved.status).toBe(303);
}

/** enroll()'s options for one certificate of `dns` at the SCEP URL `url`, in a fresh folder. */
async function enrollOptions(url: string, c: TestCa, method: ReturnType<typeof scepMethod>, dns = DNS) {
  const baseDir = tempDir();
  return {
    caUrl: url,
    name: 'scep',
    baseDir,
    names: { dns: [dns] },
    credentials: await openFileStore({ dir: join(baseDir, 'credentials') }),
    trustAnchorsPem: c.caCertPem,
    method,
  };
}

/** The method's state after its account step, pinned to the test CA. */
async function accountOf(method: ReturnType<typeof scepMethod>): Promise<ScepState> {
  const credentials = await openFileStore({ dir: tempDir() });
  const outcome = await method.ensureAccount?.({
    request: { csrPem: '' },
    credentials,
  });
  return outcome?.state as ScepState;
}

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'scep-sdk-'));
  dirs.push(dir);
  return dir;
}

/** A relay on 127.0.0.1:0 to the CA's /scep that counts PKIOperations and may rewrite their answers. */
async function startRelay(
  target: string,
  rewrite?: (answer: Uint8Array, request: Uint8Array) => Uint8Array,
): Promise<{ url: string; pkiOperations: () => number; pkiOperationPaths: () => string[] }> {
  const paths: string[] = [];
  relay = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const url = new URL(req.url ?? '/', target);
        const body = Buffer.concat(chunks);
        if (url.searchParams.get('operation') === 'PKIOperation') paths.push(url.pathname);
        const answer = await fetch(new URL(`${url.pathname}${url.search}`, target), {
          method: req.method ?? 'GET',
          ...(body.length > 0
            ? {
                body,
                headers: {
                  'content-type': req.headers['content-type'] ?? 'application/x-pki-message',
                },
              }
            : {}),
        });
        let bytes = new Uint8Array(await answer.arrayBuffer());
        if (rewrite !== undefined && url.searchParams.get('operation') === 'PKIOperation') {
          const message = body.length > 0 ? new Uint8Array(body) : new Uint8Array(Buffer.from(url.searchParams.get('message') ?? '', 'base64'));
          bytes = rewrite(bytes, message);
        }
        res.writeHead(answer.status, {
          'content-type': answer.headers.get('content-type') ?? 'application/octet-stream',
        });
        res.end(bytes);
      })().catch((error: unknown) => res.destroy(error as Error));
    });
  });
  await new Promise<void>((resolve) => relay?.listen(0, '127.0.0.1', resolve));
  const { port } = relay.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/scep`, pkiOperations: () => paths.length, pkiOperationPaths: () => [...paths] };
}

describe('scepMethod against the reference CA', () => {
  it('issues with a PIN through enroll(): an RSA-2048 key by default, the CA pinned in the state', async () => {
    ca = await startTestCa();
    const seen: unknown[] = [];
    const method = scepMethod({
      url: `${ca.url}/scep`,
      pin: await makePin(ca, DNS),
      onCaFingerprints: (f) => (seen.push(f), true),
    });
    const result = await enroll(await enrollOptions(`${ca.url}/scep`, ca, method));
    const leaf = parseCertificate(readFileSync(result.installed.paths.cert, 'utf8'));
    expect(leaf.subjectAltNames.dns).toEqual([DNS]);
    expect(leaf.publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
    expect(seen).toEqual([expect.objectContaining({ caSha256: await sha256(fingerprintOf(ca)) })]);
  });

  it('waits in the operator queue without a PIN; once approved, poll returns the certificate', async () => {
    ca = await startTestCa();
    const method = scepMethod({
      url: `${ca.url}/scep`,
      pinnedCaFingerprintSha256: await sha256(fingerprintOf(ca)),
    });
    const state = await accountOf(method);
    const { privateKey, csrPem } = keyAndCsr('queued.example.org');
    const request = { csrPem, privateKey };
    const pending = await method.submit(request, { state });
    expect(pending).toMatchObject({ status: 'pending' });
    if (pending.status !== 'pending') throw new Error('not pending');
    expect(await method.poll?.(pending, { state, request })).toMatchObject({
      status: 'pending',
    });
    const [stored] = (await ca.rows()).certificate_requests as Array<{
      id: string;
    }>;
    await approveAsOperator(ca, stored?.id ?? '');
    const issued = await method.poll?.(pending, { state, request });
    expect(issued).toMatchObject({ status: 'issued' });
  });

  it('turns a wrong PIN into a rejection with the failInfo, and consumes nothing', async () => {
    ca = await startTestCa();
    const pin = await makePin(ca, DNS);
    const method = scepMethod({
      url: `${ca.url}/scep`,
      pin: `${pin}x`,
      pinnedCaFingerprintSha256: await sha256(fingerprintOf(ca)),
    });
    const state = await accountOf(method);
    const { privateKey, csrPem } = keyAndCsr(DNS, `${pin}x`);
    expect(await method.submit({ csrPem, privateKey }, { state })).toMatchObject({ status: 'rejected', caCode: 'badRequest' });
    // The right PIN was not consumed by the refused request: it still issues.
    const right = keyAndCsr(DNS, pin);
    const withRight = scepMethod({ url: `${ca.url}/scep`, pin, pinnedCaFingerprintSha256: await sha256(fingerprintOf(ca)) });
    expect(await withRight.submit(right, { state })).toMatchObject({ status: 'issued' });
  });

  it('renews through RenewalReq signed by the old certificate and key', async () => {
    ca = await startTestCa();
    const pin = await makePin(ca, DNS);
    const method = scepMethod({
      url: `${ca.url}/scep`,
      pin,
      pinnedCaFingerprintSha256: await sha256(fingerprintOf(ca)),
    });
    const state = await accountOf(method);
    const first = keyAndCsr(DNS, pin);
    const old = await method.submit({ csrPem: first.csrPem, privateKey: first.privateKey }, { state });
    if (old.status !== 'issued') throw new Error(`not issued: ${JSON.stringify(old)}`);
    const next = keyAndCsr(DNS);
    const renewed = await method.submit(
      {
        csrPem: next.csrPem,
        privateKey: next.privateKey,
        renewing: {
          certificatePem: old.certificatePem,
          privateKey: first.privateKey,
        },
      },
      { state },
    );
    expect(renewed).toMatchObject({ status: 'issued' });
    if (renewed.status === 'issued') expect(parseCertificate(renewed.certificatePem).publicKeyDer).toEqual(publicKeyDer(next.privateKey));
  });

  it.each(['another signer', 'a replayed answer (another recipientNonce)'])('refuses a forged CertRep: %s', async (forgery) => {
    ca = await startTestCa();
    const target = ca.url;
    let earlier: Uint8Array | undefined;
    const stranger = generateKeyPair('rsa2048').privateKey;
    const strangerSigner = createTransientSigner({
      privateKey: stranger,
      subjectDer: parseCertificate(ca.caCertPem).subjectDer,
    });
    const forged = await startRelay(target, (answer, request) => {
      if (forgery === 'another signer') {
        const parsed = parseScepRequest(request);
        return buildCertRep({
          reply: { status: 'PENDING' },
          transactionId: parsed.transactionId,
          recipientNonce: parsed.senderNonce,
          signer: strangerSigner,
          recipientCertificateDer: parsed.signerCertificateDer,
        });
      }
      const replay = earlier ?? answer;
      earlier ??= answer;
      return replay;
    });
    const method = scepMethod({
      url: forged.url,
      pinnedCaFingerprintSha256: await sha256(fingerprintOf(ca)),
    });
    const state = await accountOf(method);
    const { privateKey, csrPem } = keyAndCsr('forged.example.org');
    const request = { csrPem, privateKey };
    if (forgery === 'another signer') {
      await expect(method.submit(request, { state })).rejects.toMatchObject({
        code: 'ERR_SDK_CA_PROTOCOL',
      });
    } else {
      // The first answer (PENDING, to the PKCSReq) passes; every later one is that answer again.
      const pending = await method.submit(request, { state });
      expect(pending).toMatchObject({ status: 'pending' });
      if (pending.status !== 'pending') throw new Error('not pending');
      await expect(method.poll?.(pending, { state, request })).rejects.toMatchObject({ code: 'ERR_SDK_CA_PROTOCOL' });
    }
  });

  it('refuses a CA whose certificate is not the pinned one before any PKIOperation', async () => {
    ca = await startTestCa();
    const watched = await startRelay(ca.url);
    const method = scepMethod({
      url: watched.url,
      pin: 'unused-pin',
      pinnedCaFingerprintSha256: 'ab'.repeat(32),
    });
    await expect(enroll(await enrollOptions(watched.url, ca, method))).rejects.toMatchObject({ code: 'ERR_SDK_SCEP_CA_UNTRUSTED' });
    expect(watched.pkiOperations()).toBe(0);
  });

  it('resumes a pending request after the run was stopped: a second enroll() polls the same transaction', async () => {
    ca = await startTestCa();
    const method = scepMethod({ url: `${ca.url}/scep`, pinnedCaFingerprintSha256: await sha256(fingerprintOf(ca)) });
    const options = await enrollOptions(`${ca.url}/scep`, ca, method, 'resume.example.org');
    const stop = new AbortController();
    const first = enroll({
      ...options,
      signal: stop.signal,
      onEvent: (e) => (e.type === 'enrollment' && e.event.type === 'pending' ? stop.abort(new Error('crash')) : undefined),
    });
    await expect(first).rejects.toBeDefined();
    const [stored] = (await ca.rows()).certificate_requests as Array<{
      id: string;
    }>;
    await approveAsOperator(ca, stored?.id ?? '');
    const second = await enroll(options);
    expect(second.resumed).toBe(true);
    expect(second.installed.names).toEqual(['resume.example.org']);
  });

  it('renew() of a SCEP enrollment finds the method from its slot and renews through RenewalReq, no PIN', async () => {
    ca = await startTestCa();
    const method = scepMethod({ url: `${ca.url}/scep`, pin: await makePin(ca, DNS), pinnedCaFingerprintSha256: await sha256(fingerprintOf(ca)) });
    const options = await enrollOptions(`${ca.url}/scep`, ca, method);
    const first = await enroll(options);
    const renewed = await renew({ name: 'scep', baseDir: options.baseDir, credentials: options.credentials, trustAnchorsPem: ca.caCertPem, force: true });
    expect(renewed).toMatchObject({ name: 'scep', status: 'renewed' });
    const live = parseCertificate(readFileSync(first.installed.paths.cert, 'utf8'));
    expect(live.fingerprintSha256).not.toBe(parseCertificate(readFileSync(join(options.baseDir, 'archive', 'scep', 'cert1.pem'), 'utf8')).fingerprintSha256);
    expect(live.subjectAltNames.dns).toEqual([DNS]);
    expect(live.publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
  });

  it('renew() of an enrollment on a personal SCEP URL renews through that URL, recorded in the slot', async () => {
    ca = await startTestCa();
    await accountWithToken(ca);
    const personalPath = new URL(await personalScepUrl(ca)).pathname;
    // A relay on 127.0.0.1:0 before the CA shows which URL each PKIOperation went to.
    const watched = await startRelay(ca.url);
    const url = new URL(personalPath, watched.url).href;
    const method = scepMethod({ url, pinnedCaFingerprintSha256: await sha256(fingerprintOf(ca)) });
    const options = await enrollOptions(url, ca, method, 'personal.example.org');
    const stop = new AbortController();
    const held = enroll({
      ...options,
      signal: stop.signal,
      onEvent: (e) => (e.type === 'enrollment' && e.event.type === 'pending' ? stop.abort(new Error('stopped')) : undefined),
    });
    await expect(held).rejects.toBeDefined();
    const [request] = (await ca.rows()).certificate_requests as Array<{ id: string }>;
    // Held for the owner of the personal URL: the owner approves it on the account page.
    await approveOnAccountPage(ca, request?.id ?? '');
    await enroll(options);
    const state = await readState(nodeFileSystem, statePaths(join(options.baseDir, 'enrollments'), 'scep'));
    expect(state?.step === 'done' ? state.method : undefined).toMatchObject({ name: 'scep', version: 2, state: { url } });

    const before = watched.pkiOperationPaths().length;
    const renewed = await renew({ name: 'scep', baseDir: options.baseDir, credentials: options.credentials, trustAnchorsPem: ca.caCertPem, force: true });
    expect(renewed).toMatchObject({ name: 'scep', status: 'renewed' });
    const renewal = watched.pkiOperationPaths().slice(before);
    expect(renewal.length).toBeGreaterThan(0);
    expect(new Set(renewal)).toEqual(new Set([personalPath]));
    // On the CA: two requests of the owner's account, both through SCEP, both issued.
    const owner = (await ca.account(EMAIL))?.id;
    const rows = (await ca.rows()).certificate_requests as Array<{ status: string; account_id: number | null; source: string }>;
    expect(rows.map((r) => [r.status, r.account_id, r.source])).toEqual([
      ['issued', owner, 'scep'],
      ['issued', owner, 'scep'],
    ]);
  });
});

/** The owner's personal SCEP URL, made on the account page as a person does (POST /account/scep/url). */
async function personalScepUrl(c: TestCa): Promise<string> {
  const login = await fetch(`${c.url}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ EmailAddress: EMAIL, Password: PASSWORD }).toString(),
  });
  const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  const page = async () => (await fetch(`${c.url}/account`, { headers: { cookie } })).text();
  const csrf = /name="csrf" value="([^"]+)"/.exec(await page())?.[1] ?? '';
  const made = await fetch(`${c.url}/account/scep/url`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie, origin: new URL(c.url).origin },
    body: new URLSearchParams({ csrf }).toString(),
  });
  expect(made.status).toBe(303);
  const url = /<code id="scep-url">([^<]+)<\/code>/.exec(await page())?.[1];
  if (url === undefined) throw new Error('no personal SCEP URL on the account page');
  return url;
}
