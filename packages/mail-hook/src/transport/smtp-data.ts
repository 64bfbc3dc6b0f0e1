/**
 * The smtp-server side of a message: reading the DATA stream into memory (bounded), handing the
 * same bytes on as a fresh stream, and the SMTP replies the hook gives itself.
 */
import { PassThrough, type Readable } from 'node:stream';
import type { SMTPServerDataStream } from 'smtp-server';

/** What was read from a DATA stream. */
export type CollectedMessage =
  /** Every byte, exactly as smtp-server handed them over (dot-unstuffed, terminator removed). */
  | { readonly kind: 'complete'; readonly bytes: Buffer }
  /** More than the cap: the rest was read and dropped. */
  | { readonly kind: 'too-large' };

/**
 * Reads `stream` to its end, keeping at most `maxBytes`, then calls `done` once. Past the cap (or
 * when smtp-server flags `sizeExceeded` from its own `size` option) it keeps reading, so the
 * client gets an answer, but stores nothing more. A callback rather than a promise: this runs for
 * every mail, and ordinary mail should cost no more than the bare server's own handler.
 */
export function collectMessage(
  stream: Readable & Partial<Pick<SMTPServerDataStream, 'sizeExceeded'>>,
  maxBytes: number,
  done: (error: Error | undefined, message: CollectedMessage) => void,
): void {
  const chunks: Buffer[] = [];
  let total = 0;
  let tooLarge = false;
  let finished = false;
  stream.on('data', (chunk: Buffer) => {
    total += chunk.length;
    if (total > maxBytes) {
      tooLarge = true;
      chunks.length = 0;
    } else if (!tooLarge) chunks.push(chunk);
  });
  stream.on('error', (error: Error) => {
    if (finished) return;
    finished = true;
    done(error, { kind: 'too-large' });
  });
  stream.on('end', () => {
    if (finished) return;
    finished = true;
    if (tooLarge || stream.sizeExceeded === true) done(undefined, { kind: 'too-large' });
    else done(undefined, { kind: 'complete', bytes: Buffer.concat(chunks, total) });
  });
}

/**
 * A new DATA stream with exactly `bytes`, shaped like smtp-server's own (`byteLength`,
 * `sizeExceeded`), for a vendor `onData` handler that reads the message after the hook did.
 */
export function replayMessage(bytes: Buffer): SMTPServerDataStream {
  const stream = new PassThrough() as PassThrough & { byteLength: number; sizeExceeded: boolean };
  stream.byteLength = bytes.length;
  stream.sizeExceeded = false;
  stream.end(bytes);
  return stream;
}

/** The replies the hook sends by itself (RFC 5321 §4.2, enhanced codes RFC 3463). */
export const SMTP_REFUSALS = {
  tooLarge: (maxBytes: number) => smtpError(552, `5.3.4 Message exceeds the maximum size of ${maxBytes} bytes`),
  bareLineEnding: () => smtpError(554, '5.6.0 Message refused: bare CR or LF in the data; lines must end with CRLF'),
  tooManyRecipients: (max: number) => smtpError(452, `4.5.3 Too many recipients (at most ${max} per message)`),
  // RFC 5321 §3.6: relaying is the server's choice; 550 (§4.2.3: refused for policy reasons) and
  // RFC 3463 X.7.1 (delivery not authorized). The domain is not echoed: it is the client's text.
  relayDenied: () => smtpError(550, '5.7.1 Relaying denied: this server does not accept mail for that domain'),
  deliveryFailed: () => smtpError(451, '4.3.0 Local error in processing, try again later'),
} as const;

/** An error smtp-server turns into the reply `code message`. */
export function smtpError(code: number, message: string): Error & { responseCode: number } {
  return Object.assign(new Error(message), { responseCode: code });
}
