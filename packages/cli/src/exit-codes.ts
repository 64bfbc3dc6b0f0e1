/**
 * Exit codes of `certwizard`, documented in `certwizard --help` and docs/cli.md. They are API:
 * added, never renumbered.
 */
export const EXIT = {
  /** Done. */
  ok: 0,
  /** An expected failure: the CA refused, could not be reached, a state cannot be continued... The message says what to do. */
  failed: 1,
  /** Bad usage: an unknown command or option, a missing value where no prompt can ask for it. */
  usage: 2,
  /** `status NAME` for a name that is not tracked. */
  notFound: 3,
  /** Stopped by Ctrl-C (SIGINT): what was done is kept, the same command continues. */
  interrupted: 130,
} as const;

/** Raised for bad usage; `main` prints its message and the command's usage, and exits 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
