/**
 * The development mailbox: instead of sending, the CA keeps every mail in the `dev_mailbox`
 * table, where `GET /dev/mailbox` (people) and `GET /dev/mailbox.json` (tests, Playwright)
 * show it. Used whenever no `--smtp` relay is configured.
 */
import nodemailer from 'nodemailer';
import type { SqlDatabase } from '../store/sqlite-dialect.js';
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

/**
 * A {@link Mailer} that stores instead of sending. The message is still built by nodemailer's
 * stream transport, so what is stored (`raw`) is byte for byte what would have been sent,
 * headers and encoding included.
 * @example
 * const mailbox = new DevMailbox(db);
 * await mailbox.send({ to: 'ada@example.org', subject: 'Hi', text: 'Hello' });
 * (await mailbox.list({ to: 'ada@example.org' }))[0]?.subject; // 'Hi'
 */
export class DevMailbox implements Mailer {
  readonly #db: SqlDatabase;
  readonly #now: () => number;
  readonly #defaults: { from: string; dkim?: DkimSigningKey };
  readonly #transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'windows' });

  constructor(db: SqlDatabase, options: DevMailboxOptions = {}) {
    this.#db = db;
    this.#now = options.now ?? Date.now;
    this.#defaults = { from: options.from ?? MAIL_FROM_DEFAULT, ...(options.dkim ? { dkim: options.dkim } : {}) };
  }

  /** Builds the message and stores it. */
  async send(message: MailMessage): Promise<void> {
    const info = await this.#transport.sendMail(nodemailerMessage(message, this.#defaults));
    const raw = Buffer.isBuffer(info.message) ? info.message.toString('utf8') : String(info.message);
    await this.#db
      .insertInto('dev_mailbox')
      .values({ to: message.to, subject: message.subject, text: message.text, html: message.html ?? null, raw, created_at_ms: this.#now() })
      .execute();
  }

  /**
   * Stored mails, newest first.
   * @param options.to - only mails to this address (compared case-insensitively).
   * @param options.limit - at most this many; default 200.
   */
  async list(options: { to?: string; limit?: number } = {}): Promise<StoredMail[]> {
    const limit = options.limit ?? 200;
    let query = this.#db.selectFrom('dev_mailbox').selectAll().orderBy('id', 'desc').limit(limit);
    // Compared case-insensitively, as mail systems compare domains (and most compare local parts).
    if (options.to !== undefined) query = query.where((eb) => eb(eb.fn('lower', ['to']), '=', options.to?.toLowerCase() ?? ''));
    const rows = await query.execute();
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
