/**
 * Revocation over the API, the part both wires share: which reasons a certificate's holder may
 * give, how a serial number is written, and the decoding of the two fields. The ssl_api wire
 * (`POST /api/csr/:client/revoke`, csr-api.ts) and the CAcert-style one (`POST /api/crevoke.php`,
 * cacert-api.ts) carry them in their own shapes. Documented in docs/protocol.md; every name here
 * is part of the wire contract.
 */

/**
 * The reasons a certificate's holder may give, by their RFC 5280 §5.3.1 CRLReason names (the
 * names the CRL entry's reasonCode stands for).
 *
 * RFC 5280 §5.3.1 lists unspecified (0), keyCompromise (1), cACompromise (2), affiliationChanged
 * (3), superseded (4), cessationOfOperation (5), certificateHold (6), removeFromCRL (8),
 * privilegeWithdrawn (9) and aACompromise (10). A holder speaks only for its own key and its own
 * use of the certificate, so it gets the five below; the others are the CA's to give
 * ({@link CA_ONLY_REVOCATION_REASONS}) and are refused as `invalid_reason`. `certificateHold`
 * in particular would make a revocation undoable (`removeFromCRL`, delta CRLs only), and a
 * revocation here is final.
 */
export const REVOCATION_REASONS = ['unspecified', 'keyCompromise', 'affiliationChanged', 'superseded', 'cessationOfOperation'] as const;

/** One of {@link REVOCATION_REASONS}. */
export type RevocationReasonName = (typeof REVOCATION_REASONS)[number];

/** The other RFC 5280 §5.3.1 names: real reasons, but not a holder's to give. Refused as `invalid_reason`. */
export const CA_ONLY_REVOCATION_REASONS = ['cACompromise', 'certificateHold', 'removeFromCRL', 'privilegeWithdrawn', 'aACompromise'] as const;

/**
 * A serial number on the wire: the hex of its DER INTEGER content octets (RFC 5280 §4.1.2.2: at
 * most 20 octets), two digits per octet, either case, nothing else (no colons, no `0x`). It is
 * what `openssl x509 -serial` prints and what the CA stores, in lower case.
 */
export const REVOCATION_SERIAL_PATTERN = /^(?:[0-9a-fA-F]{2}){1,20}$/;

/** The two fields of a revocation, decoded. */
export interface RevocationFields {
  /** The serial number, lower-case hex (see {@link REVOCATION_SERIAL_PATTERN}). */
  readonly serialHex: string;
  /** Why; `unspecified` when the request gave none. */
  readonly reason: RevocationReasonName;
}

/** A revocation request that is not one: the wire code and a message fit to return. */
export interface RevocationFieldsRefusal {
  readonly ok: false;
  readonly code: 'invalid_serial' | 'invalid_reason';
  readonly message: string;
}

/** Result of {@link decodeRevocationFields}. */
export type RevocationFieldsResult = { readonly ok: true; readonly fields: RevocationFields } | RevocationFieldsRefusal;

/** What the CA did: revoked it now, or it was revoked before (its time and reason unchanged). */
export type RevocationStatus = 'revoked' | 'already_revoked';

/**
 * Whether `value` is one of {@link REVOCATION_REASONS}.
 * @example
 * isRevocationReason('keyCompromise'); // true
 * isRevocationReason('certificateHold'); // false
 */
export function isRevocationReason(value: unknown): value is RevocationReasonName {
  return typeof value === 'string' && (REVOCATION_REASONS as readonly string[]).includes(value);
}

/**
 * Decodes the serial and the reason of a revocation request, whichever wire carried them.
 * @param serial - the serial as sent; anything but a string of {@link REVOCATION_SERIAL_PATTERN} is `invalid_serial`.
 * @param reason - the reason as sent, `undefined` for none (then `unspecified`); anything but one of
 *   {@link REVOCATION_REASONS} is `invalid_reason` (a CA-only reason is told apart in the message).
 * @example
 * decodeRevocationFields('0A1B', 'superseded'); // { ok: true, fields: { serialHex: '0a1b', reason: 'superseded' } }
 * decodeRevocationFields('0A1B', 'certificateHold'); // { ok: false, code: 'invalid_reason', message: ... }
 */
export function decodeRevocationFields(serial: unknown, reason: unknown): RevocationFieldsResult {
  if (typeof serial !== 'string' || !REVOCATION_SERIAL_PATTERN.test(serial)) {
    return { ok: false, code: 'invalid_serial', message: 'serial must be the certificate serial number in hex, two digits per octet, at most 20 octets' };
  }
  if (reason !== undefined && !isRevocationReason(reason)) {
    const caOnly = typeof reason === 'string' && (CA_ONLY_REVOCATION_REASONS as readonly string[]).includes(reason);
    return {
      ok: false,
      code: 'invalid_reason',
      message: caOnly
        ? `${reason} is a reason only the CA gives; a holder may give ${REVOCATION_REASONS.join(', ')}`
        : `reason must be one of ${REVOCATION_REASONS.join(', ')}`,
    };
  }
  return { ok: true, fields: { serialHex: serial.toLowerCase(), reason: reason ?? 'unspecified' } };
}

/**
 * Whether `value` is a serial as the CA writes it in its answers: {@link REVOCATION_SERIAL_PATTERN}, lower case.
 * @example
 * isAnsweredSerial('0a1b'); // true
 * isAnsweredSerial('0A1B'); // false
 */
export function isAnsweredSerial(value: unknown): value is string {
  return typeof value === 'string' && REVOCATION_SERIAL_PATTERN.test(value) && value === value.toLowerCase();
}

/**
 * Checks the fields of a revocation before they are sent, for the encoders.
 * @throws {TypeError} for a serial outside {@link REVOCATION_SERIAL_PATTERN} or a reason outside {@link REVOCATION_REASONS}.
 */
export function checkRevocationFields(fields: RevocationFields): RevocationFields {
  const decoded = decodeRevocationFields(fields?.serialHex, fields?.reason);
  if (!decoded.ok) throw new TypeError(decoded.message);
  return decoded.fields;
}
