/**
 * Typed errors of the wizard server. Every error carries a stable `code`; codes are API: they are
 * added, never renamed. Messages never contain the session token, the cookie or a passphrase.
 *
 * @packageDocumentation
 */

/** Base class of every error the wizard rejects a promise with (caller misuse is a `TypeError`). */
export class WizardError extends Error {
  /** Stable machine-readable code, e.g. `ERR_WIZARD_CLOSED`. */
  readonly code: string = 'ERR_WIZARD';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The server could not listen on 127.0.0.1 (a fixed port in use, ...); `cause` is the socket error. */
export class WizardListenError extends WizardError {
  override readonly code = 'ERR_WIZARD_LISTEN';
}

/** The built browser app (`wizard-ui/dist`) is missing: run `npm run build -w @certwizard/wizard-ui`. */
export class WizardUiMissingError extends WizardError {
  override readonly code = 'ERR_WIZARD_UI_MISSING';
}

/**
 * `close()` was called before a certificate was installed; `cause` is the last failure of the
 * enrollment, when there was one.
 */
export class WizardClosedError extends WizardError {
  override readonly code = 'ERR_WIZARD_CLOSED';
}

/** The `signal` given to `startWizard()` was aborted; `cause` is its reason. */
export class WizardAbortedError extends WizardError {
  override readonly code = 'ERR_WIZARD_ABORTED';
}
