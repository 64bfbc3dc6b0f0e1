/**
 * The one interface through which the CA sends mail. Two implementations: an SMTP relay
 * (smtp-mailer.ts) and the development mailbox (dev-mailbox.ts), chosen in main.ts.
 */

/** A mail to send. Addresses are plain `local@domain`; the sender is the mailer's. */
export interface MailMessage {
  readonly to: string;
  readonly subject: string;
  /** The text/plain body. */
  readonly text: string;
  /** An optional text/html alternative. */
  readonly html?: string;
}

/**
 * Sends mail. Implementations reject when the message could not be handed over; the rejection's
 * message never contains the body (it may carry a token).
 * @example
 * await mailer.send({ to: 'ada@example.org', subject: 'Confirm your address', text });
 */
export interface Mailer {
  send(message: MailMessage): Promise<void>;
}

/** Sender used when the operator names none (`--mail-from`). */
export const MAIL_FROM_DEFAULT = 'certwizard CA <ca@localhost>';
