/**
 * Reads a ping mail (the CA's ownership-check message) out of its parsed parts and checks that
 * it has the shape of the wire contract, pinned to one CA origin and one ping sender. Pure: no
 * I/O, no clock, no nonce book.
 *
 * The contract (`@certwizard/protocol`, email-ping.ts): `From:` is the CA's ping address; header
 * `X-Certwizard-Ping-Nonce: <nonce>`; the text/plain body may carry a line `Ping-Nonce: <nonce>`
 * and carries the confirmation link `<caOrigin>/ping/confirm?token=<token>`; nonce and token are
 * base64url (22 to 128 characters).
 */
import { isValidPingNonce, isValidPingToken, PING_CONFIRM_PATH, PING_NONCE_BODY_LABEL, PING_NONCE_HEADER, pingConfirmationLink } from '@certwizard/protocol';
import { isPrivateHost } from './ca-origin.js';

/** Why a mail that announces itself as a ping (it has the nonce header) is not answered. */
export type PingShapeRefusal =
  /** Not exactly one `From:` header holding exactly the CA's ping address. */
  | 'wrong-header-sender'
  /** Not exactly one nonce header, or its value is not base64url of 22 to 128 characters. */
  | 'malformed-nonce'
  /** A `Ping-Nonce:` line in the body names another nonce than the header. */
  | 'body-nonce-mismatch'
  /** There is no text/plain body to read the link from. */
  | 'no-text-body'
  /**
   * The mail has more than its text: an HTML part or an attachment. The CA's ping is one text
   * part; what else a mail shows (a link in HTML, say) could not be checked like the text.
   */
  | 'unexpected-parts'
  /** A link in the body points off the pinned CA origin. */
  | 'foreign-link'
  /** A link in the body points to a loopback, private or link-local address off the pinned origin. */
  | 'private-address-link'
  /** No confirmation link on the pinned origin. */
  | 'missing-link'
  /** A confirmation link with a malformed token, other parameters, or two different tokens. */
  | 'malformed-link';

/** The parts of a parsed mail the ping rules look at. */
export interface PingMailParts {
  /** Every header line, unfolded or not, with its lower-case field name; in message order. */
  readonly headerLines: readonly { readonly key: string; readonly line: string }[];
  /** The addresses of the `From:` header(s), as written. */
  readonly from: readonly string[];
  /** The addresses of the `To:` header(s), as written. */
  readonly to: readonly string[];
  /** The decoded text/plain body, `undefined` when the mail has none. */
  readonly text: string | undefined;
  /** Whether the mail has anything besides that text: an HTML part or an attachment. */
  readonly otherParts?: boolean;
}

/** What a well-formed ping carries. Holds secrets: never log it. */
export interface PingMail {
  readonly nonce: string;
  readonly token: string;
  /** The `To:` addresses, as written. */
  readonly to: readonly string[];
  /** Whether the body has a `Ping-Nonce:` line (which then equals the header). */
  readonly bodyHasNonce: boolean;
}

/** Options of {@link readPingMail}. */
export interface ReadPingMailOptions {
  /** The pinned CA origin, as `parseCaOrigin` returns it. */
  readonly caOrigin: string;
  /** The CA's ping address, normalized (lower case). */
  readonly pingFrom: string;
}

/**
 * Checks the shape of a ping and extracts its nonce and token.
 *
 * Every http(s) link in the text body must be on the pinned origin: a genuine ping links to its
 * own CA only, so a mail that points elsewhere is not a ping of ours, whatever else it carries.
 */
export function readPingMail(parts: PingMailParts, options: ReadPingMailOptions): { ok: true; ping: PingMail } | { ok: false; reason: PingShapeRefusal } {
  const fromLines = parts.headerLines.filter((h) => h.key === 'from');
  if (fromLines.length !== 1 || parts.from.length !== 1 || parts.from[0]?.toLowerCase() !== options.pingFrom) {
    return { ok: false, reason: 'wrong-header-sender' };
  }

  const nonceLines = parts.headerLines.filter((h) => h.key === PING_NONCE_HEADER.toLowerCase());
  const nonce = nonceLines.length === 1 ? headerValue(nonceLines[0]?.line ?? '') : undefined;
  if (!isValidPingNonce(nonce)) return { ok: false, reason: 'malformed-nonce' };

  if (parts.text === undefined) return { ok: false, reason: 'no-text-body' };
  if (parts.otherParts === true) return { ok: false, reason: 'unexpected-parts' };
  const bodyNonces = [...parts.text.matchAll(BODY_NONCE_LINE)].map((m) => m[1]);
  if (bodyNonces.some((value) => value !== nonce)) return { ok: false, reason: 'body-nonce-mismatch' };

  const links = readLinks(parts.text, options.caOrigin);
  if (!links.ok) return links;
  return { ok: true, ping: { nonce, token: links.token, to: parts.to, bodyHasNonce: bodyNonces.length > 0 } };
}

// The label in any case, blanks allowed around it and the colon. (The label is letters and `-`
// only, so it needs no escaping in a pattern.)
const BODY_NONCE_LINE = new RegExp(String.raw`^[ \t]*${PING_NONCE_BODY_LABEL}[ \t]*:[ \t]*(.*?)[ \t]*$`, 'gim');

/** The value of a raw header line: after the first colon, unfolded, trimmed. */
function headerValue(line: string): string {
  const colon = line.indexOf(':');
  return (colon === -1 ? '' : line.slice(colon + 1)).replace(/\r?\n[ \t]+/g, ' ').trim();
}

// Up to the first character that cannot be in a URL as people write them in plain text.
const LINK_PATTERN = /\bhttps?:\/\/[^\s<>"'`{}|\\^]+/gi;

function readLinks(text: string, caOrigin: string): { ok: true; token: string } | { ok: false; reason: PingShapeRefusal } {
  const tokens = new Set<string>();
  for (const match of text.matchAll(LINK_PATTERN)) {
    // Sentence punctuation after a link is not part of it.
    const raw = match[0].replace(/[.,;:!?)\]]+$/, '');
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      return { ok: false, reason: 'foreign-link' };
    }
    if (url.origin !== caOrigin) return { ok: false, reason: isPrivateHost(url.hostname) ? 'private-address-link' : 'foreign-link' };
    if (url.pathname !== PING_CONFIRM_PATH) continue;
    const names = [...url.searchParams.keys()];
    const token = url.searchParams.get('token');
    if (names.length !== 1 || names[0] !== 'token' || url.hash !== '' || !isValidPingToken(token)) return { ok: false, reason: 'malformed-link' };
    // The exact spelling the contract gives, so that nothing else rides along in the link. (The
    // URL's origin is the pinned one and the token is well-formed, so this cannot throw.)
    if (url.href !== pingConfirmationLink(caOrigin, token)) return { ok: false, reason: 'malformed-link' };
    tokens.add(token);
  }
  if (tokens.size === 0) return { ok: false, reason: 'missing-link' };
  if (tokens.size > 1) return { ok: false, reason: 'malformed-link' };
  const [token] = tokens;
  return token === undefined ? { ok: false, reason: 'missing-link' } : { ok: true, token };
}
