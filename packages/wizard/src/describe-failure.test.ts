import { PkiError } from '@certwizard/pki';
import { RegistrationRefusedError, SDK_ERROR_CODES, type SdkErrorCode } from '@certwizard/sdk';
import { describe, expect, it } from 'vitest';
import { SAMPLE_ERRORS } from '../../sdk/src/test-support/sample-errors.js';
import { describeFailure } from './describe-failure.js';

const CA = 'https://ca.example';
const CONTEXT = { caOrigin: CA, vendorName: 'ExampleMail' };
const SUPPORT = "If it happens again, ask ExampleMail's support.";
const ONWARD = `Press Retry to go on where it stopped. ${SUPPORT}`;
const CHECKS = `The certificate from ${CA} did not pass the installer's checks, so nothing was installed. ${SUPPORT}`;
const FOLDER = "The certificate could not be written to its folder (the message names it). Fix the folder's permissions, then press Retry.";

/** The hint for each code, as the wizard has always shown it (wizard-run.test.ts pins a few end to end). */
const WANT_HINT: Record<SdkErrorCode, string> = {
  ERR_SDK: ONWARD,
  ERR_SDK_INSTALL: ONWARD,
  ERR_SDK_ABORTED: 'The enrollment was stopped. Press Retry to go on where it stopped.',
  ERR_SDK_REGISTRATION_REFUSED: "The registration was cancelled on the CA's page. Press Retry to open a new registration page.",
  ERR_SDK_REGISTRATION_TIMEOUT:
    'The registration took longer than the CA allows. Press Retry: if you already sent the form, confirm your address from the mail; otherwise a new page opens.',
  ERR_SDK_TICKET_EXPIRED:
    'The registration took longer than the CA allows. Press Retry: if you already sent the form, confirm your address from the mail; otherwise a new page opens.',
  ERR_SDK_REDEMPTION_REFUSED: `The CA did not hand over this installation's access. Press Retry. ${SUPPORT}`,
  ERR_SDK_CA_UNREACHABLE: `Check that this computer is online and can reach ${CA}, then press Retry.`,
  ERR_SDK_CA_PROTOCOL: `${CA} answered something the installer does not understand. Press Retry. ${SUPPORT}`,
  ERR_SDK_OPENER_FAILED: ONWARD,
  ERR_AGENT_LISTEN: ONWARD,
  ERR_SDK_KEYCHAIN_UNAVAILABLE: "The installer cannot reach this computer's keychain. Unlock or start it (log in to the desktop), then press Retry.",
  ERR_SDK_CREDENTIALS_UNSAFE: `The installer's credentials file is unsafe or damaged, so it was left alone. ${SUPPORT}`,
  ERR_SDK_CREDENTIALS_CORRUPT: `The installer's credentials file is unsafe or damaged, so it was left alone. ${SUPPORT}`,
  ERR_SDK_CREDENTIAL_STORE_FAILED: "The installer cannot reach this computer's keychain. Unlock or start it (log in to the desktop), then press Retry.",
  ERR_SDK_ENROLL_REJECTED:
    "The certificate request was refused (or discarded on the CA's account page). Its key was thrown away: press Retry to make a new key and send a new request.",
  ERR_SDK_ENROLL_TIMEOUT: 'The request is still waiting for approval at the CA. Ask the account owner to approve it, then press Retry.',
  ERR_SDK_ADDRESS_VERIFICATION: `The CA would not send the confirmation mail (too many in a short time, or the address is refused). Wait a while, then press Retry. ${SUPPORT}`,
  ERR_SDK_ADDRESS_TIMEOUT:
    'The address was not confirmed in time. If the mail from the CA arrived, open its link and confirm, then press Retry; otherwise press Retry to wait again.',
  ERR_SDK_NAME_NOT_ALLOWED:
    'www.other.test cannot be certified: no domain this account can verify covers these names. Their request was dropped; enter host names under a domain you hold, then press Retry.',
  ERR_SDK_DOMAIN_REFUSED: `Another account at ${CA} holds example.org. Its owner must remove it, or enter host names under another domain. ${SUPPORT}`,
  ERR_SDK_DOMAIN_UNVERIFIED: `${CA} could not find the DNS record that proves example.org is yours. Check that it is published, then press Retry.`,
  ERR_SDK_SCEP_CA_UNTRUSTED: `The certificate authority's fingerprints were not the expected ones (or were not confirmed), so nothing was sent to ${CA}. ${SUPPORT}`,
  ERR_SDK_SCEP_KEY: `The installer made a key this certificate authority cannot use (SCEP needs RSA), so nothing was sent. ${SUPPORT}`,
  ERR_SDK_SCEP_PROXY: `The SCEP proxy did not start, so nothing was sent to ${CA}. ${SUPPORT}`,
  ERR_SDK_REVOKE_REFUSED: `${CA} did not revoke the certificate, and nothing changed there. ${SUPPORT}`,
  ERR_SDK_STATE_FILE: `The installer's saved progress cannot be used; Retry will not help until the named file is moved away. ${SUPPORT}`,
  ERR_SDK_STATE_MISMATCH:
    'An earlier, unfinished enrollment of this certificate on this computer was for another address or CA, so this one cannot go on. Start the installer again and keep the address it suggests, or ask its administrator to move the named state file away.',
  ERR_SDK_ENROLLMENT_KEY: `The installer's saved progress cannot be used; Retry will not help until the named file is moved away. ${SUPPORT}`,
  ERR_SDK_ENROLLMENT_LOCKED: ONWARD,
  ERR_SDK_NOT_ENROLLED: ONWARD,
  ERR_SDK_NOT_INSTALLED: ONWARD,
  ERR_SDK_RENEWAL_NO_ACCOUNT: ONWARD,
  ERR_SDK_INSTALL_CERTIFICATE: CHECKS,
  ERR_SDK_INSTALL_KEY_MISMATCH: CHECKS,
  ERR_SDK_INSTALL_EXPIRED: CHECKS,
  ERR_SDK_INSTALL_CHAIN: CHECKS,
  ERR_SDK_INSTALL_SYMLINK: FOLDER,
  ERR_SDK_INSTALL_LAYOUT: FOLDER,
  ERR_SDK_INSTALL_UNSAFE_FOLDER: ONWARD,
  ERR_SDK_INSTALL_IO: FOLDER,
  ERR_SDK_INSTALL_POST_COMMAND: 'The certificate was installed, but the command that should load it failed. Press Retry to run the command again.',
};

describe('describeFailure', () => {
  it("has a hint for exactly the SDK's codes", () => {
    expect(Object.keys(WANT_HINT).sort()).toEqual([...SDK_ERROR_CODES].sort());
  });

  it.each(SDK_ERROR_CODES.map((code) => ({ code })))('$code: shown with its code and hint', ({ code }) => {
    expect(describeFailure(SAMPLE_ERRORS[code](), CONTEXT)).toMatchObject({ code, hint: WANT_HINT[code] });
  });

  const refused = (reason: 'address_taken' | 'cancelled' | 'confirmation_failed' | 'ticket_expired' | undefined) =>
    new RegistrationRefusedError('the CA refused the registration', reason, 'callback');
  const cases: { name: string; input: unknown; want: object }[] = [
    {
      name: 'a taken address: register with another one',
      input: refused('address_taken'),
      want: {
        code: 'ERR_SDK_REGISTRATION_REFUSED',
        hint: 'That address already has an account at the CA. Press Retry and register on the new page with another address, or ask the CA to link this installation to your account.',
      },
    },
    {
      name: 'a failed confirmation: register again',
      input: refused('confirmation_failed'),
      want: {
        code: 'ERR_SDK_REGISTRATION_REFUSED',
        hint: 'The CA could not confirm your address (the link in its mail was used, wrong or too old). Press Retry to register again.',
      },
    },
    {
      name: 'another refusal reason',
      input: refused('ticket_expired'),
      want: { code: 'ERR_SDK_REGISTRATION_REFUSED', hint: 'The CA did not accept the registration. Press Retry to open a new registration page.' },
    },
    {
      name: 'no refusal reason',
      input: refused(undefined),
      want: { code: 'ERR_SDK_REGISTRATION_REFUSED', hint: 'The CA did not accept the registration. Press Retry to open a new registration page.' },
    },
    {
      name: 'the message starts a sentence',
      input: SAMPLE_ERRORS.ERR_SDK_CA_PROTOCOL(),
      want: { code: 'ERR_SDK_CA_PROTOCOL', message: 'The CA answered 500' },
    },
    { name: 'a long message is cut', input: new Error('x'.repeat(600)), want: { message: `X${'x'.repeat(498)}…` } },
    { name: "another package's code is shown, with the way on", input: new PkiError('bad DER'), want: { code: 'ERR_PKI', message: 'Bad DER', hint: ONWARD } },
    {
      name: 'a plain object with an SDK code is not an SDK error',
      input: { code: 'ERR_SDK_ENROLL_REJECTED', message: 'm' },
      want: { code: 'ERR_SDK_ENROLL_REJECTED', hint: ONWARD },
    },
    {
      name: 'misuse (a TypeError): Retry will not help',
      input: new TypeError('bad option'),
      want: { message: 'Bad option', hint: `The installer's settings are not valid, so Retry will not help. ${SUPPORT}` },
    },
    { name: 'nothing at all', input: undefined, want: { message: 'The enrollment stopped without saying why', hint: ONWARD } },
  ];
  it.each(cases)('$name', ({ input, want }) => {
    const shown = describeFailure(input, CONTEXT);
    expect(shown).toMatchObject(want);
    if (!('code' in want)) expect(shown).not.toHaveProperty('code');
  });
});
