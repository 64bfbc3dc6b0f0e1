/**
 * createSmtpMailer against a real smtp-server on loopback: one connection per mail by default,
 * and with `pool` one kept connection for mail after mail.
 */
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterEach, describe, expect, it } from 'vitest';
import { createSmtpMailer } from './smtp-mailer.js';

let server: SMTPServer | undefined;
afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

/** A relay that records, for each mail, the id of the SMTP connection it came on. */
async function relay(): Promise<{ port: number; connections: string[] }> {
  const connections: string[] = [];
  server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      stream.resume();
      stream.on('end', () => {
        connections.push(session.id);
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  return { port: (server.server.address() as AddressInfo).port, connections };
}

describe('createSmtpMailer', () => {
  it.each([
    { pool: false, connectionsFor3: 3 },
    { pool: true, connectionsFor3: 1 },
  ])('pool $pool: three mails come on $connectionsFor3 connection(s)', async ({ pool, connectionsFor3 }) => {
    const { port, connections } = await relay();
    const mailer = createSmtpMailer({ host: '127.0.0.1', port, pool });
    try {
      for (let i = 0; i < 3; i++) await mailer.send({ to: `n${i}@example.org`, subject: 'hello', text: 'hello' });
    } finally {
      mailer.close();
    }
    expect(connections).toHaveLength(3);
    expect(new Set(connections).size).toBe(connectionsFor3);
  });
});
