/**
 * The one place that turns bytes into schema objects: strict DER first, then the typed
 * ASN.1 mapping, with every failure reported as a {@link DerError}.
 */
import { AsnConvert, AsnParser } from '@peculiar/asn1-schema';
import { DerError } from '../errors.js';
import { validateDer } from './der.js';

/**
 * Validates `der` as strict DER and maps it onto `schema`.
 * @param what - names the structure in error messages.
 * @throws {DerError} `ERR_PKI_DER`; {@link InputTooLargeError} over 64 KiB.
 */
export function parseDer<T>(der: Uint8Array, schema: new () => T, what: string): T {
  validateDer(der, what);
  return parseAsn1(der, schema, what);
}

/** Maps already-validated DER onto `schema` (nested values inside a validated outer structure). */
export function parseAsn1<T>(der: Uint8Array | ArrayBuffer, schema: new () => T, what: string): T {
  try {
    return AsnParser.parse(der, schema);
  } catch (err) {
    throw new DerError(`${what}: not a valid structure (${(err as Error).message})`, { cause: err });
  }
}

/** Serialises a schema object to DER bytes. */
export function toDer(value: unknown): Uint8Array {
  return new Uint8Array(AsnConvert.serialize(value));
}
