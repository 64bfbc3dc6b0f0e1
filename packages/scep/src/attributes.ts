/**
 * The SCEP signed attributes (RFC 8894 §3.2.1): writing them and reading them back.
 */
import * as asn1js from 'asn1js';
import type * as pkijs from 'pkijs';
import { ScepError } from './errors.js';
import { attribute } from './signed-data.js';

/** A PrintableString attribute (messageType, pkiStatus, failInfo, transactionID; §3.2.1). */
export function printableAttribute(oid: string, value: string): pkijs.Attribute {
  return attribute(oid, new asn1js.PrintableString({ value }));
}

/** An OCTET STRING attribute (senderNonce, recipientNonce; §3.2.1.5). */
export function octetAttribute(oid: string, value: Uint8Array): pkijs.Attribute {
  return attribute(oid, new asn1js.OctetString({ valueHex: new Uint8Array(value).buffer }));
}

/** The string of a single-valued string attribute; PrintableString or any other string type is accepted. */
export function readString(attributes: ReadonlyMap<string, readonly asn1js.AsnType[]>, oid: string, name: string): string | undefined {
  const values = attributes.get(oid);
  if (values === undefined) return undefined;
  const value = values[0];
  if (values.length !== 1 || !(value instanceof asn1js.BaseStringBlock)) {
    throw new ScepError('ERR_SCEP_MALFORMED', `the ${name} attribute is not a string`);
  }
  return value.getValue();
}

/** The bytes of a single-valued OCTET STRING attribute. */
export function readOctets(attributes: ReadonlyMap<string, readonly asn1js.AsnType[]>, oid: string, name: string): Uint8Array | undefined {
  const values = attributes.get(oid);
  if (values === undefined) return undefined;
  const value = values[0];
  if (values.length !== 1 || !(value instanceof asn1js.OctetString)) {
    throw new ScepError('ERR_SCEP_MALFORMED', `the ${name} attribute is not an OCTET STRING`);
  }
  return new Uint8Array(value.valueBlock.valueHexView);
}

/** RFC 8894 §3.2.1.5: nonces are 16 bytes; a little leeway for clients that send other sizes. */
export function checkNonce(nonce: Uint8Array | undefined, name: string): Uint8Array {
  if (nonce === undefined || nonce.length < 8 || nonce.length > 64) {
    throw new ScepError('ERR_SCEP_MALFORMED', `the ${name} is missing or not 8 to 64 bytes`);
  }
  return nonce;
}
