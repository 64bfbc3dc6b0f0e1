/**
 * Revocation without an account, for whoever holds the certificate's key or its revocation
 * secret (docs/protocol.md, "Revocation without an account"):
 *
 * - `POST /api/revoke-by-key`: a request signed with the certificate's own private key (proof of
 *   possession, as ACME's revokeCert signed by the certificate key, RFC 8555 §7.6): it names the
 *   serial, the reason, the CA it is for and when it was made; the CA verifies the signature with
 *   the stored certificate's public key (RSA PKCS#1 v1.5 SHA-256; ECDSA P-256 SHA-256, P-384
 *   SHA-384, DER signatures), that it is for this CA, and that it was made within five minutes of
 *   the CA's clock. It works when the account is lost.
 * - `POST /api/revoke-with-secret`: the serial and the one-time revocation secret handed out with
 *   the certificate; wrong attempts are limited per serial in the database (every CA process
 *   counts in one bucket).
 *
 * Both: JSON in a POST body (never a URL), a repeat answers the first revocation (200, its time
 * and reason), a refusal changes nothing. Decodes, calls the request service, encodes.
 */
import { verify, X509Certificate } from 'node:crypto';
import {
  decodeRevokeByKeyRequest,
  decodeRevokeWithSecretRequest,
  encodeHolderRevocationAnswer,
  encodeHolderRevocationError,
  HOLDER_REVOCATION_ERRORS,
  HOLDER_REVOCATION_MAX_BODY_BYTES,
  HOLDER_REVOCATION_MEDIA_TYPE,
  type HolderRevocationErrorCode,
  normalizeCaUrl,
  REVOKE_BY_KEY_MAX_SKEW_MS,
  REVOKE_BY_KEY_PATH,
  REVOKE_WITH_SECRET_PATH,
  type RevokeByKeyRequest,
} from '@certwizard/protocol';
import { type Request, type Response, Router } from 'express';
import type { RateLimiter } from '../../accounts/rate-limiter.js';
import type { RequestService, RevokeOutcome } from '../../ca/request-service.js';
import type { Logger } from '../../log.js';
import { HttpError } from '../http-error.js';
import { readBody } from '../read-body.js';

/** What the two endpoints need, wired in main.ts. */
export interface HolderRevocationContext {
  readonly service: RequestService;
  /** The CA's public URL: a proof-of-possession request must name it. */
  readonly publicUrl: string;
  /** The CA's clock, ms since the epoch (the signed time is checked against it). */
  readonly now: () => number;
  /** Attempts with a revocation secret, per serial. */
  readonly secretLimiter: RateLimiter;
  readonly logger: Logger;
}

/**
 * Builds the routes.
 * @example
 * app.use(holderRevocationRoutes({ service, publicUrl, now, secretLimiter, logger }));
 */
export function holderRevocationRoutes(ctx: HolderRevocationContext): Router {
  const router = Router();
  router.post(
    REVOKE_BY_KEY_PATH,
    answered(ctx, REVOKE_BY_KEY_PATH, (req, res) => revokeByKey(ctx, req, res)),
  );
  router.post(
    REVOKE_WITH_SECRET_PATH,
    answered(ctx, REVOKE_WITH_SECRET_PATH, (req, res) => revokeWithSecret(ctx, req, res)),
  );
  for (const path of [REVOKE_BY_KEY_PATH, REVOKE_WITH_SECRET_PATH]) {
    // POST only: a GET (a link, a prefetch) never revokes, and a secret never travels in a URL.
    router.all(path, (req, res) => {
      req.resume();
      res.setHeader('Allow', 'POST');
      fail(res, 'method_not_allowed', 'use POST with a JSON body');
    });
  }
  return router;
}

// RFC 8555 §7.6 (revokeCert signed with the certificate's key) is the model: possession of the
// private key is the credential, checked against the public key of the certificate the CA stored.
async function revokeByKey(ctx: HolderRevocationContext, req: Request, res: Response): Promise<void> {
  const body = await jsonBody(req, res);
  if (body === undefined) return;
  const decoded = decodeRevokeByKeyRequest(body);
  if (!decoded.ok) return fail(res, decoded.code, decoded.message);
  const { fields } = decoded.request;
  if (fields.caUrl !== normalizeCaUrl(ctx.publicUrl)) return fail(res, 'wrong_ca', 'the request was made for another CA');
  if (Math.abs(fields.timeMs - ctx.now()) > REVOKE_BY_KEY_MAX_SKEW_MS) {
    return fail(res, 'stale_request', 'the signed time is more than five minutes from the CA clock; sign a new request');
  }
  const certificate = await ctx.service.certificate(fields.serialHex);
  if (certificate === undefined) return fail(res, 'unknown_certificate', 'the CA has no certificate with this serial');
  if (!signatureVerifies(certificate.pem, decoded.request)) {
    return fail(res, 'bad_signature', "the signature does not verify with the certificate's public key");
  }
  send(res, await ctx.service.revoke(fields.serialHex, { reason: fields.reason, by: { via: 'proof_of_possession' } }), fields.serialHex);
}

async function revokeWithSecret(ctx: HolderRevocationContext, req: Request, res: Response): Promise<void> {
  const body = await jsonBody(req, res);
  if (body === undefined) return;
  const decoded = decodeRevokeWithSecretRequest(body);
  if (!decoded.ok) return fail(res, decoded.code, decoded.message);
  const { serialHex, reason } = decoded.fields;
  // Every attempt counts, before the lookup: guessing a 256-bit secret is hopeless anyway, the
  // bucket keeps a client from making the CA hash and query without end.
  const limit = await ctx.secretLimiter.take(serialHex);
  if (!limit.allowed) {
    res.setHeader('Retry-After', String(Math.max(1, Math.ceil(limit.retryAfterMs / 1000))));
    return fail(res, 'rate_limited', 'too many attempts for this serial; retry later');
  }
  const outcome = await ctx.service.revokeWithSecret(serialHex, decoded.secret, reason);
  if (outcome.status === 'secret_invalid') {
    ctx.logger.info('revocation with a secret refused', { serial: serialHex });
    return fail(res, 'secret_invalid', 'the revocation secret does not match this certificate');
  }
  send(res, outcome, serialHex);
}

/** Whether the request's signature verifies with the certificate's key, by the algorithm that key implies. */
function signatureVerifies(certificatePem: string, request: RevokeByKeyRequest): boolean {
  const key = new X509Certificate(certificatePem).publicKey;
  let hash: 'sha256' | 'sha384';
  if (key.asymmetricKeyType === 'rsa') hash = 'sha256';
  else if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') hash = 'sha256';
  else if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'secp384r1') hash = 'sha384';
  else return false;
  try {
    return verify(hash, request.signedBytes, key.asymmetricKeyType === 'ec' ? { key, dsaEncoding: 'der' } : key, request.signature);
  } catch {
    // A signature that is not even a well-formed ECDSA-Sig-Value.
    return false;
  }
}

/** The body as text, or `undefined` after answering 415/413. */
async function jsonBody(req: Request, res: Response): Promise<string | undefined> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== HOLDER_REVOCATION_MEDIA_TYPE) {
    req.resume();
    fail(res, 'unsupported_media_type', `send the request as ${HOLDER_REVOCATION_MEDIA_TYPE}`);
    return undefined;
  }
  try {
    return (await readBody(req, HOLDER_REVOCATION_MAX_BODY_BYTES)).toString('utf8');
  } catch (err) {
    if (!(err instanceof HttpError)) throw err;
    fail(res, 'payload_too_large', `the body is over ${HOLDER_REVOCATION_MAX_BODY_BYTES} bytes`);
    return undefined;
  }
}

function send(res: Response, outcome: RevokeOutcome, serialHex: string): void {
  // Found a moment ago; gone only if deleted meanwhile, which the CA never does.
  if (outcome.status === 'not_found') return fail(res, 'unknown_certificate', 'the CA has no certificate with this serial');
  res.status(200).json(encodeHolderRevocationAnswer({ status: outcome.status, serialHex, revokedAt: outcome.revokedAt, reason: outcome.reason }));
}

function fail(res: Response, code: HolderRevocationErrorCode, message: string): void {
  res.status(HOLDER_REVOCATION_ERRORS[code]).json(encodeHolderRevocationError(code, message));
}

/** An unexpected error becomes `500 internal_error` (logged, never echoed). */
function answered(ctx: HolderRevocationContext, route: string, handler: (req: Request, res: Response) => Promise<void>) {
  return async (req: Request, res: Response): Promise<void> => {
    try {
      await handler(req, res);
    } catch (err) {
      ctx.logger.error('request failed', { route, error: err });
      if (res.headersSent) res.destroy();
      else fail(res, 'internal_error', 'the CA could not process the request; see its log');
    }
  };
}
