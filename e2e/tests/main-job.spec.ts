/**
 * Issues 6 and 13, the main job: what `npm start` runs (examples/mailserver/demo.mjs) as a child
 * process on a machine without a display: ExampleMail with the mail hook, the dev CA relaying its
 * mail to it, and ExampleMail's installer wizard. A newcomer opens the printed wizard address in
 * Chromium, clicks through (the server's host name prefilled), registers at the CA in a new tab,
 * and opens no mail at all: the CA's confirmation of the account's address and its verification
 * of the domain examplemail.test are email pings that ExampleMail answers by itself. The TLS server
 * certificate for mail.examplemail.test ends up in the demo's folder and ExampleMail serves it:
 * the wizard's proof line, `openssl s_client -starttls smtp ... -verify_return_error`, is run for
 * real. A second certificate installed by the SDK's install() with ExampleMail's reload is served
 * without a restart. Ctrl-C stops everything cleanly. Each step is screenshotted and checked with
 * axe-core.
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCsr, generateKeyPair, parseCertificateChain } from '@certwizard/pki';
import { install } from '@certwizard/sdk';
import { test as base, expect, type Page } from '@playwright/test';
import { completeForm, PASSWORD } from './support/registration-form.js';
import { checkStep, watchCsp } from './support/wizard-checks.js';

const DEMO = fileURLToPath(new URL('../../examples/mailserver/demo.mjs', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const POSTMASTER = 'postmaster@examplemail.test';
const MAIL_HOST = 'mail.examplemail.test';
const RELOAD = fileURLToPath(new URL('../../examples/mailserver/reload.mjs', import.meta.url));
const OPENSSL_TIMEOUT_MS = 15_000;
const START_TIMEOUT_MS = 30_000;

/** The demo as `npm start` runs it, in a temporary folder, on free ports, with no display. */
interface Demo {
  readonly dir: string;
  readonly wizardUrl: string;
  readonly caUrl: string;
  output(): string;
  /** Ctrl-C: resolves with the exit code. */
  interrupt(): Promise<number | null>;
}

/**
 * Starts the demo as `npm start` does, in a temporary folder on free ports; `env` is added to
 * this process's environment without DISPLAY and WAYLAND_DISPLAY (a machine without a display).
 */
async function startDemo(env: NodeJS.ProcessEnv = {}): Promise<Demo & { stop(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'certwizard-e2e-demo-'));
  const childEnv = { ...process.env };
  delete childEnv.DISPLAY;
  delete childEnv.WAYLAND_DISPLAY;
  const child: ChildProcess = spawn(process.execPath, [DEMO, '--dir', dir, '--ca-port', '0', '--wizard-port', '0'], {
    env: { ...childEnv, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (chunk: Buffer) => void (out += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => void (out += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (!/Ctrl-C stops everything/.test(out) && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 100));
  const wizardUrl = /the installer wizard\s+(http:\/\/127\.0\.0\.1:\d+\/\?t=\S+)/.exec(out)?.[1];
  const caUrl = /the CA\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1];
  if (wizardUrl === undefined || caUrl === undefined) {
    await stop();
    throw new Error(`the demo did not print its URLs:\n${out}`);
  }
  return {
    dir,
    wizardUrl,
    caUrl,
    output: () => out,
    interrupt: async () => {
      child.kill('SIGINT');
      return exited;
    },
    stop,
  };
}

const test = base.extend<{ demo: Demo }>({
  // eslint-disable-next-line no-empty-pattern -- Playwright reads fixture names from this pattern.
  demo: async ({}, use) => {
    const demo = await startDemo();
    try {
      await use(demo);
    } finally {
      await demo.stop();
    }
  },
});

const stepHeading = (page: Page, name: string | RegExp) => page.getByRole('heading', { level: 1, name });

/** What `openssl s_client` said, and the certificate the server presented. */
interface Handshake {
  readonly ok: boolean;
  readonly output: string;
  readonly served: X509Certificate | undefined;
}

/**
 * Runs the proof line as the person would paste it (split on spaces: it holds no quoted part),
 * with stdin closed so that s_client ends after the handshake, and killed after a bounded time.
 */
function runProof(command: string): Promise<Handshake> {
  const [program, ...args] = command.split(' ');
  expect(program).toBe('openssl');
  return new Promise((resolve) => {
    const child = execFile('openssl', args, { timeout: OPENSSL_TIMEOUT_MS, killSignal: 'SIGKILL' }, (error, stdout, stderr) => {
      const pem = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(stdout)?.[0];
      resolve({ ok: error === null, output: `${stdout}\n${stderr}`, served: pem === undefined ? undefined : new X509Certificate(pem) });
    });
    child.stdin?.end();
  });
}

/** Serials compared as numbers: hex case and leading zeros differ between tools. */
const serialOf = (hex: string) => BigInt(`0x${hex}`).toString(16);

test('npm start on a machine without a display: URLs printed, the wizard installs the certificate, the ping answered by ExampleMail', async ({
  demo,
  page,
  context,
}, testInfo) => {
  const csp = watchCsp(page);
  // No display: the demo says so and prints every address instead of opening a browser.
  expect(demo.output()).toContain('Open the wizard address above in a browser on this machine.');
  expect(demo.output()).toMatch(/ExampleMail \(SMTP\)\s+127\.0\.0\.1:\d+/);

  await page.goto(demo.wizardUrl);
  await expect(stepHeading(page, 'Welcome to the ExampleMail certificate wizard')).toBeVisible();
  await expect(page.getByRole('img', { name: 'ExampleMail logo' })).toBeVisible();
  await checkStep(page, testInfo, 'main-01-welcome');
  await page.getByRole('button', { name: 'Start' }).click();

  await expect(stepHeading(page, 'Your details')).toBeVisible();
  await expect(page.getByLabel('Email address')).toHaveValue(POSTMASTER);
  // The server's name, prefilled by the installer, with the domain the CA verifies and how.
  await expect(page.getByLabel('Server host names')).toHaveValue(MAIL_HOST);
  await expect(page.locator('#hostNames-checked')).toHaveText(
    `${MAIL_HOST}: the CA verifies the domain examplemail.test by a mail to ${POSTMASTER}, which ExampleMail answers by itself.`,
  );
  await page.getByLabel('First name').fill('Ada');
  await page.getByLabel('Last name').fill('Lovelace');
  await checkStep(page, testInfo, 'main-02-details');
  await page.getByRole('button', { name: 'Continue' }).click();

  await expect(stepHeading(page, 'Your key')).toBeVisible();
  await checkStep(page, testInfo, 'main-03-key');
  await page.getByRole('button', { name: 'Make the key and continue' }).click();

  await expect(stepHeading(page, /^Register at 127\.0\.0\.1:\d+$/)).toBeVisible();
  await checkStep(page, testInfo, 'main-04-register');
  const [caPage] = await Promise.all([
    context.waitForEvent('page'),
    page.getByRole('link', { name: 'Open the registration page (opens in a new tab)' }).click(),
  ]);

  // The wizard knows the mail server will answer the CA's mail by itself.
  await expect(stepHeading(page, 'Confirm your address')).toBeVisible();
  await checkStep(page, testInfo, 'main-05-confirm-address');

  // At the CA: prefilled; the newcomer completes the form and opens no mail.
  await caPage.waitForLoadState();
  expect(new URL(caPage.url()).origin).toBe(demo.caUrl);
  await expect(caPage.getByLabel('Email address')).toHaveValue(POSTMASTER);
  await completeForm(caPage);
  await caPage.getByRole('button', { name: 'Register' }).click();
  await expect(caPage.getByRole('heading', { name: 'Check your mail' })).toBeVisible();

  await expect(stepHeading(page, 'Certificate installed')).toBeVisible({ timeout: 30_000 });
  await expect(page.getByText(`It is a TLS server certificate for ${MAIL_HOST}.`)).toBeVisible();
  const proofLine = (await page.locator('.proof pre.command').textContent()) ?? '';
  expect(proofLine).toMatch(
    /^openssl s_client -starttls smtp -connect 127\.0\.0\.1:\d+ -servername mail\.examplemail\.test -CAfile \S+ca\.cert\.pem -verify_return_error$/,
  );
  await checkStep(page, testInfo, 'main-06-installed');
  // The CA's tab follows the registration: it no longer says "check your mail".
  await expect(caPage.getByRole('heading', { name: 'Done: go back to the installer' })).toBeVisible({ timeout: 10_000 });
  expect(demo.output()).toContain(`ExampleMail answered the CA's ping for ${POSTMASTER} by itself.`);
  expect(demo.output()).toContain(`It is a TLS server certificate for ${MAIL_HOST}: ExampleMail serves it over STARTTLS.`);
  await page.getByRole('button', { name: 'Finish' }).click();
  await expect(stepHeading(page, 'All done')).toBeVisible();
  await checkStep(page, testInfo, 'main-07-done');
  expect(csp).toEqual([]);

  // Both pings reached ExampleMail's mailbox with a nonce: the registration's and the domain's.
  const mailbox = join(demo.dir, 'examplemail', 'mailboxes', POSTMASTER);
  const pings = readdirSync(mailbox)
    .map((f) => readFileSync(join(mailbox, f), 'utf8'))
    .filter((m) => /^X-Certwizard-Ping-Nonce: /m.test(m));
  expect(pings.some((m) => /^Subject: Confirm a domain/m.test(m))).toBe(true);
  expect(pings.length).toBeGreaterThanOrEqual(2);
  const live = join(demo.dir, 'examplemail', 'certs', 'live', 'examplemail');
  const openssl = (args: string[]) => execFileSync('openssl', args, { encoding: 'utf8' });
  const caFile = join(demo.dir, 'ca', 'identity', 'ca.cert.pem');
  expect(openssl(['verify', '-CAfile', caFile, join(live, 'cert.pem')]).trim()).toBe(`${join(live, 'cert.pem')}: OK`);
  const san = openssl(['x509', '-in', join(live, 'cert.pem'), '-noout', '-ext', 'subjectAltName']);
  expect(san).toContain(`DNS:${MAIL_HOST}`);
  expect(san).not.toContain('email:');
  expect(openssl(['x509', '-in', join(live, 'cert.pem'), '-noout', '-ext', 'extendedKeyUsage'])).toContain('TLS Web Server Authentication');
  expect(openssl(['pkey', '-in', join(live, 'privkey.pem'), '-pubout'])).toBe(openssl(['x509', '-in', join(live, 'cert.pem'), '-noout', '-pubkey']));
  // The wizard's post-install command made the running ExampleMail reload: it serves this certificate over STARTTLS.
  const serial = openssl(['x509', '-in', join(live, 'cert.pem'), '-noout', '-serial'])
    .trim()
    .replace(/^serial=/, '')
    .toLowerCase();
  await expect.poll(() => demo.output()).toContain(`ExampleMail serves STARTTLS with certificate ${serial} `);
  expect(demo.output()).toContain(`Check ExampleMail's STARTTLS: ${proofLine}\n`);

  // The proof line the wizard showed, run for real: the handshake verifies, for this name, with this certificate.
  const first = await runProof(proofLine);
  expect(first.ok, first.output).toBe(true);
  expect(first.output).toContain('Verify return code: 0 (ok)');
  expect(first.served?.subjectAltName).toBe(`DNS:${MAIL_HOST}`);
  expect(serialOf(first.served?.serialNumber ?? '0')).toBe(serialOf(serial));

  // A second certificate, installed as a renewal installs one (the SDK's install() with
  // ExampleMail's reload as post-install command; the SDK has no renew() yet, so the new
  // certificate comes from the CA's POST /api/requests with the account's password): the running
  // ExampleMail serves it at once, without a restart.
  const { privateKey } = generateKeyPair('p256');
  const csr = createCsr({ privateKey, subject: [{ type: 'CN', value: MAIL_HOST }], subjectAltNames: { dns: [MAIL_HOST] } });
  const issued = await fetch(`${demo.caUrl}/api/requests`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ username: POSTMASTER, password: PASSWORD, csr: csr.pem }).toString(),
  });
  const answer = await issued.text();
  expect(answer, answer).toMatch(/^200,Issued /);
  const [leaf, ...chain] = parseCertificateChain(answer.slice(answer.indexOf('-----BEGIN')));
  if (leaf === undefined) throw new Error(`the CA answered no certificate: ${answer}`);
  const trustAnchorsPem = readFileSync(caFile, 'utf8');
  const pidFile = join(demo.dir, 'examplemail', 'examplemail.pid');
  const renewed = await install({
    baseDir: certs(demo.dir),
    name: 'examplemail',
    privateKey,
    certificatePem: leaf.pem,
    chainPem: chain.map((c) => c.pem).join(''),
    trustAnchorsPem,
    postInstall: { argv: [process.execPath, RELOAD, pidFile], timeoutMs: 10_000 },
  });
  expect(renewed.version).toBe(2);
  // ExampleMail logs the serial as node:crypto writes it, in lower case.
  await expect.poll(() => demo.output()).toContain(`ExampleMail serves STARTTLS with certificate ${new X509Certificate(leaf.pem).serialNumber.toLowerCase()} `);
  const second = await runProof(proofLine);
  expect(second.ok, second.output).toBe(true);
  expect(second.served?.subjectAltName).toBe(`DNS:${MAIL_HOST}`);
  expect(serialOf(second.served?.serialNumber ?? '0')).toBe(serialOf(leaf.serialNumberHex));

  // `certwizard list`, pointed at the demo's folder, finds what the wizard installed.
  const listed = execFileSync(process.execPath, [join(REPO_ROOT, 'packages', 'cli', 'bin', 'certwizard.js'), 'list', '--dir', certs(demo.dir)], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  expect(listed).toMatch(new RegExp(`^examplemail\\s+installed\\s+${MAIL_HOST.replace(/[.+]/g, '\\$&')}\\s`, 'm'));

  // Ctrl-C stops everything cleanly.
  expect(await demo.interrupt()).toBe(0);
  expect(demo.output()).toMatch(/Stopped\.\n$/);
});

test('npm start on a machine with a display: the wizard opens in the desktop browser', async ({ page }) => {
  // A desktop whose default browser (XDG mimeapps) is a program that records what it was asked
  // to open; the demo's opener is the real one (the `open` package and its xdg-open).
  const desktop = mkdtempSync(join(tmpdir(), 'certwizard-e2e-desktop-'));
  const opened = join(desktop, 'opened.txt');
  const browser = join(desktop, 'browser.sh');
  writeFileSync(browser, `#!/bin/sh\nprintf '%s\\n' "$1" >> '${opened}'\n`);
  chmodSync(browser, 0o755);
  mkdirSync(join(desktop, 'config'));
  mkdirSync(join(desktop, 'data', 'applications'), { recursive: true });
  writeFileSync(join(desktop, 'config', 'mimeapps.list'), '[Default Applications]\nx-scheme-handler/http=recorder.desktop\n');
  writeFileSync(join(desktop, 'data', 'applications', 'recorder.desktop'), `[Desktop Entry]\nType=Application\nName=Recorder\nExec=${browser} %u\n`);
  const demo = await startDemo({
    DISPLAY: ':99',
    XDG_CONFIG_HOME: join(desktop, 'config'),
    XDG_DATA_HOME: join(desktop, 'data'),
    XDG_DATA_DIRS: join(desktop, 'data'),
  });
  try {
    expect(demo.output()).toContain('The wizard is open in your browser.');
    await expect.poll(() => (readFileSync(opened, { encoding: 'utf8', flag: 'a+' }) || '').trim(), { timeout: 10_000 }).toBe(demo.wizardUrl);
    // The address the desktop was given is the wizard's, its one-time token still unused.
    await page.goto(demo.wizardUrl);
    await expect(stepHeading(page, 'Welcome to the ExampleMail certificate wizard')).toBeVisible();
    expect(await demo.interrupt()).toBe(0);
  } finally {
    await demo.stop();
    rmSync(desktop, { recursive: true, force: true });
  }
});

/** Where the demo installs ExampleMail's certificates. */
function certs(dir: string): string {
  return join(dir, 'examplemail', 'certs');
}

/** This process's environment without a display, as on a server. */
function withoutDisplay(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.DISPLAY;
  delete env.WAYLAND_DISPLAY;
  return env;
}

/** Runs `command` to its end (SIGKILL after `timeoutMs`), collecting its output. */
function runToEnd(command: string, args: string[], timeoutMs: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: REPO_ROOT, env: withoutDisplay(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => void (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => void (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

test('npm start stopped with Ctrl-C exits 0, after each service has said it stopped', async () => {
  test.setTimeout(180_000);
  const dir = mkdtempSync(join(tmpdir(), 'certwizard-e2e-npm-start-'));
  // npm start in its own process group: Ctrl-C in a terminal sends SIGINT to every process of
  // the foreground group (npm, the start script, the demo, the CA) at once, and npm forwards it
  // again to its child.
  const child = spawn('npm', ['start', '--', '--no-browser', '--dir', dir, '--ca-port', '0', '--wizard-port', '0'], {
    cwd: REPO_ROOT,
    env: withoutDisplay(),
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => void (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => void (stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const group = child.pid as number;
  try {
    // npm start checks the install and the build first: allow for a rebuild.
    const deadline = Date.now() + 150_000;
    while (!stdout.includes('Ctrl-C stops everything') && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 100));
    expect(stdout, stderr).toContain('Ctrl-C stops everything');
    process.kill(-group, 'SIGINT');
    expect(await exited, `stdout:\n${stdout}\nstderr:\n${stderr}`).toEqual({ code: 0, signal: null });
    expect(stdout).toContain('The installer wizard stopped.\n');
    expect(stdout).toContain('The CA stopped.\n');
    expect(stdout).toMatch(/ExampleMail stopped\.\nStopped\.\n$/);
  } finally {
    if (child.exitCode === null && child.signalCode === null) process.kill(-group, 'SIGKILL');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  }
});

test('npm start with a port in use names the port and the npm start options that pick others', async () => {
  const holder = createServer();
  await new Promise<void>((resolve) => holder.listen({ port: 0, host: '127.0.0.1' }, resolve));
  const busy = (holder.address() as AddressInfo).port;
  const dir = mkdtempSync(join(tmpdir(), 'certwizard-e2e-busy-'));
  try {
    const advice = 'npm start -- --ca-port N --wizard-port N';
    const ca = await runToEnd(process.execPath, [DEMO, '--no-browser', '--dir', dir, '--ca-port', String(busy), '--wizard-port', '0'], 60_000);
    expect(ca.code).toBe(1);
    expect(ca.stderr).toContain(`port ${busy} (the CA) is already in use, perhaps by another npm start`);
    expect(ca.stderr).toContain(advice);
    expect(ca.stderr + ca.stdout).not.toContain('--listen');
    const wizard = await runToEnd(process.execPath, [DEMO, '--no-browser', '--dir', dir, '--ca-port', '0', '--wizard-port', String(busy)], 60_000);
    expect(wizard.code).toBe(1);
    expect(wizard.stderr).toContain(`port ${busy} (the installer wizard) is already in use`);
    expect(wizard.stderr).toContain(advice);
    expect(wizard.stdout).toContain('The CA stopped.');
  } finally {
    await new Promise((resolve) => holder.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  }
});
