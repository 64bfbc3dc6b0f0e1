/**
 * The shared front half of the ssl_api-style endpoints (`PUT /api/csr/:client` and
 * `POST /api/csr/:client/revoke`): the client segment, which is all the authentication ssl_api
 * has, and the body's media type. Both throw {@link HttpError}s, which the error writer answers
 * with their wire code.
 */
import { CSR_API_CLIENT_PATTERN } from '@certwizard/protocol';
import type { Request } from 'express';
import { HttpError } from '../http-error.js';

/**
 * The `:client` segment: the ssl_api client hash, stored with each certificate as its requester.
 * @throws {HttpError} `invalid_client` when it is not 1 to 128 ASCII letters or digits.
 * @example
 * const client = clientOf(req); // 'vendor1'
 */
export function clientOf(req: Request): string {
  const client = String(req.params.client ?? '');
  if (!CSR_API_CLIENT_PATTERN.test(client)) {
    throw new HttpError('invalid_client', 'the client segment must be 1 to 128 ASCII letters or digits');
  }
  return client;
}

/**
 * The body's media type, lower case and without parameters (`charset` is ignored), when it is
 * one of `accepted`.
 * @throws {HttpError} `unsupported_media_type` for none or another.
 * @example
 * mediaTypeOf(req, ['application/json']); // 'application/json'
 */
export function mediaTypeOf(req: Request, accepted: readonly string[]): string {
  const mediaType = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (!accepted.includes(mediaType)) {
    throw new HttpError('unsupported_media_type', `send the body as ${accepted.join(' or ')}, not ${mediaType || 'no content type'}`);
  }
  return mediaType;
}
