/** Fingerprints of DER structures, as shown to people and stored by the CA. */
import { createHash } from 'node:crypto';

/** Lower-case hex SHA-256 of `der`. */
export function sha256Hex(der: Uint8Array): string {
  return createHash('sha256').update(der).digest('hex');
}

/**
 * SHA-256 fingerprint in the colon-separated upper-case form that `openssl x509 -fingerprint
 * -sha256` prints, e.g. `3F:A1:...`.
 */
export function fingerprintSha256(der: Uint8Array): string {
  return formatFingerprint(sha256Hex(der));
}

/** Formats hex as colon-separated upper-case pairs. */
export function formatFingerprint(hex: string): string {
  return (hex.toUpperCase().match(/../g) ?? []).join(':');
}
