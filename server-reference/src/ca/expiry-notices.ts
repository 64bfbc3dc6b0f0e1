/**
 * Expiry notices: the CA mails an account's owner when one of its certificates nears expiry,
 * once per threshold (default 30 and 7 days before notAfter), unless a newer valid certificate of
 * the same account covers all of its names and expires later (it was renewed). ssl_api clients have no owner and
 * get no notice.
 *
 * Once only, across CA processes on one database: the notice (certificate, threshold) is claimed
 * by inserting its row before the mail is sent (the primary key lets one process win), then
 * marked sent. That makes it at most once: a mail the mailer refused gives its claim back, so a
 * later run tries again, but a process that dies between the claim and the hand-over to the
 * relay leaves a claim whose mail never went out, and that notice is lost (the next threshold's
 * still comes). A missed reminder is the cheaper failure than a reminder sent twice by two
 * processes racing, which is what the opposite order (send, then record) would allow.
 */
import type { SubjectAltNames } from '@certwizard/pki';
import type { AccountRepository } from '../accounts/account-store.js';
import type { Logger } from '../log.js';
import type { Mailer } from '../mail/mailer.js';
import type { CertificateRepository } from '../store/certificate-store.js';
import type { ExpiringCertificate, ExpiryNoticeRepository } from '../store/expiry-notice-store.js';

/** The thresholds when the operator names none: 30 and 7 days before notAfter. */
export const EXPIRY_NOTICE_DAYS_DEFAULT: readonly number[] = [30, 7];

/** How often the job looks when the operator names no period, in ms (one hour). */
export const EXPIRY_NOTICE_INTERVAL_MS_DEFAULT = 60 * 60_000;

/** Most certificates one run looks at; the rest wait for the next run (soonest to expire first). */
export const EXPIRY_NOTICE_BATCH = 1000;

/** Most certificates of one account compared when looking for a newer one that covers the names. */
const NEWER_LOOKUP_LIMIT = 500;

const DAY_MS = 24 * 60 * 60_000;

/** What one run did, by certificate looked at. */
export interface ExpiryNoticeRun {
  /** Notices mailed now. */
  readonly sent: number;
  /** Certificates a newer one covers: no notice. */
  readonly superseded: number;
  /** Notices another run or process took on before. */
  readonly alreadyClaimed: number;
  /** Notices whose mail failed (claim given back; a later run tries again). */
  readonly failed: number;
}

/** What {@link ExpiryNoticeJob} needs. */
export interface ExpiryNoticeJobDeps {
  readonly notices: ExpiryNoticeRepository;
  readonly certificates: Pick<CertificateRepository, 'listOf'>;
  readonly accounts: Pick<AccountRepository, 'get'>;
  readonly mailer: Mailer;
  readonly logger: Logger;
  /** The CA's public base URL, without a trailing slash (the account page link). */
  readonly publicUrl: string;
  /** Days before notAfter at which to mail, each 1 to 3650; empty: never. */
  readonly thresholdDays: readonly number[];
  /** The CA's clock, ms since the epoch. */
  readonly now: () => number;
}

/**
 * The expiry notice job. {@link runOnce} is one pass; {@link start} runs one pass now and then one
 * every `intervalMs` on an unref'd timer until {@link stop}. Passes never overlap in a process.
 * @example
 * const job = new ExpiryNoticeJob({ notices, certificates, accounts, mailer, logger, publicUrl, thresholdDays: [30, 7], now: Date.now });
 * job.start({ intervalMs: 3_600_000 });
 * // on close: await job.stop();
 */
export class ExpiryNoticeJob {
  readonly #deps: ExpiryNoticeJobDeps;
  readonly #thresholds: number[];
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<ExpiryNoticeRun> | undefined;

  /** @throws {TypeError} for a threshold that is not a whole number of days from 1 to 3650. */
  constructor(deps: ExpiryNoticeJobDeps) {
    for (const days of deps.thresholdDays) {
      if (!Number.isSafeInteger(days) || days < 1 || days > 3650) throw new TypeError('expiry notice thresholds are whole days from 1 to 3650');
    }
    this.#deps = deps;
    this.#thresholds = [...new Set(deps.thresholdDays)].sort((a, b) => a - b);
  }

  /**
   * One pass: for each valid certificate of an account whose notAfter is within the largest
   * threshold, the smallest threshold it is within is the notice due (a CA that was down past
   * the 30-day mark and comes back 5 days before expiry sends the 7-day notice only, once).
   * Waits for a pass already under way in this process instead of starting a second one.
   */
  runOnce(): Promise<ExpiryNoticeRun> {
    this.#running ??= this.#pass().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  /** Runs a pass now, then every `intervalMs`; failures are logged. A second call is ignored. */
  start(options: { readonly intervalMs: number }): void {
    if (!Number.isSafeInteger(options.intervalMs) || options.intervalMs < 1000) throw new TypeError('intervalMs must be a whole number of ms, at least 1000');
    if (this.#timer !== undefined || this.#thresholds.length === 0) return;
    const tick = () => void this.runOnce().catch((err: unknown) => this.#deps.logger.error('expiry notices failed', { error: err }));
    this.#timer = setInterval(tick, options.intervalMs);
    // Housekeeping must never keep the process alive.
    this.#timer.unref();
    tick();
  }

  /** Stops the timer and waits for a pass under way. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running?.catch(() => undefined);
  }

  async #pass(): Promise<ExpiryNoticeRun> {
    const largest = this.#thresholds.at(-1);
    const counts = { sent: 0, superseded: 0, alreadyClaimed: 0, failed: 0 };
    if (largest === undefined) return counts;
    const now = this.#deps.now();
    const expiring = await this.#deps.notices.expiring(new Date(now), largest * DAY_MS, EXPIRY_NOTICE_BATCH);
    for (const certificate of expiring) {
      const leftMs = certificate.notAfter.getTime() - now;
      const threshold = this.#thresholds.find((days) => leftMs <= days * DAY_MS) as number;
      if (await this.#renewed(certificate, now)) {
        counts.superseded += 1;
      } else if (!(await this.#deps.notices.claim(certificate.serialHex, threshold))) {
        counts.alreadyClaimed += 1;
      } else if (await this.#mail(certificate, leftMs)) {
        await this.#deps.notices.markSent(certificate.serialHex, threshold);
        counts.sent += 1;
      } else {
        await this.#deps.notices.release(certificate.serialHex, threshold);
        counts.failed += 1;
      }
    }
    if (expiring.length > 0) this.#deps.logger.info('expiry notices', { looked: expiring.length, ...counts });
    return counts;
  }

  /**
   * Whether another valid certificate of the same account covers every name of this one and
   * outlives it (it was renewed; the notice would only make the owner renew again).
   */
  async #renewed(certificate: ExpiringCertificate, now: number): Promise<boolean> {
    const others = await this.#deps.certificates.listOf(certificate.requester, NEWER_LOOKUP_LIMIT);
    return others.some(
      (other) =>
        other.serialHex !== certificate.serialHex &&
        other.status === 'valid' &&
        other.notAfter.getTime() > now &&
        outlives(other, certificate) &&
        covers(other.subjectAltNames, certificate.subjectAltNames),
    );
  }

  /** Mails the owner; false when the mail could not be handed over (logged, without the body). */
  async #mail(certificate: ExpiringCertificate, leftMs: number): Promise<boolean> {
    const accountId = Number(certificate.requester.slice('account:'.length));
    const account = await this.#deps.accounts.get(accountId);
    if (account === undefined) return true;
    const names = namesOf(certificate.subjectAltNames);
    const days = Math.max(1, Math.ceil(leftMs / DAY_MS));
    const notAfter = certificate.notAfter.toISOString();
    try {
      await this.#deps.mailer.send({
        to: account.email,
        subject: `Your certificate for ${names[0] ?? 'your account'} expires in ${days === 1 ? '1 day' : `${days} days`}`,
        text: [
          `Hello ${account.firstName},`,
          '',
          `a certificate of your account expires on ${notAfter}, in about ${days === 1 ? '1 day' : `${days} days`}:`,
          '',
          `  Names:      ${names.join(', ')}`,
          `  Serial:     ${certificate.serialHex}`,
          `  Not after:  ${notAfter}`,
          '',
          'An installation that tracks it renews it by itself before then. If it was not renewed,',
          'run this on the machine that holds it:',
          '',
          '  certwizard renew',
          '',
          `Your certificates and their status are on your account page: ${this.#deps.publicUrl}/account`,
          '',
          'No more notices come for this certificate once a newer one covers all of its names.',
        ].join('\n'),
      });
      return true;
    } catch (err) {
      this.#deps.logger.error('expiry notice not sent', { accountId, serial: certificate.serialHex, error: err });
      return false;
    }
  }
}

/**
 * Whether `other` expires after `certificate`. Certificates signed in the same second have equal
 * times (X.509 times have whole seconds): the larger serial counts as the later one, so that of
 * two equal certificates exactly one is renewed by the other and gets the notice.
 */
function outlives(other: { notAfter: Date; notBefore: Date; serialHex: string }, certificate: ExpiringCertificate): boolean {
  const byEnd = other.notAfter.getTime() - certificate.notAfter.getTime();
  const byStart = other.notBefore.getTime() - certificate.notBefore.getTime();
  if (byEnd !== 0) return byEnd > 0;
  if (byStart !== 0) return byStart > 0;
  return other.serialHex.padStart(40, '0') > certificate.serialHex.padStart(40, '0');
}

/** Every name of a certificate, DNS names first. */
function namesOf(names: SubjectAltNames): string[] {
  return [...names.dns, ...names.email, ...names.ip];
}

/** Whether `newer` carries every name of `older` (stored names are normalised, so text equality). */
function covers(newer: SubjectAltNames, older: SubjectAltNames): boolean {
  const has = (list: readonly string[], name: string) => list.some((n) => n.toLowerCase() === name.toLowerCase());
  return older.dns.every((n) => has(newer.dns, n)) && older.email.every((n) => has(newer.email, n)) && older.ip.every((n) => has(newer.ip, n));
}
