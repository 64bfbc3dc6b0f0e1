/**
 * Reading values out of strict DER that {@link validateDer} has already checked: elements of an
 * expected type, BOOLEANs, small INTEGERs, OIDs, times, strings, names and general names,
 * straight from the bytes. This is the hot path of the CA (every request and certificate is
 * decoded here), which is why it does not go through a generic schema mapper.
 */
import { DerError } from '../errors.js';
import { type DerElement, readChildren, readElement } from './der.js';
import { oidToString } from './der-writer.js';

/** Content octets of an element. */
export function contentOf(bytes: Uint8Array, el: DerElement): Uint8Array {
  return bytes.subarray(el.contentStart, el.end);
}

/** The whole encoding (tag, length, content) of an element. */
export function encodingOf(bytes: Uint8Array, el: DerElement): Uint8Array {
  return bytes.subarray(el.start, el.end);
}

/**
 * Children of a constructed element, checked against the identifiers expected.
 * @param shape - one identifier per child; `undefined` accepts any.
 * @throws {DerError} `ERR_PKI_DER` when the count or an identifier differs.
 */
export function expectChildren(
  bytes: Uint8Array,
  el: DerElement,
  shape: readonly (number | undefined)[],
  what: string,
  options: { optionalTail?: number } = {},
): DerElement[] {
  const kids = readChildren(bytes, el);
  const min = shape.length - (options.optionalTail ?? 0);
  if (kids.length < min || kids.length > shape.length) throw new DerError(`${what}: unexpected structure`);
  kids.forEach((kid, i) => {
    const want = shape[i];
    if (want !== undefined && kid.identifier !== want) throw new DerError(`${what}: unexpected element`);
  });
  return kids;
}

/**
 * The element, when it is present and has the identifier expected: for reading a structure
 * field by field, where optional fields make a fixed shape for {@link expectChildren} awkward.
 * @param what - the subject of the message, e.g. `"certificate: serialNumber"`.
 * @throws {DerError} `ERR_PKI_DER` "`what` is missing or has the wrong type".
 * @example
 * const serial = expectElement(fields[1], 0x02, 'certificate: serialNumber');
 */
export function expectElement(el: DerElement | undefined, identifier: number, what: string): DerElement {
  if (!el || el.identifier !== identifier) throw new DerError(`${what} is missing or has the wrong type`);
  return el;
}

/**
 * Value of a BOOLEAN element. {@link validateDer} has already refused anything but 0x00 and 0xFF
 * (X.690 §11.1), so one octet decides.
 * @throws {DerError} `ERR_PKI_DER` when the element is not a BOOLEAN.
 * @example
 * const critical = second?.identifier === 0x01 ? readBoolean(der, second) : false; // DEFAULT FALSE
 */
export function readBoolean(bytes: Uint8Array, el: DerElement): boolean {
  if (el.identifier !== 0x01) throw new DerError('DER: expected a BOOLEAN');
  return bytes[el.contentStart] === 0xff;
}

/**
 * Value of an INTEGER from 0 to 2^31 - 1 (at most four content octets): versions, path lengths.
 * @param what - the subject of the message, e.g. `"certificate: version"`.
 * @throws {DerError} `ERR_PKI_DER` when the element is not an INTEGER, or "`what` is not a small
 *   non-negative integer" when it is negative or longer.
 * @example
 * readSmallInteger(der, el, 'certificate: pathLenConstraint'); // 0 for 02 01 00
 */
export function readSmallInteger(bytes: Uint8Array, el: DerElement, what: string): number {
  if (el.identifier !== 0x02) throw new DerError('DER: expected an INTEGER');
  const content = contentOf(bytes, el);
  if (content.length === 0 || content.length > 4 || ((content[0] as number) & 0x80) !== 0) {
    throw new DerError(`${what} is not a small non-negative integer`);
  }
  let n = 0;
  for (const b of content) n = n * 256 + b;
  return n;
}

const oidNames = new Map<string, string>();
const OID_CACHE_LIMIT = 512;

/**
 * Longest OBJECT IDENTIFIER content read, in octets. Real OIDs are far shorter (a UUID arc,
 * `2.25.<128 bits>`, takes 19); X.660 sets no limit, so a reader must.
 */
export const OID_MAX_CONTENT_BYTES = 128;

/**
 * Dotted text of an OBJECT IDENTIFIER element. Recent results are cached: a handful of OIDs
 * (attribute types, extensions, algorithms) make up nearly every structure read here.
 * @param what - names the structure in the message of a malformed OID (`"<what>: bad OID
 *   (...)"`); without it the message starts `"DER: "`.
 * @throws {DerError} `ERR_PKI_DER` when it is not a well-formed OID.
 * @example
 * readOid(der, el); // '2.5.29.17' for 06 03 55 1d 11
 */
export function readOid(bytes: Uint8Array, el: DerElement, what?: string): string {
  if (el.identifier !== 0x06) throw new DerError(`${what ?? 'DER'}: expected an OBJECT IDENTIFIER`);
  const content = contentOf(bytes, el);
  // Before any arithmetic: a huge arc costs time quadratic in its length (about 0.7 s for one
  // 64 KiB arc, before a request's signature is checked), and each would also sit in the cache.
  if (content.length > OID_MAX_CONTENT_BYTES) {
    const message = `OID longer than ${OID_MAX_CONTENT_BYTES} octets`;
    throw new DerError(what === undefined ? `DER: ${message}` : `${what}: bad OID (${message})`);
  }
  const key = Buffer.from(content.buffer, content.byteOffset, content.byteLength).toString('latin1');
  const cached = oidNames.get(key);
  if (cached) return cached;
  let dotted: string;
  try {
    dotted = oidToString(content);
  } catch (err) {
    const message = (err as Error).message;
    throw new DerError(what === undefined ? `DER: ${message}` : `${what}: bad OID (${message})`, { cause: err });
  }
  if (oidNames.size < OID_CACHE_LIMIT) oidNames.set(key, dotted);
  return dotted;
}

const UTC_TIME = /^(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)Z$/;
const GENERALIZED_TIME = /^(\d\d\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)Z$/;

/**
 * Value of a Time (RFC 5280 §4.1.2.5.1/.2): UTCTime `YYMMDDHHMMSSZ` (YY >= 50 is 19YY, else 20YY)
 * or GeneralizedTime `YYYYMMDDHHMMSSZ`; seconds present, UTC, no fractions, as der-writer's
 * `utcOrGeneralizedTime` writes them.
 * @param what - the subject of the message, e.g. `"certificate: notBefore"`.
 * @throws {DerError} `ERR_PKI_DER` "`what` is not a UTCTime or GeneralizedTime in RFC 5280 form"
 *   for any other type or form, "`what` is not a valid date" for a day or hour that does not exist.
 * @example
 * readTime(der, el, 'notAfter'); // 2030-01-02T03:04:05Z for 17 0d "300102030405Z"
 */
export function readTime(bytes: Uint8Array, el: DerElement, what: string): Date {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset + el.contentStart, el.end - el.contentStart).toString('latin1');
  const m = el.identifier === 0x17 ? UTC_TIME.exec(text) : el.identifier === 0x18 ? GENERALIZED_TIME.exec(text) : null;
  if (!m) throw new DerError(`${what} is not a UTCTime or GeneralizedTime in RFC 5280 form`);
  const [, y, mo, d, h, mi, s] = m.map(Number) as [number, number, number, number, number, number, number];
  const year = el.identifier === 0x17 ? (y >= 50 ? 1900 + y : 2000 + y) : y;
  // Not Date.UTC: it reads the years 0 to 99 as 1900 to 1999, which a GeneralizedTime of the
  // years 0000 to 0099 (as utcOrGeneralizedTime writes them) does not mean.
  const date = new Date(0);
  date.setUTCFullYear(year, mo - 1, d);
  date.setUTCHours(h, mi, s, 0);
  // Out-of-range fields roll over (31 February into March): only a date that reads back unchanged exists.
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) {
    throw new DerError(`${what} is not a valid date`);
  }
  return date;
}

/**
 * Text of an element whose content must be ASCII (an IA5String, or a name implicitly tagged as
 * one: dNSName, rfc822Name, uniformResourceIdentifier).
 * @param what - the subject of the message, e.g. `"certificate: dNSName"`.
 * @throws {DerError} `ERR_PKI_DER` "`what` is not ASCII" for an octet above 0x7F.
 * @example
 * readAscii(der, el, 'certificate: dNSName'); // 'example.org' for 82 0b "example.org"
 */
export function readAscii(bytes: Uint8Array, el: DerElement, what: string): string {
  const content = contentOf(bytes, el);
  if (!isAscii(content)) throw new DerError(`${what} is not ASCII`);
  return latin1(content);
}

function isAscii(content: Uint8Array): boolean {
  for (const b of content) if (b > 0x7f) return false;
  return true;
}

function latin1(content: Uint8Array): string {
  return Buffer.from(content.buffer, content.byteOffset, content.byteLength).toString('latin1');
}

// ignoreBOM keeps a leading U+FEFF in the text: dropping it would give two encodings one text.
const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const utf16Decoder = new TextDecoder('utf-16be', { fatal: true, ignoreBOM: true });

/**
 * Text of a string element (UTF8String, PrintableString, IA5String, TeletexString,
 * BMPString, UniversalString, VisibleString, NumericString), or undefined for other types.
 * @throws {DerError} `ERR_PKI_DER` for invalid encodings (bad UTF-8, non-ASCII in ASCII types).
 */
export function readString(bytes: Uint8Array, el: DerElement): string | undefined {
  const content = contentOf(bytes, el);
  try {
    switch (el.identifier) {
      case 0x0c: // UTF8String
        return utf8Decoder.decode(content);
      case 0x12: // NumericString
      case 0x13: // PrintableString
      case 0x16: // IA5String
      case 0x1a: // VisibleString
        if (!isAscii(content)) throw new Error('non-ASCII octet');
        return latin1(content);
      case 0x14: // TeletexString: in practice Latin-1
        return latin1(content);
      case 0x1e: // BMPString
        return utf16Decoder.decode(content);
      case 0x1c: {
        // UniversalString: UTF-32BE
        if (content.length % 4 !== 0) throw new Error('length not a multiple of 4');
        let out = '';
        for (let i = 0; i < content.length; i += 4) {
          const codePoint =
            ((content[i] as number) << 24) | ((content[i + 1] as number) << 16) | ((content[i + 2] as number) << 8) | (content[i + 3] as number);
          // Surrogates are not characters: two of them would read as the one they pair into.
          if (codePoint >= 0xd800 && codePoint <= 0xdfff) throw new Error('surrogate code point');
          out += String.fromCodePoint(codePoint);
        }
        return out;
      }
      default:
        return undefined;
    }
  } catch (err) {
    throw new DerError(`DER: invalid string (${(err as Error).message})`, { cause: err });
  }
}

/**
 * One attribute of a decoded name: its OID and its value in the one form {@link readName} gives.
 */
export interface RawNameAttribute {
  readonly oid: string;
  /**
   * The value as RFC 4514 §2.4 writes the start of one, so that no two values share a form:
   * a value that is not a string is `#` + hex of its DER (`#020105` for INTEGER 5); a string
   * whose text begins with `#` or `\` is that text after a backslash (`\#0c03616263` for the
   * UTF8String "#0c03616263"); any other string is its text. Nothing else is escaped.
   */
  readonly value: string;
}

/**
 * A string value's text in the form of {@link RawNameAttribute.value}: a leading `#` or `\`
 * escaped with a backslash, so that the text cannot pass for the `#hex` of a non-string value.
 * @example
 * escapeStringValue('#1'); // '\\#1'
 */
export function escapeStringValue(text: string): string {
  return text.startsWith('#') || text.startsWith('\\') ? `\\${text}` : text;
}

/**
 * Decodes a Name (RFC 5280 §4.1.2.4: SEQUENCE OF SET OF AttributeTypeAndValue), flattening
 * multi-valued RDNs in order. Values are given in the form of {@link RawNameAttribute.value}:
 * `#` + hex of the DER for values that are not strings (RFC 4514 §2.4), a string's text with a
 * leading `#` or `\` escaped, so that a string can never read like a non-string value.
 * @throws {DerError} `ERR_PKI_DER` for anything else.
 * @example
 * readName(der, el, 'subject'); // [{ oid: '2.5.4.3', value: 'host.example' }]
 */
export function readName(bytes: Uint8Array, el: DerElement, what: string): RawNameAttribute[] {
  if (el.identifier !== 0x30) throw new DerError(`${what}: a Name must be a SEQUENCE`);
  const out: RawNameAttribute[] = [];
  for (const rdn of readChildren(bytes, el)) {
    if (rdn.identifier !== 0x31) throw new DerError(`${what}: an RDN must be a SET`);
    const atvs = readChildren(bytes, rdn);
    if (atvs.length === 0) throw new DerError(`${what}: empty RDN`);
    for (const atv of atvs) {
      const [type, value] = expectChildren(bytes, atv, [0x06, undefined], what);
      const text = readString(bytes, value as DerElement);
      out.push({
        oid: readOid(bytes, type as DerElement),
        value: text === undefined ? `#${Buffer.from(encodingOf(bytes, value as DerElement)).toString('hex')}` : escapeStringValue(text),
      });
    }
  }
  return out;
}

/** The raw names of a GeneralNames (RFC 5280 §4.2.1.6) value, before normalisation. */
export interface RawGeneralNames {
  readonly dns: string[];
  readonly email: string[];
  readonly ip: string[];
  /** Context tag numbers of name types other than rfc822Name, dNSName and iPAddress. */
  readonly other: number[];
}

/**
 * Decodes GeneralNames: `[1] rfc822Name`, `[2] dNSName` (IA5String, so ASCII), `[7] iPAddress`
 * (4 or 16 octets, as text). Other types are reported by tag number for the caller to refuse.
 * @throws {DerError} `ERR_PKI_DER` for malformed values.
 */
export function readGeneralNames(der: Uint8Array, what: string): RawGeneralNames {
  const outer = readElement(der, 0);
  if (outer.identifier !== 0x30 || outer.end !== der.length) throw new DerError(`${what}: GeneralNames must be a SEQUENCE`);
  const names: RawGeneralNames = { dns: [], email: [], ip: [], other: [] };
  for (const gn of readChildren(der, outer)) {
    const content = contentOf(der, gn);
    switch (gn.identifier) {
      case 0x81:
      case 0x82: {
        if (!isAscii(content)) throw new DerError(`${what}: names must be IA5String (ASCII)`);
        (gn.identifier === 0x81 ? names.email : names.dns).push(latin1(content));
        break;
      }
      case 0x87: {
        const ip = ipAddressText(content);
        if (ip === undefined) throw new DerError(`${what}: an iPAddress name must have 4 or 16 octets`);
        names.ip.push(ip);
        break;
      }
      default:
        names.other.push(gn.identifier & 0x1f);
    }
  }
  return names;
}

/**
 * Text of the octets of an iPAddress name (RFC 5280 §4.2.1.6): four octets as a dotted quad,
 * sixteen as eight colon-separated hex groups without compression (`2001:db8:0:0:0:0:0:1`).
 * @returns undefined for any other length: the caller names the structure in its error.
 * @example
 * ipAddressText(Uint8Array.of(192, 0, 2, 1)); // '192.0.2.1'
 */
export function ipAddressText(octets: Uint8Array): string | undefined {
  if (octets.length === 4) return octets.join('.');
  if (octets.length !== 16) return undefined;
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((((octets[i] as number) << 8) | (octets[i + 1] as number)).toString(16));
  return groups.join(':');
}
