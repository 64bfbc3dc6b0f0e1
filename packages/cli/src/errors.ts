/**
 * Errors of the command line itself (the SDK's are in `@certwizard/sdk`); each has a stable
 * `code`, shown with the message and used in `--json` output.
 */

/**
 * `--ca` names the wrong scheme for the CA: `https://` where it speaks plain HTTP, or `http://`
 * where it speaks only TLS. Found before anything is sent, by the CLI's first request.
 */
export class CaSchemeMismatchError extends Error {
  override readonly name = 'CaSchemeMismatchError';
  readonly code = 'ERR_CLI_CA_SCHEME';
  /**
   * @param message - what was found, e.g. "https://ca.test:8440 answers, but in plain HTTP, not TLS".
   * @param suggestedUrl - the `--ca` value that would work.
   */
  constructor(
    message: string,
    readonly suggestedUrl: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/**
 * A dns or http domain verification waited for the person (or, with `--json`, the calling
 * program) to confirm that the record or file is published, and stdin closed first: the CA was
 * not asked to look. Run again once it is published (the CA answers the same challenge again).
 */
export class PublishUnconfirmedError extends Error {
  override readonly name = 'PublishUnconfirmedError';
  readonly code = 'ERR_CLI_PUBLISH_UNCONFIRMED';
}
