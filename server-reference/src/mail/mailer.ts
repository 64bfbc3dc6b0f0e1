/**
 * The one interface through which the CA sends mail. Two implementations: an SMTP relay
 * (smtp-mailer.ts) and the development mailbox (dev-mailbox.ts), chosen in main.ts.
 */
import type { KeyObject } from 'node:crypto';

/** A mail to send. Addresses are plain `local@domain`. */
export interface MailMessage {
  readonly to: string;
  readonly subject: string;
  /** The text/plain body. */
  readonly text: string;
  /** An optional text/html alternative. */
  readonly html?: string;
  /**
   * The sender, a plain `local@domain`: the `From:` header and the envelope's MAIL FROM. Default
   * the mailer's (`--mail-from`). The email ping is sent from the ping address.
   */
  readonly from?: string;
  /** Extra header fields, name to value (one line each), such as `X-Certwizard-Ping-Nonce`. */
  readonly headers?: Readonly<Record<string, string>>;
  /**
   * Sign with the mailer's DKIM key, when it was given one (RFC 6376); the extra `headers` are
   * signed too. Without a key this changes nothing.
   */
  readonly sign?: boolean;
}

/** A DKIM signing key (RFC 6376), as `--dkim-domain`, `--dkim-selector` and `--dkim-key` give it. */
export interface DkimSigningKey {
  /** The signing domain, `d=`. */
  readonly domainName: string;
  /** The selector, `s=`: the key is published at `<selector>._domainkey.<domain>`. */
  readonly keySelector: string;
  /** The RSA private key. A secret: never logged, never in an error. */
  readonly privateKey: KeyObject;
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
