/**
 * Typed errors of the mail hook. Every error carries a stable `code` starting with
 * `ERR_MAIL_HOOK`; codes are API: they are added, never renamed. No message contains a nonce, a
 * token or a digest of either.
 *
 * @packageDocumentation
 */

/** Base class of every error the mail hook rejects a promise with (except {@link MailHookArgumentError}). */
export class MailHookError extends Error {
  /** Stable machine-readable code, e.g. `ERR_MAIL_HOOK_NONCE_BOOK_FULL`. */
  readonly code: string = 'ERR_MAIL_HOOK';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/**
 * The caller passed a bad option or argument (an origin that is not https, an address without
 * `@`, a limit out of range...). A `TypeError`, since it is a programming error, with a code so
 * that it can be told apart from other `TypeError`s.
 */
export class MailHookArgumentError extends TypeError {
  /** Always `ERR_MAIL_HOOK_INVALID_ARGUMENT`. */
  readonly code = 'ERR_MAIL_HOOK_INVALID_ARGUMENT';

  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** `expect` found the nonce book holding `maxPending` unexpired nonces; nothing was added. */
export class NonceBookFullError extends MailHookError {
  override readonly code = 'ERR_MAIL_HOOK_NONCE_BOOK_FULL';
}

/**
 * The nonce book's file exists but is not a nonce book of this version for this CA origin (not
 * JSON, a wrong shape, too large). The file is left as it is: nothing stored is thrown away.
 */
export class NonceBookCorruptError extends MailHookError {
  override readonly code = 'ERR_MAIL_HOOK_NONCE_BOOK_CORRUPT';
}

/** Reading or writing the nonce book's folder failed; `cause` is the file-system error. */
export class NonceBookStorageError extends MailHookError {
  override readonly code = 'ERR_MAIL_HOOK_NONCE_BOOK_STORAGE';
}

/**
 * Another running process has this folder's nonce book open. A book keeps its state in memory and
 * writes it whole, so two processes on one book would lose each other's nonces: open it in the
 * process that runs the mail hook, and give that book to the installer.
 */
export class NonceBookLockedError extends MailHookError {
  override readonly code = 'ERR_MAIL_HOOK_NONCE_BOOK_LOCKED';
}

/** The nonce book or the listener was used after `close()`. */
export class MailHookClosedError extends MailHookError {
  override readonly code = 'ERR_MAIL_HOOK_CLOSED';
}

/** An `AbortSignal` passed to the call was aborted; `cause` is its reason. */
export class MailHookAbortedError extends MailHookError {
  override readonly code = 'ERR_MAIL_HOOK_ABORTED';
}

/** The standalone listener could not listen on 127.0.0.1 (the fixed port is taken...); `cause` is the socket error. */
export class MailHookListenError extends MailHookError {
  override readonly code = 'ERR_MAIL_HOOK_LISTEN';
}
