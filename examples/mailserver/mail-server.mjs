/**
 * ExampleMail: the small mail server a vendor ships, built on smtp-server. It stores every mail
 * it accepts in a folder per recipient. When its installer gets a certificate, it attaches the
 * certwizard mail hook for that CA (`enableCertwizard`), so the CA's email ping is answered by
 * the server itself.
 *
 * The hook is a filter around the server's own handlers (`wrapOnData`, `wrapOnRcptTo`): every
 * mail still reaches `storeMail` byte for byte, pings included; the hook only answers the pings
 * that carry a nonce this server asked for (`nonces.expect`, done by the SDK's enroll()).
 *
 * STARTTLS: with `certificateDir` (the SDK's `live/<name>` folder) ExampleMail offers STARTTLS
 * with the key and chain found there, and `reloadCertificate()` swaps them in place, for new
 * connections, without a restart; with `pidFile` it also reloads on SIGHUP, which is what its
 * reload command (reload.mjs, the installer's post-install command) sends, as `postfix reload`
 * does. Without a certificate it offers no STARTTLS at all (plain SMTP, as before): smtp-server
 * would otherwise present its built-in certificate, whose key is public.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { mkdir, readdir, readFile, realpath, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createSecureContext } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { createMailHook, openNonceBook } from '@certwizard/mail-hook';
import { SMTPServer } from 'smtp-server';

/** Largest mail ExampleMail takes without the hook (the hook has its own limit). */
const MAX_MESSAGE_BYTES = 10 * 1024 * 1024;

/** Commands no session gets: ExampleMail has no accounts. */
const ALWAYS_DISABLED = ['AUTH'];

/**
 * Reads the key and chain of one installed version and checks that they belong together.
 * `certificateDir` is `live/<name>`, one symbolic link to `archive/<name>/vN` that the SDK
 * switches with a single rename(2) once vN is complete; resolving it once and reading both files
 * from the resolved folder means a renewal between the two reads cannot pair one version's key
 * with another's certificate. A pair written some other way (copied by hand, cut short) is
 * caught by the checks: it must parse, and the key must be the certificate's.
 * @param {string} certificateDir
 * @returns {Promise<{ status: 'absent' } | { status: 'ok', key: Buffer, cert: Buffer, leaf: X509Certificate, from: string }>}
 */
async function readCertificatePair(certificateDir) {
  let from;
  try {
    from = await realpath(certificateDir);
  } catch (error) {
    if (error?.code === 'ENOENT') return { status: 'absent' };
    throw error;
  }
  const [key, cert] = await Promise.all([readFile(join(from, 'privkey.pem')), readFile(join(from, 'fullchain.pem'))]);
  // The first certificate of fullchain.pem is the server's own.
  const leaf = new X509Certificate(cert);
  if (!leaf.checkPrivateKey(createPrivateKey(key))) throw new Error(`privkey.pem is not the key of fullchain.pem's certificate in ${from}`);
  // What OpenSSL itself says about the pair, before the server is given it.
  createSecureContext({ key, cert });
  return { status: 'ok', key, cert, leaf, from };
}

/**
 * The command an installer gives the SDK as `postInstall`, so that ExampleMail serves a new
 * certificate as soon as it is live: `node reload.mjs PIDFILE` (SIGHUP to the running server).
 * @param {string} pidFile - the `pidFile` ExampleMail was started with
 * @returns {import('@certwizard/sdk').PostInstallCommand}
 */
export function reloadCommand(pidFile) {
  return { argv: [process.execPath, fileURLToPath(new URL('./reload.mjs', import.meta.url)), pidFile], timeoutMs: 10_000 };
}

/**
 * Starts ExampleMail on 127.0.0.1.
 * @param {object} options
 * @param {string} options.dataDir - mailboxes go to `dataDir/mailboxes/<address>/`, the hook's nonces to `dataDir/certwizard/`
 * @param {number} [options.port] - default 0: the system picks one
 * @param {string} [options.certificateDir] - the installed certificate, the SDK's `<baseDir>/live/<name>` (privkey.pem, fullchain.pem); STARTTLS is offered while one is loaded
 * @param {string} [options.pidFile] - write this process's id there and reload the certificate on SIGHUP (what reload.mjs sends); removed on close. Not on Windows, which has no SIGHUP
 * @param {(entry: object) => void} [options.log] - the hook's log entries and the certificate's (`tls-certificate-loaded`, `tls-certificate-refused`, `tls-certificate-absent`); never a nonce, token or key
 */
export async function startExampleMail({ dataDir, port = 0, certificateDir, pidFile, log = () => {} }) {
  const mailboxes = join(dataDir, 'mailboxes');
  await mkdir(mailboxes, { recursive: true, mode: 0o700 });
  let counter = 0;
  /** The certificate served now; undefined: none, so no STARTTLS. @type {{ serial: string, notAfter: Date, subject: string, from: string } | undefined} */
  let served;
  /** The key and chain of `served`, PEM. @type {{ key: Buffer, cert: Buffer } | undefined} */
  let current;
  /** @type {Promise<unknown>} */
  let reloading = Promise.resolve();
  /** @type {{ hook: import('@certwizard/mail-hook').MailHook, nonces: import('@certwizard/mail-hook').NonceBook, onData: Function, onRcptTo: Function } | undefined} */
  let certwizard;

  // The vendor's own delivery: one file per mail and recipient.
  const storeMail = (stream, session, callback) => {
    const chunks = [];
    stream.on('data', (chunk) => chunks.push(chunk));
    stream.on('error', callback);
    stream.on('end', async () => {
      try {
        const message = Buffer.concat(chunks);
        for (const { address } of session.envelope.rcptTo) {
          const folder = join(mailboxes, address.toLowerCase().replace(/[^a-z0-9@._+-]/g, '_'));
          await mkdir(folder, { recursive: true, mode: 0o700 });
          await writeFile(join(folder, `${Date.now()}-${++counter}.eml`), message, { mode: 0o600 });
        }
        callback();
      } catch (error) {
        callback(error);
      }
    });
  };

  const server = new SMTPServer({
    name: 'examplemail.local',
    banner: 'ExampleMail',
    authOptional: true,
    // Plain SMTP on connect; TLS only through STARTTLS (RFC 3207), decided per connection below.
    secure: false,
    disabledCommands: ALWAYS_DISABLED,
    size: MAX_MESSAGE_BYTES,
    // smtp-server looks up every client's name in the DNS by default; on a machine whose resolver
    // is slow or unreachable that delays every greeting, the CA's ping included.
    disableReverseLookup: true,
    // STARTTLS only while a certificate of ours is loaded: before that the server's context holds
    // smtp-server's built-in test certificate, which must never be offered. Decided when the
    // client connects, so a reload never changes what an open session was told in EHLO.
    onConnect: (session, callback) => {
      session.disabledCommands = served ? ALWAYS_DISABLED : [...ALWAYS_DISABLED, 'STARTTLS'];
      callback();
    },
    // With the hook attached, mail goes through it first; without, straight to the store.
    onRcptTo: (address, session, callback) => (certwizard ? certwizard.onRcptTo(address, session, callback) : callback()),
    onData: (stream, session, callback) => (certwizard ? certwizard.onData(stream, session, callback) : storeMail(stream, session, callback)),
    logger: false,
  });

  /** Logs why a pair was not loaded; the served one stays. */
  const refuse = (error) => {
    const reason = error?.message ?? String(error);
    log({ event: 'tls-certificate-refused', reason, kept: served?.serial ?? null });
    return { status: 'refused', reason };
  };
  /** Loads the live pair into the server; on any failure the served one stays. */
  const load = async () => {
    if (certificateDir === undefined) return { status: 'absent' };
    let pair;
    try {
      pair = await readCertificatePair(certificateDir);
    } catch (error) {
      return refuse(error);
    }
    if (pair.status === 'absent') {
      log({ event: 'tls-certificate-absent', certificateDir, kept: served?.serial ?? null });
      return { status: 'absent' };
    }
    // One synchronous call: smtp-server rebuilds its context map from these (already checked)
    // options and every TLS handshake after it, STARTTLS on an open session too, uses the new one.
    try {
      server.updateSecureContext({ key: pair.key, cert: pair.cert });
    } catch (error) {
      // Not expected after the checks above; the map may be half rebuilt, so the old pair goes back.
      if (current) server.updateSecureContext(current);
      return refuse(error);
    }
    current = { key: pair.key, cert: pair.cert };
    served = { serial: pair.leaf.serialNumber.toLowerCase(), notAfter: new Date(pair.leaf.validTo), subject: pair.leaf.subject, from: pair.from };
    log({ event: 'tls-certificate-loaded', serial: served.serial, notAfter: served.notAfter.toISOString(), from: served.from });
    return { status: 'loaded', serial: served.serial, notAfter: served.notAfter };
  };
  // Reloads one after another, so an older read never overwrites a newer one.
  const reloadCertificate = () => (reloading = reloading.then(load, load));
  const onHangup = () => void reloadCertificate();

  await reloadCertificate();
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  if (pidFile !== undefined) {
    process.on('SIGHUP', onHangup);
    // Written whole then renamed: reload.mjs never reads half a number.
    await writeFile(`${pidFile}.tmp`, `${process.pid}\n`, { mode: 0o600 });
    await rename(`${pidFile}.tmp`, pidFile);
  }
  return {
    port: server.server.address().port,
    /**
     * Loads the certificate in `certificateDir` again and serves it to new connections, without a
     * restart. A pair that does not load (unreadable, unparsable, a key of another certificate)
     * is refused and the one served so far stays; so does it when the folder is gone.
     * @returns {Promise<{ status: 'loaded', serial: string, notAfter: Date } | { status: 'refused', reason: string } | { status: 'absent' }>}
     */
    reloadCertificate,
    /** The certificate served over STARTTLS now (serial in lower-case hex), or undefined. */
    get certificate() {
      return served;
    },
    /**
     * Attaches the mail hook for one CA; what the installer does before it enrolls.
     * @param {{ caOrigin: string, pingFrom: string }} ca - the CA's origin and ping address
     * @returns {Promise<import('@certwizard/mail-hook').NonceBook>} the nonces, for enroll()'s `emailPing`
     */
    async enableCertwizard({ caOrigin, pingFrom }) {
      if (certwizard) return certwizard.nonces;
      const nonces = await openNonceBook(join(dataDir, 'certwizard'), { caOrigin });
      const hook = createMailHook({ book: nonces, pingFrom, log });
      certwizard = { hook, nonces, onData: hook.wrapOnData(storeMail), onRcptTo: hook.wrapOnRcptTo() };
      return nonces;
    },
    /** The texts of the mails stored for `address`, oldest first. */
    async mailbox(address) {
      const folder = join(mailboxes, address.toLowerCase());
      const names = await readdir(folder).catch(() => []);
      names.sort((a, b) => Number(a.split('-')[0]) - Number(b.split('-')[0]) || a.localeCompare(b));
      return Promise.all(names.map((name) => readFile(join(folder, name), 'utf8')));
    },
    async close() {
      if (pidFile !== undefined) {
        await rm(pidFile, { force: true });
        process.off('SIGHUP', onHangup);
      }
      await reloading;
      await certwizard?.hook.close();
      await new Promise((resolve) => server.close(() => resolve()));
      await certwizard?.nonces.close();
    },
  };
}
