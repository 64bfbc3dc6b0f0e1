/**
 * Test fixture: a real SMTP server (smtp-server) on 127.0.0.1 port 0 that the CA relays to
 * (`--smtp`), keeping every mail as received (envelope, raw bytes) and as mailparser reads it;
 * optionally handing each one on, as a mail server in front of the mail hook would.
 */
import type { AddressInfo } from 'node:net';
import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

/** One mail as the relay received it. */
export interface SunkMail {
  /** Envelope MAIL FROM. */
  readonly mailFrom: string;
  /** Envelope RCPT TO. */
  readonly rcptTo: readonly string[];
  /** The message exactly as received. */
  readonly raw: Buffer;
  readonly parsed: ParsedMail;
}

/** A running sink. */
export interface SmtpSink {
  /** `127.0.0.1:PORT`, for `--smtp`. */
  readonly relay: string;
  readonly received: SunkMail[];
  /** The newest mail to `to` (compared case-insensitively); throws when there is none. */
  latest(to: string): SunkMail;
  close(): Promise<void>;
}

/**
 * Starts a sink. Close it in the test's `afterEach`.
 * @param options.forward - called with each mail before the DATA reply; the client's reply
 *   waits for it, and a rejection answers the client with an error.
 */
export async function startSmtpSink(options: { forward?: (mail: SunkMail) => Promise<void> } = {}): Promise<SmtpSink> {
  const received: SunkMail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    disableReverseLookup: true,
    logger: false,
    closeTimeout: 500,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.once('error', callback);
      stream.once('end', () => {
        const raw = Buffer.concat(chunks);
        simpleParser(raw)
          .then(async (parsed) => {
            const mail = {
              mailFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
              rcptTo: session.envelope.rcptTo.map((r) => r.address),
              raw,
              parsed,
            };
            received.push(mail);
            await options.forward?.(mail);
            callback();
          })
          .catch(callback);
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    relay: `127.0.0.1:${(server.server.address() as AddressInfo).port}`,
    received,
    latest(to) {
      const mail = received.findLast((m) => m.rcptTo.some((r) => r.toLowerCase() === to.toLowerCase()));
      if (mail === undefined) throw new Error(`no mail to ${to}`);
      return mail;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
