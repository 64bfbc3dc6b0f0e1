/**
 * `--smtp HOST:PORT`: the confirmation mail goes through a real SMTP server on loopback
 * (smtp-server), and the link in it confirms the account. The dev mailbox is then off.
 */
import type { AddressInfo } from 'node:net';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestCa, type TestCa } from './support/test-ca.js';
import { confirmAsPerson } from './support/registration-client.js';

interface Received {
  readonly from: string;
  readonly to: string[];
  readonly subject: string;
  readonly text: string;
}

async function startSmtp(): Promise<{ port: number; received: Received[]; close(): Promise<void> }> {
  const received: Received[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      simpleParser(stream)
        .then((mail) => {
          received.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
            subject: mail.subject ?? '',
            text: mail.text ?? '',
          });
          callback();
        })
        .catch(callback);
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.server.address() as AddressInfo).port,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();

describe('SMTP relay', () => {
  let ca: TestCa | undefined;
  let smtp: Awaited<ReturnType<typeof startSmtp>> | undefined;
  afterEach(async () => {
    await ca?.dispose();
    await smtp?.close();
    ca = undefined;
    smtp = undefined;
  });

  it('sends the confirmation mail over SMTP, and its link activates the account', async () => {
    smtp = await startSmtp();
    ca = await startTestCa({ smtp: `127.0.0.1:${smtp.port}` });
    const email = 'relay+test@example.test';
    const res = await fetch(`${ca.url}/index.php?id=1`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: ca.url },
      body: form({
        FirstName: 'Ada',
        LastName: 'Lovelace',
        EmailAddress: email,
        DateOfBirth: '1990-12-10',
        Password: 'correct horse battery',
        PasswordConfirmation: 'correct horse battery',
        Question1: 'First pet?',
        Answer1: 'Rex',
        Question2: 'First school?',
        Answer2: 'Elm Street',
      }),
    });
    expect(res.status).toBe(200);
    expect(smtp.received).toHaveLength(1);
    const mail = smtp.received[0] as Received;
    expect(mail.to).toEqual([email]);
    const link = /(http:\/\/\S+id=confirm&token=[A-Za-z0-9_-]+)/.exec(mail.text)?.[1];
    expect(link?.startsWith(`${ca.publicUrl}/index.php?id=confirm&token=`)).toBe(true);

    const confirmed = await confirmAsPerson(link as string);
    expect(confirmed.status).toBe(200);
    expect(confirmed.text).toContain('Your request was processed.');
    // With a relay configured there is no dev mailbox.
    expect((await fetch(`${ca.url}/dev/mailbox.json`)).status).toBe(404);
  });

  it('says so when the relay is unreachable', async () => {
    smtp = await startSmtp();
    const port = smtp.port;
    await smtp.close();
    smtp = undefined;
    ca = await startTestCa({ smtp: `127.0.0.1:${port}` });
    const res = await fetch(`${ca.url}/index.php?id=1`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: ca.url },
      body: form({
        FirstName: 'Ada',
        LastName: 'Lovelace',
        EmailAddress: 'nomail@example.test',
        DateOfBirth: '1990-12-10',
        Password: 'correct horse battery',
        PasswordConfirmation: 'correct horse battery',
        Question1: 'First pet?',
        Answer1: 'Rex',
        Question2: 'First school?',
        Answer2: 'Elm Street',
      }),
    });
    expect(res.status).toBe(502);
  });
});
