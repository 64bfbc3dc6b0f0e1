/**
 * Reading values out of strict DER that {@link validateDer} has already checked: OIDs,
 * strings, names and general names, straight from the bytes. This is the hot path of the CA
 * (every request is decoded here), which is why it does not go through a generic schema mapper.
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

const oidNames = new Map<string, string>();
const OID_CACHE_LIMIT = 512;

/**
 * Dotted text of an OBJECT IDENTIFIER element.
 * @throws {DerError} `ERR_PKI_DER` when it is not a well-formed OID.
 */
export function readOid(bytes: Uint8Array, el: DerElement): string {
  if (el.identifier !== 0x06) throw new DerError('DER: expected an OBJECT IDENTIFIER');
  const content = contentOf(bytes, el);
  const key = Buffer.from(content.buffer, content.byteOffset, content.byteLength).toString('latin1');
  const cached = oidNames.get(key);
  if (cached) return cached;
  let dotted: string;
  try {
    dotted = oidToString(content);
  } catch (err) {
    throw new DerError(`DER: ${(err as Error).message}`, { cause: err });
  }
  if (oidNames.size < OID_CACHE_LIMIT) oidNames.set(key, dotted);
  return dotted;
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
        if (content.some((b) => b > 0x7f)) throw new Error('non-ASCII octet');
        return Buffer.from(content).toString('latin1');
      case 0x14: // TeletexString: in practice Latin-1
        return Buffer.from(content).toString('latin1');
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

/** One attribute of a decoded name: its OID and its text (or `#` + hex of the DER value). */
export interface RawNameAttribute {
  readonly oid: string;
  readonly value: string;
}

/**
 * Decodes a Name (RFC 5280 §4.1.2.4: SEQUENCE OF SET OF AttributeTypeAndValue), flattening
 * multi-valued RDNs in order. Values that are not strings become `#` + hex of their DER, as
 * RFC 4514 §2.4 writes them.
 * @throws {DerError} `ERR_PKI_DER` for anything else.
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
        value: text ?? `#${Buffer.from(encodingOf(bytes, value as DerElement)).toString('hex')}`,
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
        if (content.some((b) => b > 0x7f)) throw new DerError(`${what}: names must be IA5String (ASCII)`);
        const text = Buffer.from(content).toString('latin1');
        (gn.identifier === 0x81 ? names.email : names.dns).push(text);
        break;
      }
      case 0x87:
        names.ip.push(ipText(content, what));
        break;
      default:
        names.other.push(gn.identifier & 0x1f);
    }
  }
  return names;
}

function ipText(octets: Uint8Array, what: string): string {
  if (octets.length === 4) return octets.join('.');
  if (octets.length === 16) {
    const groups: string[] = [];
    for (let i = 0; i < 16; i += 2) groups.push((((octets[i] as number) << 8) | (octets[i + 1] as number)).toString(16));
    return groups.join(':');
  }
  throw new DerError(`${what}: an iPAddress name must have 4 or 16 octets`);
}
