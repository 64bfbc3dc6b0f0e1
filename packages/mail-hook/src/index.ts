/**
 * The email-ping responder of certwizard: lets a mail server answer the CA's ownership-check mail
 * by itself, only for pings that carry a nonce it asked for.
 * @packageDocumentation
 */
export {
  openNonceBook,
  DEFAULT_MAX_PENDING_NONCES,
  MAX_NONCE_TTL_MS,
  type ExpectOptions,
  type NonceBook,
  type NonceBookOptions,
  type NonceRefusal,
  type NonceReservation,
  type ReserveOptions,
  type ReserveResult,
} from './nonce-book.js';
export * from './errors.js';
