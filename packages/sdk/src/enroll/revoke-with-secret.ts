/**
 * Revocation with the certificate's one-time revocation secret, `POST /api/revoke-with-secret`
 * (docs/protocol.md): the secret the CA handed out with the certificate (`IssuedResult.revocationSecret`)
 * is the credential, so it works without the account, the token or the key. The secret travels
 * in the POST body, never in a URL.
 */
import { encodeRevokeWithSecretRequest, REVOKE_WITH_SECRET_PATH, type RevocationReasonName } from '@certwizard/protocol';
import { methodTransport, type MethodTransportOptions } from './method-context.js';
import { revocationFields } from './revocation.js';
import { type HolderRevocationResult, sendHolderRevocation } from './revoke-with-key.js';

/** Options of {@link revokeWithSecret}: exactly one of `certificatePem` and `serialHex`. */
export interface RevokeWithSecretOptions extends MethodTransportOptions {
  /** The CA's base URL. */
  readonly caUrl: string;
  /** The certificate to revoke, PEM; its serial is read from it. */
  readonly certificatePem?: string;
  /** Or its serial number, hex. */
  readonly serialHex?: string;
  /** The revocation secret the CA gave with the certificate (43 base64url characters). */
  readonly secret: string;
  /** Why (a holder's reason); default `unspecified`. */
  readonly reason?: RevocationReasonName;
  /** Aborts the request and every wait. */
  readonly signal?: AbortSignal;
}

/**
 * Revokes a certificate with its revocation secret, through the SDK's one HTTP path
 * (`sendCaRequest`: redirects never followed). `already_revoked` is a success, with the first
 * revocation's time and reason.
 * @throws {RevocationRefusedError} `ERR_SDK_REVOKE_REFUSED` when the CA refuses: `secret_invalid`
 *   (wrong secret, or a serial without one), `rate_limited` (too many attempts for the serial),
 *   `invalid_reason`. Nothing changed at the CA.
 * @throws {CaProtocolError} `ERR_SDK_CA_PROTOCOL`, {@link CaUnreachableError} `ERR_SDK_CA_UNREACHABLE`.
 * @throws {TypeError} for a malformed secret, certificate or serial, or bad options (nothing is sent).
 * @example
 * await revokeWithSecret({ caUrl, certificatePem, secret: issued.revocationSecret, reason: 'keyCompromise' });
 */
export async function revokeWithSecret(options: RevokeWithSecretOptions): Promise<HolderRevocationResult> {
  const fields = revocationFields({
    ...(options.certificatePem !== undefined ? { certificatePem: options.certificatePem } : {}),
    ...(options.serialHex !== undefined ? { serialHex: options.serialHex } : {}),
    ...(options.reason !== undefined ? { reason: options.reason } : {}),
  });
  const body = encodeRevokeWithSecretRequest(fields, options.secret);
  const { base, transport } = methodTransport(options.caUrl, options);
  return sendHolderRevocation('POST /api/revoke-with-secret', `${base}${REVOKE_WITH_SECRET_PATH}`, body, fields.serialHex, {
    transport,
    ...(options.signal ? { signal: options.signal } : {}),
  });
}
