#!/usr/bin/env node
/**
 * A vendor's installer step, from nothing to an installed certificate, written only against the
 * public SDK API (`@certwizard/sdk`). Run it again after any interruption: it continues.
 *
 *   node examples/installer/install-certificate.mjs --ca http://127.0.0.1:8440 \
 *     --ca-cert ca.pem --email postmaster@example.org --dir ./certs [--no-browser] \
 *     [--credentials-dir DIR] [--reload-command /usr/sbin/postfix reload]
 *
 * --ca-cert is the CA certificate the vendor ships (pinned; for the development CA of
 * `npm start`, save http://127.0.0.1:8440/ca.pem). The installation token goes to the OS keychain;
 * --credentials-dir stores it in a 0600 file instead, for machines without one. Progress goes to
 * stderr, the result (paths, fingerprint, expiry) to stdout as JSON. Exit codes: 0 installed,
 * 1 failed (a message says why and what to do), 2 bad usage.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { enroll, openCredentialStore } from '@certwizard/sdk';

const USAGE =
  'usage: install-certificate.mjs --ca URL --ca-cert FILE --email ADDRESS --dir DIR [--name NAME] [--no-browser] [--credentials-dir DIR] [--reload-command PROGRAM ARG...]';

let args;
try {
  args = parseArgs({
    options: {
      ca: { type: 'string' },
      'ca-cert': { type: 'string' },
      email: { type: 'string' },
      dir: { type: 'string' },
      name: { type: 'string', default: 'mail' },
      'no-browser': { type: 'boolean', default: false },
      'credentials-dir': { type: 'string' },
      'reload-command': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    allowPositionals: true,
  });
} catch (error) {
  console.error(`${error.message}\n${USAGE}`);
  process.exit(2);
}
const { values, positionals } = args;
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
for (const required of ['ca', 'ca-cert', 'email', 'dir']) {
  if (values[required] === undefined) {
    console.error(`--${required} is required\n${USAGE}`);
    process.exit(2);
  }
}

// The messages a person needs at each step; everything else stays quiet.
const SAY = {
  'prepare-key': 'Making a new key and certificate request',
  register: 'Registering with the certificate authority (a browser page opens)',
  submit: 'Sending the certificate request',
  'await-issue': 'Waiting for the request to be approved (check your mail or your account page)',
  install: 'Installing the certificate',
};

const abort = new AbortController();
process.once('SIGINT', () => abort.abort(new Error('interrupted')));

try {
  const credentials = await openCredentialStore({
    service: 'certwizard-example-installer',
    ...(values['credentials-dir'] === undefined ? {} : { fallback: { fileStoreDir: values['credentials-dir'] } }),
  });
  const { installed, resumed } = await enroll({
    caUrl: values.ca,
    name: values.name,
    baseDir: values.dir,
    names: { email: [values.email] },
    credentials,
    trustAnchorsPem: readFileSync(values['ca-cert'], 'utf8'),
    registration: {
      prefill: { emailAddress: { value: values.email, sure: true } },
      noBrowser: values['no-browser'],
      installationLabel: 'Example installer',
    },
    ...(values['reload-command'] === undefined ? {} : { postInstall: { argv: [values['reload-command'], ...positionals] } }),
    signal: abort.signal,
    onEvent: (event) => {
      if (event.type === 'step' && SAY[event.step]) console.error(`${event.resumed ? '(continuing) ' : ''}${SAY[event.step]}...`);
      if (event.type === 'enrollment' && event.event.type === 'pending') console.error('The request waits for approval by the account owner.');
      // The CA's pages show the same code: the person confirms only a page that shows this one.
      if (event.type === 'registration' && (event.event.type === 'ticket-issued' || event.event.type === 'resumed') && event.event.userCode) {
        console.error(`The CA's pages show the code ${event.event.userCode}: confirm only if they show the same.`);
      }
    },
  });
  console.error(resumed ? 'Done (continued from an earlier run).' : 'Done.');
  console.log(
    JSON.stringify(
      { name: installed.name, paths: installed.paths, fingerprintSha256: installed.fingerprintSha256, notAfter: installed.notAfter, names: installed.names },
      null,
      2,
    ),
  );
} catch (error) {
  // Expected failures carry a stable code and a message written for people; no stack trace.
  console.error(`Failed: ${error.message}${error.code ? ` (${error.code})` : ''}`);
  console.error('Run the same command again to continue where it stopped.');
  process.exit(1);
}
