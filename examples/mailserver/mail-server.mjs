/**
 * ExampleMail: the small mail server a vendor ships, built on smtp-server. It stores every mail
 * it accepts in a folder per recipient. When its installer gets a certificate, it attaches the
 * certwizard mail hook for that CA (`enableCertwizard`), so the CA's email ping is answered by
 * the server itself.
 *
 * The hook is a filter around the server's own handlers (`wrapOnData`, `wrapOnRcptTo`): every
 * mail still reaches `storeMail` byte for byte, pings included; the hook only answers the pings
 * that carry a nonce this server asked for (`nonces.expect`, done by the SDK's enroll()).
 */
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createMailHook, openNonceBook } from '@certwizard/mail-hook';
import { SMTPServer } from 'smtp-server';

/** Largest mail ExampleMail takes without the hook (the hook has its own limit). */
const MAX_MESSAGE_BYTES = 10 * 1024 * 1024;

/**
 * Starts ExampleMail on 127.0.0.1.
 * @param {object} options
 * @param {string} options.dataDir - mailboxes go to `dataDir/mailboxes/<address>/`, the hook's nonces to `dataDir/certwizard/`
 * @param {number} [options.port] - default 0: the system picks one
 * @param {(entry: object) => void} [options.log] - the hook's log entries (never a nonce or token)
 */
export async function startExampleMail({ dataDir, port = 0, log = () => {} }) {
  const mailboxes = join(dataDir, 'mailboxes');
  await mkdir(mailboxes, { recursive: true, mode: 0o700 });
  let counter = 0;
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
    disabledCommands: ['AUTH', 'STARTTLS'],
    size: MAX_MESSAGE_BYTES,
    // smtp-server looks up every client's name in the DNS by default; on a machine whose resolver
    // is slow or unreachable that delays every greeting, the CA's ping included.
    disableReverseLookup: true,
    // With the hook attached, mail goes through it first; without, straight to the store.
    onRcptTo: (address, session, callback) => (certwizard ? certwizard.onRcptTo(address, session, callback) : callback()),
    onData: (stream, session, callback) => (certwizard ? certwizard.onData(stream, session, callback) : storeMail(stream, session, callback)),
    logger: false,
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return {
    port: server.server.address().port,
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
      await certwizard?.hook.close();
      await new Promise((resolve) => server.close(() => resolve()));
      await certwizard?.nonces.close();
    },
  };
}
