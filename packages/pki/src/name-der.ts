/**
 * Writing distinguished names (RFC 5280 §4.1.2.4) with the fast DER writer, for the subjects and
 * issuers of the certificates certificate-encoder.ts signs: the inverse of `readName`
 * (der-reader.ts) as `nameAttributeOf` (name.ts) maps its attributes.
 */
import { readElement, validateDer } from './codec/der.js';
import { readString } from './codec/der-reader.js';
import { constructed, oid, seq, set, TAG, tlv } from './codec/der-writer.js';
import { InvalidNameError } from './errors.js';
import { checkNameAttribute, type DistinguishedName, encodeName, NAME_ATTRIBUTE_TYPES } from './name.js';

const DOTTED_OID = /^[0-2](\.(0|[1-9][0-9]*))+$/;

/**
 * Encodes a distinguished name, one attribute per RDN in the given order. Types with a short
 * name get the string type `encodeName` picks (name.ts) and their text verbatim. Types given as
 * a dotted OID, as `decodeName` and `nameAttributeOf` report unknown types and non-string values,
 * are written back from the form of `NameAttribute.value` (RFC 4514 §2.4): `#hex` as the
 * non-string DER element it spells, `\#...` and `\\...` as the UTF8String after the backslash,
 * any other text as a UTF8String. So a name read with `readName` and written here reads back the
 * same, and a string a requester sent never becomes DER of the requester's choosing.
 * @throws {InvalidNameError} `ERR_PKI_INVALID_NAME` for a value `checkNameAttribute` refuses,
 *   an empty value or control characters under a dotted OID, a `#` value that is not the hex of
 *   one DER element other than a string, a backslash before anything but `#` or `\`, or a type
 *   that is neither a short name nor a dotted OID.
 * @throws {CommonNameTooLongError} `ERR_PKI_CN_TOO_LONG` for a CN over 64 characters.
 * @example
 * encodeNameDer([{ type: 'CN', value: 'host.example' }, { type: '2.5.4.97', value: '\\#1' }]);
 */
export function encodeNameDer(dn: DistinguishedName): Uint8Array {
  const rdns: Uint8Array[] = [];
  for (const attr of dn) {
    const known = attributeEncoding(attr.type);
    let value: Uint8Array;
    if (known) {
      checkNameAttribute(attr);
      value =
        known.stringTag === TAG.UTF8_STRING ? tlv(TAG.UTF8_STRING, Buffer.from(attr.value, 'utf8')) : tlv(known.stringTag, Buffer.from(attr.value, 'latin1')); // checked ASCII above
    } else if (DOTTED_OID.test(attr.type)) {
      value = dottedAttributeValue(attr.type, attr.value);
    } else {
      checkNameAttribute(attr); // throws the precise InvalidNameError for the unknown type
      throw new InvalidNameError(`unknown name attribute type ${JSON.stringify(attr.type)}`);
    }
    rdns.push(set(seq(known?.oid ?? oid(attr.type), value)));
  }
  return constructed(TAG.SEQUENCE, rdns);
}

/** OID and string type of each attribute type name.ts knows, learnt once from `encodeName`. */
const attributeEncodings = new Map<string, { oid: Uint8Array; stringTag: number }>();

function attributeEncoding(type: string): { oid: Uint8Array; stringTag: number } | undefined {
  const hit = attributeEncodings.get(type);
  if (hit || !NAME_ATTRIBUTE_TYPES.includes(type)) return hit;
  // name.ts decides OID and string type by attribute type alone; ask it once with a value that
  // every type's checks accept, so that the two encoders cannot drift apart.
  const atv = encodeName([{ type, value: 'AA' }])[0]?.[0];
  if (!atv) return undefined;
  const stringTag = atv.value.printableString !== undefined ? TAG.PRINTABLE_STRING : atv.value.ia5String !== undefined ? TAG.IA5_STRING : TAG.UTF8_STRING;
  const encoding = { oid: oid(atv.type), stringTag };
  attributeEncodings.set(type, encoding);
  return encoding;
}

/** The DER of a value under a dotted OID, from the form of `NameAttribute.value` (RFC 4514 §2.4). */
function dottedAttributeValue(type: string, value: string): Uint8Array {
  if (typeof value !== 'string' || value.length === 0) throw new InvalidNameError(`${type} must not be empty`);
  if (value.startsWith('#')) return nonStringElement(type, value);
  // Security: a string is only ever written as a string. The `#` and `\` a reader escaped are
  // taken off here; a bare backslash before anything else is no form a reader gives.
  if (value.startsWith('\\') && !/^\\[#\\]/.test(value)) {
    throw new InvalidNameError(`${type}: a leading backslash may only escape # or \\ (RFC 4514 §2.4)`);
  }
  const text = value.startsWith('\\') ? value.slice(1) : value;
  if (/[\u0000-\u001f\u007f]/.test(text)) throw new InvalidNameError(`${type} contains control characters`);
  if (/\p{Cs}/u.test(text)) throw new InvalidNameError(`${type} contains an unpaired UTF-16 surrogate`);
  return tlv(TAG.UTF8_STRING, Buffer.from(text, 'utf8'));
}

/** The element a `#hex` value spells: one DER element, and not a string (a string is written as text). */
function nonStringElement(type: string, value: string): Uint8Array {
  if (!/^#([0-9a-fA-F]{2})+$/.test(value)) throw new InvalidNameError(`${type}: a value starting with # must be # and the hex of one DER element`);
  const raw = new Uint8Array(Buffer.from(value.slice(1), 'hex'));
  try {
    validateDer(raw, `name attribute ${type}`);
  } catch (err) {
    throw new InvalidNameError(`${type} has a #hex value that is not one DER element`, { cause: err });
  }
  let text: string | undefined;
  try {
    text = readString(raw, readElement(raw, 0));
  } catch (err) {
    throw new InvalidNameError(`${type} has a #hex value that is a malformed string`, { cause: err });
  }
  // A string element would read back as its text, not as this value: one form per value.
  if (text !== undefined) throw new InvalidNameError(`${type} has a #hex value that is a string; give its text instead`);
  return raw;
}
