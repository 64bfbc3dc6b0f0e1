/**
 * The SCEP method's slot in the state file: the CA's and RA's certificates as the installer
 * accepted them (pinned), and the CA's capabilities. Public data only: no PIN, no key. A pending
 * request needs nothing more here: its transactionID is the enrollment's request id, and the
 * poll is signed by the request's key, which the flow keeps in its key file.
 */
import { createHash } from 'node:crypto';
import { StateFileError } from '../../flow/errors.js';

/** Version of {@link ScepState}'s format in the state file's slot. */
export const SCEP_STATE_VERSION = 1;

/** What the SCEP method remembers between its steps. */
export interface ScepState {
  /** The CA certificate (DER, base64) GetCACert returned and the installer accepted. */
  readonly caCertificateDerBase64: string;
  /** The RA certificate (DER, base64): the one every CertRep must be signed by (the CA's own when it has no RA). */
  readonly raCertificateDerBase64: string;
  /** SHA-256 of the CA certificate's DER, lower-case hex. */
  readonly caFingerprintSha256: string;
  /** SHA-256 of the RA certificate's DER, lower-case hex. */
  readonly raFingerprintSha256: string;
  /** GetCACaps (RFC 8894 §3.5.2), as the CA listed them. */
  readonly capabilities: readonly string[];
}

/** Lower-case hex SHA-256 of `der`: how the CA's and RA's fingerprints are shown and pinned. */
export function sha256Hex(der: Uint8Array): string {
  return createHash('sha256').update(der).digest('hex');
}

/** Strict base64 (what Buffer writes): the state file is untrusted input. */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const CAPABILITY = /^[\x21-\x7e]{1,64}$/;
const FIELDS = ['caCertificateDerBase64', 'raCertificateDerBase64', 'caFingerprintSha256', 'raFingerprintSha256', 'capabilities'];

/**
 * Reads the slot back (version 1), checking that each fingerprint is the certificate's: an
 * edited state file cannot swap the pinned RA for another.
 * @throws {StateFileError} `ERR_SDK_STATE_FILE` for anything else.
 * @example
 * const state = parseScepState(JSON.parse(text).method.state, 1);
 */
export function parseScepState(state: unknown, version: number): ScepState {
  const bad = (why: string) => new StateFileError(`the scep method's state is not valid: ${why}`);
  if (version !== SCEP_STATE_VERSION) throw bad(`version ${version} is unknown`);
  if (state === null || typeof state !== 'object' || Array.isArray(state)) throw bad('not an object');
  if (Object.keys(state).some((key) => !FIELDS.includes(key))) throw bad('unknown fields');
  /** A certificate field and its fingerprint, which must be the certificate's. */
  const certificate = (field: 'caCertificateDerBase64' | 'raCertificateDerBase64', pin: 'caFingerprintSha256' | 'raFingerprintSha256'): [string, string] => {
    const value: unknown = Reflect.get(state, field);
    if (typeof value !== 'string' || value === '' || value.length > 16_384 || !BASE64.test(value)) throw bad(`${field} is not base64`);
    const fingerprint: unknown = Reflect.get(state, pin);
    if (typeof fingerprint !== 'string' || fingerprint !== sha256Hex(Buffer.from(value, 'base64'))) throw bad(`${pin} is not the certificate's`);
    return [value, fingerprint];
  };
  const [caCertificateDerBase64, caFingerprintSha256] = certificate('caCertificateDerBase64', 'caFingerprintSha256');
  const [raCertificateDerBase64, raFingerprintSha256] = certificate('raCertificateDerBase64', 'raFingerprintSha256');
  const capabilities: unknown = Reflect.get(state, 'capabilities');
  if (!Array.isArray(capabilities) || capabilities.length > 64 || !capabilities.every((c) => typeof c === 'string' && CAPABILITY.test(c)))
    throw bad('capabilities is not a list of capability names');
  return { caCertificateDerBase64, raCertificateDerBase64, caFingerprintSha256, raFingerprintSha256, capabilities: [...(capabilities as string[])] };
}
