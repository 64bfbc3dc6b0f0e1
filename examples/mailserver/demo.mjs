#!/usr/bin/env node
/**
 * What `npm start` runs: a newcomer's first experience, all on this machine.
 *
 * 1. ExampleMail (mail-server.mjs), the vendor's small mail server, on 127.0.0.1;
 * 2. the reference CA on its development defaults (`certwizard-ca dev`, state in
 *    `.certwizard/ca/`), relaying its mail to ExampleMail;
 * 3. ExampleMail's installer as the browser wizard (`startWizard` of @certwizard/wizard) with the
 *    mail hook attached: it gets a TLS server certificate for mail.examplemail.test, the name
 *    mail clients reach ExampleMail by. The CA verifies the domain examplemail.test by an email
 *    ping to postmaster@examplemail.test, which ExampleMail answers by itself (as it answers the
 *    registration's confirmation of the same address, the account's).
 *
 * It opens the wizard in the browser when there is a display, and prints every URL either way.
 * The certificate ends up in `.certwizard/examplemail/certs/live/examplemail/`; the wizard's
 * post-install command (reload.mjs, SIGHUP through ExampleMail's pid file) makes ExampleMail
 * serve it over STARTTLS at once, and the `openssl s_client` line printed here checks that.
 * Ctrl-C (or SIGTERM) stops everything; when the CA stops, so does the rest.
 *
 *   node examples/mailserver/demo.mjs [--dir DIR] [--ca-port PORT] [--wizard-port PORT] [--no-browser]
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { openCredentialStore, openWithSystemBrowser } from '@certwizard/sdk';
import { startWizard } from '@certwizard/wizard';
import { reloadCommand, startExampleMail } from './mail-server.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '..', '..');
const PING_FROM = 'ping@localhost';
const POSTMASTER = 'postmaster@examplemail.test';
/** The name mail clients reach ExampleMail by, and the one its certificate is checked against. */
const MAIL_HOST = 'mail.examplemail.test';
const CA_START_TIMEOUT_MS = 30_000;

const { values } = parseArgs({
  options: {
    dir: { type: 'string', default: join(repoRoot, '.certwizard') },
    'ca-port': { type: 'string', default: '8440' },
    'wizard-port': { type: 'string', default: '8441' },
    'no-browser': { type: 'boolean', default: false },
  },
});
const base = resolve(values.dir);
const say = (line = '') => process.stdout.write(`${line}\n`);

/** Starts `certwizard-ca dev` and resolves with its URL once it listens. */
function startCa(smtpPort) {
  const child = spawn(
    process.execPath,
    [
      join(repoRoot, 'server-reference', 'dist', 'bin.js'),
      'dev',
      '--dir',
      join(base, 'ca'),
      '--listen',
      `127.0.0.1:${values['ca-port']}`,
      '--smtp',
      `127.0.0.1:${smtpPort}`,
      '--ping-from',
      PING_FROM,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const exited = new Promise((done) => child.once('exit', (code, signal) => done({ code, signal })));
  let out = '';
  let errors = '';
  let listening = false;
  // The CA's own advice ("pick another with --listen") is for its command line, not for
  // npm start's: before it listens, its messages are read here and said in npm start's terms.
  child.stderr.on('data', (chunk) => {
    if (listening) process.stderr.write(chunk);
    else errors += chunk;
  });
  const url = new Promise((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`the CA did not start within ${CA_START_TIMEOUT_MS / 1000} s:\n${out}${errors}`)), CA_START_TIMEOUT_MS);
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const match = /listening on (http:\/\/\S+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        listening = true;
        if (errors !== '') process.stderr.write(errors);
        resolveUrl(match[1]);
      }
    });
    exited.then(({ code, signal }) => {
      clearTimeout(timer);
      if (/already in use/.test(errors)) reject(portInUse('the CA', values['ca-port']));
      else reject(new Error(`the CA exited (${signal ?? code}) before it listened:\n${out}${errors}`));
    });
  });
  return { child, url, exited };
}

/** The error for a port another program holds, with the way out that works for npm start. */
function portInUse(what, port) {
  return new Error(
    `port ${port} (${what}) is already in use, perhaps by another npm start: stop that one, or pick free ports with ` +
      `npm start -- --ca-port N --wizard-port N (0 picks any free port)`,
  );
}

/** Whether a browser can open here: a desktop session, or a system that always has one. */
const hasDisplay = () => process.platform === 'darwin' || process.platform === 'win32' || Boolean(process.env.DISPLAY || process.env.WAYLAND_DISPLAY);

async function main() {
  mkdirSync(base, { recursive: true, mode: 0o700 });
  const stop = new AbortController();
  // Ctrl-C in a terminal reaches every process of the group, and npm start forwards it too: a
  // second SIGINT is the same request to stop, never a reason to die half-way (process.on, not once).
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => stop.abort(new Error(signal)));

  const certificateDir = join(base, 'examplemail', 'certs', 'live', 'examplemail');
  // Windows has no SIGHUP: there ExampleMail loads a new certificate when it starts again.
  const pidFile = process.platform === 'win32' ? undefined : join(base, 'examplemail', 'examplemail.pid');
  const mail = await startExampleMail({
    dataDir: join(base, 'examplemail'),
    certificateDir,
    ...(pidFile ? { pidFile } : {}),
    log: (entry) => {
      if (entry.event === 'ping-confirmed') say(`ExampleMail answered the CA's ping for ${entry.address} by itself.`);
      else if (entry.event === 'tls-certificate-loaded') say(`ExampleMail serves STARTTLS with certificate ${entry.serial} (until ${entry.notAfter}).`);
      else if (entry.event === 'tls-certificate-refused') say(`ExampleMail kept ${entry.kept ? `certificate ${entry.kept}` : 'plain SMTP'}: ${entry.reason}`);
    },
  });
  const caCertFile = join(base, 'ca', 'identity', 'ca.cert.pem');
  // What a mail client checks: STARTTLS on ExampleMail's port, its name, the CA ExampleMail ships.
  const proofLine = `openssl s_client -starttls smtp -connect 127.0.0.1:${mail.port} -servername ${MAIL_HOST} -CAfile ${caCertFile} -verify_return_error`;
  const ca = startCa(mail.port);
  let caListening = false;
  let wizard;
  try {
    const caUrl = await ca.url;
    caListening = true;
    const nonces = await mail.enableCertwizard({ caOrigin: new URL(caUrl).origin, pingFrom: PING_FROM });
    // The vendor ships the CA certificate; here it is the development CA's own file, read from disk.
    const trustAnchorsPem = readFileSync(caCertFile, 'utf8');
    // The OS keychain when there is one; otherwise, explicitly, a 0600 file under .certwizard/.
    const credentials = await openCredentialStore({ service: 'certwizard-examplemail', fallback: { fileStoreDir: join(base, 'examplemail', 'secrets') } });
    wizard = await startWizard({
      vendor: { name: 'ExampleMail', logo: join(here, 'logo.svg') },
      details: { email: POSTMASTER },
      caUrl,
      trustAnchorsPem,
      baseDir: join(base, 'examplemail', 'certs'),
      name: 'examplemail',
      credentials,
      pkcs12Download: true,
      // The SDK runs it once the certificate is live (first install and renewal): ExampleMail reloads.
      ...(pidFile ? { postInstall: reloadCommand(pidFile) } : {}),
      // A server certificate for the name mail clients use (the person may edit it in the wizard).
      // The domain is verified by the default email ping to postmaster@examplemail.test, with a
      // nonce from ExampleMail's hook, so ExampleMail answers it by itself.
      enroll: { names: { dns: [MAIL_HOST] }, emailPing: { nonces } },
      proof: {
        text: `ExampleMail now serves this certificate over STARTTLS. Check it as a mail client would, with openssl (it answers "Verify return code: 0 (ok)"):`,
        command: proofLine,
      },
      port: Number(values['wizard-port']),
      signal: stop.signal,
    });
    say();
    say(`certwizard demo: ExampleMail gets a TLS server certificate for ${MAIL_HOST} (STARTTLS)`);
    say(`  the installer wizard   ${wizard.url}`);
    say(`  the CA                 ${caUrl}   (account page: ${caUrl}/account)`);
    say(`  mail the CA sent       ${caUrl}/dev/mailbox   (a copy; ExampleMail got the original)`);
    say(`  ExampleMail (SMTP)     127.0.0.1:${mail.port}   mail kept in ${join(base, 'examplemail', 'mailboxes')}`);
    say(`  certificates go to     ${certificateDir}`);
    say(`  check STARTTLS         ${proofLine}`);
    say();
    if (!values['no-browser'] && hasDisplay()) {
      await openWithSystemBrowser(wizard.url, { signal: stop.signal }).then(
        () => say('The wizard is open in your browser. Ctrl-C stops everything.'),
        () => say('No browser could be opened: open the wizard address above. Ctrl-C stops everything.'),
      );
    } else {
      say('Open the wizard address above in a browser on this machine. Ctrl-C stops everything.');
    }
    wizard.done.then(
      ({ installed }) => {
        say(`\nInstalled: ${installed.paths.fullchain} (SHA-256 ${installed.fingerprintSha256}, until ${installed.notAfter.toISOString()})`);
        say(`It is a TLS server certificate for ${installed.names.join(', ')}: ExampleMail serves it over STARTTLS.`);
        say(`Check ExampleMail's STARTTLS: ${proofLine}`);
      },
      () => {},
    );
    await Promise.race([new Promise((done) => stop.signal.addEventListener('abort', done, { once: true })), ca.exited]);
  } catch (error) {
    if (error?.code === 'ERR_WIZARD_LISTEN' && error.cause?.code === 'EADDRINUSE') throw portInUse('the installer wizard', values['wizard-port']);
    throw error;
  } finally {
    if (wizard !== undefined) {
      await wizard.close();
      say('The installer wizard stopped.');
    }
    if (ca.child.exitCode === null && ca.child.signalCode === null) ca.child.kill('SIGTERM');
    const caStop = await ca.exited;
    if (caListening) say(caStop.code === 0 ? 'The CA stopped.' : `The CA stopped with status ${caStop.signal ?? caStop.code}.`);
    await mail.close();
    say('ExampleMail stopped.');
  }
}

main().then(
  () => {
    say('Stopped.');
  },
  (error) => {
    process.stderr.write(`demo: ${error?.message ?? error}\n`);
    process.exitCode = 1;
  },
);
