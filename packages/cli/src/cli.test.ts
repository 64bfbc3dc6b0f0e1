/**
 * `certwizard` as a person and a script run it, against the real reference CA: the terminal
 * wizard through a pseudo-terminal (util-linux `script`), `enroll --json --yes` as one JSON event
 * per line, `list` and `status`, usage errors, and the failures a person meets (CA unreachable,
 * address already registered, request discarded), each a message with what to do next and no
 * stack trace. The bin runs the built packages (dist/), which `npm test` builds first.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { importPrivateKeyPem, keysMatch, parseCertificate } from '@certwizard/pki';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startChallTestSrv } from '../../../server-reference/src/ca/test-support/challtestsrv.js';
import { decideOnAccountPage, EMAIL, startTestCa, type TestCa } from '../../sdk/src/enroll/test-support/reference-ca.js';
import { submitRegistration } from '../../sdk/src/flow/test-support/person.js';
import { cliCommand, expectBuilt, onTerminal, runCommand, type CliRun, type OnOutput } from './test-support/run-cli.js';

const RUN_TIMEOUT_MS = 40_000;

let ca: TestCa;
let dir: string;
beforeAll(() => expectBuilt(['main', 'enroll-command', 'list-commands', 'terminal', 'failure', 'errors', 'registration-display']));
beforeEach(async () => {
  ca = await startTestCa({ retryAfterSeconds: 1 });
  dir = mkdtempSync(join(tmpdir(), 'certwizard-cli-'));
  writeFileSync(join(dir, 'ca.pem'), ca.caCertPem);
});
afterEach(async () => {
  await ca.dispose();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs `command` (argv[0] is the program), feeding output to `onOutput`; `write` sends to its stdin, `signal` a signal to it. */
const run = (command: string[], onOutput?: OnOutput, env: NodeJS.ProcessEnv = {}): Promise<CliRun> =>
  runCommand(command, { ...(onOutput === undefined ? {} : { onOutput }), env, timeoutMs: RUN_TIMEOUT_MS });
const cli = cliCommand;
const common = () => ['--ca', ca.url, '--ca-cert', join(dir, 'ca.pem'), '--dir', join(dir, 'certs'), '--credentials-dir', join(dir, 'secrets'), '--no-browser'];

/** The person: registers once the URL appears (with `email` typed instead of the prefilled one). */
function personOnUrl(options: { email?: string } = {}) {
  let acting: Promise<void> | undefined;
  return {
    watch: (all: string) => {
      const url = /(http:\/\/127\.0\.0\.1:\d+\/index\.php\?id=1\S*?)(?:"|\s)/.exec(all)?.[1];
      if (url !== undefined && acting === undefined) {
        acting = submitRegistration(url, options);
        // Awaited by the test through done(); this only keeps an early failure from being "unhandled".
        acting.catch(() => undefined);
      }
    },
    done: () => acting,
  };
}

function expectInstalled(certs: string, email: string): void {
  const live = join(certs, 'live', 'mail');
  const key = importPrivateKeyPem(readFileSync(join(live, 'privkey.pem'), 'utf8'));
  const certificate = parseCertificate(readFileSync(join(live, 'cert.pem'), 'utf8'));
  expect(keysMatch(key, certificate.publicKey)).toBe(true);
  expect(certificate.subjectAltNames.email).toEqual([email]);
}

describe('certwizard enroll', () => {
  it('--json --yes: one JSON event per line, ending with the installed certificate; list and status show it', async () => {
    const person = personOnUrl();
    const result = await run(cli('enroll', '--json', '--yes', '--email', EMAIL, '--first-name', 'Ada', '--last-name', 'Lovelace', ...common()), person.watch);
    await person.done();
    expect(result.code, result.stderr).toBe(0);
    const events = result.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(events.filter((e) => e.type === 'step').map((e) => e.step)).toEqual(['prepare-key', 'register', 'verify-email', 'submit', 'install', 'done']);
    // The user code the CA's pages show (RFC 8628 §5.4) comes with the URL and in the ticket event.
    const shown = events.find((e) => e.type === 'registration-url');
    expect(shown?.userCode).toMatch(/^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
    expect(events).toContainEqual({ type: 'registration', event: { type: 'ticket-issued', userCode: shown?.userCode } });
    expect(events.at(-1)).toMatchObject({ type: 'result', resumed: false, installed: { name: 'mail', names: [EMAIL] } });
    expect(result.stdout).not.toMatch(/PRIVATE KEY|installation_token/);
    expectInstalled(join(dir, 'certs'), EMAIL);

    const list = await run(cli('list', '--dir', join(dir, 'certs')));
    expect(list.code).toBe(0);
    expect(list.stderr).toBe(`Certificates tracked in ${join(dir, 'certs')}:\n`);
    expect(list.stdout).toMatch(
      /^NAME\s+STATE\s+NAMES\s+EXPIRES\s+DAYS LEFT\s+RENEWAL\nmail\s+installed\s+ada\+wizard@example\.org\s+\d{4}-\d\d-\d\d\s+(89|90)\s+-\n$/,
    );
    const listJson = await run(cli('list', '--json', '--dir', join(dir, 'certs')));
    expect(JSON.parse(listJson.stdout)).toMatchObject({ name: 'mail', state: 'done', names: [EMAIL], daysLeft: expect.any(Number) });
    const status = await run(cli('status', 'mail', '--dir', join(dir, 'certs')));
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/^name {10}mail\nstate {9}installed\nCA {12}http:\/\/127\.0\.0\.1:\d+\n/);
    expect(status.stdout).toContain(`certificate   ${join(dir, 'certs', 'live', 'mail', 'cert.pem')}`);
    expect((await run(cli('status', 'other', '--dir', join(dir, 'certs')))).code).toBe(3);
  });

  it('on a terminal: asks what the flags did not say, waits with a spinner, installs', async () => {
    // util-linux `script` gives the wizard a pseudo-terminal; npm test installs it (bsdutils).
    expect(spawnSync('sh', ['-c', 'command -v script']).status, '`script` is not on PATH: install the Debian package bsdutils (npm test does)').toBe(0);
    const person = personOnUrl();
    const answered = new Set<string>();
    const answer = (all: string, write: (text: string) => void, prompt: RegExp, text: string) => {
      if (!answered.has(prompt.source) && prompt.test(all)) {
        answered.add(prompt.source);
        setTimeout(() => write(text), 50);
      }
    };
    // `script` runs the wizard on a new pseudo-terminal and relays this process's pipe to it.
    const command = onTerminal(cli('enroll', ...common()));
    const result = await run(command, (all, write) => {
      answer(all, write, /Your email address/, `${EMAIL}\r`);
      answer(all, write, /First name/, 'Ada\r');
      answer(all, write, /Last name/, 'Lovelace\r');
      answer(all, write, /A name for this certificate/, '\r');
      answer(all, write, /Key type/, '\r');
      person.watch(all);
    });
    await person.done();
    expect(result.code, result.stdout).toBe(0);
    expect([...answered]).toHaveLength(5);
    expect(result.stdout).toContain('ECDSA P-256 (recommended');
    // A development CA on this machine: where its mail can be read.
    expect(result.stdout).toContain(`This development CA keeps a copy of every mail it sends (the confirmation link too) at ${ca.url}/dev/mailbox`);
    // --no-browser: the address on its own lines, whole (the spinner cleared first), and no QR
    // code, since a phone cannot open a loopback address.
    expect(result.stdout).toMatch(
      /Open this address in a browser to register with the certificate authority:\r?\n\r?\n {2}http:\/\/127\.0\.0\.1:\d+\/index\.php\?id=1\S*\r?\n/,
    );
    expect(result.stdout).not.toMatch(/[▀▄█]/);
    expect(result.stdout).toMatch(/The CA's pages show the code .*[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}.*: go on only if they show the same\./);
    expect(result.stdout).toMatch(/Installed.*: ada\+wizard@example\.org/);
    expect(result.stdout).toMatch(/SHA-256 +([0-9A-F]{2}:){31}[0-9A-F]{2}/);
    expect(result.stdout).not.toMatch(/\n\s+at /);
    expectInstalled(join(dir, 'certs'), EMAIL);
  });

  it('shows what to do when the CA is unreachable, the address is taken, or the request is discarded', { timeout: 90_000 }, async () => {
    const unreachable = await run(
      cli(
        'enroll',
        '--yes',
        '--email',
        EMAIL,
        '--ca',
        'http://127.0.0.1:1',
        '--ca-cert',
        join(dir, 'ca.pem'),
        '--dir',
        join(dir, 'x'),
        '--credentials-dir',
        join(dir, 'x-secrets'),
        '--no-browser',
      ),
    );
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toMatch(
      /^Failed: nothing answers at http:\/\/127\.0\.0\.1:1 \(ERR_SDK_CA_UNREACHABLE\)\nCheck that http:\/\/127\.0\.0\.1:1 is the right address/m,
    );

    // The request names the prefilled address; the person registers another one, so the request
    // waits for the owner, who discards it.
    const changed = 'ada.other@example.org';
    const person = personOnUrl({ email: changed });
    let discarding: Promise<void> | undefined;
    const discarded = await run(cli('enroll', '--json', '--yes', '--email', EMAIL, ...common()), (all) => {
      person.watch(all);
      const id = /"type":"pending","requestId":"([A-Za-z0-9_-]+)"/.exec(all)?.[1];
      if (id !== undefined && discarding === undefined) discarding = decideOnAccountPage(ca, id, 'discard', changed);
    });
    await person.done();
    await discarding;
    expect(discarded.code).toBe(1);
    expect(JSON.parse(discarded.stdout.trim().split('\n').at(-1) as string)).toMatchObject({
      type: 'error',
      code: 'ERR_SDK_ENROLL_REJECTED',
      hint: 'The request and its key were dropped; running the command again makes a new request.',
    });

    // Another installation registering the same address: the CA refuses it.
    const again = personOnUrl({ email: changed });
    const taken = await run(
      cli(
        'enroll',
        '--yes',
        '--email',
        changed,
        ...common().slice(0, 4),
        '--dir',
        join(dir, 'other'),
        '--credentials-dir',
        join(dir, 'other-secrets'),
        '--no-browser',
      ),
      again.watch,
    );
    await again.done().catch(() => undefined);
    expect(taken.code).toBe(1);
    expect(taken.stderr).toContain('Failed: That address is already registered at the CA. (ERR_SDK_REGISTRATION_REFUSED)');
    for (const r of [unreachable, discarded, taken]) expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('certwizard enroll when the CA stops mid-way', () => {
  it('says the CA is not answering as it happens, never naming an endpoint', { timeout: 60_000 }, async () => {
    const leaving = await startTestCa({ retryAfterSeconds: 1 });
    let stopping: Promise<void> | undefined;
    let interrupted = false;
    try {
      const result = await run(
        cli(
          'enroll',
          '--yes',
          '--email',
          EMAIL,
          '--ca',
          leaving.url,
          '--ca-cert',
          join(dir, 'ca.pem'),
          '--dir',
          join(dir, 'l'),
          '--credentials-dir',
          join(dir, 'l-s'),
          '--no-browser',
        ),
        (all, _write, signal) => {
          // The registration address is out: the CA goes away while the person would register.
          if (stopping === undefined && all.includes('Waiting for the registration')) stopping = leaving.dispose();
          if (!interrupted && /the CA is not answering, trying again \(1\)/.test(all)) {
            interrupted = true;
            signal('SIGINT');
          }
        },
      );
      expect(result.stderr).toMatch(/Waiting for the registration: open the address above.*: the CA is not answering, trying again \(1\)/);
      expect(result.code).toBe(130);
      expect(result.stdout + result.stderr).not.toMatch(/isitdone|givemeaticket/);
    } finally {
      await (stopping ?? leaving.dispose());
    }
  });
});

describe('certwizard enroll run again after Ctrl-C', () => {
  it('asks nothing the state file knows, says what it continues, shows no registration address, and finishes', { timeout: 90_000 }, async () => {
    // First run: the person registers another address, so the request waits for the owner; Ctrl-C then.
    const changed = 'ada.later@example.org';
    const person = personOnUrl({ email: changed });
    let requestId: string | undefined;
    const first = await run(cli('enroll', '--json', '--yes', '--email', EMAIL, ...common()), (all, _write, signal) => {
      person.watch(all);
      const id = /"type":"pending","requestId":"([A-Za-z0-9_-]+)"/.exec(all)?.[1];
      if (id !== undefined && requestId === undefined) {
        requestId = id;
        signal('SIGINT');
      }
    });
    await person.done();
    expect(first.code).toBe(130);
    expect(requestId).toBeDefined();

    // The rerun, on a terminal, without --email: no question, no address to open; it waits, the
    // owner approves, it installs.
    let approving: Promise<void> | undefined;
    const rerun = await run(onTerminal(cli('enroll', ...common())), (all) => {
      if (approving === undefined && all.includes('Waiting for approval')) approving = decideOnAccountPage(ca, requestId as string, 'approve', changed);
    });
    await approving;
    expect(rerun.code, rerun.stdout).toBe(0);
    expect(rerun.stdout).toMatch(/Continuing the certificate "mail" for ada\+wizard@example\.org from http:\/\/127\.0\.0\.1:\d+: waiting for the CA to issue/);
    expect(rerun.stdout).not.toMatch(/Your email address|First name|Key type|Open this address/);
    expect(rerun.stdout).toMatch(/Installed\S* \(continued from an earlier run\)/);
  });
});

describe('certwizard enroll on a machine without a keychain', () => {
  // No Secret Service answers on this bus address: the keychain probe fails at once.
  const NO_KEYCHAIN = { DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/certwizard-test-bus' };

  it('--yes: fails before anything else, in user words, naming the flag and the folder', async () => {
    const certs = join(dir, 'nokeychain');
    const result = await run(
      cli('enroll', '--yes', '--email', EMAIL, '--ca', ca.url, '--ca-cert', join(dir, 'ca.pem'), '--dir', certs, '--no-browser'),
      () => {},
      NO_KEYCHAIN,
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `Failed: This machine has no keychain (no Secret Service is running) to keep the CA's installation token in. (ERR_SDK_KEYCHAIN_UNAVAILABLE)\n` +
        `Run the same command with --credentials-dir ${join(certs, 'credentials')} to keep it in a file only you can read, or start a keychain (gnome-keyring) first.\n`,
    );
    expect(existsSync(join(certs, 'enrollments'))).toBe(false);
  });

  it('on a terminal: offers the file store before the first question', async () => {
    const certs = join(dir, 'nokeychain-tty');
    const command = onTerminal(cli('enroll', '--ca', ca.url, '--ca-cert', join(dir, 'ca.pem'), '--dir', certs, '--no-browser'));
    const seen: string[] = [];
    const result = await run(
      command,
      (all, write) => {
        // The prompt wraps on the pseudo-terminal's 80 columns, with escape codes: match its start.
        if (seen.length === 0 && /This machine has no keychain to keep the CA's installation token in/.test(all)) {
          seen.push('keychain');
          expect(all).not.toContain('Your email address');
          setTimeout(() => write('\r'), 50);
        }
        if (seen.length === 1 && /Your email address/.test(all)) {
          seen.push('email');
          // Ctrl-C at the first question: the choice made is kept (the folder exists), nothing else.
          setTimeout(() => write('\u0003'), 50);
        }
      },
      NO_KEYCHAIN,
    );
    expect(seen).toEqual(['keychain', 'email']);
    expect(result.code).toBe(130);
    expect(statSync(join(certs, 'credentials')).mode & 0o777).toBe(0o700);
    expect(existsSync(join(certs, 'enrollments'))).toBe(false);
  });
});

describe('certwizard enroll with the wrong scheme in --ca', () => {
  const enrollAt = (caUrl: string) =>
    run(
      cli('enroll', '--yes', '--email', EMAIL, '--ca', caUrl, '--ca-cert', join(dir, 'ca.pem'), '--dir', join(dir, 'w'), '--credentials-dir', join(dir, 'w-s')),
    );

  it('https:// for a CA that speaks plain HTTP: says so and gives the address that works', async () => {
    const port = new URL(ca.url).port;
    const result = await enrollAt(`https://127.0.0.1:${port}`);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `Failed: https://127.0.0.1:${port} answers, but in plain HTTP, not TLS (ERR_CLI_CA_SCHEME)\nRun the same command with --ca http://127.0.0.1:${port}.`,
    );
    expect(result.stderr).not.toContain('nothing answers');
  });

  it('http:// for a server that speaks only TLS: says so', async () => {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-keyout',
        join(dir, 'tls.key'),
        '-out',
        join(dir, 'tls.crt'),
        '-subj',
        '/CN=127.0.0.1',
        '-days',
        '1',
      ],
      { stdio: 'ignore' },
    );
    const server = createHttpsServer({ key: readFileSync(join(dir, 'tls.key')), cert: readFileSync(join(dir, 'tls.crt')) }, (_req, res) => res.end('ok'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const port = (server.address() as AddressInfo).port;
      const result = await enrollAt(`http://127.0.0.1:${port}`);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(
        `Failed: http://127.0.0.1:${port} answers, but only over TLS (https) (ERR_CLI_CA_SCHEME)\nRun the same command with --ca https://127.0.0.1:${port}.`,
      );
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('two certwizard enroll runs on the same folder', () => {
  it('the second is refused with what to do; the first keeps its state and key, and leaves no lock once stopped', { timeout: 90_000 }, async () => {
    const enrollments = join(dir, 'certs', 'enrollments');
    let second: Promise<CliRun> | undefined;
    const first = await run(cli('enroll', '--json', '--yes', '--email', EMAIL, ...common()), (all, _write, signal) => {
      // The first run waits for the person at the registration page: it holds the lock.
      if (second !== undefined || !all.includes('"type":"registration-url"')) return;
      second = run(cli('enroll', '--json', '--yes', '--email', EMAIL, ...common()));
      void second.then(() => signal('SIGINT'));
    });
    const refused = await (second as Promise<CliRun>);
    expect(refused.code).toBe(1);
    const error = JSON.parse(refused.stdout.trim().split('\n').at(-1) as string) as Record<string, unknown>;
    expect(error).toMatchObject({
      type: 'error',
      code: 'ERR_SDK_ENROLLMENT_LOCKED',
      message: expect.stringMatching(/^Another run \(process \d+\) is already getting this certificate\.$/),
      hint: `Wait for it to finish, then run the same command again. If no such process is running any more, remove ${join(enrollments, 'mail.lock')}.`,
    });
    expect(refused.stdout + refused.stderr).not.toMatch(/EEXIST|\n\s+at /);

    // Stopped with Ctrl-C, the first run keeps what it did and leaves no lock behind.
    expect(first.code).toBe(130);
    expect(readdirSync(enrollments).sort()).toEqual(['mail.json', 'mail.key.pem']);
    expect(JSON.parse(readFileSync(join(enrollments, 'mail.json'), 'utf8'))).toMatchObject({ step: 'register' });
  });
});

describe('certwizard usage', () => {
  it('prints usage with exit codes and the version, refuses unknown commands and options with 2', async () => {
    const help = await run(cli('--help'));
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('130  interrupted');
    const manifest = JSON.parse(readFileSync(fileURLToPath(new URL('../package.json', import.meta.url)), 'utf8')) as { version: string };
    for (const flag of ['--version', '-V']) {
      const version = await run(cli(flag));
      expect(version.code).toBe(0);
      expect(version.stdout).toBe(`certwizard ${manifest.version}\n`);
    }
    for (const command of ['enroll', 'list', 'status']) {
      const sub = await run(cli(command, '--help'));
      expect(sub.code).toBe(0);
      expect(sub.stdout).toMatch(new RegExp(`^usage: certwizard ${command}`));
    }
    const empty = await run(cli('list', '--dir', join(dir, 'none')));
    expect(empty.code).toBe(0);
    expect(empty.stdout).toContain(`No certificates tracked in ${join(dir, 'none')} yet`);
    expect((await run(cli('frobnicate'))).code).toBe(2);
    expect((await run(cli('constructor'))).code).toBe(2);
    const badOption = await run(cli('list', '--colour'));
    expect(badOption.code).toBe(2);
    expect(badOption.stderr).toMatch(/^certwizard list: Unknown option '--colour'/);
    expect(badOption.stdout).toBe('');
    const missing = await run(cli('enroll', '--yes', '--ca', ca.url));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--email is required');
    const device = await run(cli('enroll', '--yes', '--email', EMAIL, '--ca', ca.url, '--name', 'nul.pem', '--dir', join(dir, 'z')));
    expect(device.code).toBe(2);
    expect(device.stderr).toContain('--name: lower-case letters, digits, dots and dashes, and not a Windows device name');
    expect(existsSync(join(dir, 'z'))).toBe(false);
  });

  it('--json: a usage error is also an error line on stdout, with a stable code', async () => {
    const missing = await run(cli('enroll', '--json', '--ca', ca.url));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--email is required');
    expect(
      missing.stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as unknown),
    ).toEqual([
      { type: 'error', code: 'ERR_CLI_USAGE', message: expect.stringContaining('--email is required'), hint: 'certwizard enroll --help lists the options.' },
    ]);
    const unknown = await run(cli('list', '--json', '--colour'));
    expect(unknown.code).toBe(2);
    expect(JSON.parse(unknown.stdout)).toMatchObject({ type: 'error', code: 'ERR_CLI_USAGE', message: expect.stringContaining("'--colour'") });
  });

  it('colours its messages on a terminal, and not when NO_COLOR is set', async () => {
    // Colour is only ever used on a terminal, so NO_COLOR is only observable under one: `script`
    // gives the command a pseudo-terminal (npm test installs util-linux's bsdutils).
    const enrollOnTerminal = (env: NodeJS.ProcessEnv) =>
      run(
        onTerminal(
          cli(
            'enroll',
            '--yes',
            '--email',
            EMAIL,
            '--ca',
            'http://127.0.0.1:1',
            '--dir',
            join(dir, 'y'),
            '--ca-cert',
            join(dir, 'ca.pem'),
            '--credentials-dir',
            join(dir, 'y-s'),
          ),
        ),
        () => {},
        env,
      );
    const RED = '\u001b[31m';
    const coloured = await enrollOnTerminal({ NO_COLOR: '' });
    expect(coloured.code).toBe(1);
    expect(coloured.stdout).toContain(`${RED}Failed:`);
    const plain = await enrollOnTerminal({ NO_COLOR: '1' });
    expect(plain.code).toBe(1);
    expect(plain.stdout).toContain('Failed: nothing answers');
    expect(plain.stdout).not.toMatch(/\u001b\[\d+m/);
  });
});

describe('certwizard enroll --dns', () => {
  it('--json --yes --dns NAME --domain-method dns: the record is a domain-publish line, a line on stdin has the CA look, a serverAuth certificate for the name is installed', async () => {
    const host = 'mail.examplemail.test';
    const dns = await startChallTestSrv();
    try {
      await ca.dispose();
      ca = await startTestCa({ retryAfterSeconds: 1, dnsResolvers: [dns.dnsServer] });
      writeFileSync(join(dir, 'ca.pem'), ca.caCertPem);
      // No --email: the certificate is for the host name only; the person types the account's address.
      const person = personOnUrl({ email: EMAIL });
      let publishing: Promise<void> | undefined;
      const result = await run(cli('enroll', '--json', '--yes', '--dns', host, '--domain-method', 'dns', ...common()), (all, write) => {
        person.watch(all);
        const line = all.split('\n').find((l) => l.startsWith('{"type":"domain-publish"'));
        if (line !== undefined && publishing === undefined) {
          const record = JSON.parse(line) as { method: string; name: string; value: string };
          publishing = dns.setTxt(record.name, record.value).then(() => void write('\n'));
        }
      });
      await person.done();
      await publishing;
      expect(result.code, result.stderr).toBe(0);
      const events = result.stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(events).toContainEqual({
        type: 'domain-publish',
        method: 'dns',
        name: '_certwizard-challenge.examplemail.test',
        value: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      });
      expect(events).toContainEqual({
        type: 'domain',
        event: expect.objectContaining({ type: 'verified', domain: 'examplemail.test', method: 'dns', alreadyVerified: false }),
      });
      expect(events.at(-1)).toMatchObject({ type: 'result', installed: { names: [host] } });
      const certificate = parseCertificate(readFileSync(join(dir, 'certs', 'live', 'mail', 'cert.pem'), 'utf8'));
      expect(certificate.subjectAltNames).toEqual({ dns: [host], email: [], ip: [] });
      expect(certificate.extendedKeyUsage).toEqual(['serverAuth']);
    } finally {
      await dns.stop();
    }
  });

  it('--help lists the server options; a bad --dns or --domain-method is a usage error', async () => {
    const help = await run(cli('enroll', '--help'));
    for (const option of ['--dns NAME', '--domain DOMAIN', '--domain-method M', '--domain-address-local-part P']) expect(help.stdout).toContain(option);
    const bad = await run(cli('enroll', '--yes', '--dns', 'not a name', ...common()));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--dns: not a name is not a host name');
    const method = await run(cli('enroll', '--yes', '--dns', 'mail.example.org', '--domain-method', 'ftp', ...common()));
    expect(method.code).toBe(2);
    expect(method.stderr).toContain('--domain-method: email, dns or http');
  });
});
