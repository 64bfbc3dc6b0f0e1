/**
 * A small DER (ITU-T X.690 §10) writer for the hot path of certificate issuance.
 *
 * Why not @peculiar/asn1-schema: its serialiser costs 0.3-0.4 ms per certificate, more than an
 * ECDSA signature. Here every function returns finished TLV bytes; a constructed value is one
 * allocation sized from its parts' precomputed lengths, so a TBSCertificate costs a few
 * microseconds. The returned arrays may be shared (cached OIDs, constants): never mutate them.
 */

/** Universal tag numbers used by X.509 (X.680 §8.4), as identifier octets. */
export const TAG = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  ENUMERATED: 0x0a,
  UTF8_STRING: 0x0c,
  PRINTABLE_STRING: 0x13,
  IA5_STRING: 0x16,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

/** Largest content this writer encodes: four length octets, the most that der.ts reads back. */
const MAX_LENGTH = 0xffffffff;

function lengthOctets(length: number): number {
  if (length < 0x80) return 1;
  if (length < 0x100) return 2;
  if (length < 0x10000) return 3;
  if (length < 0x1000000) return 4;
  if (length <= MAX_LENGTH) return 5;
  throw new RangeError(`DER content of ${length} bytes is too long`);
}

/** Writes identifier and length at `out[0..]`; returns the offset of the first content octet. */
function writeHeader(out: Uint8Array, identifier: number, length: number): number {
  out[0] = identifier;
  if (length < 0x80) {
    out[1] = length;
    return 2;
  }
  const count = lengthOctets(length) - 1;
  out[1] = 0x80 | count;
  for (let i = count; i >= 1; i--) {
    out[1 + i] = length & 0xff;
    length = Math.floor(length / 256);
  }
  return 2 + count;
}

/**
 * Encodes one TLV from an identifier octet and finished content octets (X.690 §8.1).
 * @throws {RangeError} past 4 GiB of content.
 * @example
 * tlv(0x04, new Uint8Array([1, 2])) // 04 02 01 02
 */
export function tlv(identifier: number, content: Uint8Array): Uint8Array {
  const out = new Uint8Array(1 + lengthOctets(content.length) + content.length);
  out.set(content, writeHeader(out, identifier, content.length));
  return out;
}

/**
 * Encodes one constructed TLV whose content is the concatenation of `parts`, with a single
 * allocation.
 * @throws {RangeError} past 4 GiB of content.
 */
export function constructed(identifier: number, parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.length;
  const out = new Uint8Array(1 + lengthOctets(length) + length);
  let pos = writeHeader(out, identifier, length);
  for (const part of parts) {
    out.set(part, pos);
    pos += part.length;
  }
  return out;
}

/** Concatenates byte arrays (for content assembled from several TLVs). */
export function concat(parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.length;
  const out = new Uint8Array(length);
  let pos = 0;
  for (const part of parts) {
    out.set(part, pos);
    pos += part.length;
  }
  return out;
}

/**
 * SEQUENCE (X.690 §8.9) of already encoded elements, in the given order.
 * @example
 * seq(int(1n), nullDer) // 30 05 02 01 01 05 00
 */
export function seq(...parts: Uint8Array[]): Uint8Array {
  return constructed(TAG.SEQUENCE, parts);
}

/**
 * SET OF (X.690 §11.6): DER wants the encodings in ascending order, compared as octet strings
 * padded with trailing zeros; this sorts a copy of `parts` that way.
 */
export function set(...parts: Uint8Array[]): Uint8Array {
  return constructed(TAG.SET, parts.length > 1 ? [...parts].sort(compareSetElements) : parts);
}

function compareSetElements(a: Uint8Array, b: Uint8Array): number {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/**
 * INTEGER (X.690 §8.3) in its minimal two's-complement form. A `bigint` or `number` is encoded
 * as signed; a `Uint8Array` is read as an unsigned big-endian magnitude (leading zero octets are
 * dropped, one 0x00 is added when the top bit is set), which is how serial numbers and RSA
 * moduli are handled.
 * @throws {RangeError} for a non-integer `number`.
 * @example
 * int(128n) // 02 02 00 80
 */
export function int(value: bigint | number | Uint8Array): Uint8Array {
  return tlv(TAG.INTEGER, integerContent(value));
}

/** ENUMERATED (X.690 §8.4), e.g. a CRL reasonCode. */
export function enumerated(value: number): Uint8Array {
  return tlv(TAG.ENUMERATED, integerContent(value));
}

function integerContent(value: bigint | number | Uint8Array): Uint8Array {
  if (value instanceof Uint8Array) {
    let start = 0;
    while (start < value.length - 1 && value[start] === 0) start++;
    const magnitude = value.subarray(start);
    if (magnitude.length === 0) return new Uint8Array([0]);
    if (((magnitude[0] as number) & 0x80) === 0) return magnitude;
    const out = new Uint8Array(magnitude.length + 1);
    out.set(magnitude, 1);
    return out;
  }
  if (typeof value === 'number' && !Number.isSafeInteger(value)) {
    throw new RangeError(`${value} is not a safe integer`);
  }
  let n = BigInt(value);
  const bytes: number[] = [];
  // Emit octets until the remaining value is just the sign extension of the last one.
  for (;;) {
    const octet = Number(n & 0xffn);
    bytes.push(octet);
    n >>= 8n;
    if ((n === 0n && (octet & 0x80) === 0) || (n === -1n && (octet & 0x80) !== 0)) break;
  }
  return new Uint8Array(bytes.reverse());
}

/** Most OIDs kept by {@link oid}; the cache stops growing there (extension OIDs from hooks). */
const OID_CACHE_LIMIT = 512;
const oidCache = new Map<string, Uint8Array>();
const DOTTED = /^[0-2](\.(0|[1-9][0-9]*))+$/;

/**
 * OBJECT IDENTIFIER (X.690 §8.19) from dotted text. Encodings are cached; the result is shared.
 * @throws {TypeError} when `dotted` is not a valid OID (first arc 0-2, second below 40 under 0
 *   and 1, no leading zeros).
 * @example
 * oid('2.5.29.19') // 06 03 55 1d 13
 */
export function oid(dotted: string): Uint8Array {
  const cached = oidCache.get(dotted);
  if (cached) return cached;
  const encoded = tlv(TAG.OID, oidContent(dotted));
  if (oidCache.size < OID_CACHE_LIMIT) oidCache.set(dotted, encoded);
  return encoded;
}

function oidContent(dotted: string): Uint8Array {
  if (typeof dotted !== 'string' || !DOTTED.test(dotted)) throw new TypeError(`${JSON.stringify(dotted)} is not an OID`);
  const arcs = dotted.split('.').map((a) => BigInt(a));
  const first = arcs[0] as bigint;
  const second = arcs[1] as bigint;
  if (first < 2n && second >= 40n) throw new TypeError(`${dotted} is not an OID: second arc must be below 40`);
  const bytes: number[] = [];
  for (const arc of [first * 40n + second, ...arcs.slice(2)]) {
    const base128: number[] = [Number(arc & 0x7fn)];
    for (let rest = arc >> 7n; rest > 0n; rest >>= 7n) base128.push(Number(rest & 0x7fn) | 0x80);
    bytes.push(...base128.reverse());
  }
  return new Uint8Array(bytes);
}

/**
 * Dotted text of OBJECT IDENTIFIER content octets (the reverse of {@link oid}, without the
 * tag and length).
 * @throws {TypeError} when the octets are not a minimal base-128 arc sequence.
 */
export function oidToString(content: Uint8Array): string {
  const arcs: bigint[] = [];
  let value = 0n;
  let fresh = true;
  for (const octet of content) {
    if (fresh && octet === 0x80) throw new TypeError('OID arc has a leading 0x80 octet');
    value = (value << 7n) | BigInt(octet & 0x7f);
    fresh = (octet & 0x80) === 0;
    if (fresh) {
      arcs.push(value);
      value = 0n;
    }
  }
  if (!fresh || arcs.length === 0) throw new TypeError('OID is truncated');
  const head = arcs[0] as bigint;
  const first = head < 40n ? 0n : head < 80n ? 1n : 2n;
  return [first, head - first * 40n, ...arcs.slice(1)].join('.');
}

const textEncoder = new TextEncoder();

/** UTF8String (X.690 §8.23.10). */
export function utf8(text: string): Uint8Array {
  return tlv(TAG.UTF8_STRING, textEncoder.encode(text));
}

const PRINTABLE = /^[A-Za-z0-9 '()+,\-./:=?]*$/;

/**
 * PrintableString (X.680 §41.4).
 * @throws {TypeError} for characters outside its alphabet.
 */
export function printable(text: string): Uint8Array {
  if (!PRINTABLE.test(text)) throw new TypeError('text has characters outside PrintableString');
  return tlv(TAG.PRINTABLE_STRING, asciiBytes(text));
}

/**
 * IA5String (7-bit ASCII), as used by dNSName, rfc822Name and URIs.
 * @throws {TypeError} for characters outside ASCII.
 */
export function ia5(text: string): Uint8Array {
  return tlv(TAG.IA5_STRING, asciiBytes(text));
}

function asciiBytes(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 0x7f) throw new TypeError('text has characters outside ASCII');
    out[i] = c;
  }
  return out;
}

/** OCTET STRING (X.690 §8.7) holding `bytes`. */
export function octets(bytes: Uint8Array): Uint8Array {
  return tlv(TAG.OCTET_STRING, bytes);
}

/**
 * BIT STRING (X.690 §8.6) of whole octets, or with `unusedBits` trailing bits unused (which
 * must then be zero, X.690 §11.2.1).
 * @throws {RangeError} for `unusedBits` outside 0..7, or above 0 with no octets.
 */
export function bitString(bytes: Uint8Array, unusedBits = 0): Uint8Array {
  if (!Number.isInteger(unusedBits) || unusedBits < 0 || unusedBits > 7 || (unusedBits > 0 && bytes.length === 0)) {
    throw new RangeError(`bad unused bit count ${unusedBits}`);
  }
  const out = new Uint8Array(1 + lengthOctets(bytes.length + 1) + bytes.length + 1);
  const pos = writeHeader(out, TAG.BIT_STRING, bytes.length + 1);
  out[pos] = unusedBits;
  out.set(bytes, pos + 1);
  return out;
}

/**
 * A named-bit BIT STRING (X.690 §11.2.2: trailing zero bits dropped) from bit positions,
 * bit 0 being the most significant bit of the first octet (as in KeyUsage).
 */
export function namedBits(positions: Iterable<number>): Uint8Array {
  let highest = -1;
  const octetsOut: number[] = [];
  for (const p of positions) {
    if (!Number.isInteger(p) || p < 0 || p > 255) throw new RangeError(`bad bit position ${p}`);
    const index = p >> 3;
    while (octetsOut.length <= index) octetsOut.push(0);
    octetsOut[index] = (octetsOut[index] as number) | (0x80 >> (p & 7));
    if (p > highest) highest = p;
  }
  if (highest < 0) return bitString(new Uint8Array(0));
  return bitString(new Uint8Array(octetsOut), 7 - (highest & 7));
}

const TRUE_DER = new Uint8Array([TAG.BOOLEAN, 1, 0xff]);
const FALSE_DER = new Uint8Array([TAG.BOOLEAN, 1, 0x00]);

/** BOOLEAN in DER form (X.690 §11.1: TRUE is 0xFF). */
export function bool(value: boolean): Uint8Array {
  return value ? TRUE_DER : FALSE_DER;
}

/** NULL (X.690 §8.8). */
export const nullDer: Uint8Array = new Uint8Array([TAG.NULL, 0]);

/** First instant (1950-01-01T00:00:00Z) and end (2050-01-01T00:00:00Z) of the UTCTime window. */
const UTC_TIME_FROM = Date.UTC(1950, 0, 1);
const UTC_TIME_UNTIL = Date.UTC(2050, 0, 1);

/**
 * Time as RFC 5280 §4.1.2.5 wants it: UTCTime `YYMMDDHHMMSSZ` for 1950 through 2049,
 * GeneralizedTime `YYYYMMDDHHMMSSZ` otherwise; always UTC, always seconds, never fractions
 * (milliseconds are truncated).
 * @throws {TypeError} for an invalid date or a year outside 0..9999.
 * @example
 * utcOrGeneralizedTime(new Date('2030-01-02T03:04:05Z')) // 17 0d "300102030405Z"
 */
export function utcOrGeneralizedTime(date: Date): Uint8Array {
  const ms = date instanceof Date ? date.getTime() : Number.NaN;
  if (Number.isNaN(ms)) throw new TypeError('invalid date');
  const year = date.getUTCFullYear();
  if (year < 0 || year > 9999) throw new TypeError(`year ${year} cannot be encoded`);
  const utc = ms >= UTC_TIME_FROM && ms < UTC_TIME_UNTIL;
  const digits = utc ? 12 : 14;
  const out = new Uint8Array(2 + digits + 1);
  out[0] = utc ? TAG.UTC_TIME : TAG.GENERALIZED_TIME;
  out[1] = digits + 1;
  let pos = 2;
  const put = (value: number, width: number) => {
    for (let i = width - 1; i >= 0; i--) {
      out[pos + i] = 0x30 + (value % 10);
      value = Math.floor(value / 10);
    }
    pos += width;
  };
  if (utc) put(year % 100, 2);
  else put(year, 4);
  put(date.getUTCMonth() + 1, 2);
  put(date.getUTCDate(), 2);
  put(date.getUTCHours(), 2);
  put(date.getUTCMinutes(), 2);
  put(date.getUTCSeconds(), 2);
  out[pos] = 0x5a; // 'Z'
  return out;
}

/**
 * EXPLICIT context-specific tag `[tagNo]` around a finished element (X.690 §8.14.2).
 * @throws {RangeError} for tag numbers above 30 (high-tag form is not written).
 */
export function explicit(tagNo: number, inner: Uint8Array): Uint8Array {
  return tlv(0xa0 | checkTagNo(tagNo), inner);
}

/**
 * IMPLICIT context-specific tag `[tagNo]`: the element's own identifier octet is replaced,
 * keeping its constructed bit (X.690 §8.14.3). `inner` must be one finished TLV.
 * @throws {RangeError} for tag numbers above 30 or an empty `inner`.
 */
export function implicit(tagNo: number, inner: Uint8Array): Uint8Array {
  if (inner.length < 2) throw new RangeError('implicit tagging needs an encoded element');
  const out = inner.slice();
  out[0] = 0x80 | ((inner[0] as number) & 0x20) | checkTagNo(tagNo);
  return out;
}

/** `[tagNo]` IMPLICIT primitive value from content octets, e.g. dNSName `[2] IA5String`. */
export function contextPrimitive(tagNo: number, content: Uint8Array): Uint8Array {
  return tlv(0x80 | checkTagNo(tagNo), content);
}

/** `[tagNo]` constructed value whose content is the concatenation of `parts`. */
export function contextConstructed(tagNo: number, parts: readonly Uint8Array[]): Uint8Array {
  return constructed(0xa0 | checkTagNo(tagNo), parts);
}

function checkTagNo(tagNo: number): number {
  if (!Number.isInteger(tagNo) || tagNo < 0 || tagNo > 30) throw new RangeError(`tag number ${tagNo} is not supported`);
  return tagNo;
}
