/**
 * PEM text encoding, RFC 7468. Decoding is strict inside a block (matching labels, base64
 * alphabet, canonical padding, no RFC 1421 headers) and, as RFC 7468 §2 asks, ignores
 * explanatory text between blocks.
 */
import { InputTooLargeError, PemError } from '../errors.js';
import { MAX_INPUT_BYTES } from '../limits.js';

const BEGIN = /-----BEGIN ([A-Z0-9 ]+)-----/g;
const BASE64_BODY = /^[A-Za-z0-9+/]*={0,2}$/;

/** A decoded PEM block. */
export interface PemBlock {
  /** The label between `BEGIN ` and `-----`, e.g. `CERTIFICATE`. */
  readonly label: string;
  /** The decoded bytes. */
  readonly der: Uint8Array;
}

/**
 * Decodes every PEM block in `text`.
 *
 * @throws {InputTooLargeError} `ERR_PKI_INPUT_TOO_LARGE` when the text exceeds `maxBytes`.
 * @throws {PemError} `ERR_PKI_PEM` for an unterminated block, a mismatched END label,
 *   encapsulated headers, or bad base64.
 */
export function decodePemBlocks(text: string, maxBytes = MAX_INPUT_BYTES): PemBlock[] {
  if (typeof text !== 'string') throw new TypeError('PEM input must be a string');
  if (text.length > maxBytes) {
    throw new InputTooLargeError(`PEM input is ${text.length} characters, the limit is ${maxBytes}`);
  }
  const blocks: PemBlock[] = [];
  BEGIN.lastIndex = 0;
  for (let match = BEGIN.exec(text); match; match = BEGIN.exec(text)) {
    const label = match[1] as string;
    const endMarker = `-----END ${label}-----`;
    const bodyStart = match.index + match[0].length;
    const endAt = text.indexOf('-----', bodyStart);
    if (endAt < 0 || !text.startsWith(endMarker, endAt)) {
      throw new PemError(`PEM block "${label}" has no matching END line`);
    }
    const body = text.slice(bodyStart, endAt);
    if (body.includes(':')) throw new PemError(`PEM block "${label}" has RFC 1421 headers, which are not supported`);
    const compact = body.replace(/[ \t\r\n]/g, '');
    if (!BASE64_BODY.test(compact) || compact.length % 4 !== 0) {
      throw new PemError(`PEM block "${label}" is not valid base64`);
    }
    const der = new Uint8Array(Buffer.from(compact, 'base64'));
    if (Buffer.from(der).toString('base64') !== compact) {
      throw new PemError(`PEM block "${label}" is not canonical base64`);
    }
    if (der.length === 0) throw new PemError(`PEM block "${label}" is empty`);
    blocks.push({ label, der });
    BEGIN.lastIndex = endAt + endMarker.length;
  }
  return blocks;
}

/**
 * Decodes exactly one PEM block whose label is one of `labels`.
 *
 * @throws {PemError} `ERR_PKI_PEM` when there is no block, more than one, or another label.
 * @example
 * const der = decodePem(text, 'CERTIFICATE REQUEST');
 */
export function decodePem(text: string, labels: string | readonly string[], maxBytes = MAX_INPUT_BYTES): Uint8Array {
  const wanted = typeof labels === 'string' ? [labels] : labels;
  const blocks = decodePemBlocks(text, maxBytes);
  if (blocks.length === 0) throw new PemError(`expected a PEM block labelled ${wanted.join(' or ')}`);
  if (blocks.length > 1) throw new PemError(`expected one PEM block, found ${blocks.length}`);
  const block = blocks[0] as PemBlock;
  if (!wanted.includes(block.label)) {
    throw new PemError(`expected a PEM block labelled ${wanted.join(' or ')}, found "${block.label}"`);
  }
  return block.der;
}

/**
 * Decodes one or more PEM blocks that all carry `label`, in order (a certificate chain).
 * @throws {PemError} `ERR_PKI_PEM` when there is none or any block has another label.
 */
export function decodePemAll(text: string, label: string, maxBytes = MAX_INPUT_BYTES): Uint8Array[] {
  const blocks = decodePemBlocks(text, maxBytes);
  if (blocks.length === 0) throw new PemError(`expected PEM blocks labelled ${label}`);
  for (const block of blocks) {
    if (block.label !== label) throw new PemError(`expected PEM blocks labelled ${label}, found "${block.label}"`);
  }
  return blocks.map((b) => b.der);
}

/**
 * Encodes DER bytes as one PEM block with 64-character lines (RFC 7468 §2).
 * @example
 * encodePem('CERTIFICATE', der) // "-----BEGIN CERTIFICATE-----\nMII...\n-----END CERTIFICATE-----\n"
 */
export function encodePem(label: string, der: Uint8Array): string {
  const b64 = Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += 64) lines.push(b64.slice(i, i + 64));
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}
