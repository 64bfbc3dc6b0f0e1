import { PkiError } from '@certwizard/pki';
import { RegistrationRefusedError, SDK_ERROR_CODES, StateFileError, type SdkErrorCode } from '@certwizard/sdk';
import { describe, expect, it } from 'vitest';
import { SAMPLE_ERRORS } from '../../sdk/src/test-support/sample-errors.js';
import { describeFailure } from './failure.js';

const CA = 'https://ca.example';
const AGAIN = 'Run the same command again to continue where it stopped.';

/** The hint for each code, as the CLI has always shown it (cli.test.ts pins a few end to end). */
const WANT_HINT: Record<SdkErrorCode, string> = {
  ERR_SDK: AGAIN,
  ERR_SDK_INSTALL: AGAIN,
  ERR_SDK_ABORTED: AGAIN,
  ERR_SDK_REGISTRATION_REFUSED: `The CA reports the registration did not go through. ${AGAIN}`,
  ERR_SDK_REGISTRATION_TIMEOUT: `The registration was not finished in time. ${AGAIN}`,
  ERR_SDK_TICKET_EXPIRED: `The registration was not finished in time. ${AGAIN}`,
  ERR_SDK_REDEMPTION_REFUSED: AGAIN,
  ERR_SDK_CA_UNREACHABLE: `Check that ${CA} is the right address and reachable from here. ${AGAIN}`,
  ERR_SDK_CA_PROTOCOL: `${CA} did not answer as a certwizard CA. Check the --ca address.`,
  ERR_SDK_OPENER_FAILED: AGAIN,
  ERR_AGENT_LISTEN: AGAIN,
  ERR_SDK_KEYCHAIN_UNAVAILABLE:
    'Run the same command with --credentials-dir DIR to keep it in a file only you can read, or start a keychain (gnome-keyring) first.',
  ERR_SDK_CREDENTIALS_UNSAFE: AGAIN,
  ERR_SDK_CREDENTIALS_CORRUPT: AGAIN,
  ERR_SDK_CREDENTIAL_STORE_FAILED: AGAIN,
  ERR_SDK_ENROLL_REJECTED: 'The request and its key were dropped; running the command again makes a new request.',
  ERR_SDK_ENROLL_TIMEOUT: `The request still waits for approval at the CA. ${AGAIN}`,
  ERR_SDK_ADDRESS_VERIFICATION: AGAIN,
  ERR_SDK_NAME_NOT_ALLOWED:
    'www.other.test cannot be certified for this account: no domain it can verify covers them. The request and its key were dropped; run again with --dns names under a domain you hold (or --domain to name it).',
  ERR_SDK_DOMAIN_REFUSED: `Another account at ${CA} holds example.org. Its owner must remove it, or use names under another domain.`,
  ERR_SDK_DOMAIN_UNVERIFIED: `${CA} could not find the TXT record for example.org (no TXT record at _certwizard-challenge.example.org). Check that it is published, then run the same command again to continue where it stopped.`,
  ERR_SDK_ADDRESS_TIMEOUT: AGAIN,
  ERR_SDK_NOT_ENROLLED: 'certwizard list shows the certificates tracked here (--dir DIR looks in another folder).',
  ERR_SDK_RENEWAL_NO_ACCOUNT:
    'The account this certificate was enrolled with is not in the credential store any more. Run certwizard renew with the --credentials-dir that holds it, or get a new certificate with certwizard enroll (it registers); the current certificate stays live until it expires.',
  ERR_SDK_NOT_INSTALLED: 'Finish it first (certwizard enroll with the same --name continues it), or move its state file away.',
  ERR_SDK_SCEP_CA_UNTRUSTED: `Nothing was sent. Compare the fingerprints with the ones ${CA}'s operator published; if they match, run the same command with --ca-fingerprint ${'ab'.repeat(32)}.`,
  ERR_SDK_SCEP_KEY: 'Nothing was sent. SCEP needs an RSA key: run the same command with --key-type rsa2048 (the default for --method scep).',
  ERR_SDK_SCEP_PROXY: 'The SCEP proxy did not start; nothing was forwarded. See the message above for what to fix.',
  ERR_SDK_REVOKE_REFUSED: `Nothing was revoked. Check that ${CA} issued this certificate to this installation's account (or client), and that the reason is one a holder may give.`,
  ERR_SDK_STATE_FILE: 'Move the named state file away to start this certificate over.',
  ERR_SDK_STATE_MISMATCH: 'Use another --name for this certificate, or move the state file away.',
  ERR_SDK_ENROLLMENT_KEY: 'Move the named state file away to start this certificate over.',
  ERR_SDK_ENROLLMENT_LOCKED: 'Wait for it to finish, then run the same command again. If no such process is running any more, remove /var/cw/mail.lock.',
  ERR_SDK_INSTALL_CERTIFICATE: AGAIN,
  ERR_SDK_INSTALL_KEY_MISMATCH: AGAIN,
  ERR_SDK_INSTALL_EXPIRED: AGAIN,
  ERR_SDK_INSTALL_CHAIN: AGAIN,
  ERR_SDK_INSTALL_SYMLINK: AGAIN,
  ERR_SDK_INSTALL_LAYOUT: AGAIN,
  ERR_SDK_INSTALL_UNSAFE_FOLDER: AGAIN,
  ERR_SDK_INSTALL_IO: AGAIN,
  ERR_SDK_INSTALL_POST_COMMAND: AGAIN,
};

describe('describeFailure', () => {
  it("has a hint for exactly the SDK's codes", () => {
    expect(Object.keys(WANT_HINT).sort()).toEqual([...SDK_ERROR_CODES].sort());
  });

  it.each(SDK_ERROR_CODES.map((code) => ({ code })))('$code: shown with its code and hint', ({ code }) => {
    expect(describeFailure(SAMPLE_ERRORS[code](), { caUrl: CA })).toMatchObject({ code, hint: WANT_HINT[code] });
  });

  const cases: { name: string; input: unknown; caUrl?: string; credentialsDir?: string; want: object }[] = [
    {
      name: 'a lock held by another run names its process',
      input: SAMPLE_ERRORS.ERR_SDK_ENROLLMENT_LOCKED(),
      want: { code: 'ERR_SDK_ENROLLMENT_LOCKED', message: 'Another run (process 4242) is already getting this certificate.' },
    },
    {
      name: 'a missing keychain is said in user words, with the folder to pass',
      input: SAMPLE_ERRORS.ERR_SDK_KEYCHAIN_UNAVAILABLE(),
      credentialsDir: '/home/ada/.local/state/certwizard/credentials',
      want: {
        code: 'ERR_SDK_KEYCHAIN_UNAVAILABLE',
        message: "This machine has no keychain (no Secret Service is running) to keep the CA's installation token in.",
        hint: 'Run the same command with --credentials-dir /home/ada/.local/state/certwizard/credentials to keep it in a file only you can read, or start a keychain (gnome-keyring) first.',
      },
    },
    {
      name: 'a folder that cannot be made is not blamed on a state file',
      input: new StateFileError('cannot create /root/.local/state/certwizard', { folder: '/root/.local/state/certwizard' }),
      want: {
        code: 'ERR_SDK_STATE_FILE',
        hint: 'Check that /root/.local/state/certwizard can be created and written by this user, or choose another folder with --dir.',
      },
    },
    {
      name: 'a taken address says so',
      input: new RegistrationRefusedError('the CA refused the registration', 'address_taken', 'ticket'),
      want: {
        code: 'ERR_SDK_REGISTRATION_REFUSED',
        message: 'That address is already registered at the CA.',
        hint: 'Use another address, or an installation token of the existing account.',
      },
    },
    {
      name: 'an SDK error keeps its message',
      input: SAMPLE_ERRORS.ERR_SDK_CA_PROTOCOL(),
      caUrl: CA,
      want: { code: 'ERR_SDK_CA_PROTOCOL', message: 'the CA answered 500' },
    },
    {
      name: 'without --ca, "the CA"',
      input: SAMPLE_ERRORS.ERR_SDK_CA_PROTOCOL(),
      want: { code: 'ERR_SDK_CA_PROTOCOL', hint: 'the CA did not answer as a certwizard CA. Check the --ca address.' },
    },
    {
      name: 'another package\'s code is shown, with "run it again"',
      input: new PkiError('bad DER'),
      want: { code: 'ERR_PKI', message: 'bad DER', hint: AGAIN },
    },
    {
      name: 'a plain object with an SDK code is not an SDK error',
      input: { code: 'ERR_SDK_ENROLL_REJECTED', message: 'm' },
      want: { code: 'ERR_SDK_ENROLL_REJECTED', hint: AGAIN },
    },
    { name: 'a TypeError has no code', input: new TypeError('bad option'), want: { message: 'bad option', hint: AGAIN } },
    { name: 'nothing at all', input: undefined, want: { message: 'undefined', hint: AGAIN } },
  ];
  it.each(cases)('$name', ({ input, caUrl, credentialsDir, want }) => {
    const shown = describeFailure(input, { ...(caUrl === undefined ? {} : { caUrl }), ...(credentialsDir === undefined ? {} : { credentialsDir }) });
    expect(shown).toMatchObject(want);
    if (!('code' in want)) expect(shown).not.toHaveProperty('code');
  });
});
