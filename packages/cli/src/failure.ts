/**
 * What the person reads when a command fails: the SDK's typed errors turned into a sentence and
 * what to do next. Never a stack trace for an expected failure; never a secret (the SDK's
 * messages hold none).
 */
import { isSdkError, type AnySdkError } from '@certwizard/sdk';
import { CaSchemeMismatchError } from './errors.js';

/** A failure as shown: the message, the next step, and the stable code when there is one. */
export interface ShownFailure {
  readonly message: string;
  readonly hint: string;
  readonly code?: string;
}

const AGAIN = 'Run the same command again to continue where it stopped.';

/** What a failure's text may name: the CA's address, the file store the CLI would use. */
export interface FailureContext {
  readonly caUrl?: string;
  /** The folder `--credentials-dir` would default to, for the missing-keychain advice. */
  readonly credentialsDir?: string;
}

/**
 * Describes `error` for a person: the SDK's errors by their code, anything else (another
 * package's coded error, a `TypeError`) with its message, its code when it has one, and "run it
 * again".
 * @example
 * describeFailure(new TicketExpiredError('the ticket expired'), {}).hint;
 * // 'The registration was not finished in time. Run the same command again to continue where it stopped.'
 */
export function describeFailure(error: unknown, context: FailureContext): ShownFailure {
  const message = typeof (error as { message?: unknown } | null)?.message === 'string' ? (error as Error).message : String(error);
  if (error instanceof CaSchemeMismatchError) return { code: error.code, message, hint: `Run the same command with --ca ${error.suggestedUrl}.` };
  if (isSdkError(error)) return describeSdkError(error, message, context);
  const code = (error as { code?: unknown } | null)?.code;
  return { ...(typeof code === 'string' ? { code } : {}), message, hint: AGAIN };
}

/** One case per code: adding a code to the SDK fails `tsc -b` here until it is given a text. */
function describeSdkError(error: AnySdkError, message: string, context: FailureContext): ShownFailure {
  const { code } = error;
  const ca = context.caUrl ?? 'the CA';
  const shown = (hint: string): ShownFailure => ({ code, message, hint });
  switch (error.code) {
    case 'ERR_SDK_CA_UNREACHABLE':
      return shown(`Check that ${ca} is the right address and reachable from here. ${AGAIN}`);
    case 'ERR_SDK_CA_PROTOCOL':
      return shown(`${ca} did not answer as a certwizard CA. Check the --ca address.`);
    case 'ERR_SDK_KEYCHAIN_UNAVAILABLE':
      // The SDK's message is for developers (which option of openCredentialStore); a person needs the flag.
      return {
        code,
        message: "This machine has no keychain (no Secret Service is running) to keep the CA's installation token in.",
        hint: `Run the same command with --credentials-dir ${context.credentialsDir ?? 'DIR'} to keep it in a file only you can read, or start a keychain (gnome-keyring) first.`,
      };
    case 'ERR_SDK_REGISTRATION_TIMEOUT':
    case 'ERR_SDK_TICKET_EXPIRED':
      return shown(`The registration was not finished in time. ${AGAIN}`);
    case 'ERR_SDK_REGISTRATION_REFUSED':
      if (error.reason === 'address_taken') {
        return {
          code,
          message: 'That address is already registered at the CA.',
          hint: 'Use another address, or an installation token of the existing account.',
        };
      }
      return shown(`The CA reports the registration did not go through. ${AGAIN}`);
    case 'ERR_SDK_ENROLL_REJECTED':
      return shown('The request and its key were dropped; running the command again makes a new request.');
    case 'ERR_SDK_ENROLL_TIMEOUT':
      return shown(`The request still waits for approval at the CA. ${AGAIN}`);
    case 'ERR_SDK_SCEP_CA_UNTRUSTED':
      return shown(
        `Nothing was sent. Compare the fingerprints with the ones ${ca}'s operator published; if they match, run the same command with --ca-fingerprint ${error.fingerprints.caSha256}.`,
      );
    case 'ERR_SDK_SCEP_KEY':
      return shown('Nothing was sent. SCEP needs an RSA key: run the same command with --key-type rsa2048 (the default for --method scep).');
    case 'ERR_SDK_SCEP_PROXY':
      return shown('The SCEP proxy did not start; nothing was forwarded. See the message above for what to fix.');
    case 'ERR_SDK_REVOKE_REFUSED':
      return shown(
        `Nothing was revoked. Check that ${ca} issued this certificate to this installation's account (or client), and that the reason is one a holder may give.`,
      );
    case 'ERR_SDK_NAME_NOT_ALLOWED':
      return shown(
        `${error.names.join(', ')} cannot be certified for this account: no domain it can verify covers them. The request and its key were dropped; run again with --dns names under a domain you hold (or --domain to name it).`,
      );
    case 'ERR_SDK_DOMAIN_REFUSED':
      if (error.caCode === 'domain_taken')
        return shown(`Another account at ${ca} holds ${error.domain}. Its owner must remove it, or use names under another domain.`);
      if (error.caCode === 'invalid_domain')
        return shown(`${error.domain} is not a domain an account may hold (a public suffix, an IP address, localhost). Use names under a domain you hold.`);
      if (error.caCode === 'invalid_address') return shown('Choose --domain-address-local-part postmaster, hostmaster, webmaster, admin or root.');
      return shown(`${ca} did not start the verification of ${error.domain} (${error.caCode}). Wait a while, then run the same command again.`);
    case 'ERR_SDK_DOMAIN_UNVERIFIED':
      return shown(
        error.method === 'email'
          ? `Nobody confirmed the mail the CA sent for ${error.domain}. Open its link (or let the mail server answer it), then ${AGAIN.toLowerCase()}`
          : `${ca} could not find the ${error.method === 'dns' ? 'TXT record' : 'file'} for ${error.domain}${error.lastCheck === undefined ? '' : ` (${error.lastCheck})`}. Check that it is published, then ${AGAIN.toLowerCase()}`,
      );
    case 'ERR_SDK_STATE_FILE':
      // A folder that cannot be made is not the state file's fault: moving a file would not help.
      if (error.folder !== undefined) return shown(`Check that ${error.folder} can be created and written by this user, or choose another folder with --dir.`);
      return shown('Move the named state file away to start this certificate over.');
    case 'ERR_SDK_ENROLLMENT_KEY':
      return shown('Move the named state file away to start this certificate over.');
    case 'ERR_SDK_STATE_MISMATCH':
      return shown('Use another --name for this certificate, or move the state file away.');
    case 'ERR_SDK_NOT_ENROLLED':
      return shown('certwizard list shows the certificates tracked here (--dir DIR looks in another folder).');
    case 'ERR_SDK_NOT_INSTALLED':
      return shown(
        error.step === 'done'
          ? 'Nothing is live under this name any more; certwizard status NAME shows what is recorded.'
          : 'Finish it first (certwizard enroll with the same --name continues it), or move its state file away.',
      );
    case 'ERR_SDK_RENEWAL_NO_ACCOUNT':
      return shown(
        'The account this certificate was enrolled with is not in the credential store any more. Run certwizard renew with the --credentials-dir that holds it, or get a new certificate with certwizard enroll (it registers); the current certificate stays live until it expires.',
      );
    case 'ERR_SDK_ENROLLMENT_LOCKED': {
      const pid = error.holderPid === undefined ? '' : ` (process ${error.holderPid})`;
      return {
        code,
        message: `Another run${pid} is already getting this certificate.`,
        hint: `Wait for it to finish, then run the same command again. If no such process is running any more, remove ${error.lockPath}.`,
      };
    }
    case 'ERR_SDK':
    case 'ERR_SDK_INSTALL':
    case 'ERR_SDK_ABORTED':
    case 'ERR_SDK_REDEMPTION_REFUSED':
    case 'ERR_SDK_OPENER_FAILED':
    case 'ERR_AGENT_LISTEN':
    case 'ERR_SDK_CREDENTIALS_UNSAFE':
    case 'ERR_SDK_CREDENTIALS_CORRUPT':
    case 'ERR_SDK_CREDENTIAL_STORE_FAILED':
    case 'ERR_SDK_ADDRESS_VERIFICATION':
    case 'ERR_SDK_ADDRESS_TIMEOUT':
    case 'ERR_SDK_INSTALL_CERTIFICATE':
    case 'ERR_SDK_INSTALL_KEY_MISMATCH':
    case 'ERR_SDK_INSTALL_EXPIRED':
    case 'ERR_SDK_INSTALL_CHAIN':
    case 'ERR_SDK_INSTALL_SYMLINK':
    case 'ERR_SDK_INSTALL_LAYOUT':
    case 'ERR_SDK_INSTALL_UNSAFE_FOLDER':
    case 'ERR_SDK_INSTALL_IO':
    case 'ERR_SDK_INSTALL_POST_COMMAND':
      return shown(AGAIN);
    default: {
      // Unreachable while every code has a case; a code without one makes this assignment fail to compile.
      const _unmapped: never = error;
      return shown(AGAIN);
    }
  }
}
