/**
 * Expiry notices against a real CA, its clock moved through the management API: the owner of an
 * account is mailed once at 30 days and once at 7 days before a certificate's notAfter (serial,
 * names, notAfter, `certwizard renew`, the account page), never twice for one threshold across
 * runs or across two CA processes on one database, not at all when a newer certificate of the
 * account covers every name (but yes when the newer one covers other names), never for an
 * ssl_api client's certificate, nothing with `--expiry-notice-days none`; a relay that refuses the
 * mail gives the claim back and a later run sends it over real SMTP; the pass at start sends
 * without being asked.
 */
import { createCsr, generateKeyPair, parseCertificateChain } from '@certwizard/pki';
import { decodeCcsrAnswer } from '@certwizard/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { accountWithToken, callApi, PASSWORD } from './support/cacert-client.js';
import { confirmLinkOf } from './support/ping-client.js';
import { startSmtpSink, type SmtpSink } from './support/smtp-sink.js';
import { putCsr, startTestCa, type TestCa } from './support/test-ca.js';

const DAY_MS = 24 * 60 * 60_000;
const started: Array<{ dispose(): Promise<void> } | SmtpSink> = [];
afterEach(async () => {
  // Dispose of the CAs that share a directory before the one that made it.
  for (const item of started.splice(0).reverse()) await ('dispose' in item ? item.dispose() : item.close());
});

async function testCa(options: Parameters<typeof startTestCa>[0] = {}): Promise<TestCa> {
  const ca = await startTestCa({ rateLimit: { capacity: 1000 }, ...options });
  started.push(ca);
  return ca;
}

/** A certificate issued at once to the account for `email` (ccsr with the password); its serial. */
async function accountCertificate(ca: TestCa, username: string, email = username): Promise<string> {
  const { privateKey } = generateKeyPair('p256');
  const optionalCSR = createCsr({ privateKey, subject: [{ type: 'CN', value: 'ignored by ccsr' }] }).pem;
  const res = await callApi(ca, '/api/ccsr.php', { username, password: PASSWORD, email, name: 'Ada Lovelace', optionalCSR });
  const answer = decodeCcsrAnswer(res.status, res.text);
  if (answer.status !== 'issued') throw new Error(`ccsr did not issue: ${res.text}`);
  return parseCertificateChain(answer.chainPem)[0]?.serialNumberHex as string;
}

const notices = (ca: TestCa, to: string) => ca.mailbox(to).then((mails) => mails.filter((m) => /^Your certificate for .* expires in/.test(m.subject)));
const noticeRows = async (ca: TestCa) => (await ca.rows()).expiry_notices as Array<{ serial_hex: string; threshold_days: number; sent_at_ms: number | null }>;

describe('expiry notices', () => {
  it('mails the owner once at 30 days and once at 7 days, never twice, with what to do', async () => {
    const ca = await testCa();
    const { email } = await accountWithToken(ca, { EmailAddress: 'ada@example.org' });
    const serial = await accountCertificate(ca, email);
    expect(await ca.runExpiryNotices()).toEqual({ sent: 0, superseded: 0, alreadyClaimed: 0, failed: 0 });

    await ca.advanceClock(61 * DAY_MS); // 29 days left (90-day certificates)
    expect(await ca.runExpiryNotices()).toMatchObject({ sent: 1 });
    expect(await ca.runExpiryNotices()).toMatchObject({ sent: 0, alreadyClaimed: 1 });
    const [first, ...others] = await notices(ca, email);
    expect(others).toEqual([]);
    expect(first?.subject).toBe('Your certificate for ada@example.org expires in 29 days');
    const notAfter = (await ca.certificate(serial))?.notAfter as unknown as string;
    expect(first?.text).toContain(`Serial:     ${serial}`);
    expect(first?.text).toContain('Names:      ada@example.org');
    expect(first?.text).toContain(`Not after:  ${notAfter}`);
    expect(first?.text).toContain('certwizard renew');
    expect(first?.text).toContain(`${ca.publicUrl}/account`);

    await ca.advanceClock(22 * DAY_MS); // 7 days left
    expect(await ca.runExpiryNotices()).toMatchObject({ sent: 1 });
    expect(await ca.runExpiryNotices()).toMatchObject({ sent: 0, alreadyClaimed: 1 });
    expect((await notices(ca, email)).map((m) => m.subject)).toEqual([
      'Your certificate for ada@example.org expires in 7 days',
      'Your certificate for ada@example.org expires in 29 days',
    ]);
    expect((await noticeRows(ca)).map((r) => [r.serial_hex, r.threshold_days, r.sent_at_ms !== null])).toEqual([
      [serial, 30, true],
      [serial, 7, true],
    ]);

    await ca.advanceClock(8 * DAY_MS); // expired: nothing more
    expect(await ca.runExpiryNotices()).toEqual({ sent: 0, superseded: 0, alreadyClaimed: 0, failed: 0 });
  });

  it('sends the nearest threshold only when the CA looks late, once', async () => {
    const ca = await testCa();
    const { email } = await accountWithToken(ca, { EmailAddress: 'late@example.org' });
    await accountCertificate(ca, email);
    await ca.advanceClock(85 * DAY_MS); // 5 days left: the 30-day mark passed unseen
    expect(await ca.runExpiryNotices()).toMatchObject({ sent: 1 });
    expect(await ca.runExpiryNotices()).toMatchObject({ sent: 0 });
    expect((await notices(ca, email)).map((m) => m.subject)).toEqual(['Your certificate for late@example.org expires in 5 days']);
  });

  it('sends none when a newer certificate of the account covers its names, and one when the newer covers others', async () => {
    const ca = await testCa();
    const { email } = await accountWithToken(ca, { EmailAddress: 'renewed@example.org' });
    const account = await ca.account(email);
    await ca.addConfirmedAddress(account?.id as number, 'other@example.org');
    const renewed = await accountCertificate(ca, email);
    const notRenewed = await accountCertificate(ca, email, 'other@example.org');
    await ca.advanceClock(30 * DAY_MS);
    await accountCertificate(ca, email); // the renewal of the first: same name, 30 days younger
    await accountCertificate(ca, email, 'third@example.org').catch(() => undefined); // an address not confirmed: refused, covers nothing
    await ca.advanceClock(31 * DAY_MS); // the first two have 29 days left, the renewal 59
    expect(await ca.runExpiryNotices()).toMatchObject({ sent: 1, superseded: 1 });
    const mails = await notices(ca, email);
    expect(mails.map((m) => m.text.includes(notRenewed))).toEqual([true]);
    expect((await noticeRows(ca)).map((r) => r.serial_hex)).toEqual([notRenewed]);
    expect(mails.some((m) => m.text.includes(renewed))).toBe(false);
  });

  it('never mails about an ssl_api client certificate (no owner) and nothing with --expiry-notice-days none', async () => {
    for (const expiryNoticeDays of [undefined, 'none']) {
      const ca = await testCa(expiryNoticeDays ? { expiryNoticeDays } : {});
      const { privateKey } = generateKeyPair('p256');
      const csr = createCsr({ privateKey, subject: [{ type: 'CN', value: 'mail.example.test' }], subjectAltNames: { dns: ['mail.example.test'] } });
      expect((await putCsr(ca, csr.pem)).status).toBe(200);
      if (expiryNoticeDays === 'none') {
        const { email } = await accountWithToken(ca, { EmailAddress: 'quiet@example.org' });
        await accountCertificate(ca, email);
      }
      const before = (await ca.mailbox()).length;
      await ca.advanceClock(85 * DAY_MS);
      expect(await ca.runExpiryNotices()).toEqual({ sent: 0, superseded: 0, alreadyClaimed: 0, failed: 0 });
      expect(await noticeRows(ca)).toEqual([]);
      expect((await ca.mailbox()).length).toBe(before);
    }
  });

  it('sends one notice when two CA processes on one database run at once', async () => {
    const ca = await testCa();
    const { email } = await accountWithToken(ca, { EmailAddress: 'twice@example.org' });
    await accountCertificate(ca, email);
    await accountCertificate(ca, email, email);
    const second = await testCa({ sharing: ca });
    await ca.advanceClock(61 * DAY_MS);
    await second.advanceClock(61 * DAY_MS);
    // Two certificates with the same name: the later one renews the other, so one notice is due,
    // and both processes try to send it at once.
    const [a, b] = await Promise.all([ca.runExpiryNotices(), second.runExpiryNotices()]);
    expect(a.sent + b.sent).toBe(1);
    expect(a.alreadyClaimed + b.alreadyClaimed).toBe(1);
    expect([a.superseded, b.superseded]).toEqual([1, 1]);
    const [c, d] = await Promise.all([ca.runExpiryNotices(), second.runExpiryNotices()]);
    expect(c.sent + d.sent).toBe(0);
    expect(await noticeRows(ca)).toHaveLength(1);
    expect(await notices(ca, email)).toHaveLength(1);
    expect(await notices(second, email)).toHaveLength(1);
  });

  it('gives the claim back when the relay refuses the mail, and a later run sends it over SMTP', async () => {
    let refuse = false;
    const sink = await startSmtpSink({
      forward: async () => {
        if (refuse) throw new Error('mailbox unavailable');
      },
    });
    started.push(sink);
    const ca = await testCa({ smtp: sink.relay });
    const { email } = await accountWithToken(ca, { EmailAddress: 'relay@example.org' }, (to) => confirmLinkOf(sink.latest(to)));
    const serial = await accountCertificate(ca, email);
    await ca.advanceClock(61 * DAY_MS);
    refuse = true;
    expect(await ca.runExpiryNotices()).toMatchObject({ sent: 0, failed: 1 });
    expect(await noticeRows(ca)).toEqual([]);
    refuse = false;
    const relayed = sink.received.length;
    expect(await ca.runExpiryNotices()).toMatchObject({ sent: 1 });
    expect(sink.received.length).toBe(relayed + 1);
    const mail = sink.latest(email);
    expect(mail.parsed.subject).toBe('Your certificate for relay@example.org expires in 29 days');
    expect(mail.parsed.text).toContain(serial);
  });

  it('runs a pass at start, without being asked', async () => {
    const ca = await testCa();
    const { email } = await accountWithToken(ca, { EmailAddress: 'boot@example.org' });
    await accountCertificate(ca, email);
    // A second CA process whose clock reads 61 days later starts on the same database.
    const later = Date.now() + 61 * DAY_MS;
    const second = await testCa({ sharing: ca, now: () => later });
    for (let i = 0; i < 100 && (await notices(second, email)).length === 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect((await notices(second, email)).map((m) => m.subject)).toEqual(['Your certificate for boot@example.org expires in 29 days']);
  });
});
