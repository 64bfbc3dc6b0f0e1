/**
 * MIME parsing of a suspected ping with mailparser, bounded in parts, header size and time. Only
 * mails that carry the ping nonce header come here; ordinary mail is never parsed.
 */
import type { AddressObject, EmailAddress, HeaderLines } from 'mailparser';
import type { PingMailParts } from '../codec/ping-mail.js';

/** Limits of one parse; validated by the caller. */
export interface MimeParseLimits {
  /** Most MIME parts (the message itself included) before parsing stops. */
  readonly maxMimeParts: number;
  /** Longest the parse may take, in milliseconds. */
  readonly timeoutMs: number;
}

/** Why a parse gave nothing. */
export type MimeParseFailure = 'too-many-mime-parts' | 'parse-timeout' | 'unparseable';

type MailParserClass = typeof import('mailparser').MailParser;
let loading: Promise<MailParserClass> | undefined;
/** mailparser (and its charset tables) is loaded on the first suspected ping, not at import. */
function loadMailParser(): Promise<MailParserClass> {
  return (loading ??= import('mailparser').then((m) => m.MailParser));
}

/** Largest header block of one MIME part, in bytes: a ping's headers are a few KiB. */
const MAX_HEAD_BYTES = 64 * 1024;

/**
 * Parses `bytes` into the parts the ping rules look at. Never throws. Attachments are released
 * unread; HTML is not converted to text, so `text` is there only when the mail has a text/plain
 * part.
 */
export async function parseMimeMessage(
  bytes: Buffer,
  limits: MimeParseLimits,
): Promise<{ ok: true; parts: PingMailParts } | { ok: false; reason: MimeParseFailure }> {
  const MailParser = await loadMailParser();
  return new Promise((resolve) => {
    const parser = new MailParser({
      // mailsplit counts the top node as one part; maxChildNodes is checked as "more than".
      maxChildNodes: limits.maxMimeParts,
      maxHeadSize: MAX_HEAD_BYTES,
      skipHtmlToText: true,
      skipTextToHtml: true,
      skipTextLinks: true,
      skipImageLinks: true,
      checksumAlgo: false,
    });
    let headerLines: HeaderLines = [];
    let from: string[] = [];
    let to: string[] = [];
    let text: string | undefined;
    let otherParts = false;
    let done = false;
    const finish = (result: { ok: true; parts: PingMailParts } | { ok: false; reason: MimeParseFailure }) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (!result.ok) parser.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => finish({ ok: false, reason: 'parse-timeout' }), limits.timeoutMs);
    parser.on('headers', (headers) => {
      from = addressesOf(headers.get('from'));
      to = addressesOf(headers.get('to'));
    });
    parser.on('headerLines', (lines: HeaderLines) => {
      headerLines = lines;
    });
    parser.on('data', (data) => {
      if (data.type === 'attachment') {
        otherParts = true;
        data.release?.();
      } else if (data.type === 'text') {
        // An HTML-only mail still yields an empty text (HTML is not converted): that is no text body.
        if (typeof data.text === 'string' && data.text.trim() !== '') text = data.text;
        if (typeof data.html === 'string' && data.html.trim() !== '') otherParts = true;
      }
    });
    parser.on('error', (error: Error & { code?: unknown }) => {
      finish({ ok: false, reason: error.code === 'EMAXLEN' && /child nodes/i.test(error.message) ? 'too-many-mime-parts' : 'unparseable' });
    });
    parser.on('end', () => finish({ ok: true, parts: { headerLines, from, to, text, otherParts } }));
    parser.end(bytes);
  });
}

/** Every address in an address header, groups flattened; an empty list for anything else. */
function addressesOf(value: unknown): string[] {
  const objects = (Array.isArray(value) ? value : [value]).filter(isAddressObject);
  const out: string[] = [];
  const walk = (entries: readonly EmailAddress[]) => {
    for (const entry of entries) {
      if (entry.group) walk(entry.group);
      else if (typeof entry.address === 'string' && entry.address !== '') out.push(entry.address);
    }
  };
  for (const object of objects) walk(object.value);
  return out;
}

function isAddressObject(value: unknown): value is AddressObject {
  return typeof value === 'object' && value !== null && Array.isArray((value as { value?: unknown }).value);
}
