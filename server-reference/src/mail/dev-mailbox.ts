/**
 * The development mailbox: instead of sending, the CA keeps every mail in the `dev_mailbox`
 * table, where `GET /dev/mailbox` (people) and `GET /dev/mailbox.json` (tests, Playwright)
 * show it. Used whenever no `--smtp` relay is configured.
 */
import nodemailer from 'nodemailer';
import type { Db } from '../store/database.js';
import { type DkimSigningKey, MAIL_FROM_DEFAULT, type Mailer, type MailMessage } from './mailer.js';
import { nodemailerMessage } from './nodemailer-message.js';

/** A stored mail. */
export interface StoredMail {
  readonly id: number;
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  readonly html?: string;
  /** The RFC 5322 message exactly as the SMTP relay would have received it. */
  readonly raw: string;
  readonly createdAtMs: number;
}

/** Options of {@link DevMailbox}. */
export interface DevMailboxOptions {
  /** `From:` of a mail that names no sender; default {@link MAIL_FROM_DEFAULT}. */
  readonly from?: string;
  /** The key that signs the mails that ask for it (the pings), as the SMTP mailer would; none by default. */
  readonly dkim?: DkimSigningKey;
  /** Clock, in ms since the epoch; `Date.now` by default. */
  readonly now?: () => number;
}

interface Row {
  id: number;
  to: string;
  subject: string;
  text: string;
  html: string | null;
  raw: string;
  created_at_ms: number;
}

/**
 * A {@link Mailer} that stores instead of sending. The message is still built by nodemailer's
 * stream transport, so what is stored (`raw`) is byte for byte what would have been sent,
 * headers and encoding included.
 * @example
 * const mailbox = new DevMailbox(db);
 * await mailbox.send({ to: 'ada@example.org', subject: 'Hi', text: 'Hello' });
 * mailbox.list({ to: 'ada@example.org' })[0]?.subject; // 'Hi'
 */
export class DevMailbox implements Mailer {
  readonly #insert;
  readonly #all;
  readonly #byTo;
  readonly #now: () => number;
  readonly #defaults: { from: string; dkim?: DkimSigningKey };
  readonly #transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'windows' });

  constructor(db: Db, options: DevMailboxOptions = {}) {
    this.#now = options.now ?? Date.now;
    this.#defaults = { from: options.from ?? MAIL_FROM_DEFAULT, ...(options.dkim ? { dkim: options.dkim } : {}) };
    this.#insert = db.prepare('INSERT INTO dev_mailbox ("to", subject, text, html, raw, created_at_ms) VALUES (?, ?, ?, ?, ?, ?)');
    this.#all = db.prepare('SELECT * FROM dev_mailbox ORDER BY id DESC LIMIT ?');
    this.#byTo = db.prepare('SELECT * FROM dev_mailbox WHERE "to" = ? COLLATE NOCASE ORDER BY id DESC LIMIT ?');
  }

  /** Builds the message and stores it. */
  async send(message: MailMessage): Promise<void> {
    const info = await this.#transport.sendMail(nodemailerMessage(message, this.#defaults));
    const raw = Buffer.isBuffer(info.message) ? info.message.toString('utf8') : String(info.message);
    this.#insert.run(message.to, message.subject, message.text, message.html ?? null, raw, this.#now());
  }

  /**
   * Stored mails, newest first.
   * @param options.to - only mails to this address (compared case-insensitively).
   * @param options.limit - at most this many; default 200.
   */
  list(options: { to?: string; limit?: number } = {}): StoredMail[] {
    const limit = options.limit ?? 200;
    const rows = (options.to !== undefined ? this.#byTo.all(options.to, limit) : this.#all.all(limit)) as Row[];
    return rows.map((r) => ({
      id: r.id,
      to: r.to,
      subject: r.subject,
      text: r.text,
      ...(r.html !== null ? { html: r.html } : {}),
      raw: r.raw,
      createdAtMs: r.created_at_ms,
    }));
  }
}
