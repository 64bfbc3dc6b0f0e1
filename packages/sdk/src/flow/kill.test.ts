/**
 * Killing a real installer process at each labelled point of enroll(), then running it again:
 * the second run finishes, with one account, one request and one certificate at the CA, the live
 * key and certificate matching, and no secret outside the credential store. The installer is a
 * child process running the built SDK (dist/, which `npm test` builds first); it kills itself
 * with SIGKILL (no cleanup, no flush) when the chosen progress event arrives. The person at the
 * browser is this test, acting on the URLs the child reports over IPC.
 */
import { fork } from 'node:child_process';
import { freePort } from '../../../../server-reference/src/ca/test-support/challtestsrv.js';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { importPrivateKeyPem, keysMatch, parseCertificate } from '@certwizard/pki';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openFileStore } from '../credentials/file-store.js';
import { decideOnAccountPage, EMAIL, PASSWORD, startTestCa, type TestCa } from '../enroll/test-support/reference-ca.js';
import { installationTokenKey } from '../methods/cacert/credential-keys.js';
import type { EnrollFlowEvent } from './enroll.js';
import { submitRegistration } from './test-support/person.js';

const sdkDir = fileURLToPath(new URL('../../', import.meta.url));
const srcDir = fileURLToPath(new URL('./', import.meta.url));
const CHILD_TIMEOUT_MS = 30_000;
/** The person types another address than the prefilled one: the request then waits for approval. */
const TYPED = 'ada.other@example.org';

// The installer: the public SDK API only, from dist/. Its configuration holds no secret.
const CHILD_SCRIPT = `
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const { enroll, openFileStore, sslApiMethod } = await import(pathToFileURL(config.sdk).href);
const sslApi = config.method === 'ssl-api';
// A mail server's installer: ExampleMail runs in this process (as on the vendor's machine) on the
// port the CA relays to, and its mail hook answers the CA's pings.
const server = config.method === 'dns-mail';
const mail = server ? await (await import(pathToFileURL(config.mailServer).href)).startExampleMail({ dataDir: config.mailDir, port: config.smtpPort }) : undefined;
const emailPing = mail === undefined ? {} : { emailPing: { nonces: await mail.enableCertwizard({ caOrigin: new URL(config.caUrl).origin, pingFrom: config.pingFrom }) } };
const matches = (event, kill) => kill !== null && Object.entries(kill).every(([k, v]) =>
  k === 'event' ? Object.entries(v).every(([ek, ev]) => event.event?.[ek] === ev) : event[k] === v);
const send = (message) => new Promise((resolve) => process.send(message, resolve));
const credentials = await openFileStore({ dir: config.secretsDir });
try {
  const result = await enroll({
    caUrl: config.caUrl, name: 'mail', baseDir: config.baseDir,
    names: sslApi ? { dns: [config.dns] } : server ? { dns: [config.host] } : { email: [config.email] },
    ...emailPing,
    verification: { pollIntervalMs: 30, maxPollIntervalMs: 100, timeoutMs: 20000 },
    ...(sslApi ? { method: sslApiMethod({ caUrl: config.caUrl, client: 'vendor1' }) } : {}),
    credentials, trustAnchorsPem: config.caPem,
    registration: {
      prefill: { emailAddress: { value: server ? config.postmaster : config.email, sure: true } },
      opener: async (url) => { await send({ type: 'show', url }); },
      display: async ({ url }) => { await send({ type: 'show', url }); },
      pollIntervalMs: 30,
    },
    waiting: { pollIntervalMs: 30, maxPollIntervalMs: 100, timeoutMs: 20000 },
    onEvent: (event) => {
      process.send({ type: 'event', event });
      if (matches(event, config.kill)) process.kill(process.pid, 'SIGKILL');
    },
  });
  await send({ type: 'done', version: result.installed.version, resumed: result.resumed });
  process.exit(0);
} catch (error) {
  await send({ type: 'failed', code: error?.code, message: String(error?.message) });
  process.exit(1);
}
`;

/** Where to kill: a progress event, matched on its fields (and its inner event's, for nested ones). */
const KILL_POINTS: Array<{ label: string; kill: Record<string, unknown> }> = [
  { label: 'step prepare-key', kill: { type: 'step', step: 'prepare-key' } },
  { label: 'step register (key and request on disk)', kill: { type: 'step', step: 'register' } },
  { label: 'registration page about to show (ticket kept)', kill: { type: 'registration', event: { type: 'waiting' } } },
  { label: 'registration done, code not yet redeemed', kill: { type: 'registration', event: { type: 'redeeming' } } },
  // The CA redeems a code once: the token the SDK kept before asking is what carries on.
  { label: 'code redeemed, token not yet stored', kill: { type: 'registration', event: { type: 'registered' } } },
  // The slot says the request went with the registration: the resumed run must not ping the
  // prefilled address (the person typed another one, so that ping would wait for a day).
  { label: 'step verify-email (the slot is read back)', kill: { type: 'step', step: 'verify-email' } },
  { label: 'step submit (token stored)', kill: { type: 'step', step: 'submit' } },
  { label: 'request found at the CA', kill: { type: 'request-found' } },
  { label: 'step await-issue (request pending)', kill: { type: 'step', step: 'await-issue' } },
  { label: 'polling the pending request', kill: { type: 'enrollment', event: { type: 'polling' } } },
  { label: 'step install (certificate issued)', kill: { type: 'step', step: 'install' } },
  { label: 'step done (certificate live)', kill: { type: 'step', step: 'done' } },
];

/** The ssl-api method, killed at the start of each step: no account, no verification, issued at once. */
const SSL_API_KILL_POINTS: Array<{ label: string; kill: Record<string, unknown> }> = [
  'prepare-key',
  'register',
  'verify-email',
  'submit',
  'install',
  'done',
].map((step) => ({ label: `step ${step}`, kill: { type: 'step', step } }));
const DNS = 'mail.example.org';

/** A mail server's own certificate: its domain verified by a ping its mail hook answers (issue 13). */
const HOST = 'mail.examplemail.test';
const POSTMASTER = 'postmaster@examplemail.test';
const PING_FROM = 'ping@ca.example';
const SERVER_KILL_POINTS: Array<{ label: string; kill: Record<string, unknown> }> = [
  { label: 'step register (key and request on disk)', kill: { type: 'step', step: 'register' } },
  { label: 'registration done, code not yet redeemed', kill: { type: 'registration', event: { type: 'redeeming' } } },
  { label: 'step verify-email (the account exists)', kill: { type: 'step', step: 'verify-email' } },
  // The CA took the domain and mailed the ping: the hook may or may not have answered it yet.
  // (No point at the domain's 'waiting': the hook often answers before the first wait.)
  { label: 'domain ping sent', kill: { type: 'domain', event: { type: 'verifying' } } },
  // Verified at the CA, not yet recorded in the state: the next run asks and skips it.
  { label: 'domain verified, step not yet recorded', kill: { type: 'domain', event: { type: 'verified' } } },
  { label: 'step submit', kill: { type: 'step', step: 'submit' } },
  { label: 'step install (certificate issued)', kill: { type: 'step', step: 'install' } },
  { label: 'step done (certificate live)', kill: { type: 'step', step: 'done' } },
];

let ca: TestCa;
let dir: string;
let root: string;
let script: string;

beforeAll(() => {
  const built = join(sdkDir, 'dist', 'index.js');
  if (!existsSync(built)) throw new Error(`${built} is missing: run \`npx tsc -b packages/sdk\` first (npm test does)`);
  for (const name of ['enroll', 'default-method', 'state-file', 'errors']) {
    if (statSync(join(srcDir, `${name}.ts`)).mtimeMs > statSync(join(sdkDir, 'dist', 'flow', `${name}.js`)).mtimeMs) {
      throw new Error(`dist/flow/${name}.js is older than its source: run \`npx tsc -b packages/sdk\``);
    }
  }
  root = mkdtempSync(join(tmpdir(), 'certwizard-flow-kill-'));
  script = join(root, 'installer.mjs');
  writeFileSync(script, CHILD_SCRIPT);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));
beforeEach(async () => {
  ca = await startTestCa({ retryAfterSeconds: 1 });
  dir = mkdtempSync(join(root, 'run-'));
});
afterEach(() => ca.dispose());

/** What the person has done so far: each act happens once, whichever run asks for it. */
interface Person {
  submitted: boolean;
  approved: boolean;
}

/** Runs the installer until it exits; the person acts on what it reports. */
async function runInstaller(
  person: Person,
  kill: Record<string, unknown> | null,
  method: 'cacert' | 'ssl-api' | 'dns-mail' = 'cacert',
  smtpPort = 0,
): Promise<{ code: number | null; signal: NodeJS.Signals | null; last?: Record<string, unknown> }> {
  const configFile = join(dir, `config-${Date.now()}.json`);
  writeFileSync(
    configFile,
    JSON.stringify({
      sdk: join(sdkDir, 'dist', 'index.js'),
      caUrl: ca.url,
      caPem: ca.caCertPem,
      email: EMAIL,
      dns: DNS,
      host: HOST,
      postmaster: POSTMASTER,
      pingFrom: PING_FROM,
      mailServer: join(sdkDir, '..', '..', 'examples', 'mailserver', 'mail-server.mjs'),
      mailDir: join(dir, 'mail'),
      smtpPort,
      method,
      baseDir: join(dir, 'certs'),
      secretsDir: join(dir, 'secrets'),
      kill,
    }),
  );
  const child = fork(script, [configFile], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'], execArgv: [] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => void (stderr += chunk.toString()));
  let last: Record<string, unknown> | undefined;
  const acts: Array<Promise<void>> = [];
  child.on('message', (message: { type: string; url?: string; event?: EnrollFlowEvent }) => {
    last = message as Record<string, unknown>;
    if (message.type === 'show' && !person.submitted) {
      person.submitted = true;
      // A mail server's installer: the prefilled postmaster address, confirmed by the mail hook.
      acts.push(submitRegistration(message.url as string, method === 'dns-mail' ? { skipConfirmation: true } : { email: TYPED }));
    }
    const event = message.event;
    if (event?.type === 'enrollment' && event.event.type === 'polling' && !person.approved) {
      person.approved = true;
      acts.push(decideOnAccountPage(ca, event.event.requestId, 'approve', TYPED));
    }
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), CHILD_TIMEOUT_MS);
  const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  clearTimeout(timer);
  await Promise.all(acts);
  if (exit.code !== 0 && exit.signal !== 'SIGKILL') throw new Error(`installer failed (${exit.code}): ${JSON.stringify(last)}\n${stderr}`);
  return { ...exit, ...(last === undefined ? {} : { last }) };
}

/** Installations of the account that still have a live token, as its owner sees them on the account page. */
async function liveTokens(email = TYPED): Promise<number> {
  const login = await fetch(`${ca.url}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ EmailAddress: email, Password: PASSWORD }).toString(),
  });
  const cookie = (login.headers.get('set-cookie') as string).split(';')[0] as string;
  const page = await (await fetch(`${ca.url}/account`, { headers: { cookie } })).text();
  return (page.match(/aria-label="Revoke installation \d+"/g) ?? []).length;
}

describe('enroll() killed with SIGKILL at each labelled point', () => {
  it.each(KILL_POINTS)('at $label: the next run finishes with one account, request and certificate', async ({ kill }) => {
    const person: Person = { submitted: false, approved: false };
    const killed = await runInstaller(person, kill);
    expect(killed.signal).toBe('SIGKILL');

    const rerun = await runInstaller(person, null);
    expect(rerun).toMatchObject({ code: 0, last: { type: 'done' } });

    expect(await ca.counts()).toMatchObject({ accounts: 1, certificate_requests: 1, certificates: 1 });
    // One live token: a run killed after the CA answered redeems its kept code again, and the CA
    // revokes the lost token when it issues the fresh one.
    expect(await liveTokens()).toBe(1);
    const base = join(dir, 'certs');
    const live = join(base, 'live', 'mail');
    const key = importPrivateKeyPem(readFileSync(join(live, 'privkey.pem'), 'utf8'));
    const certificate = parseCertificate(readFileSync(join(live, 'cert.pem'), 'utf8'));
    expect(keysMatch(key, certificate.publicKey)).toBe(true);
    expect(certificate.subjectAltNames.email).toEqual([TYPED]);
    expect((await ca.certificate(certificate.serialNumberHex))?.pem.trim()).toBe(certificate.pem.trim());
    expect(statSync(join(live, 'privkey.pem')).mode & 0o777).toBe(0o600);

    const token = await (await openFileStore({ dir: join(dir, 'secrets') })).get(installationTokenKey(new URL(ca.url).origin));
    expect(token).toBeDefined();
    for (const entry of readdirSync(base, { recursive: true, withFileTypes: true })) {
      if (entry.isFile()) expect(readFileSync(join(entry.parentPath, entry.name), 'latin1')).not.toContain(token);
    }
    expect(readdirSync(join(base, 'enrollments'))).toEqual(['mail.json']);
  });
});

describe('enroll() with the ssl-api method killed with SIGKILL at each step', () => {
  it.each(SSL_API_KILL_POINTS)('at $label: the next run resumes from the slot and finishes with one certificate', async ({ kill }) => {
    const person: Person = { submitted: true, approved: true }; // nobody at a browser: ssl_api has no accounts
    const killed = await runInstaller(person, kill, 'ssl-api');
    expect(killed.signal).toBe('SIGKILL');
    const rerun = await runInstaller(person, null, 'ssl-api');
    expect(rerun).toMatchObject({ code: 0, last: { type: 'done' } });

    expect(await ca.counts()).toMatchObject({ accounts: 0, certificates: 1 });
    const live = join(dir, 'certs', 'live', 'mail');
    const key = importPrivateKeyPem(readFileSync(join(live, 'privkey.pem'), 'utf8'));
    const certificate = parseCertificate(readFileSync(join(live, 'cert.pem'), 'utf8'));
    expect(keysMatch(key, certificate.publicKey)).toBe(true);
    expect(certificate.subjectAltNames.dns).toEqual([DNS]);
    expect((await ca.certificate(certificate.serialNumberHex))?.pem.trim()).toBe(certificate.pem.trim());
    expect(readdirSync(join(dir, 'certs', 'enrollments'))).toEqual(['mail.json']);
    expect(JSON.parse(readFileSync(join(dir, 'certs', 'enrollments', 'mail.json'), 'utf8'))).toMatchObject({
      version: 2,
      step: 'done',
      accountEmail: null,
      method: { name: 'ssl-api', version: 1, state: null },
    });
  });
});

describe('enroll() of a server certificate, its domain verified by a ping the mail hook answers, killed with SIGKILL at each point', () => {
  it.each(SERVER_KILL_POINTS)('at $label: the next run finishes with one account, a verified domain and one serverAuth certificate', async ({ kill }) => {
    const smtpPort = await freePort();
    await ca.dispose();
    ca = await startTestCa({ retryAfterSeconds: 1, smtp: `127.0.0.1:${smtpPort}`, pingFrom: PING_FROM });
    const person: Person = { submitted: false, approved: true }; // issued at once: nothing to approve
    const killed = await runInstaller(person, kill, 'dns-mail', smtpPort);
    expect(killed.signal).toBe('SIGKILL');
    const rerun = await runInstaller(person, null, 'dns-mail', smtpPort);
    expect(rerun).toMatchObject({ code: 0, last: { type: 'done' } });

    expect(await ca.counts()).toMatchObject({ accounts: 1, certificate_requests: 1, certificates: 1 });
    expect(await liveTokens(POSTMASTER)).toBe(1);
    const live = join(dir, 'certs', 'live', 'mail');
    const key = importPrivateKeyPem(readFileSync(join(live, 'privkey.pem'), 'utf8'));
    const certificate = parseCertificate(readFileSync(join(live, 'cert.pem'), 'utf8'));
    expect(keysMatch(key, certificate.publicKey)).toBe(true);
    expect(certificate.subjectAltNames).toEqual({ dns: [HOST], email: [], ip: [] });
    expect(certificate.extendedKeyUsage).toEqual(['serverAuth']);
    // At most one ping more than needed: the one a killed run had sent may have gone unanswered.
    const pings = readdirSync(join(dir, 'mail', 'mailboxes', POSTMASTER)).map((f) => readFileSync(join(dir, 'mail', 'mailboxes', POSTMASTER, f), 'utf8'));
    expect(pings.filter((m) => /Confirm a domain/.test(m)).length).toBeGreaterThanOrEqual(1);
    expect(pings.filter((m) => /Confirm a domain/.test(m)).length).toBeLessThanOrEqual(2);
    expect(readdirSync(join(dir, 'certs', 'enrollments'))).toEqual(['mail.json']);
  });
});
