/**
 * `certwizard enroll`: the terminal wizard. The same steps as the SDK's `enroll()` (it only
 * renders its progress events): prompts for what the flags did not say, a spinner for each
 * wait, and the installed certificate at the end. `--yes` never prompts; `--json` prints one
 * JSON event per line on stdout instead of prompts and spinners.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isIP } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { parseArgs } from 'node:util';
import { confirm, input, password, select } from '@inquirer/prompts';
import { createInterface } from 'node:readline';
import { KEY_TYPES, type KeyType } from '@certwizard/pki';
import { ADMINISTRATIVE_LOCAL_PARTS, type AdministrativeLocalPart, isValidDomainName } from '@certwizard/protocol';
import {
  CaProtocolError,
  CaUnreachableError,
  enroll,
  isInstallName,
  listEnrollments,
  scepMethod,
  type ScepCaFingerprints,
  sslApiClientKey,
  sslApiMethod,
  type CredentialStore,
  type DomainVerification,
  type DomainVerificationEvent,
  type EnrollFlowEvent,
  type EnrollmentSummary,
  type InstalledCertificate,
} from '@certwizard/sdk';
import { openCredentials } from './credentials-option.js';
import { CaSchemeMismatchError, PublishUnconfirmedError } from './errors.js';
import { EXIT, UsageError } from './exit-codes.js';
import { describeFailure, type FailureContext } from './failure.js';
import { registrationLines } from './registration-display.js';
import { defaultDir } from './list-commands.js';
import { PIN_IN_ARGV_MESSAGE, scepPinOf, SCEP_PIN_ENV } from './scep-pin.js';
import { colonHex } from './scep-proxy-command.js';
import { sslApiClientOf, SSL_API_CLIENT_ENV } from './ssl-api-client.js';
import type { CliIo, Terminal } from './terminal.js';

/** Usage of `certwizard enroll`. */
export const ENROLL_USAGE = `usage: certwizard enroll [options]

Registers with the certificate authority (in the browser), makes a key and a request, waits for
approval when the CA asks for it, and installs the certificate under DIR/live/NAME/. Interrupted,
it continues where it stopped when run again with the same options.

A certificate for an address (S/MIME, --email), for a server's host names (TLS, --dns, each
name's domain verified for the account first), or for both in one certificate.

options:
  --method M            cacert (default): register in the browser, the CAcert-style API;
                        ssl-api: a server without a browser (PUT /api/csr/CLIENT): --dns names,
                        the CA's client hash from ${SSL_API_CLIENT_ENV} or --client-file
                        (kept in the credential store for revoke and renew), no registration;
                        scep: a SCEP service (RFC 8894), --ca is its URL (e.g.
                        https://ca.example/scep), --dns names, an RSA key (default rsa2048)
  --pin-file FILE       with --method scep: the file whose first line is the one-time SCEP PIN
                        (or ${SCEP_PIN_ENV}; else asked on a terminal; none: the request waits
                        for approval). --pin VALUE is refused: ps shows the command line
  --ca-fingerprint SHA256
                        with --method scep: the CA certificate's SHA-256 as its operator
                        published it; without it the fingerprints are shown and confirmed
  --client-file FILE    with --method ssl-api: the file whose first line is the client hash
  --ca URL              the CA's address (or CERTWIZARD_CA)
  --ca-cert FILE        the CA certificate to trust (PEM); may be left out for a CA on loopback
  --email ADDRESS       the address to register and certify (with --dns: certify it too)
  --dns NAME            a host name for a TLS server certificate (repeatable), e.g. mail.example.org
  --domain DOMAIN       the domain that covers the --dns names (repeatable; default: each
                        name's registrable domain, example.org for mail.example.org)
  --domain-method M     how the CA verifies a domain the account does not hold yet: email
                        (default: a mail to postmaster@DOMAIN, open its link), dns (a TXT
                        record you publish) or http (a file you serve on port 80)
  --domain-address-local-part P
                        with --domain-method email: postmaster (default), hostmaster,
                        webmaster, admin or root
  --first-name NAME     your first name, for the registration form
  --last-name NAME      your last name
  --name NAME           the certificate's name: DIR/live/NAME/ (default: mail)
  --key-type TYPE       ${KEY_TYPES.join(', ')} (default: p256)
  --dir DIR             where certificates go (default: CERTWIZARD_DIR, else ~/.local/state/certwizard)
  --credentials-dir DIR keep the installation token in a 0600 file in DIR instead of the OS keychain
  --no-browser          print the registration address instead of opening a browser (and a QR
                        code when a phone could open it)
  --yes                 do not ask: take the flags and the defaults
  --json                print one JSON event per line on stdout (implies --yes)
  --help                this text`;

const OPTIONS = {
  method: { type: 'string' },
  'client-file': { type: 'string' },
  'pin-file': { type: 'string' },
  // Refused with the reason: declared so that parseArgs does not answer "unknown option".
  pin: { type: 'string' },
  'ca-fingerprint': { type: 'string' },
  ca: { type: 'string' },
  'ca-cert': { type: 'string' },
  email: { type: 'string' },
  dns: { type: 'string', multiple: true },
  domain: { type: 'string', multiple: true },
  'domain-method': { type: 'string' },
  'domain-address-local-part': { type: 'string' },
  'first-name': { type: 'string' },
  'last-name': { type: 'string' },
  name: { type: 'string' },
  'key-type': { type: 'string' },
  dir: { type: 'string' },
  'credentials-dir': { type: 'string' },
  'no-browser': { type: 'boolean' },
  yes: { type: 'boolean' },
  json: { type: 'boolean' },
  help: { type: 'boolean' },
} as const;

/** The flags as parsed: strings, booleans, and the repeatable ones as lists. */
type Flags = {
  [K in keyof typeof OPTIONS]?: (typeof OPTIONS)[K] extends { multiple: true } ? string[] : (typeof OPTIONS)[K] extends { type: 'boolean' } ? boolean : string;
};

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** The answers the flow needs, from flags and prompts. */
interface Answers {
  caUrl: string;
  /** The address to certify (and to prefill for the registration); none for a certificate of host names only. */
  email: string | undefined;
  /** The host names to certify. */
  dns: string[];
  firstName: string;
  lastName: string;
  name: string;
  keyType: KeyType;
}

/** Runs `certwizard enroll`; resolves with the exit code. */
export async function enrollCommand(argv: string[], term: Terminal): Promise<number> {
  const { io } = term;
  const { values } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: false, strict: true }) as { values: Flags };
  if (values.help) {
    io.stdout.write(`${ENROLL_USAGE}\n`);
    return EXIT.ok;
  }
  const json = values.json === true;
  const methodName = checkMethodFlags(values);
  const sslApi = methodName === 'ssl-api';
  const scep = methodName === 'scep';
  const emitJson = (event: Record<string, unknown>) => io.stdout.write(`${JSON.stringify(event)}\n`);
  /** Shows a failure (a JSON line with --json) and answers the exit code for it. */
  const fail = (error: unknown, context: FailureContext): number => {
    term.stop();
    const shown = describeFailure(error, context);
    if (json) emitJson({ type: 'error', ...(shown.code === undefined ? {} : { code: shown.code }), message: shown.message, hint: shown.hint });
    else term.say(`${term.red('Failed:')} ${shown.message}${shown.code ? term.dim(` (${shown.code})`) : ''}\n${shown.hint}`);
    return EXIT.failed;
  };
  const ask = !json && values.yes !== true && term.interactive;
  const baseDir = values.dir ?? defaultDir(io);
  // A rerun continues an unfinished enrollment of the same name: its answers come from the state
  // file, and only what the next step still needs is asked. Without questions, bad or missing
  // flags are usage errors before anything else; with questions, where the installation token
  // will live is settled before the first one: a machine without a keychain learns it now, not
  // after every answer.
  const earlier = await unfinished(baseDir, typeof values.name === 'string' ? values.name : DEFAULT_NAME);
  const resumed = resumedValues(values, earlier, io);
  // ssl_api and SCEP have no registration: no names for its form to ask. SCEP needs RSA.
  const completed: Flags =
    sslApi || scep ? { ...resumed, 'first-name': '', 'last-name': '', ...(scep ? { 'key-type': values['key-type'] ?? 'rsa2048' } : {}) } : resumed;
  const questions = ask && (earlier === undefined || earlier.step === 'register');
  const fromFlags = questions ? undefined : await collect(completed, io, false);
  const fileStoreDir = join(baseDir, 'credentials');
  let credentials: CredentialStore;
  try {
    credentials = await openCredentials(values['credentials-dir'], fileStoreDir, io, ask);
  } catch (error) {
    if ((error as Error).name === 'ExitPromptError') throw error;
    return fail(error, { credentialsDir: fileStoreDir });
  }
  const answers = fromFlags ?? (await collect(completed, io, true));
  let client: string | undefined;
  if (sslApi) {
    if (answers.dns.length === 0) throw new UsageError('--method ssl-api certifies host names: give one or more --dns NAME');
    try {
      client = await sslApiClientFor(values, io, credentials, new URL(answers.caUrl).origin);
    } catch (error) {
      if (error instanceof UsageError) throw error;
      return fail(error, { caUrl: answers.caUrl });
    }
  }
  let pin: string | undefined;
  if (scep) {
    if (answers.dns.length === 0) throw new UsageError('--method scep certifies host names: give one or more --dns NAME');
    pin = scepPinOf(values['pin-file'], io);
    if (pin === undefined && ask && (earlier === undefined || earlier.step === 'prepare-key' || earlier.step === 'register'))
      pin = (await password({ message: 'SCEP PIN (leave empty to wait for approval)', mask: true }, { input: io.stdin, output: io.stderr })) || undefined;
  }
  if (earlier !== undefined && !json) {
    term.say(
      term.bold(
        `Continuing the certificate "${earlier.name}" for ${[...answers.dns, ...(answers.email === undefined ? [] : [answers.email])].join(', ')} from ${earlier.caOrigin}: ${CONTINUING[earlier.step] ?? earlier.step}`,
      ),
    );
  }
  let domainVerification: DomainVerification | undefined;
  try {
    domainVerification = domainVerificationOf(values, term, json ? emitJson : undefined);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    return fail(error, {});
  }

  const abort = new AbortController();
  const onSigint = () => abort.abort(new Error('interrupted'));
  process.once('SIGINT', onSigint);
  try {
    await reachable(answers.caUrl);
    const trustAnchorsPem = await trustAnchors(values['ca-cert'], answers.caUrl, term, json);
    if (!json && !sslApi && !scep) await mentionDevMailbox(answers.caUrl, term);
    if (!json && earlier === undefined) term.say(term.bold(`Getting ${purpose(answers)} from ${answers.caUrl}`));
    const { installed, resumed } = await enroll({
      caUrl: answers.caUrl,
      name: answers.name,
      baseDir,
      names: { ...(answers.email === undefined ? {} : { email: [answers.email] }), dns: answers.dns },
      ...(domainVerification === undefined ? {} : { domainVerification }),
      ...(values.domain === undefined ? {} : { domains: values.domain }),
      keyType: answers.keyType,
      credentials,
      trustAnchorsPem,
      ...(client === undefined ? {} : { method: sslApiMethod({ caUrl: answers.caUrl, client }) }),
      ...(scep
        ? {
            method: scepMethod({
              url: answers.caUrl,
              ...(pin === undefined ? {} : { pin }),
              ...(values['ca-fingerprint'] === undefined
                ? { onCaFingerprints: (fingerprints) => confirmFingerprints(fingerprints, term, ask) }
                : { pinnedCaFingerprintSha256: values['ca-fingerprint'] }),
            }),
          }
        : {}),
      registration: {
        prefill: {
          ...(answers.email === undefined ? {} : { emailAddress: { value: answers.email, sure: true } }),
          ...(answers.firstName === '' ? {} : { firstName: { value: answers.firstName, sure: true } }),
          ...(answers.lastName === '' ? {} : { lastName: { value: answers.lastName, sure: true } }),
        },
        noBrowser: values['no-browser'] === true,
        installationLabel: 'certwizard',
        // The address goes through the terminal (never under the spinner); the user code is
        // said with the ticket-issued event.
        display: json
          ? ({ url, userCode }: { url: string; userCode?: string }) =>
              void emitJson({ type: 'registration-url', url, ...(userCode === undefined ? {} : { userCode }) })
          : ({ url, qr }: { url: string; qr: string }) => {
              for (const line of registrationLines(url, qr, io.stderr.isTTY === true ? (io.stderr as { columns?: number }).columns : undefined)) term.say(line);
            },
      },
      signal: abort.signal,
      onEvent: json ? (event) => emitJson(event as unknown as Record<string, unknown>) : renderer(term),
    });
    term.stop();
    if (json) emitJson({ type: 'result', resumed, installed: summary(installed) });
    else showInstalled(installed, resumed, term);
    return EXIT.ok;
  } catch (error) {
    const code = fail(error, { caUrl: answers.caUrl });
    return abort.signal.aborted ? EXIT.interrupted : code;
  } finally {
    process.off('SIGINT', onSigint);
  }
}

/**
 * The method `--method` asks for (default cacert), with the flags that only the browser
 * registration and the account's domains take refused for the others, `--client-file` for all
 * but ssl-api, the SCEP flags for all but scep, and `--pin` always (a secret in argv).
 */
function checkMethodFlags(values: Flags): 'cacert' | 'ssl-api' | 'scep' {
  if (values.pin !== undefined) throw new UsageError(PIN_IN_ARGV_MESSAGE);
  const method = values.method ?? 'cacert';
  if (method !== 'cacert' && method !== 'ssl-api' && method !== 'scep') throw new UsageError('--method: cacert, ssl-api or scep');
  const onlyCacert = ['first-name', 'last-name', 'no-browser', 'domain', 'domain-method', 'domain-address-local-part'] as const;
  for (const flag of onlyCacert) {
    if (method !== 'cacert' && values[flag] !== undefined)
      throw new UsageError(`--${flag} goes with --method cacert (${method} has no registration and no domain verification)`);
  }
  if (method !== 'ssl-api' && values['client-file'] !== undefined) throw new UsageError('--client-file goes with --method ssl-api');
  for (const flag of ['pin-file', 'ca-fingerprint'] as const) {
    if (method !== 'scep' && values[flag] !== undefined) throw new UsageError(`--${flag} goes with --method scep`);
  }
  if (method === 'scep' && values['key-type'] !== undefined && !values['key-type'].startsWith('rsa'))
    throw new UsageError('--method scep needs an RSA key (the CA encrypts its answer to it): --key-type rsa2048, rsa3072 or rsa4096');
  return method;
}

/**
 * Shows the SCEP CA's fingerprints and, on a terminal, asks whether they are the ones its
 * operator published. Without a terminal nothing is trusted unseen: `--ca-fingerprint` is needed
 * (the refusal's hint names the value to compare).
 */
async function confirmFingerprints(fingerprints: ScepCaFingerprints, term: Terminal, ask: boolean): Promise<boolean> {
  term.stop();
  term.say(
    `The SCEP CA presents:\n  CA ${fingerprints.caSubject}\n  CA certificate SHA-256: ${colonHex(fingerprints.caSha256)}\n  RA certificate SHA-256: ${colonHex(fingerprints.raSha256)}`,
  );
  if (!ask) return false;
  return confirm({ message: "Are these the fingerprints the CA's operator published?", default: false }, { input: term.io.stdin, output: term.io.stderr });
}

/**
 * The ssl_api client hash: from `--client-file` or the environment, kept in the credential store
 * (before anything is sent, so a rerun, `revoke` and `renew` find it), else the one kept there
 * by an earlier run.
 */
async function sslApiClientFor(values: Flags, io: CliIo, credentials: CredentialStore, caOrigin: string): Promise<string> {
  const given = sslApiClientOf(values['client-file'], io);
  const key = sslApiClientKey(caOrigin);
  if (given !== undefined) {
    await credentials.set(key, given);
    return given;
  }
  const kept = await credentials.get(key);
  if (kept === undefined)
    throw new UsageError(`--method ssl-api needs the CA's client hash: set ${SSL_API_CLIENT_ENV} or pass --client-file FILE (never on the command line)`);
  return kept;
}

/** The certificate name when `--name` is not given. */
const DEFAULT_NAME = 'mail';

/** What a rerun says it continues, by the step the state file records. */
const CONTINUING: Partial<Record<EnrollmentSummary['step'], string>> = {
  'prepare-key': 'making the request',
  register: 'the registration is not finished yet',
  'verify-email': 'registration done, confirming the address',
  submit: 'registration done, requesting the certificate',
  'await-issue': 'waiting for the CA to issue',
  install: 'issued, installing',
};

/** The enrollment of `name` under `baseDir` that is under way (not installed, readable), if any. */
async function unfinished(baseDir: string, name: string): Promise<EnrollmentSummary | undefined> {
  if (!isInstallName(name)) return undefined;
  const all = await listEnrollments({ baseDir }).catch(() => []);
  return all.find((e) => e.name === name && e.problem === undefined && e.step !== 'done');
}

/**
 * The flags, completed from an unfinished enrollment's state: its CA and address (the SDK
 * refuses a state made for others, so a different `--ca` or `--email` given stays and fails
 * clearly), its name, and the key type (the key exists already). The names for the
 * registration form are only asked while the registration is still to be done.
 */
function resumedValues(values: Flags, earlier: EnrollmentSummary | undefined, io: CliIo): Flags {
  if (earlier === undefined) return values;
  const email = earlier.names.email[0];
  return {
    ...values,
    ...(values.dns === undefined && earlier.names.dns.length > 0 ? { dns: [...earlier.names.dns] } : {}),
    ca: values.ca ?? (io.env.CERTWIZARD_CA || earlier.caOrigin),
    ...(email === undefined || values.email !== undefined ? {} : { email }),
    name: earlier.name,
    'key-type': values['key-type'] ?? 'p256',
    ...(earlier.step === 'register' ? {} : { 'first-name': values['first-name'] ?? '', 'last-name': values['last-name'] ?? '' }),
  };
}

/** Flags first; what is missing is asked for on a terminal, or is a usage error without one. */
async function collect(values: Flags, io: CliIo, ask: boolean): Promise<Answers> {
  const context = { input: io.stdin, output: io.stderr };
  const str = (key: keyof typeof OPTIONS) => {
    const value = values[key];
    return typeof value === 'string' ? value : undefined;
  };
  const need = async (key: keyof typeof OPTIONS, message: string, validate: (v: string) => string | true, fallback?: string): Promise<string> => {
    const given = str(key);
    if (given !== undefined) {
      const ok = validate(given);
      if (ok !== true) throw new UsageError(`--${key}: ${ok}`);
      return given;
    }
    if (!ask) {
      if (fallback !== undefined) return fallback;
      throw new UsageError(`--${key} is required (no terminal to ask on, or --yes/--json)`);
    }
    return input({ message, ...(fallback === undefined ? {} : { default: fallback }), validate }, context);
  };
  const caUrl = await need('ca', 'Address of the certificate authority', validUrl, io.env.CERTWIZARD_CA || undefined);
  const dns = values.dns ?? [];
  for (const name of dns) {
    if (!isValidDomainName(name)) throw new UsageError(`--dns: ${name} is not a host name (such as mail.example.org)`);
  }
  const validEmail = (v: string) => (EMAIL.test(v) ? true : 'an address like you@example.org');
  // Host names alone: no address is certified; the person types the account's on the CA's page.
  const email = dns.length > 0 && str('email') === undefined ? undefined : await need('email', 'Your email address', validEmail);
  const firstName = await need('first-name', 'First name', () => true, '');
  const lastName = await need('last-name', 'Last name', () => true, '');
  const name = await need(
    'name',
    'A name for this certificate (folder name)',
    (v) => (isInstallName(v) ? true : 'lower-case letters, digits, dots and dashes, and not a Windows device name (con, nul, com1...)'),
    'mail',
  );
  let keyType: KeyType;
  const givenKey = str('key-type');
  if (givenKey !== undefined) {
    if (!(KEY_TYPES as readonly string[]).includes(givenKey)) throw new UsageError(`--key-type: one of ${KEY_TYPES.join(', ')}`);
    keyType = givenKey as KeyType;
  } else if (ask) {
    keyType = await select<KeyType>(
      {
        message: 'Key type',
        default: 'p256',
        choices: [
          { value: 'p256', name: 'ECDSA P-256 (recommended: fast, accepted everywhere)' },
          { value: 'p384', name: 'ECDSA P-384' },
          { value: 'rsa2048', name: 'RSA 2048 (for old clients)' },
          { value: 'rsa3072', name: 'RSA 3072' },
          { value: 'rsa4096', name: 'RSA 4096 (slow)' },
        ],
      },
      context,
    );
  } else {
    keyType = 'p256';
  }
  return { caUrl, email, dns, firstName, lastName, name, keyType };
}

function validUrl(value: string): string | true {
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:' ? true : 'an http(s) address';
  } catch {
    return 'an address like https://ca.example';
  }
}

/**
 * Fails fast, before any browser opens, when nothing answers at the CA's address (the SDK would
 * retry for a while, which is right mid-flow but only slow at the start).
 */
async function reachable(caUrl: string): Promise<void> {
  const url = new URL(caUrl);
  try {
    await fetch(new URL('/healthz', url), { signal: AbortSignal.timeout(REACHABLE_TIMEOUT_MS), redirect: 'manual' }).then((r) => r.arrayBuffer());
  } catch (error) {
    // Something answers, in the other scheme: say so, rather than "nothing answers".
    const code = (error as { cause?: { code?: unknown } }).cause?.code;
    if (url.protocol === 'https:' && typeof code === 'string' && /^ERR_SSL_|^EPROTO$/.test(code)) {
      const suggested = withScheme(url, 'http:');
      throw new CaSchemeMismatchError(`${url.origin} answers, but in plain HTTP, not TLS`, suggested, { cause: error });
    }
    if (url.protocol === 'http:' && (await speaksTls(url))) {
      const suggested = withScheme(url, 'https:');
      throw new CaSchemeMismatchError(`${url.origin} answers, but only over TLS (https)`, suggested, { cause: error });
    }
    throw new CaUnreachableError(`nothing answers at ${url.origin}`, 1, { cause: error });
  }
}

const REACHABLE_TIMEOUT_MS = 10_000;
const TLS_PROBE_TIMEOUT_MS = 3_000;

/** `url` with the other scheme, the same host and port (a default port written out). */
function withScheme(url: URL, protocol: 'http:' | 'https:'): string {
  const port = url.port === '' ? (url.protocol === 'https:' ? '443' : '80') : url.port;
  return `${protocol}//${url.hostname}:${port}`;
}

/**
 * Whether a TLS handshake succeeds at `url`'s host and port. Only a handshake: no certificate
 * check (nothing is sent over it, and it only chooses the message) and no request.
 */
function speaksTls(url: URL): Promise<boolean> {
  return new Promise((resolve) => {
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const socket = tlsConnect({ host, port: Number(url.port || 80), rejectUnauthorized: false, ...(isIP(host) ? {} : { servername: host }) });
    const done = (answer: boolean) => {
      socket.destroy();
      resolve(answer);
    };
    socket.setTimeout(TLS_PROBE_TIMEOUT_MS, () => done(false));
    socket.once('secureConnect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/**
 * The CA certificate to trust: the given file, or (only for a CA on loopback, i.e. a development
 * CA on this machine) the one it serves, with a notice.
 */
async function trustAnchors(file: string | undefined, caUrl: string, term: Terminal, json: boolean): Promise<string> {
  if (file !== undefined) return readFileSync(file, 'utf8');
  if (!LOOPBACK_HOSTS.has(new URL(caUrl).hostname))
    throw new UsageError('--ca-cert is required for a CA that is not on this machine (the certificate to trust must come from you, not from the CA)');
  const res = await fetch(new URL('/ca.pem', caUrl));
  if (!res.ok) throw new CaProtocolError(`${caUrl}/ca.pem answered ${res.status}`, res.status);
  if (!json) term.say(term.dim('Trusting the CA certificate served on this machine (development CA).'));
  return res.text();
}

/**
 * A development CA on this machine (the reference CA's `dev` command, `npm start`) keeps every
 * mail it sends in a dev mailbox page: say where, since its confirmation mail may go nowhere a
 * person reads. Only for a loopback CA, and only when the page answers.
 */
async function mentionDevMailbox(caUrl: string, term: Terminal): Promise<void> {
  if (!LOOPBACK_HOSTS.has(new URL(caUrl).hostname)) return;
  const mailbox = new URL('/dev/mailbox', caUrl);
  const answers = await fetch(mailbox, { method: 'HEAD', redirect: 'manual', signal: AbortSignal.timeout(REACHABLE_TIMEOUT_MS) }).then(
    (res) => res.ok,
    () => false,
  );
  if (answers) term.say(term.dim(`This development CA keeps a copy of every mail it sends (the confirmation link too) at ${mailbox.href}`));
}

const STEP_TEXT: Record<string, string> = {
  'prepare-key': 'Making a key and a certificate request',
  register: 'Registering with the certificate authority',
  submit: 'Sending the certificate request',
  'await-issue': 'Waiting for approval',
  install: 'Installing the certificate',
};

/**
 * Renders the progress events of one run. The spinner's text is remembered, so that a CA that
 * stops answering is said on the spot ("trying again (2)") and the wait goes on under its own
 * words once the CA answers again.
 */
function renderer(term: Terminal): (event: EnrollFlowEvent) => void {
  let waiting = '';
  let retrying = false;
  const spin = (text: string) => {
    waiting = text;
    retrying = false;
    term.spin(text);
  };
  const notAnswering = (attempt: number) => {
    retrying = true;
    term.spin(`${waiting === '' ? 'Waiting' : waiting}: the CA is not answering, trying again (${attempt})`);
  };
  return (event) => {
    if (event.type === 'ca-retrying') return notAnswering(event.attempt);
    if (event.type === 'registration' && event.event.type === 'ca-retrying') return notAnswering(event.event.attempt);
    // Any other news means the CA answers again.
    if (retrying) spin(waiting);
    render(event, term, spin);
  };
}

/** Renders one progress event; `spin` shows a wait. */
function render(event: EnrollFlowEvent, term: Terminal, spin: (text: string) => void): void {
  if (event.type === 'step' && STEP_TEXT[event.step] !== undefined) {
    spin(`${STEP_TEXT[event.step]}${event.resumed ? ' (continuing)' : ''}`);
    return;
  }
  if (event.type === 'registration') {
    const e = event.event;
    // The CA's registration and confirmation pages show the same code (RFC 8628 §5.4): a page
    // with another code was not started by this run.
    if ((e.type === 'ticket-issued' || e.type === 'resumed') && e.userCode !== undefined) {
      term.say(`The CA's pages show the code ${term.green(e.userCode)}: go on only if they show the same.`);
    }
    if (e.type === 'browser-opened') spin('Finish the registration in the browser page that opened; then confirm your address from the mail the CA sends');
    if (e.type === 'url-displayed') spin('Waiting for the registration: open the address above, then confirm your address from the mail the CA sends');
    if (e.type === 'registered') term.say(`${term.green('Registered')} as ${e.emailAddress}`);
    return;
  }
  if (event.type === 'domain') {
    renderDomain(event.event, term, spin);
    return;
  }
  if (event.type === 'enrollment' && event.event.type === 'pending') {
    spin(`Waiting for approval of request ${event.event.requestId} by the account owner (a mail was sent; approve it on the CA's account page)`);
  }
}

/** Says how a domain is being verified, and when it is. */
function renderDomain(event: DomainVerificationEvent, term: Terminal, spin: (text: string) => void): void {
  const shown = (domain: string, unicode?: string) => (unicode !== undefined && unicode !== domain ? `${unicode} (${domain})` : domain);
  switch (event.type) {
    case 'verifying':
      if (event.method === 'email') {
        term.say(`Verifying the domain ${shown(event.domain, event.unicode)} for your account: the CA mailed ${event.address ?? 'an administrative address'}.`);
        spin(
          event.automatic === true
            ? `Waiting for the mail server to answer the CA's mail to ${event.address}`
            : `Waiting for the domain ${event.domain}: open the CA's mail to ${event.address} and confirm`,
        );
      } else {
        term.say(
          `Verifying the domain ${shown(event.domain, event.unicode)} for your account by ${event.method === 'dns' ? 'a DNS TXT record' : 'an HTTP file'}.`,
        );
      }
      return;
    case 'waiting':
      return;
    case 'verified':
      term.say(
        event.alreadyVerified
          ? `${term.green('Domain')} ${event.domain}: already verified for your account (${event.method})`
          : `${term.green('Domain verified')}: ${event.domain} (by ${event.method}${event.lapsesAt === undefined ? '' : `, until ${event.lapsesAt.slice(0, 10)}`})`,
      );
      return;
    default: {
      const _unknown: never = event;
      return;
    }
  }
}

/** What the certificate is for, in words: the server's host names, an address, or both. */
function purpose(answers: Pick<Answers, 'email' | 'dns'>): string {
  const servers = answers.dns.length === 0 ? undefined : `a TLS server certificate for ${answers.dns.join(', ')}`;
  const address = answers.email === undefined ? undefined : `${servers === undefined ? 'a certificate for ' : ''}the address ${answers.email}`;
  return [servers, address].filter((p) => p !== undefined).join(' and ');
}

/**
 * The domain verification of the flags. dns and http need the person to publish something before
 * the CA looks: on a terminal the record (or the URL and content) is printed and Enter is awaited;
 * with --json it is one `{"type":"domain-publish",...}` line on stdout, and the CA is asked once a
 * line arrives on stdin (a closed stdin fails the run instead of waiting forever).
 */
function domainVerificationOf(values: Flags, term: Terminal, emitJson: ((event: Record<string, unknown>) => void) | undefined): DomainVerification | undefined {
  const method = typeof values['domain-method'] === 'string' ? values['domain-method'] : undefined;
  const localPart = typeof values['domain-address-local-part'] === 'string' ? values['domain-address-local-part'] : undefined;
  if (localPart !== undefined && !(ADMINISTRATIVE_LOCAL_PARTS as readonly string[]).includes(localPart))
    throw new UsageError(`--domain-address-local-part: one of ${ADMINISTRATIVE_LOCAL_PARTS.join(', ')}`);
  if (localPart !== undefined && method !== undefined && method !== 'email')
    throw new UsageError('--domain-address-local-part goes with --domain-method email');
  for (const domain of values.domain ?? []) {
    if (!isValidDomainName(domain)) throw new UsageError(`--domain: ${domain} is not a domain an account may hold`);
  }
  switch (method) {
    case undefined:
      return localPart === undefined ? undefined : { method: 'email', localPart: localPart as AdministrativeLocalPart };
    case 'email':
      return { method: 'email', ...(localPart === undefined ? {} : { localPart: localPart as AdministrativeLocalPart }) };
    case 'dns':
      return {
        method: 'dns',
        publish: (record, signal) =>
          published(term, emitJson, signal, { method: 'dns', ...record }, [
            `Publish this DNS TXT record, then press Enter:`,
            `  ${record.name}. TXT "${record.value}"`,
          ]),
      };
    case 'http':
      return {
        method: 'http',
        publish: (file, signal) =>
          published(term, emitJson, signal, { method: 'http', ...file }, [
            `Serve this file on port 80 (plain http), then press Enter:`,
            `  URL      ${file.url}`,
            `  content  ${file.content}`,
          ]),
      };
    default:
      throw new UsageError('--domain-method: email, dns or http');
  }
}

/** Shows what to publish and resolves when the person says it is there (a line on stdin). */
async function published(
  term: Terminal,
  emitJson: ((event: Record<string, unknown>) => void) | undefined,
  signal: AbortSignal,
  what: Record<string, string>,
  lines: string[],
): Promise<void> {
  term.stop();
  if (emitJson !== undefined) emitJson({ type: 'domain-publish', ...what });
  else for (const line of lines) term.say(line);
  await new Promise<void>((resolve, reject) => {
    (term.io.stdin as { ref?: () => void }).ref?.();
    const input = createInterface({ input: term.io.stdin, terminal: false });
    const done = (error?: unknown) => {
      signal.removeEventListener('abort', onAbort);
      input.off('close', onClose);
      input.close();
      // readline resumed stdin; paused and unreferenced, it no longer keeps the process from exiting.
      term.io.stdin.pause();
      (term.io.stdin as { unref?: () => void }).unref?.();
      if (error === undefined) resolve();
      else reject(error);
    };
    const onAbort = () => done(signal.reason);
    const onClose = () => done(new PublishUnconfirmedError('stdin closed before the record or file was confirmed published (a line on stdin says it is)'));
    signal.addEventListener('abort', onAbort, { once: true });
    input.once('line', () => done());
    input.once('close', onClose);
  });
}

function summary(installed: InstalledCertificate): Record<string, unknown> {
  return {
    name: installed.name,
    version: installed.version,
    paths: installed.paths,
    fingerprintSha256: installed.fingerprintSha256,
    notAfter: installed.notAfter.toISOString(),
    names: installed.names,
  };
}

function showInstalled(installed: InstalledCertificate, resumed: boolean, term: Terminal): void {
  const days = Math.floor((installed.notAfter.getTime() - Date.now()) / 86_400_000);
  term.say(`${term.green('Installed')}${resumed ? ' (continued from an earlier run)' : ''}: ${installed.names.join(', ')}`);
  const servers = installed.names.filter((n) => !n.includes('@'));
  const addresses = installed.names.filter((n) => n.includes('@'));
  const uses = [
    ...(servers.length === 0 ? [] : [`TLS server certificate for ${servers.join(', ')}`]),
    ...(addresses.length === 0 ? [] : [`email (S/MIME) and client certificate for ${addresses.join(', ')}`]),
  ];
  term.say(`  for          ${uses.join('; ')}`);
  term.say(`  certificate  ${installed.paths.cert}`);
  term.say(`  key          ${installed.paths.privkey}`);
  term.say(`  full chain   ${installed.paths.fullchain}`);
  term.say(`  SHA-256      ${installed.fingerprintSha256}`);
  term.say(`  expires      ${installed.notAfter.toISOString()} (${days} days)`);
}
