/**
 * ExampleMail serves STARTTLS with the certificate its installer put in `live/<name>` and picks
 * up a renewed one without a restart (issue 13). Everything is real: server certificates for
 * mail.examplemail.test from the reference CA (ssl_api `PUT /api/csr/:client`, issued at once),
 * installed by the SDK's public install() with ExampleMail's reload command as `postInstall`
 * (SIGHUP to this process, where ExampleMail runs), and checked with the openssl command line
 * the README prints.
 */
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCsr, generateKeyPair, parseCertificateChain } from '@certwizard/pki';
import { install } from '@certwizard/sdk';
import { startTestCa, type TestCa } from '@certwizard/server-reference/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { reloadCommand, startExampleMail } from './mail-server.mjs';

const HOST = 'mail.examplemail.test';
const NAME = 'examplemail';
const OPENSSL_TIMEOUT_MS = 10_000;
const LOG_WAIT_MS = 10_000;
const RELOAD = fileURLToPath(new URL('./reload.mjs', import.meta.url));

type LogEntry = { event: string; serial?: string; reason?: string; kept?: string | null };
type ExampleMail = Awaited<ReturnType<typeof startExampleMail>>;

/** A key and a server certificate for `HOST`, issued at once by the CA's ssl_api endpoint. */
async function issueServerCertificate(ca: TestCa) {
  const { privateKey } = generateKeyPair('p256');
  const csr = createCsr({ privateKey, subject: [{ type: 'CN', value: HOST }], subjectAltNames: { dns: [HOST] } });
  const res = await fetch(`${ca.url}/api/csr/${NAME}`, { method: 'PUT', headers: { 'content-type': 'application/x-pem-file' }, body: csr.pem });
  expect(res.status).toBe(200);
  const [leaf, ...chain] = parseCertificateChain(((await res.json()) as { signed_x509_pem: string }).signed_x509_pem);
  if (leaf === undefined) throw new Error('the CA answered no certificate');
  return { privateKey, certificatePem: leaf.pem, chainPem: chain.map((c) => c.pem).join(''), serial: serialOf(leaf.serialNumberHex) };
}

/** Serials compared as numbers: hex case and leading zeros differ between tools. */
const serialOf = (hex: string) => BigInt(`0x${hex}`).toString(16);

/**
 * The proof line of the README, run for real: stdin closed so that s_client ends after the
 * handshake, and killed after a bounded time in any case.
 */
function starttls(port: number, caFile: string): Promise<{ ok: boolean; output: string; serial: string | undefined }> {
  const args = ['s_client', '-starttls', 'smtp', '-connect', `127.0.0.1:${port}`, '-servername', HOST, '-CAfile', caFile, '-verify_return_error'];
  return new Promise((resolve) => {
    const child = execFile('openssl', args, { timeout: OPENSSL_TIMEOUT_MS, killSignal: 'SIGKILL' }, (error, stdout, stderr) => {
      const pem = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(stdout)?.[0];
      const leaf = pem === undefined ? undefined : new X509Certificate(pem);
      if (leaf !== undefined) expect(leaf.checkHost(HOST)).toBe(HOST);
      resolve({ ok: error === null, output: `${stdout}\n${stderr}`, serial: leaf === undefined ? undefined : serialOf(leaf.serialNumber) });
    });
    child.stdin?.end();
  });
}

/** Runs the reload command the way the SDK runs a post-install command. */
function runReload(pidFile: string): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [RELOAD, pidFile], { timeout: OPENSSL_TIMEOUT_MS }, (error, stdout) =>
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : null, stdout }),
    );
  });
}

describe('ExampleMail serves the installed certificate over STARTTLS', () => {
  let ca: TestCa;
  let dir: string;
  let baseDir: string;
  let caFile: string;
  let pidFile: string;
  let mail: ExampleMail | undefined;
  let entries: LogEntry[];
  let waiters: { match: (e: LogEntry) => boolean; resolve: (e: LogEntry) => void }[];

  /**
   * The first log entry from index `from` on (already written or to come) that `match` accepts;
   * rejects after `LOG_WAIT_MS` with the entries seen, so a missing entry fails with what came
   * instead of running into the test's timeout.
   */
  const logged = (match: (e: LogEntry) => boolean, from = 0) =>
    new Promise<LogEntry>((resolve, reject) => {
      const found = entries.slice(from).find(match);
      if (found) return resolve(found);
      const timer = setTimeout(
        () => reject(new Error(`no such log entry within ${LOG_WAIT_MS} ms; logged: ${JSON.stringify(entries.slice(from))}`)),
        LOG_WAIT_MS,
      );
      waiters.push({ match, resolve: (e) => (clearTimeout(timer), resolve(e)) });
    });
  const log = (entry: object) => {
    const e = entry as LogEntry;
    entries.push(e);
    waiters = waiters.filter((w) => !(w.match(e) && (w.resolve(e), true)));
  };
  const start = () => startExampleMail({ dataDir: join(dir, 'data'), certificateDir: join(baseDir, 'live', NAME), pidFile, log });

  beforeEach(async () => {
    ca = await startTestCa();
    dir = mkdtempSync(join(tmpdir(), 'examplemail-tls-'));
    baseDir = join(dir, 'certs');
    mkdirSync(baseDir, { mode: 0o700 });
    caFile = join(dir, 'ca.pem');
    writeFileSync(caFile, ca.caCertPem);
    pidFile = join(dir, 'examplemail.pid');
    entries = [];
    waiters = [];
    mail = undefined;
  });
  afterEach(async () => {
    await mail?.close();
    await ca.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  /** install() as the installer calls it: the CA certificate pinned, ExampleMail's reload as the post-install command. */
  const installIssued = (issued: Awaited<ReturnType<typeof issueServerCertificate>>) =>
    install({ baseDir, name: NAME, ...issued, trustAnchorsPem: ca.caCertPem, postInstall: reloadCommand(pidFile) });

  it('verifies with the CA, then serves a renewed certificate to new connections without a restart; a broken pair keeps the served one', async () => {
    // Installed while ExampleMail is stopped: the reload command finds no server and succeeds,
    // so the SDK keeps the new certificate live.
    const first = await issueServerCertificate(ca);
    expect((await installIssued(first)).version).toBe(1);

    mail = await start();
    const port = mail.port;
    expect(readFileSync(pidFile, 'utf8').trim()).toBe(String(process.pid));
    const served1 = await starttls(port, caFile);
    expect(served1.output).toContain('Verify return code: 0 (ok)');
    expect(served1.ok, served1.output).toBe(true);
    expect(served1.serial).toBe(first.serial);

    // Renewal: the SDK switches live/ and runs the reload command, which signals this process.
    const second = await issueServerCertificate(ca);
    expect(second.serial).not.toBe(first.serial);
    // Compared as numbers: ExampleMail logs the serial as X509Certificate gives it, leading zeros
    // kept, and a random serial starts with a zero digit one time in sixteen.
    const reloaded = logged((e) => e.event === 'tls-certificate-loaded' && e.serial !== undefined && serialOf(e.serial) === second.serial);
    expect((await installIssued(second)).version).toBe(2);
    await reloaded;
    const served2 = await starttls(port, caFile);
    expect(served2.ok, served2.output).toBe(true);
    expect(served2.serial).toBe(second.serial);
    // The same server on the same port: nothing restarted.
    expect(mail.port).toBe(port);
    expect(mail.certificate?.serial && serialOf(mail.certificate.serial)).toBe(second.serial);

    // A pair that install() would refuse, switched in by hand as the SDK switches (one rename):
    // the first key with the second certificate, then a certificate cut short.
    const archive = join(baseDir, 'archive', NAME);
    const broken = [
      { name: 'another certificate’s key', version: 90, privkey: '../privkey1.pem', fullchain: '../fullchain2.pem', reason: /not the key/ },
      { name: 'a certificate cut short', version: 91, privkey: '../privkey2.pem', fullchain: '../fullchain-cut.pem', reason: /./ },
    ];
    writeFileSync(join(archive, 'fullchain-cut.pem'), readFileSync(join(archive, 'fullchain2.pem'), 'utf8').slice(0, 300));
    for (const pair of broken) {
      const version = join(archive, `v${pair.version}`);
      mkdirSync(version, { mode: 0o700 });
      symlinkSync(pair.privkey, join(version, 'privkey.pem'));
      symlinkSync(pair.fullchain, join(version, 'fullchain.pem'));
      symlinkSync(`../archive/${NAME}/v${pair.version}`, join(baseDir, 'live', `.${NAME}.tmp`));
      renameSync(join(baseDir, 'live', `.${NAME}.tmp`), join(baseDir, 'live', NAME));

      const refused = logged((e) => e.event === 'tls-certificate-refused', entries.length);
      expect(await runReload(pidFile), pair.name).toMatchObject({ code: 0 });
      const entry = await refused;
      expect(entry.reason, pair.name).toMatch(pair.reason);
      expect(entry.kept && serialOf(entry.kept), pair.name).toBe(second.serial);
      const served = await starttls(port, caFile);
      expect(served.ok, `${pair.name}\n${served.output}`).toBe(true);
      expect(served.serial, pair.name).toBe(second.serial);
    }
  });

  it('offers no STARTTLS without a certificate, and starts to once the first one is installed', async () => {
    mail = await start();
    expect(entries).toContainEqual(expect.objectContaining({ event: 'tls-certificate-absent' }));
    const plain = await starttls(mail.port, caFile);
    expect(plain.ok).toBe(false);
    expect(plain.output).toMatch(/Didn't find STARTTLS in server response/);
    expect(plain.serial).toBeUndefined();

    const first = await issueServerCertificate(ca);
    const loaded = logged((e) => e.event === 'tls-certificate-loaded');
    await installIssued(first);
    expect((await loaded).serial && serialOf((await loaded).serial as string)).toBe(first.serial);
    const served = await starttls(mail.port, caFile);
    expect(served.ok, served.output).toBe(true);
    expect(served.serial).toBe(first.serial);
  });

  it('says a stopped ExampleMail has nothing to reload, and removes its pid file when it stops', async () => {
    expect(await runReload(pidFile)).toMatchObject({ code: 0, stdout: expect.stringContaining('not running') });
    mail = await start();
    await mail.close();
    mail = undefined;
    expect(() => readFileSync(pidFile)).toThrow(/ENOENT/);
    writeFileSync(pidFile, 'not a pid\n');
    expect((await runReload(pidFile)).code).toBe(1);
  });
});
