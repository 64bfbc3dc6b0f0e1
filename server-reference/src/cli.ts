/**
 * The `certwizard-ca` command: create-identity, serve, dev, add-operator, renewal-window, scep-pin. Expected failures print one clear
 * line (no stack trace) and exit 1; usage errors exit 2.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { formatName, KEY_TYPES, type KeyType, NAME_ATTRIBUTE_TYPES, PkiError } from '@certwizard/pki';
import { parseArgv } from './argv.js';
import { buildServeConfig, SERVE_DEFAULTS, type ServeConfig } from './config.js';
import { CaError, ConfigError } from './errors.js';
import { createIdentity, IDENTITY_FILES, identityNeedsPassphrase, loadIdentity } from './identity.js';
import { type RunningCa, startCa } from './main.js';
import { OperatorExistsError } from './accounts/errors.js';
import { OperatorService } from './accounts/operator-service.js';
import { OperatorStore } from './accounts/operator-store.js';
import { obtainPassphrase, obtainSecret, type PassphraseSources } from './passphrase.js';
import { RENEWAL_WINDOW_HELP, renewalWindowCommand } from './cli-renewal-window.js';
import { SCEP_PIN_HELP, scepPinCommand } from './cli-scep-pin.js';
import { openDatabase } from './store/database.js';
import { createSqlDatabase } from './store/sqlite-dialect.js';

/** `@certwizard/server-reference`'s version, from its package.json (next to src/ and dist/). */
function version(): string {
  return (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

/** Exit codes of `certwizard-ca`. */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

/** The process surroundings a command runs in; injectable for tests. */
export interface CliIo extends PassphraseSources {
  readonly stdout: NodeJS.WritableStream;
  /** Resolves when the process is asked to stop (SIGTERM, SIGINT). */
  readonly stopRequested: Promise<void>;
}

const USAGE = `certwizard-ca: the certwizard reference certificate authority

Usage:
  certwizard-ca create-identity --dir DIR -f TYPE VALUE [-f TYPE VALUE ...] [-v YEARS] [--key KEYTYPE]
  certwizard-ca serve --identity DIR --data DIR [--listen HOST:PORT] [--public-url URL] [--hooks MODULE]
                      [--validity DURATION | --validity-days N] [--log-level LEVEL] [--allow-origin ORIGIN ...]
                      [--smtp HOST:PORT] [--mail-from ADDRESS] [--ticket-lifetime-minutes N]
                      [--ping-from ADDRESS] [--dkim-selector S --dkim-key FILE [--dkim-domain D]]
                      [--domain-lapse-days N] [--names-outside-domains refuse|operator]
                      [--dns-resolver IP[:PORT]]... [--http-challenge-port N] [--allow-private-challenge-addresses]
                      [--expiry-notice-days N,N...|none] [--expiry-notice-interval-minutes N]
  certwizard-ca dev [--dir DIR] [--listen HOST:PORT] [--smtp HOST:PORT] [--ping-from ADDRESS]
  certwizard-ca add-operator --data DIR --email ADDRESS
  certwizard-ca renewal-window --data DIR (--serial HEX | --all-issued-before TIME) --start TIME --end TIME
  certwizard-ca scep-pin --data DIR [--dns NAME]... [--subject DN] [--ttl DURATION]
  certwizard-ca help [COMMAND]
  certwizard-ca --version

The CA key's passphrase is read from CA_PASSPHRASE, else asked for on a terminal.
An operator's password is read from OPERATOR_PASSWORD, else asked for on a terminal.
See docs/operations.md.`;

const HELP: Record<string, string> = {
  'create-identity': `certwizard-ca create-identity --dir DIR -f TYPE VALUE [...] [-v YEARS] [--key KEYTYPE]

Creates a self-signed CA identity in DIR: ca.cert.pem, ca.csr.pem, ca.private_key.pem
(encrypted with the passphrase from CA_PASSPHRASE or the terminal) and ca.public_key.pem.
Refuses to touch a DIR that already holds any of them.

  -f, --field TYPE VALUE   subject attribute, repeatable, in order; TYPE is one of
                           ${NAME_ATTRIBUTE_TYPES.join(', ')}; CN is required
  -v, --validity YEARS     validity of the CA certificate (default 10)
  --key KEYTYPE            ${KEY_TYPES.join(', ')} (default rsa3072)`,
  serve: `certwizard-ca serve --identity DIR --data DIR [options]

Serves the CA: PUT /api/csr/:client, GET /crl, /ocsp, GET /ca.pem, GET /healthz, the registration
hand-off (/index.php?id=1, givemeaticket, isitdone, POST /api/wizard/token), the account
area (/login, /account), the CAcert-style API (/api/...), the email ping (/ping/confirm,
POST /api/ping/confirm, POST /api/addresses) and the operator area (/operator/login).
Without --smtp, mail is kept in the dev mailbox (/dev/mailbox).
Prints "listening on http://HOST:PORT" once ready; SIGTERM finishes requests in flight and exits 0.

  --identity DIR        the CA identity (made by create-identity, or adopted as it is)
  --data DIR            where the SQLite database lives (created when missing)
  --listen HOST:PORT    default ${SERVE_DEFAULTS.listen}; port 0 picks a free one
  --public-url URL      base URL clients use (default http://HOST:PORT as bound)
  --hooks MODULE        ES module exporting boot/authorize/presign/postsign/serialNumber
  --validity DURATION   lifetime of issued certificates: 90d, 12h or 10m (whole days,
                        hours or minutes); for short-lived certificates in tests and demos
  --validity-days N     lifetime of issued certificates in days (default ${SERVE_DEFAULTS.validityDays});
                        give --validity or --validity-days, not both
  --log-level LEVEL     debug, info, warn, error (default info)
  --allow-origin ORIGIN https origin that continue/error URLs may point at, repeatable
                        (canonical: https://vendor.example); loopback http is always allowed
  --smtp HOST:PORT      SMTP relay for mail (STARTTLS when offered; required off loopback)
  --mail-from ADDRESS   From: of the CA's mail (default "${SERVE_DEFAULTS.mailFrom}")
  --ticket-lifetime-minutes N  lifetime of tickets (default ${SERVE_DEFAULTS.ticketLifetimeMinutes})
  --ping-from ADDRESS   From: and envelope sender of email pings, a plain address
                        (default ping@ + host of the public URL; ping@localhost for an IP)
  --dkim-selector S     DKIM-sign the pings with this selector (needs --dkim-key)
  --dkim-key FILE       PEM RSA private key (2048 bits or more) for DKIM, read at start
  --dkim-domain D       DKIM signing domain d= (default the domain of --ping-from)
  --domain-lapse-days N  how long a domain verification holds (default ${SERVE_DEFAULTS.domainLapseDays}: 13 months)
  --names-outside-domains refuse|operator  server requests for names outside the verified
                        domains: refused (default) or held for an operator
  --dns-resolver IP[:PORT]  resolver of the domain checks, repeatable (default the system's)
  --http-challenge-port N  port of the HTTP file check (default 80; tests only)
  --allow-private-challenge-addresses  let the HTTP check reach non-public addresses (tests only)
  --expiry-notice-days N,N...  mail an account's owner N days before a certificate expires,
                        once per N, unless a newer certificate covers its names
                        (default ${SERVE_DEFAULTS.expiryNoticeDays}); none: no notices
  --expiry-notice-interval-minutes N  how often the CA looks for them (default ${SERVE_DEFAULTS.expiryNoticeIntervalMinutes})`,
  dev: `certwizard-ca dev [--dir DIR] [--listen HOST:PORT] [--smtp HOST:PORT] [--ping-from ADDRESS]

Runs the CA on embedded development defaults: an identity, a passphrase file and a database
under DIR (default .certwizard/ca), created on first run. For development only: the
passphrase is kept in a 0600 file next to the key. Mail goes to the dev mailbox at
/dev/mailbox (and /dev/mailbox.json); with --smtp it is also relayed there (a local mail
server, as npm start's ExampleMail), the dev mailbox keeping a copy; --ping-from as for serve.`,
  'add-operator': `certwizard-ca add-operator --data DIR --email ADDRESS

Creates an operator of the CA whose database is in DIR: operators log in at /operator/login
and approve or reject requests for DNS names at /operator/queue. The password is read from
OPERATOR_PASSWORD, else asked for twice on a terminal (never on the command line). Refuses an
address that already is an operator's. Can run while the CA serves.`,
  'renewal-window': RENEWAL_WINDOW_HELP,
  'scep-pin': SCEP_PIN_HELP,
};

/**
 * Runs one command.
 * @returns the exit code.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  const err = (line: string) => io.stderr.write(`certwizard-ca: ${line}\n`);
  try {
    // No command is a usage error (exit 2, usage on stderr); asking for help is not.
    if (!command) {
      io.stderr.write(`${USAGE}\n`);
      return EXIT.usage;
    }
    if (command === '--help' || command === '-h' || command === 'help') {
      const topic = rest[0];
      io.stdout.write(`${(topic && HELP[topic]) || USAGE}\n`);
      return EXIT.ok;
    }
    if (command === '--version' || command === '-V') {
      io.stdout.write(`certwizard-ca ${version()}\n`);
      return EXIT.ok;
    }
    if (rest.includes('--help') || rest.includes('-h')) {
      if (!HELP[command]) throw new ConfigError(`unknown command ${command}`);
      io.stdout.write(`${HELP[command]}\n`);
      return EXIT.ok;
    }
    switch (command) {
      case 'create-identity':
        return await createIdentityCommand(rest, io);
      case 'serve':
        return await serveCommand(rest, io);
      case 'dev':
        return await devCommand(rest, io);
      case 'add-operator':
        return await addOperatorCommand(rest, io);
      case 'renewal-window':
        return await renewalWindowCommand(rest, io);
      case 'scep-pin':
        return await scepPinCommand(rest, io);
      default:
        throw new ConfigError(`unknown command ${command}; try certwizard-ca --help`);
    }
  } catch (e) {
    if (e instanceof ConfigError) {
      err(e.message);
      return EXIT.usage;
    }
    if (e instanceof CaError || e instanceof PkiError) {
      err(e.message);
      return EXIT.failure;
    }
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') {
      err('the address is already in use; pick another with --listen HOST:PORT (port 0 for any free one)');
      return EXIT.failure;
    }
    if (code === 'EACCES' || code === 'ENOENT' || code === 'ENOTDIR' || code === 'EROFS') {
      err((e as Error).message);
      return EXIT.failure;
    }
    throw e;
  }
}

async function createIdentityCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const opts = parseArgv(argv, [
    { name: 'dir', arity: 1 },
    { name: 'field', short: 'f', arity: 2, repeatable: true },
    { name: 'validity', short: 'v', arity: 1 },
    { name: 'key', arity: 1 },
  ]);
  const dir = opts.dir as string | undefined;
  if (!dir) throw new ConfigError('--dir DIR is required');
  const fields = (opts.field as string[][] | undefined) ?? [];
  if (fields.length === 0) throw new ConfigError('give the subject with -f TYPE VALUE, at least -f CN "Example CA"');
  for (const [type] of fields) {
    if (!NAME_ATTRIBUTE_TYPES.includes(type as string)) {
      throw new ConfigError(`unknown subject field ${type}; use one of ${NAME_ATTRIBUTE_TYPES.join(', ')}`);
    }
  }
  if (!fields.some(([type]) => type === 'CN')) throw new ConfigError('the subject needs a CN: -f CN "Example CA"');
  const years = Number(opts.validity ?? 10);
  if (!Number.isInteger(years) || years < 1 || years > 50) throw new ConfigError('-v wants whole years from 1 to 50');
  const keyType = (opts.key ?? 'rsa3072') as KeyType;
  if (!KEY_TYPES.includes(keyType)) throw new ConfigError(`--key must be one of ${KEY_TYPES.join(', ')}`);
  // Check before asking for a passphrase: nobody should type one for nothing.
  const taken = Object.values(IDENTITY_FILES).filter((f) => existsSync(join(dir, f)));
  if (taken.length > 0) {
    io.stderr.write(`certwizard-ca: ${dir} already holds an identity (${taken.join(', ')}); it is never overwritten\n`);
    return EXIT.failure;
  }
  const passphrase = await obtainPassphrase(io, { confirm: true });
  const cert = await createIdentity(dir, {
    subject: fields.map(([type, value]) => ({ type: type as string, value: value as string })),
    validityYears: years,
    keyType,
    passphrase,
  });
  io.stdout.write(
    `created the CA identity in ${resolve(dir)}\n  subject     ${formatName(cert.subject)}\n  valid until ${cert.notAfter.toISOString()}\n  SHA-256     ${cert.fingerprintSha256}\n`,
  );
  return EXIT.ok;
}

async function addOperatorCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const opts = parseArgv(argv, [
    { name: 'data', arity: 1 },
    { name: 'email', arity: 1 },
  ]);
  const dataDir = opts.data as string | undefined;
  const email = opts.email as string | undefined;
  if (!dataDir) throw new ConfigError('--data DIR is required');
  if (!email || !/^[^\s@]{1,64}@[^\s@]{1,189}$/.test(email)) throw new ConfigError('--email ADDRESS is required (an email address)');
  const db = openDatabase(dataDir);
  try {
    const operators = new OperatorService(new OperatorStore(createSqlDatabase(db)));
    // Check before asking: nobody should type a password for nothing.
    if (await operators.exists(email)) throw new OperatorExistsError(`an operator ${email} already exists`);
    const password = await obtainSecret(
      io,
      { envName: 'OPERATOR_PASSWORD', label: 'operator password', prompt: 'Operator password: ', repeatPrompt: 'Repeat the password: ' },
      { confirm: true },
    );
    const operator = await operators.create(email, password);
    io.stdout.write(`created operator ${operator.email}; log in at /operator/login\n`);
    return EXIT.ok;
  } finally {
    db.close();
  }
}

async function serveCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const opts = parseArgv(argv, [
    { name: 'identity', arity: 1 },
    { name: 'data', arity: 1 },
    { name: 'listen', arity: 1 },
    { name: 'public-url', arity: 1 },
    { name: 'hooks', arity: 1 },
    { name: 'validity', arity: 1 },
    { name: 'validity-days', arity: 1 },
    { name: 'log-level', arity: 1 },
    { name: 'allow-origin', arity: 1, repeatable: true },
    { name: 'smtp', arity: 1 },
    { name: 'mail-from', arity: 1 },
    { name: 'ticket-lifetime-minutes', arity: 1 },
    { name: 'ping-from', arity: 1 },
    { name: 'dkim-domain', arity: 1 },
    { name: 'dkim-selector', arity: 1 },
    { name: 'dkim-key', arity: 1 },
    { name: 'domain-lapse-days', arity: 1 },
    { name: 'names-outside-domains', arity: 1 },
    { name: 'dns-resolver', arity: 1, repeatable: true },
    { name: 'http-challenge-port', arity: 1 },
    { name: 'allow-private-challenge-addresses', arity: 0 },
    { name: 'expiry-notice-days', arity: 1 },
    { name: 'expiry-notice-interval-minutes', arity: 1 },
  ]);
  const config = buildServeConfig({
    identity: opts.identity as string,
    data: opts.data as string,
    listen: opts.listen as string,
    publicUrl: opts['public-url'] as string,
    hooks: opts.hooks as string,
    validity: opts.validity as string,
    validityDays: opts['validity-days'] as string,
    logLevel: opts['log-level'] as string,
    allowOrigins: ((opts['allow-origin'] as string[][] | undefined) ?? []).map(([origin]) => origin as string),
    smtp: opts.smtp as string,
    mailFrom: opts['mail-from'] as string,
    ticketLifetimeMinutes: opts['ticket-lifetime-minutes'] as string,
    pingFrom: opts['ping-from'] as string,
    dkimDomain: opts['dkim-domain'] as string,
    dkimSelector: opts['dkim-selector'] as string,
    dkimKey: opts['dkim-key'] as string,
    domainLapseDays: opts['domain-lapse-days'] as string,
    namesOutsideDomains: opts['names-outside-domains'] as string,
    dnsResolvers: ((opts['dns-resolver'] as string[][] | undefined) ?? []).map(([server]) => server as string),
    httpChallengePort: opts['http-challenge-port'] as string,
    allowPrivateChallengeAddresses: opts['allow-private-challenge-addresses'] !== undefined,
    expiryNoticeDays: opts['expiry-notice-days'] as string,
    expiryNoticeIntervalMinutes: opts['expiry-notice-interval-minutes'] as string,
  });
  const passphrase = identityNeedsPassphrase(config.identityDir) ? await obtainPassphrase(io) : undefined;
  return serve(config, passphrase, io);
}

async function serve(config: ServeConfig, passphrase: string | undefined, io: CliIo, banner?: (ca: RunningCa) => string): Promise<number> {
  const identity = loadIdentity(config.identityDir, passphrase);
  const running = await startCa(config, { identity });
  io.stdout.write(`listening on ${running.url}\n`);
  if (banner) io.stdout.write(banner(running));
  await io.stopRequested;
  await running.close();
  return EXIT.ok;
}

async function devCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const opts = parseArgv(argv, [
    { name: 'dir', arity: 1 },
    { name: 'listen', arity: 1 },
    { name: 'smtp', arity: 1 },
    { name: 'ping-from', arity: 1 },
  ]);
  const base = resolve((opts.dir as string | undefined) ?? join('.certwizard', 'ca'));
  const identityDir = join(base, 'identity');
  const passphraseFile = join(base, 'passphrase');
  mkdirSync(base, { recursive: true, mode: 0o700 });
  if (!existsSync(passphraseFile)) {
    writeFileSync(passphraseFile, randomBytes(24).toString('base64url'), { flag: 'wx', mode: 0o600 });
  }
  const passphrase = readFileSync(passphraseFile, 'utf8').trim();
  if (!existsSync(join(identityDir, IDENTITY_FILES.certificate))) {
    await createIdentity(identityDir, {
      subject: [
        { type: 'O', value: 'certwizard development' },
        { type: 'CN', value: 'certwizard Dev CA' },
      ],
      validityYears: 10,
      keyType: 'p256',
      passphrase,
    });
    io.stdout.write(`created a development CA identity in ${identityDir}\n`);
  }
  const config = buildServeConfig({
    identity: identityDir,
    data: join(base, 'data'),
    listen: (opts.listen as string | undefined) ?? SERVE_DEFAULTS.listen,
    ...(opts.smtp === undefined ? {} : { smtp: opts.smtp as string, devMailboxCopy: true }),
    ...(opts['ping-from'] === undefined ? {} : { pingFrom: opts['ping-from'] as string }),
  });
  return serve(config, passphrase, io, (ca) =>
    [
      '',
      'certwizard reference CA (development defaults)',
      `  CSR endpoint    PUT ${ca.url}/api/csr/<client>   (body: PEM, Content-Type: application/x-pem-file)`,
      `  CA certificate  ${ca.url}/ca.pem`,
      `  CRL             ${ca.url}/crl`,
      `  health          ${ca.url}/healthz`,
      `  registration    ${ca.url}/index.php?id=1`,
      `  dev mailbox     ${ca.url}/dev/mailbox`,
      ...(config.smtp === undefined ? [] : [`  mail relay      ${config.smtp.host}:${config.smtp.port} (the dev mailbox keeps a copy)`]),
      `  data            ${base}`,
      '',
      'Try:',
      `  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout /tmp/k.pem -subj /CN=host.example -out /tmp/r.pem`,
      `  curl -sS -X PUT -H 'Content-Type: application/x-pem-file' --data-binary @/tmp/r.pem ${ca.url}/api/csr/demo`,
      '',
      'Ctrl-C stops the CA.',
      '',
    ].join('\n'),
  );
}
