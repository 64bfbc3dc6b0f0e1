/**
 * What the person reads when a command fails: the SDK's typed errors turned into a sentence and
 * what to do next. Never a stack trace for an expected failure; never a secret (the SDK's
 * messages hold none).
 */

/** A failure as shown: the message, the next step, and the stable code when there is one. */
export interface ShownFailure {
  readonly message: string;
  readonly hint: string;
  readonly code?: string;
}

const AGAIN = 'Run the same command again to continue where it stopped.';

/** Describes `error` for a person. */
export function describeFailure(error: unknown, context: { readonly caUrl?: string }): ShownFailure {
  const e = (error ?? {}) as { code?: unknown; message?: unknown; reason?: unknown; caCode?: unknown; holderPid?: unknown; lockPath?: unknown };
  const code = typeof e.code === 'string' ? e.code : undefined;
  const message = typeof e.message === 'string' ? e.message : String(error);
  const ca = context.caUrl ?? 'the CA';
  const hints: Record<string, string> = {
    ERR_SDK_CA_UNREACHABLE: `Check that ${ca} is the right address and reachable from here. ${AGAIN}`,
    ERR_SDK_CA_PROTOCOL: `${ca} did not answer as a certwizard CA. Check the --ca address.`,
    ERR_SDK_KEYCHAIN_UNAVAILABLE: 'Start the desktop keychain (a Secret Service such as gnome-keyring), or keep the token in a file with --credentials-dir DIR.',
    ERR_SDK_REGISTRATION_TIMEOUT: `The registration was not finished in time. ${AGAIN}`,
    ERR_SDK_TICKET_EXPIRED: `The registration was not finished in time. ${AGAIN}`,
    ERR_SDK_ENROLL_REJECTED: 'The request and its key were dropped; running the command again makes a new request.',
    ERR_SDK_ENROLL_TIMEOUT: `The request still waits for approval at the CA. ${AGAIN}`,
    ERR_SDK_STATE_FILE: 'Move the named state file away to start this certificate over.',
    ERR_SDK_STATE_MISMATCH: 'Use another --name for this certificate, or move the state file away.',
    ERR_SDK_ENROLLMENT_KEY: 'Move the named state file away to start this certificate over.',
    ERR_SDK_ABORTED: AGAIN,
  };
  if (code === 'ERR_SDK_REGISTRATION_REFUSED' && e.reason === 'address_taken') {
    return { code, message: 'That address is already registered at the CA.', hint: 'Use another address, or an installation token of the existing account.' };
  }
  if (code === 'ERR_SDK_ENROLLMENT_LOCKED') {
    const pid = typeof e.holderPid === 'number' ? ` (process ${e.holderPid})` : '';
    const lock = typeof e.lockPath === 'string' ? e.lockPath : 'its lock file';
    return {
      code,
      message: `Another run${pid} is already getting this certificate.`,
      hint: `Wait for it to finish, then run the same command again. If no such process is running any more, remove ${lock}.`,
    };
  }
  if (code === 'ERR_SDK_REGISTRATION_REFUSED') return { code, message, hint: `The CA reports the registration did not go through. ${AGAIN}` };
  if (code !== undefined && hints[code] !== undefined) return { code, message, hint: hints[code] as string };
  return { ...(code === undefined ? {} : { code }), message, hint: AGAIN };
}
