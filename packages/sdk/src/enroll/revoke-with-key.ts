/**
 * Revocation by proof of possession: a request signed with the certificate's own private key,
 * `POST /api/revoke-by-key` (docs/protocol.md). It needs no account and no token, so it works
 * when both are lost, and only the key's holder can make it. The signed request names the CA
 * it is for and the time it was made: the CA refuses it elsewhere, or five minutes later.
 */
import { createPrivateKey, type KeyObject, sign } from 'node:crypto';
import {
  decodeHolderRevocationAnswer,
  encodeRevokeByKeyPayload,
  encodeRevokeByKeyRequest,
  HOLDER_REVOCATION_MEDIA_TYPE,
  type HolderRevocationAnswer,
  REVOKE_BY_KEY_PATH,
  revokeByKeySigningInput,
  type RevocationReasonName,
} from '@certwizard/protocol';
import { sendCaRequest } from '../transport/ca-request.js';
import type { RevocationResult } from './enrollment-method.js';
import { methodTransport, type MethodTransportOptions } from './method-context.js';
import { revocationFields, revocationResult } from './revocation.js';

/** What a revocation without an account answers: what the CA did, and when and why it was revoked. */
export interface HolderRevocationResult extends RevocationResult {
  /** When the certificate was revoked: now, or the first revocation's time for `already_revoked`. */
  readonly revokedAt: Date;
  /** The revocation's RFC 5280 §5.3.1 reason name (the first revocation's for `already_revoked`). */
  readonly reason: string;
}

/** Options of {@link revokeWithKey}. */
export interface RevokeWithKeyOptions extends MethodTransportOptions {
  /** The CA's base URL, as the certificate was issued by it (the signed request names it). */
  readonly caUrl: string;
  /** The certificate to revoke, PEM. */
  readonly certificatePem: string;
  /** Its private key: PEM (PKCS#8 or traditional) or a KeyObject. RSA, or EC P-256/P-384. */
  readonly privateKey: string | KeyObject;
  /** Why (a holder's reason, `REVOCATION_REASONS`); default `unspecified`. */
  readonly reason?: RevocationReasonName;
  /** Aborts the request and every wait. */
  readonly signal?: AbortSignal;
  /** The time signed into the request, ms since the epoch; default `Date.now()` (the CA allows five minutes either way). */
  readonly nowMs?: number;
}

/**
 * Revokes a certificate with its own private key (RSA PKCS#1 v1.5 SHA-256, ECDSA P-256 SHA-256 or
 * P-384 SHA-384), through the SDK's one HTTP path (`sendCaRequest`: redirects never followed).
 * `already_revoked` is a success, with the first revocation's time and reason.
 * @throws {RevocationRefusedError} `ERR_SDK_REVOKE_REFUSED` when the CA refuses: `bad_signature`
 *   (the key is not the certificate's), `stale_request` (the clocks differ by over five minutes),
 *   `wrong_ca`, `unknown_certificate`, `invalid_reason`. Nothing changed at the CA.
 * @throws {CaProtocolError} `ERR_SDK_CA_PROTOCOL`, {@link CaUnreachableError} `ERR_SDK_CA_UNREACHABLE`.
 * @throws {TypeError} for a certificate that does not parse, a key that is not RSA/P-256/P-384, or bad options.
 * @example
 * const result = await revokeWithKey({ caUrl, certificatePem, privateKey: keyPem, reason: 'keyCompromise' });
 * // { status: 'revoked', serialHex, revokedAt, reason: 'keyCompromise' }
 */
export async function revokeWithKey(options: RevokeWithKeyOptions): Promise<HolderRevocationResult> {
  const fields = revocationFields({ certificatePem: options.certificatePem, ...(options.reason !== undefined ? { reason: options.reason } : {}) });
  const key = typeof options.privateKey === 'string' ? createPrivateKey(options.privateKey) : options.privateKey;
  const hash = signatureHash(key);
  const { base, transport } = methodTransport(options.caUrl, options);
  const payload = encodeRevokeByKeyPayload({ ...fields, caUrl: base, timeMs: options.nowMs ?? Date.now() });
  const signature = sign(hash, revokeByKeySigningInput(payload), key.asymmetricKeyType === 'ec' ? { key, dsaEncoding: 'der' } : key);
  return sendHolderRevocation('POST /api/revoke-by-key', `${base}${REVOKE_BY_KEY_PATH}`, encodeRevokeByKeyRequest(payload, signature), fields.serialHex, {
    transport,
    ...(options.signal ? { signal: options.signal } : {}),
  });
}

/**
 * Posts a revocation request of `/api/revoke-by-key` or `/api/revoke-with-secret` and decodes its answer.
 * @internal shared with revoke-with-secret.ts.
 */
export async function sendHolderRevocation(
  what: string,
  url: string,
  body: string,
  serialHex: string,
  call: { readonly transport: ReturnType<typeof methodTransport>['transport']; readonly signal?: AbortSignal },
): Promise<HolderRevocationResult> {
  const { status, body: answerBody } = await sendCaRequest(
    {
      what,
      url,
      method: 'POST',
      headers: { 'content-type': HOLDER_REVOCATION_MEDIA_TYPE, accept: HOLDER_REVOCATION_MEDIA_TYPE },
      body,
      initialDelayMs: call.transport.retryDelayMs,
    },
    call.transport.context(call.signal),
  );
  let answer: HolderRevocationAnswer | undefined;
  const result = revocationResult(what, status, serialHex, () => (answer = decodeHolderRevocationAnswer(status, answerBody)));
  // revocationResult returns only once the decoder succeeded, so the answer is set.
  const { revokedAt, reason } = answer as HolderRevocationAnswer;
  return { ...result, revokedAt, reason };
}

/** The hash the CA expects with this key (docs/protocol.md). */
function signatureHash(key: KeyObject): 'sha256' | 'sha384' {
  if (key.type !== 'private') throw new TypeError('privateKey must be a private key');
  if (key.asymmetricKeyType === 'rsa') return 'sha256';
  const curve = key.asymmetricKeyType === 'ec' ? key.asymmetricKeyDetails?.namedCurve : undefined;
  if (curve === 'prime256v1') return 'sha256';
  if (curve === 'secp384r1') return 'sha384';
  throw new TypeError('privateKey must be RSA, or EC on P-256 or P-384');
}
