/**
 * Mail through an SMTP relay (`--smtp HOST:PORT`), with nodemailer's SMTP transport.
 */
import nodemailer from 'nodemailer';
import { type DkimSigningKey, MAIL_FROM_DEFAULT, type Mailer, type MailMessage } from './mailer.js';
import { nodemailerMessage } from './nodemailer-message.js';

/** Options of {@link createSmtpMailer}. */
export interface SmtpMailerOptions {
  readonly host: string;
  readonly port: number;
  /** `From:` of a mail that names no sender; default {@link MAIL_FROM_DEFAULT}. */
  readonly from?: string;
  /** The key that signs the mails that ask for it (the pings); none by default. */
  readonly dkim?: DkimSigningKey;
  /** Give up on a connection after this many ms; default 15 000. */
  readonly timeoutMs?: number;
  /**
   * Keep connections to the relay open and send mail after mail over them (nodemailer's pool:
   * up to 5 connections, 1000 mails each; a relay that hangs up is reconnected). Saves the connection setup per mail (on loopback,
   * smtp-server's fixed 100 ms greeting delay); default false: one connection per mail.
   */
  readonly pool?: boolean;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

/**
 * Creates a mailer relaying through `host:port`.
 *
 * STARTTLS is used whenever the relay offers it (nodemailer's default) and the relay's
 * certificate is verified. Plain SMTP is accepted only on loopback (a local MTA or a test
 * server): towards any other host STARTTLS is required, so confirmation links, which are
 * credentials, never cross a network in clear. The envelope sender is the message's `From:`
 * address (see nodemailerMessage).
 * @example
 * const mailer = createSmtpMailer({ host: '127.0.0.1', port: 25 });
 */
export function createSmtpMailer(options: SmtpMailerOptions): Mailer & { close(): void } {
  const timeout = options.timeoutMs ?? 15_000;
  const transport = nodemailer.createTransport({
    host: options.host,
    port: options.port,
    secure: options.port === 465,
    requireTLS: !LOOPBACK.has(options.host) && options.port !== 465,
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    socketTimeout: timeout,
    ...(options.pool ? { pool: true, maxMessages: 1000 } : {}),
  });
  const defaults = { from: options.from ?? MAIL_FROM_DEFAULT, ...(options.dkim ? { dkim: options.dkim } : {}) };
  return {
    async send(message: MailMessage): Promise<void> {
      await transport.sendMail(nodemailerMessage(message, defaults));
    },
    close: () => transport.close(),
  };
}
