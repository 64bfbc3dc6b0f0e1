/**
 * Distinguished names (RFC 5280 §4.1.2.4): a typed list of attributes, their DER encoding with
 * the string types RFC 5280 prescribes, and the length bounds of its appendix A.1.
 */
import { AttributeTypeAndValue, AttributeValue, Name, RelativeDistinguishedName } from '@peculiar/asn1-x509';
import { CommonNameTooLongError, InvalidNameError } from './errors.js';
import { MAX_COMMON_NAME_LENGTH } from './limits.js';

/** One attribute of a distinguished name, e.g. `{ type: 'CN', value: 'mail.example.org' }`. */
export interface NameAttribute {
  /** Short name (`C`, `ST`, `L`, `O`, `OU`, `CN`, `emailAddress`, ...); decoding gives a dotted
   * OID for types without a short name, which {@link encodeName} does not accept. */
  readonly type: string;
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
 * Decodes a parsed Name into attributes (multi-valued RDNs are flattened in order). Unknown
 * types keep their dotted OID; values that are not strings are shown as `#` + hex (RFC 4514 §2.4).
 */
export function decodeName(name: Name): DistinguishedName {
  const out: NameAttribute[] = [];
  for (const rdn of name) {
    for (const atv of rdn) {
      const type = SHORT_NAME_BY_OID.get(atv.type) ?? atv.type;
      const v = atv.value;
      const str = v.utf8String ?? v.printableString ?? v.ia5String ?? v.teletexString ?? v.bmpString ?? v.universalString;
      const value = str ?? `#${Buffer.from(v.anyValue ?? new ArrayBuffer(0)).toString('hex')}`;
      out.push({ type, value });
    }
  }
  return out;
}

/** The first value of an attribute type, if present. */
export function nameAttribute(dn: DistinguishedName, type: string): string | undefined {
  return dn.find((a) => a.type === type)?.value;
}

/**
 * Formats a name for people and logs, in the given order: `C=US, O=Example, CN=host`.
 * Characters that would make the text ambiguous are escaped as in RFC 4514 §2.4.
 */
export function formatName(dn: DistinguishedName): string {
  const escape = (v: string) =>
    v
      .replace(/([,+"\\<>;=])/g, '\\$1')
      .replace(/^([ #])/, '\\$1')
      .replace(/ $/, '\\ ');
  return dn.map((a) => `${a.type}=${escape(a.value)}`).join(', ');
}
