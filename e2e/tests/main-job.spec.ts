/**
 * Issue 6, the main job: what `npm start` runs (examples/mailserver/demo.mjs) as a child process
 * on a machine without a display: ExampleMail with the mail hook, the dev CA relaying its mail to
 * it, and ExampleMail's installer wizard. A newcomer opens the printed wizard address in Chromium,
 * clicks through, registers at the CA in a new tab, and opens no mail at all: the CA's
 * confirmation is an email ping that ExampleMail answers by itself. The certificate ends up in the
 * demo's folder, checked with openssl; Ctrl-C stops everything cleanly. Each step is
 * screenshotted and checked with axe-core.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test as base, expect, type Page } from '@playwright/test';
import { completeForm } from './support/registration-form.js';
import { checkStep, watchCsp } from './support/wizard-checks.js';

const DEMO = fileURLToPath(new URL('../../examples/mailserver/demo.mjs', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const POSTMASTER = 'postmaster@examplemail.test';
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
  await checkStep(page, testInfo, 'main-06-installed');
  // The CA's tab follows the registration: it no longer says "check your mail".
  await expect(caPage.getByRole('heading', { name: 'Done: go back to the installer' })).toBeVisible({ timeout: 10_000 });
  expect(demo.output()).toContain(`ExampleMail answered the CA's ping for ${POSTMASTER} by itself.`);
  await page.getByRole('button', { name: 'Finish' }).click();
  await expect(stepHeading(page, 'All done')).toBeVisible();
  await checkStep(page, testInfo, 'main-07-done');
  expect(csp).toEqual([]);

  // The ping reached ExampleMail's mailbox too, and the certificate is where the demo said.
  const mailbox = join(demo.dir, 'examplemail', 'mailboxes', POSTMASTER);
  expect(
    readdirSync(mailbox)
      .map((f) => readFileSync(join(mailbox, f), 'utf8'))
      .some((m) => /^X-Certwizard-Ping-Nonce: /m.test(m)),
  ).toBe(true);
  const live = join(demo.dir, 'examplemail', 'certs', 'live', 'examplemail');
  const openssl = (args: string[]) => execFileSync('openssl', args, { encoding: 'utf8' });
  const caFile = join(demo.dir, 'ca', 'identity', 'ca.cert.pem');
  expect(openssl(['verify', '-CAfile', caFile, join(live, 'cert.pem')]).trim()).toBe(`${join(live, 'cert.pem')}: OK`);
  expect(openssl(['x509', '-in', join(live, 'cert.pem'), '-noout', '-ext', 'subjectAltName'])).toContain(`email:${POSTMASTER}`);
  expect(openssl(['pkey', '-in', join(live, 'privkey.pem'), '-pubout'])).toBe(openssl(['x509', '-in', join(live, 'cert.pem'), '-noout', '-pubkey']));
  // The wizard's post-install command made the running ExampleMail reload: it serves this certificate over STARTTLS.
  const serial = openssl(['x509', '-in', join(live, 'cert.pem'), '-noout', '-serial'])
    .trim()
    .replace(/^serial=/, '')
    .toLowerCase();
  await expect.poll(() => demo.output()).toContain(`ExampleMail serves STARTTLS with certificate ${serial} `);
  expect(demo.output()).toMatch(
    /Check ExampleMail's STARTTLS: openssl s_client -starttls smtp -connect 127\.0\.0\.1:\d+ -servername mail\.examplemail\.test -CAfile \S+ca\.cert\.pem -verify_return_error\n/,
  );

  // `certwizard list`, pointed at the demo's folder, finds what the wizard installed.
  const certs = join(demo.dir, 'examplemail', 'certs');
  const listed = execFileSync(process.execPath, [join(REPO_ROOT, 'packages', 'cli', 'bin', 'certwizard.js'), 'list', '--dir', certs], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  expect(listed).toMatch(new RegExp(`^examplemail\\s+installed\\s+${POSTMASTER.replace(/[.+]/g, '\\$&')}\\s`, 'm'));

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
