/**
 * Certificate serial numbers (RFC 5280 §4.1.2.2): positive, at most 20 octets, unique per CA.
 * Random serials carry 127 bits of entropy, well above the CA/Browser Forum's 64.
 */
import { randomBytes } from 'node:crypto';
import { SerialNumberError } from '../errors.js';

/** Octets of a random serial: 16, the top bit cleared so the INTEGER stays positive. */
const RANDOM_SERIAL_OCTETS = 16;

/** A fresh random serial, as DER-minimal lower-case hex. */
export function randomSerialHex(): string {
  const bytes = randomBytes(RANDOM_SERIAL_OCTETS);
  // Clear the sign bit (positive INTEGER); a zero first octet would not be DER-minimal.
  bytes[0] = (bytes[0] as number) & 0x7f || 0x01;
  return bytes.toString('hex');
}

/**
 * Normalises a serial given by a hook (bigint, safe integer, hex string or bytes) to
 * DER-minimal lower-case hex.
 * @throws {SerialNumberError} `ERR_CA_SERIAL` unless it is a positive integer of at most 20 octets.
 */
export function normalizeSerial(value: unknown): string {
  let n: bigint;
  if (typeof value === 'bigint') n = value;
  else if (typeof value === 'number' && Number.isSafeInteger(value)) n = BigInt(value);
  else if (typeof value === 'string' && /^(0x)?[0-9a-fA-F]{1,40}$/.test(value)) n = BigInt(`0x${value.replace(/^0x/, '')}`);
  else if (value instanceof Uint8Array && value.length > 0 && value.length <= 21) {
    n = BigInt(`0x${Buffer.from(value).toString('hex')}`);
  } else throw new SerialNumberError('serialNumber() must return a bigint, a safe integer, hex text or bytes');
  if (n <= 0n) throw new SerialNumberError('a serial number must be positive');
  let hex = n.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  // A set top bit needs a leading zero octet to stay positive in DER.
  if (Number.parseInt(hex.slice(0, 2), 16) & 0x80) hex = `00${hex}`;
  if (hex.length > 40) throw new SerialNumberError('a serial number must fit in 20 octets');
  return hex;
}

/** DER INTEGER content octets of a normalised serial. */
export function serialBytes(hex: string): Uint8Array {
  return new Uint8Array(Buffer.from(hex, 'hex'));
}
