/**
 * Distinguished names (RFC 5280 §4.1.2.4): a typed list of attributes, their DER encoding with
 * the string types RFC 5280 prescribes, and the length bounds of its appendix A.1.
 */
import { AttributeTypeAndValue, AttributeValue, Name, RelativeDistinguishedName } from '@peculiar/asn1-x509';
import { validateDer } from './codec/der.js';
import { escapeStringValue, readString } from './codec/der-reader.js';
import { CommonNameTooLongError, InvalidNameError } from './errors.js';
import { MAX_COMMON_NAME_LENGTH } from './limits.js';

/** One attribute of a distinguished name, e.g. `{ type: 'CN', value: 'mail.example.org' }`. */
export interface NameAttribute {
  /**
   * Short name (`C`, `ST`, `L`, `O`, `OU`, `CN`, `emailAddress`, ...); decoding gives a dotted
   * OID for types without a short name, and for a value of a known type that is not a string
   * (X.520 defines each of them as a string). {@link encodeName} accepts short names only.
   */
  readonly type: string;
  /**
   * Under a short name: the text, verbatim. Under a dotted OID: the value as RFC 4514 §2.4
   * writes the start of one, so that no two values share a form: `#` + hex of the DER for a
   * value that is not a string (`#020105` for INTEGER 5), a string's text with a leading `#`
   * or `\` escaped by a backslash (`\#1` for the UTF8String "#1"), any other string verbatim.
   * The certificate encoder writes a dotted-OID attribute back from this form.
   */
  readonly value: string;
}

/** A distinguished name as an ordered list of attributes, most significant (e.g. `C`) first. */
export type DistinguishedName = readonly NameAttribute[];

interface AttributeSpec {
  readonly oid: string;
  readonly maxLength: number;
  readonly encoding: 'printable' | 'utf8' | 'ia5';
}

/** RFC 5280 appendix A.1 upper bounds; emailAddress per PKCS #9 (RFC 2985 §5.2.1). */
const ATTRIBUTES: Readonly<Record<string, AttributeSpec>> = {
  C: { oid: '2.5.4.6', maxLength: 2, encoding: 'printable' },
  ST: { oid: '2.5.4.8', maxLength: 128, encoding: 'utf8' },
  L: { oid: '2.5.4.7', maxLength: 128, encoding: 'utf8' },
  O: { oid: '2.5.4.10', maxLength: 64, encoding: 'utf8' },
  OU: { oid: '2.5.4.11', maxLength: 64, encoding: 'utf8' },
  CN: { oid: '2.5.4.3', maxLength: MAX_COMMON_NAME_LENGTH, encoding: 'utf8' },
  serialNumber: { oid: '2.5.4.5', maxLength: 64, encoding: 'printable' },
  street: { oid: '2.5.4.9', maxLength: 128, encoding: 'utf8' },
  title: { oid: '2.5.4.12', maxLength: 64, encoding: 'utf8' },
  GN: { oid: '2.5.4.42', maxLength: 64, encoding: 'utf8' },
  SN: { oid: '2.5.4.4', maxLength: 64, encoding: 'utf8' },
  DC: { oid: '0.9.2342.19200300.100.1.25', maxLength: 63, encoding: 'ia5' },
  emailAddress: { oid: '1.2.840.113549.1.9.1', maxLength: 255, encoding: 'ia5' },
};

const SHORT_NAME_BY_OID: ReadonlyMap<string, string> = new Map(Object.entries(ATTRIBUTES).map(([short, spec]) => [spec.oid, short]));

/** The short name of an attribute type OID (`2.5.4.3` -> `CN`), or the OID itself when unknown. */
export function nameAttributeType(oid: string): string {
  return SHORT_NAME_BY_OID.get(oid) ?? oid;
}

/**
 * The attribute of a type OID and a value in the form `readName` gives (der-reader.ts: `#hex`
 * for a value that is not a string, a string's text with a leading `#` or `\` escaped): under
 * its short name with the text verbatim when the type has one and the value is a string, else
 * under the dotted OID with the value as given. See {@link NameAttribute.value}.
 * @example
 * nameAttributeOf('2.5.4.3', '\\#1'); // { type: 'CN', value: '#1' }
 * nameAttributeOf('2.5.4.3', '#020105'); // { type: '2.5.4.3', value: '#020105' }
 * nameAttributeOf('1.2.3.4', '\\#1'); // { type: '1.2.3.4', value: '\\#1' }
 */
export function nameAttributeOf(oid: string, value: string): NameAttribute {
  const short = SHORT_NAME_BY_OID.get(oid);
  if (short === undefined || value.startsWith('#')) return { type: oid, value };
  return { type: short, value: value.startsWith('\\') ? value.slice(1) : value };
}

/** The attribute types {@link encodeName} accepts by short name. */
export const NAME_ATTRIBUTE_TYPES: readonly string[] = Object.keys(ATTRIBUTES);

const PRINTABLE = /^[A-Za-z0-9 '()+,\-./:=?]*$/;
const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * Checks one attribute against its type's alphabet and upper bound.
 * @throws {CommonNameTooLongError} `ERR_PKI_CN_TOO_LONG` for a CN over 64 characters.
 * @throws {InvalidNameError} `ERR_PKI_INVALID_NAME` for unknown types, empty values, control
 *   characters, or values outside the type's alphabet or bound.
 */
export function checkNameAttribute(attr: NameAttribute): void {
  // Own keys only: `__proto__` or `constructor` would otherwise find Object.prototype's members.
  const spec = Object.hasOwn(ATTRIBUTES, attr.type) ? ATTRIBUTES[attr.type] : undefined;
  if (!spec) throw new InvalidNameError(`unknown name attribute type ${JSON.stringify(attr.type)}`);
  const value = attr.value;
  if (typeof value !== 'string' || value.length === 0) throw new InvalidNameError(`${attr.type} must not be empty`);
  if (CONTROL.test(value)) throw new InvalidNameError(`${attr.type} contains control characters`);
  // A lone surrogate is no character: no string type can carry it (the encoder threw URIError).
  if (/\p{Cs}/u.test(value)) throw new InvalidNameError(`${attr.type} contains an unpaired UTF-16 surrogate`);
  const length = [...value].length;
  if (length > spec.maxLength) {
    if (attr.type === 'CN') {
      throw new CommonNameTooLongError(`CN is ${length} characters long; RFC 5280 allows at most ${spec.maxLength}`);
    }
    throw new InvalidNameError(`${attr.type} is ${length} characters long; at most ${spec.maxLength} are allowed`);
  }
  if (attr.type === 'C' && !/^[A-Z]{2}$/.test(value)) {
    throw new InvalidNameError('C must be a two-letter ISO 3166 country code in capitals');
  }
  if (spec.encoding === 'printable' && !PRINTABLE.test(value)) {
    throw new InvalidNameError(`${attr.type} has characters outside PrintableString`);
  }
  if (spec.encoding === 'ia5' && !/^[\x00-\x7f]*$/.test(value)) {
    throw new InvalidNameError(`${attr.type} must be ASCII`);
  }
}

/**
 * Encodes a distinguished name, one attribute per RDN, in the given order. Strings are
 * UTF8String except where RFC 5280 (C, serialNumber: PrintableString) or PKCS #9
 * (emailAddress, DC: IA5String) require otherwise.
 * @throws {InvalidNameError} `ERR_PKI_INVALID_NAME` / {@link CommonNameTooLongError}, see
 *   {@link checkNameAttribute}.
 * @example
 * encodeName([{ type: 'C', value: 'US' }, { type: 'CN', value: 'Example CA' }]);
 */
export function encodeName(dn: DistinguishedName): Name {
  const rdns = dn.map((attr) => {
    checkNameAttribute(attr);
    const spec = ATTRIBUTES[attr.type] as AttributeSpec;
    const value =
      spec.encoding === 'printable'
        ? new AttributeValue({ printableString: attr.value })
        : spec.encoding === 'ia5'
          ? new AttributeValue({ ia5String: attr.value })
          : new AttributeValue({ utf8String: attr.value });
    return new RelativeDistinguishedName([new AttributeTypeAndValue({ type: spec.oid, value })]);
  });
  return new Name(rdns);
}

/**
 * Decodes a parsed Name into attributes (multi-valued RDNs are flattened in order), in the form
 * of {@link NameAttribute.value}: unknown types, and values of known types that are not
 * strings, under their dotted OID with `#` + hex of the DER for a non-string value and a
 * leading `#` or `\` of a string escaped (RFC 4514 §2.4); strings of known types verbatim.
 * @example
 * decodeName(parseAsn1(der, Name, 'subject')); // [{ type: 'CN', value: 'host.example' }]
 */
export function decodeName(name: Name): DistinguishedName {
  const out: NameAttribute[] = [];
  for (const rdn of name) {
    for (const atv of rdn) {
      const v = atv.value;
      // @peculiar/asn1-schema gives the DER of any other value, and null for a NULL.
      const der = v.anyValue === null ? NULL_DER : new Uint8Array(v.anyValue ?? new ArrayBuffer(0));
      const str = v.utf8String ?? v.printableString ?? v.ia5String ?? v.teletexString ?? v.bmpString ?? v.universalString ?? anyString(der);
      const value = str === undefined ? `#${Buffer.from(der).toString('hex')}` : escapeStringValue(str);
      out.push(nameAttributeOf(atv.type, value));
    }
  }
  return out;
}

const NULL_DER = Uint8Array.of(0x05, 0x00);

/**
 * The text of a string type that @peculiar/asn1-x509's DirectoryString choice leaves as DER
 * (NumericString, VisibleString), read as `readName` reads it; undefined for other values.
 */
function anyString(der: Uint8Array): string | undefined {
  if (der.length === 0) return undefined;
  try {
    return readString(der, validateDer(der));
  } catch {
    return undefined; // not one well-formed string element: shown as #hex, as before
  }
}

/** The first value of an attribute type, if present. */
export function nameAttribute(dn: DistinguishedName, type: string): string | undefined {
  return dn.find((a) => a.type === type)?.value;
}

/**
 * Formats a name for people and logs, in the given order: `C=US, O=Example, CN=host`.
 * Characters that would make the text ambiguous are escaped as in RFC 4514 §2.4. A value under
 * a dotted OID already has its first character in that form ({@link NameAttribute.value}): a
 * `#hex` value is shown as it is, and an escaped leading `#` or `\` is kept as one escape.
 * @example
 * formatName([{ type: 'CN', value: '#1' }, { type: '1.2.3.4', value: '#020105' }]); // 'CN=\\#1, 1.2.3.4=#020105'
 */
export function formatName(dn: DistinguishedName): string {
  const escapeInner = (v: string) => v.replace(/([,+"\\<>;=])/g, '\\$1').replace(/ $/, '\\ ');
  const escape = (v: string) => escapeInner(v).replace(/^([ #])/, '\\$1');
  const format = ({ type, value }: NameAttribute) => {
    if (Object.hasOwn(ATTRIBUTES, type)) return escape(value);
    if (/^#[0-9a-fA-F]*$/.test(value)) return value;
    if (/^\\[#\\]/.test(value)) return `${value.slice(0, 2)}${escapeInner(value.slice(2))}`;
    return escape(value);
  };
  return dn.map((a) => `${a.type}=${format(a)}`).join(', ');
}
