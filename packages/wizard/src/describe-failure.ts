/**
 * A failed `enroll()` as the person at the browser reads it: what happened, and what to do next.
 * Every hint ends with the way on, since the wizard's Retry button simply runs `enroll()` again
 * and it resumes where it stopped. The SDK's messages hold no secret, so they are shown as they
 * are (cut to a sane length).
 */
import { isSdkError, type AnySdkError } from '@certwizard/sdk';
import type { ShownFailure } from './wire.js';

/** What the descriptions may name. */
export interface FailureContext {
  /** The CA's origin, e.g. `https://ca.example`. */
  readonly caOrigin: string;
  /** The vendor's name, for "ask <vendor>". */
  readonly vendorName: string;
}

const MAX_MESSAGE = 500;

/**
 * Describes `error` for the person.
 * @example
 * describeFailure(new CaUnreachableError('...', 5), { caOrigin: 'https://ca.example', vendorName: 'ExampleMail' }).hint;
 * // 'Check that this computer is online and can reach https://ca.example, then press Retry.'
 */
export function describeFailure(error: unknown, context: FailureContext): ShownFailure {
  const e = (error ?? {}) as { code?: unknown; message?: unknown };
  const code = typeof e.code === 'string' ? e.code : undefined;
  const raw = typeof e.message === 'string' && e.message !== '' ? e.message : 'the enrollment stopped without saying why';
  // The SDK's messages are sentence fragments ("the CA refused the request: ..."); shown alone, they start a sentence.
  const sentence = `${raw.charAt(0).toUpperCase()}${raw.slice(1)}`;
  const message = sentence.length > MAX_MESSAGE ? `${sentence.slice(0, MAX_MESSAGE - 1)}…` : sentence;
  const support = `If it happens again, ask ${context.vendorName}'s support.`;
  const onward = `Press Retry to go on where it stopped. ${support}`;
  const hint =
    error instanceof TypeError
      ? `The installer's settings are not valid, so Retry will not help. ${support}`
      : isSdkError(error)
        ? hintFor(error, { support, onward, caOrigin: context.caOrigin })
        : onward;
  return code === undefined ? { message, hint } : { code, message, hint };
}

/** One case per code: adding a code to the SDK fails `tsc -b` here until it is given a hint. */
function hintFor(error: AnySdkError, { support, onward, caOrigin }: { support: string; onward: string; caOrigin: string }): string {
  switch (error.code) {
    case 'ERR_SDK_CA_UNREACHABLE':
      return `Check that this computer is online and can reach ${caOrigin}, then press Retry.`;
    case 'ERR_SDK_CA_PROTOCOL':
      return `${caOrigin} answered something the installer does not understand. Press Retry. ${support}`;
    case 'ERR_SDK_REGISTRATION_REFUSED':
      switch (error.reason) {
        case 'address_taken':
          return 'That address already has an account at the CA. Press Retry and register on the new page with another address, or ask the CA to link this installation to your account.';
        case 'cancelled':
          return "The registration was cancelled on the CA's page. Press Retry to open a new registration page.";
        case 'confirmation_failed':
          return 'The CA could not confirm your address (the link in its mail was used, wrong or too old). Press Retry to register again.';
        default:
          return 'The CA did not accept the registration. Press Retry to open a new registration page.';
      }
    case 'ERR_SDK_REGISTRATION_TIMEOUT':
    case 'ERR_SDK_TICKET_EXPIRED':
      return 'The registration took longer than the CA allows. Press Retry: if you already sent the form, confirm your address from the mail; otherwise a new page opens.';
    case 'ERR_SDK_REDEMPTION_REFUSED':
      return `The CA did not hand over this installation's access. Press Retry. ${support}`;
    case 'ERR_SDK_ADDRESS_TIMEOUT':
      return 'The address was not confirmed in time. If the mail from the CA arrived, open its link and confirm, then press Retry; otherwise press Retry to wait again.';
    case 'ERR_SDK_ADDRESS_VERIFICATION':
      return `The CA would not send the confirmation mail (too many in a short time, or the address is refused). Wait a while, then press Retry. ${support}`;
    case 'ERR_SDK_ENROLL_REJECTED':
      return "The certificate request was refused (or discarded on the CA's account page). Its key was thrown away: press Retry to make a new key and send a new request.";
    case 'ERR_SDK_ENROLL_TIMEOUT':
      return 'The request is still waiting for approval at the CA. Ask the account owner to approve it, then press Retry.';
    case 'ERR_SDK_NAME_NOT_ALLOWED':
      return `${error.names.join(', ')} cannot be certified: no domain this account can verify covers these names. Their request was dropped; enter host names under a domain you hold, then press Retry.`;
    case 'ERR_SDK_DOMAIN_REFUSED':
      if (error.caCode === 'domain_taken')
        return `Another account at ${caOrigin} holds ${error.domain}. Its owner must remove it, or enter host names under another domain. ${support}`;
      if (error.caCode === 'invalid_domain')
        return `${error.domain} is not a domain an account may hold (a public suffix, an IP address, localhost). Enter host names under a domain you hold.`;
      return `${caOrigin} did not start the verification of ${error.domain}. Wait a while, then press Retry. ${support}`;
    case 'ERR_SDK_DOMAIN_UNVERIFIED':
      return error.method === 'email'
        ? `Nobody confirmed the mail the CA sent for ${error.domain}. If it arrived, open its link and confirm, then press Retry; otherwise press Retry to wait again.`
        : `${caOrigin} could not find the ${error.method === 'dns' ? 'DNS record' : 'file'} that proves ${error.domain} is yours. Check that it is published, then press Retry.`;
    case 'ERR_SDK_SCEP_CA_UNTRUSTED':
      return `The certificate authority's fingerprints were not the expected ones (or were not confirmed), so nothing was sent to ${caOrigin}. ${support}`;
    case 'ERR_SDK_SCEP_KEY':
      return `The installer made a key this certificate authority cannot use (SCEP needs RSA), so nothing was sent. ${support}`;
    case 'ERR_SDK_SCEP_PROXY':
      return `The SCEP proxy did not start, so nothing was sent to ${caOrigin}. ${support}`;
    case 'ERR_SDK_REVOKE_REFUSED':
      return `${caOrigin} did not revoke the certificate, and nothing changed there. ${support}`;
    case 'ERR_SDK_KEYCHAIN_UNAVAILABLE':
    case 'ERR_SDK_CREDENTIAL_STORE_FAILED':
      return "The installer cannot reach this computer's keychain. Unlock or start it (log in to the desktop), then press Retry.";
    case 'ERR_SDK_CREDENTIALS_UNSAFE':
    case 'ERR_SDK_CREDENTIALS_CORRUPT':
      return `The installer's credentials file is unsafe or damaged, so it was left alone. ${support}`;
    case 'ERR_SDK_STATE_MISMATCH':
      return 'An earlier, unfinished enrollment of this certificate on this computer was for another address or CA, so this one cannot go on. Start the installer again and keep the address it suggests, or ask its administrator to move the named state file away.';
    case 'ERR_SDK_STATE_FILE':
    case 'ERR_SDK_ENROLLMENT_KEY':
      return `The installer's saved progress cannot be used; Retry will not help until the named file is moved away. ${support}`;
    case 'ERR_SDK_INSTALL_POST_COMMAND':
      return 'The certificate was installed, but the command that should load it failed. Press Retry to run the command again.';
    case 'ERR_SDK_INSTALL_IO':
    case 'ERR_SDK_INSTALL_SYMLINK':
    case 'ERR_SDK_INSTALL_LAYOUT':
      return "The certificate could not be written to its folder (the message names it). Fix the folder's permissions, then press Retry.";
    case 'ERR_SDK_INSTALL_CHAIN':
    case 'ERR_SDK_INSTALL_CERTIFICATE':
    case 'ERR_SDK_INSTALL_EXPIRED':
    case 'ERR_SDK_INSTALL_KEY_MISMATCH':
      return `The certificate from ${caOrigin} did not pass the installer's checks, so nothing was installed. ${support}`;
    case 'ERR_SDK_ABORTED':
      return 'The enrollment was stopped. Press Retry to go on where it stopped.';
    case 'ERR_SDK':
    case 'ERR_SDK_INSTALL':
    case 'ERR_SDK_OPENER_FAILED':
    case 'ERR_AGENT_LISTEN':
    case 'ERR_SDK_INSTALL_UNSAFE_FOLDER':
    case 'ERR_SDK_ENROLLMENT_LOCKED':
    case 'ERR_SDK_NOT_ENROLLED': // revoke()'s: the wizard never revokes.
    case 'ERR_SDK_NOT_INSTALLED':
    case 'ERR_SDK_RENEWAL_NO_ACCOUNT': // renew()'s: the wizard does not renew.
      return onward;
    default: {
      // Unreachable while every code has a case; a code without one makes this assignment fail to compile.
      const _unmapped: never = error;
      return onward;
    }
  }
}
