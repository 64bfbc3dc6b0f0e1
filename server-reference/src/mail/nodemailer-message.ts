/**
 * Turns a {@link MailMessage} into nodemailer's message options, the same way for both mailers
 * (SMTP relay and dev mailbox), so that what the dev mailbox stores is what the relay gets.
 */
import type { SendMailOptions } from 'nodemailer';
import addressparser from 'nodemailer/lib/addressparser';
import type { DkimSigningKey, MailMessage } from './mailer.js';

/**
 * Header fields a DKIM signature covers besides a message's extra headers: those RFC 6376
 * §5.4.1 recommends signing that the CA's mail has.
 */
const SIGNED_FIELDS = ['From', 'Reply-To', 'Subject', 'Date', 'Message-ID', 'To', 'Cc', 'MIME-Version', 'Content-Type', 'Content-Transfer-Encoding'];

/**
 * The nodemailer options of a message.
 *
 * The envelope is set explicitly: MAIL FROM is the address of `From:` (the ping contract wants
 * both to be the ping address, and a receiver such as the mail hook compares them), RCPT TO the
 * single recipient.
 * @param defaults.from - `From:` when the message names none (may carry a display name).
 * @param defaults.dkim - the key to sign with, for messages that ask to be signed.
 * @throws {TypeError} when the sender holds no address, or an extra header value spans lines.
 * @example
 * await transport.sendMail(nodemailerMessage(message, { from: 'CA <ca@example.org>' }));
 */
export function nodemailerMessage(message: MailMessage, defaults: { from: string; dkim?: DkimSigningKey }): SendMailOptions {
  const from = message.from ?? defaults.from;
  const sender = addressparser(from, { flatten: true })[0]?.address;
  if (sender === undefined || sender === '') throw new TypeError('the sender has no address');
  const headers = message.headers ?? {};
  for (const value of Object.values(headers)) {
    // A line break would start a header of the caller's choosing.
    if (/[\r\n]/.test(value)) throw new TypeError('a header value must be one line');
  }
  const dkim = message.sign === true ? defaults.dkim : undefined;
  return {
    from,
    to: message.to,
    envelope: { from: sender, to: [message.to] },
    subject: message.subject,
    text: message.text,
    ...(message.html !== undefined ? { html: message.html } : {}),
    ...(Object.keys(headers).length > 0 ? { headers: { ...headers } } : {}),
    ...(dkim !== undefined
      ? {
          dkim: {
            domainName: dkim.domainName,
            keySelector: dkim.keySelector,
            privateKey: dkim.privateKey,
            headerFieldNames: [...SIGNED_FIELDS, ...Object.keys(headers)].join(':'),
          },
        }
      : {}),
  };
}
