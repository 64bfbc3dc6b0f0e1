/**
 * The SCEP method's slot in the state file: the SCEP URL the enrollment used, the CA's and RA's
 * certificates as the installer accepted them (pinned), and the CA's capabilities. Public data
 * only: no PIN, no key. A pending
 * request needs nothing more here: its transactionID is the enrollment's request id, and the
 * poll is signed by the request's key, which the flow keeps in its key file.
 */
import { createHash } from 'node:crypto';
import { StateFileError } from '../../flow/errors.js';

/**
 * Version of {@link ScepState}'s format in the state file's slot: 2 records the SCEP URL; 1 did
 * not, and its URL was `<CA origin>/scep`.
 */
export const SCEP_STATE_VERSION = 2;

/** What the SCEP method remembers between its steps. */
export interface ScepState {
  /**
   * The SCEP URL the enrollment used: `<CA origin>/scep`, or a personal `/scep/u/<handle>` whose
   * requests the CA holds for that account's owner. A renewal without a method goes there again.
   */
  readonly url: string;
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
const FIELDS_V1 = ['caCertificateDerBase64', 'raCertificateDerBase64', 'caFingerprintSha256', 'raFingerprintSha256', 'capabilities'];
const FIELDS_V2 = [...FIELDS_V1, 'url'];

/**
 * The recorded SCEP URL, untrusted: http(s) on the recorded CA's origin (an edited state file
 * cannot send a renewal, signed by the old key, to another host), no credentials, query or fragment.
 */
function recordedUrl(value: unknown, caOrigin: string): string | undefined {
  if (typeof value !== 'string' || value.length > 2048 || !URL.canParse(value)) return undefined;
  const url = new URL(value);
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
  if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '' || url.origin !== caOrigin) return undefined;
  return url.href;
}

/**
 * Reads the slot back (version 2, or 1 whose URL was `<caOrigin>/scep`), checking that each
 * fingerprint is the certificate's (an edited state file cannot swap the pinned RA for another)
 * and that the URL is on `caOrigin`.
 * @param caOrigin - the origin of the CA the enrollment belongs to (the state file's `caOrigin`).
 * @throws {StateFileError} `ERR_SDK_STATE_FILE` for anything else.
 * @example
 * const file = JSON.parse(text);
 * const state = parseScepState(file.method.state, file.method.version, file.caOrigin);
 */
export function parseScepState(state: unknown, version: number, caOrigin: string): ScepState {
  const bad = (why: string) => new StateFileError(`the scep method's state is not valid: ${why}`);
  if (version !== SCEP_STATE_VERSION && version !== 1) throw bad(`version ${version} is unknown`);
  if (state === null || typeof state !== 'object' || Array.isArray(state)) throw bad('not an object');
  const fields = version === 1 ? FIELDS_V1 : FIELDS_V2;
  if (Object.keys(state).some((key) => !fields.includes(key))) throw bad('unknown fields');
  const url = version === 1 ? recordedUrl(`${caOrigin}/scep`, caOrigin) : recordedUrl(Reflect.get(state, 'url'), caOrigin);
  if (url === undefined) throw bad(`url is not an http(s) URL of the CA ${caOrigin} without credentials`);
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
  return { url, caCertificateDerBase64, raCertificateDerBase64, caFingerprintSha256, raFingerprintSha256, capabilities: [...(capabilities as string[])] };
}
