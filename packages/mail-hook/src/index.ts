/**
 * The email-ping responder of certwizard: lets a mail server answer the CA's ownership-check mail
 * by itself, only for pings that carry a nonce it asked for. See docs/mail-hook.md.
 *
 * - {@link openNonceBook}: the nonces the mail server asked for, on disk.
 * - {@link createMailHook}: the filter around a vendor's smtp-server `onData` / `onRcptTo`.
 * - {@link startMailHookServer}: the same as a standalone SMTP listener on 127.0.0.1.
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
export {
  createMailHook,
  DEFAULT_CONFIRM_TIMEOUT_MS,
  DEFAULT_MAX_CONFIRM_RESPONSE_BYTES,
  DEFAULT_MAX_MESSAGE_BYTES,
  DEFAULT_MAX_MIME_PARTS,
  DEFAULT_MAX_RECIPIENTS,
  DEFAULT_PARSE_TIMEOUT_MS,
  type MailHook,
  type MailHookDkimOptions,
  type MailHookLogEntry,
  type MailHookOptions,
  type SmtpOnData,
  type SmtpOnRcptTo,
} from './mail-hook.js';
export {
  startMailHookServer,
  DEFAULT_MAX_CLIENTS,
  DEFAULT_SOCKET_TIMEOUT_MS,
  MAIL_HOOK_LISTEN_ADDRESS,
  type DeliverFunction,
  type MailHookServer,
  type MailHookServerOptions,
} from './mail-hook-server.js';
export type { PingRefusalReason } from './ping-responder.js';
export type { PingShapeRefusal } from './codec/ping-mail.js';
export type { MimeParseFailure } from './transport/mime-parser.js';
// The contract's header name, still offered here for a vendor's own mail filter.
export { PING_NONCE_HEADER } from '@certwizard/protocol';
export * from './errors.js';
