/**
 * Looks at a message's raw bytes (as smtp-server hands them over: dot-unstuffed, terminator
 * removed) without parsing MIME.
 */

const CR = 0x0d;
const LF = 0x0a;

/**
 * The offset of the first line ending that is not CRLF (a LF without CR before it, or a CR
 * without LF after it), or -1 when every line ends in CRLF.
 *
 * Why it matters (SMTP smuggling): RFC 5321 §2.3.8 allows only CRLF in DATA. A server that takes
 * `<LF>.<LF>` or `<CR>.<CR>` as the end of data while another on the path does not lets a sender
 * hide a second message, with forged envelope and headers, inside the first. A message with a
 * bare line ending is refused whole, so none of it reaches the vendor's mail store or a relay.
 */
export function findBareLineEnding(bytes: Uint8Array): number {
  let from = 0;
  for (;;) {
    const lf = bytes.indexOf(LF, from);
    const cr = bytes.indexOf(CR, from);
    if (lf === -1 && cr === -1) return -1;
    // The next line-ending byte must be a CR immediately followed by a LF.
    const at = lf === -1 ? cr : cr === -1 ? lf : Math.min(lf, cr);
    if (bytes[at] === LF || bytes[at + 1] !== LF) return at;
    from = at + 2;
  }
}

/** The header section of a message: the bytes before the first empty line (all of it when there is none). */
export function headerSection(bytes: Buffer): Buffer {
  const end = bytes.indexOf('\r\n\r\n');
  if (end !== -1) return bytes.subarray(0, end + 2);
  return bytes.indexOf('\r\n') === 0 ? bytes.subarray(0, 0) : bytes;
}

/**
 * Whether the header section has a field named `name` (case-insensitive), without unfolding or
 * decoding anything: a cheap test that lets ordinary mail skip MIME parsing altogether.
 */
export function hasHeaderField(header: Buffer, name: string): boolean {
  const lower = name.toLowerCase();
  // latin1 maps every byte to one character, so offsets stay byte offsets and nothing throws.
  const text = header.toString('latin1').toLowerCase();
  let from = 0;
  for (;;) {
    const at = text.indexOf(lower, from);
    if (at === -1) return false;
    const atLineStart = at === 0 || text[at - 1] === '\n';
    if (atLineStart && /^[ \t]*:/.test(text.slice(at + lower.length, at + lower.length + 64))) return true;
    from = at + 1;
  }
}
