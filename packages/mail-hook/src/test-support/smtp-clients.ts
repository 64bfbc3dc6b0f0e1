/**
 * Ways the tests send mail to a real SMTP listener on loopback: nodemailer (as the CA does), the
 * swaks program (for forged and malformed mail), and a raw socket (for exact bytes). Every wait
 * is bounded.
 */
import { execFile } from 'node:child_process';
import { connect } from 'node:net';
import nodemailer from 'nodemailer';
import type Mail from 'nodemailer/lib/mailer/index.js';

/** What the server said to a whole transaction. */
export interface SendResult {
  readonly ok: boolean;
  /** The last reply code (250 when accepted). */
  readonly code: number | undefined;
  readonly response: string;
}

/** Sends one message over a fresh, plain connection to 127.0.0.1:port with nodemailer. */
export async function sendWithNodemailer(port: number, message: Mail.Options): Promise<SendResult> {
  const transport = nodemailer.createTransport({
    host: '127.0.0.1',
    port,
    secure: false,
    ignoreTLS: true,
    // Generous: a suite sends hundreds of mails at once on a machine that may be busy, and a
    // greeting that is slow there is not what any test is about (each test is still bounded).
    connectionTimeout: 30_000,
    greetingTimeout: 30_000,
    socketTimeout: 30_000,
  });
  try {
    const info = (await transport.sendMail(message)) as { response: string };
    return { ok: true, code: Number.parseInt(info.response, 10), response: info.response };
  } catch (error) {
    const e = error as { responseCode?: number; response?: string; message: string };
    return { ok: false, code: e.responseCode, response: e.response ?? e.message };
  } finally {
    transport.close();
  }
}

/** The message nodemailer would send for `message`, as bytes (no SMTP involved). */
export async function composeWithNodemailer(message: Mail.Options): Promise<Buffer> {
  const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'windows' });
  const info = (await transport.sendMail(message)) as unknown as { message: Buffer };
  return info.message;
}

/** Runs swaks against 127.0.0.1:port; resolves with its exit code and transcript (30 s at most). */
export function swaks(port: number, args: readonly string[]): Promise<{ exitCode: number; transcript: string }> {
  return new Promise((resolve, reject) => {
    execFile('swaks', ['--server', `127.0.0.1:${port}`, '--timeout', '10', ...args], { timeout: 30_000 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') return reject(error);
      resolve({ exitCode: typeof error?.code === 'number' ? error.code : 0, transcript: `${stdout}${stderr}` });
    });
  });
}

/**
 * Talks SMTP over a raw socket, one step at a time: each string (or buffer) is written as is and
 * the server's complete reply awaited. Resolves with the reply to each step (the greeting first).
 * For exact bytes in DATA, including bare line endings nodemailer would never send.
 */
export function smtpConversation(port: number, steps: readonly (string | Buffer)[]): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const replies: string[] = [];
    let pending = '';
    let step = 0;
    socket.setTimeout(10_000, () => socket.destroy(new Error(`no reply within 10 s after step ${step}`)));
    socket.on('error', reject);
    socket.on('close', () => resolve(replies));
    socket.on('data', (chunk: Buffer) => {
      pending += chunk.toString('latin1');
      // A reply is complete at a line "NNN text" (a space, not a hyphen, after the code).
      for (;;) {
        const end = /^\d{3} [^\r\n]*\r\n/m.exec(pending);
        if (end === null) return;
        const upTo = end.index + end[0].length;
        replies.push(pending.slice(0, upTo));
        pending = pending.slice(upTo);
        const next = steps[step++];
        if (next === undefined) socket.end();
        else socket.write(next);
      }
    });
  });
}

/** The reply code of a (possibly multi-line) reply: the code of its last line. */
export function codeOf(reply: string | undefined): number {
  const lines = (reply ?? '').trimEnd().split('\r\n');
  return Number.parseInt(lines[lines.length - 1] ?? '', 10);
}
