/**
 * A strict DER (ITU-T X.690 §10) structure walker. It decides only whether bytes are
 * well-formed DER TLVs and where each element lies; the typed decoding is done by the
 * ASN.1 schemas afterwards. Doing this first is what makes garbage, BER-only encodings and
 * trailing bytes fail with one clear error instead of being half-parsed.
 */
import { DerError, InputTooLargeError } from '../errors.js';
import { MAX_INPUT_BYTES } from '../limits.js';

/** One TLV element located inside a byte array. */
export interface DerElement {
  /** The identifier octet (class, constructed bit and tag number). */
  readonly identifier: number;
  /** Whether the constructed bit is set. */
  readonly constructed: boolean;
  /** Offset of the identifier octet. */
  readonly start: number;
  /** Offset of the first content octet. */
  readonly contentStart: number;
  /** Offset just past the last content octet. */
  readonly end: number;
}

/** Deepest nesting accepted; X.509 structures stay far below it. */
const MAX_DEPTH = 40;

/** Universal BOOLEAN identifier. */
const TAG_BOOLEAN = 0x01;

/** Universal INTEGER identifier. */
const TAG_INTEGER = 0x02;

/**
 * Reads the TLV that starts at `offset`.
 *
 * X.690 §10.1: DER uses the definite form with the fewest length octets.
 * @throws {DerError} `ERR_PKI_DER` on truncation, the indefinite form, non-minimal lengths,
 *   or high tag numbers (which no structure read here uses).
 */
export function readElement(bytes: Uint8Array, offset: number): DerElement {
  if (offset >= bytes.length) throw new DerError('DER: unexpected end of data');
  const identifier = bytes[offset] as number;
  if ((identifier & 0x1f) === 0x1f) throw new DerError('DER: high tag numbers are not supported');
  let pos = offset + 1;
  if (pos >= bytes.length) throw new DerError('DER: missing length');
  const first = bytes[pos++] as number;
  let length: number;
  if (first < 0x80) {
    length = first;
  } else if (first === 0x80) {
    throw new DerError('DER: indefinite length is not DER');
  } else {
    const count = first & 0x7f;
    if (count > 4) throw new DerError('DER: length too large');
    if (pos + count > bytes.length) throw new DerError('DER: truncated length');
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + (bytes[pos + i] as number);
    if (bytes[pos] === 0) throw new DerError('DER: length has leading zero octets');
    if (length < 0x80) throw new DerError('DER: length not in its shortest form');
    pos += count;
  }
  const end = pos + length;
  if (end > bytes.length) throw new DerError('DER: element runs past the end of data');
  return { identifier, constructed: (identifier & 0x20) !== 0, start: offset, contentStart: pos, end };
}

/**
 * Lists the elements inside a constructed element, checking that they exactly fill it.
 * @throws {DerError} `ERR_PKI_DER` when the content is not a sequence of whole TLVs.
 */
export function readChildren(bytes: Uint8Array, parent: DerElement): DerElement[] {
  const children: DerElement[] = [];
  let pos = parent.contentStart;
  while (pos < parent.end) {
    const child = readElement(bytes.subarray(0, parent.end), pos);
    children.push(child);
    pos = child.end;
  }
  return children;
}

/**
 * Checks that `bytes` is exactly one strict DER element, recursively, and returns it.
 * Constructed elements must be filled exactly by their children; only SEQUENCE and SET (and
 * tagged types) may be constructed; BOOLEAN must be 0x00 or 0xFF (X.690 §11.1); INTEGERs must be
 * minimal (§8.3.2); nothing may follow the outer element.
 *
 * @param what - names the structure in error messages, e.g. `"certificate request"`.
 * @throws {InputTooLargeError} `ERR_PKI_INPUT_TOO_LARGE` over 64 KiB.
 * @throws {DerError} `ERR_PKI_DER` for anything that is not strict DER.
 * @example
 * const outer = validateDer(csrDer, 'certificate request');
 */
export function validateDer(bytes: Uint8Array, what = 'structure'): DerElement {
  if (bytes.length > MAX_INPUT_BYTES) {
    throw new InputTooLargeError(`${what}: input is ${bytes.length} bytes, the limit is ${MAX_INPUT_BYTES}`);
  }
  if (bytes.length === 0) throw new DerError(`${what}: empty input`);
  let outer: DerElement;
  try {
    outer = readElement(bytes, 0);
    if (outer.end !== bytes.length) {
      throw new DerError(`DER: ${bytes.length - outer.end} trailing bytes after the structure`);
    }
    walk(bytes, outer, 0);
  } catch (err) {
    if (err instanceof DerError) throw new DerError(`${what}: ${err.message}`, { cause: err });
    throw err;
  }
  return outer;
}

function walk(bytes: Uint8Array, element: DerElement, depth: number): void {
  if (depth >= MAX_DEPTH) throw new DerError('DER: nesting too deep');
  // X.690 §10.2: DER uses the primitive form for strings; of the universal types only
  // SEQUENCE and SET are constructed.
  if (element.constructed && element.identifier < 0x40 && element.identifier !== 0x30 && element.identifier !== 0x31) {
    throw new DerError('DER: constructed encoding of a primitive type');
  }
  if (element.constructed) {
    for (const child of readChildren(bytes, element)) walk(bytes, child, depth + 1);
    return;
  }
  if (element.identifier === TAG_BOOLEAN) {
    const len = element.end - element.contentStart;
    const value = bytes[element.contentStart];
    if (len !== 1 || (value !== 0x00 && value !== 0xff)) throw new DerError('DER: BOOLEAN not in DER form');
  }
  if (element.identifier === TAG_INTEGER) {
    // X.690 §8.3.2: the first nine bits of an INTEGER are never all zeros or all ones.
    const len = element.end - element.contentStart;
    const b0 = bytes[element.contentStart] as number;
    const b1 = bytes[element.contentStart + 1] as number;
    if (len === 0) throw new DerError('DER: empty INTEGER');
    if (len > 1 && ((b0 === 0x00 && b1 < 0x80) || (b0 === 0xff && b1 >= 0x80))) {
      throw new DerError('DER: INTEGER not in its shortest form');
    }
  }
}

/**
 * Returns the raw bytes of the `index`-th child of the outer SEQUENCE, exactly as received.
 * Signatures are checked over these bytes, never over a re-encoding.
 * @throws {DerError} `ERR_PKI_DER` when there is no such child.
 */
export function rawChild(bytes: Uint8Array, index: number): Uint8Array {
  const outer = readElement(bytes, 0);
  const child = readChildren(bytes, outer)[index];
  if (!child) throw new DerError(`DER: expected at least ${index + 1} elements`);
  return bytes.subarray(child.start, child.end);
}
