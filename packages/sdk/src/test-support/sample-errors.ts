/**
 * One instance of every SDK error, keyed by its code. The mapped type makes `tsc` demand an
 * entry per code; the tests of the SDK, the CLI and the wizard iterate it.
 */
import { AgentListenError } from '@certwizard/agent';
import { CredentialStoreError, CredentialsCorruptError, CredentialsUnsafeError, KeychainUnavailableError } from '../credentials/errors.js';
import {
  AddressVerificationError,
  AddressVerificationTimeoutError,
  DomainRefusedError,
  DomainUnverifiedError,
  EnrollmentRejectedError,
  NameNotAllowedError,
  EnrollmentTimeoutError,
  RevocationRefusedError,
} from '../enroll/errors.js';
import type { SdkErrorCode } from '../error-codes.js';
import { ScepCaUntrustedError, ScepKeyError } from '../methods/scep/errors.js';
import { ScepProxyError } from '../scep-proxy/errors.js';
import {
  CaProtocolError,
  CaUnreachableError,
  RedemptionRefusedError,
  RegistrationAbortedError,
  RegistrationRefusedError,
  RegistrationTimeoutError,
  SdkError,
  TicketExpiredError,
} from '../errors.js';
import {
  EnrollmentKeyError,
  EnrollmentLockedError,
  NotEnrolledError,
  NotInstalledError,
  RenewalAccountMissingError,
  StateFileError,
  StateMismatchError,
} from '../flow/errors.js';
import {
  CertificateExpiredError,
  InstallChainError,
  InstallError,
  InstallIoError,
  InstallKeyMismatchError,
  InvalidCertificateError,
  PostInstallCommandError,
  SymlinkRefusedError,
  UnexpectedFileError,
  UnsafeFolderError,
} from '../install/errors.js';
import type { AnySdkError } from '../is-sdk-error.js';
import { OpenerFailedError } from '../transport/default-opener.js';

/** Makes a fresh error per code, as the SDK would throw it. */
export const SAMPLE_ERRORS: { readonly [C in SdkErrorCode]: () => Extract<AnySdkError, { readonly code: C }> } = {
  ERR_SDK: () => new SdkError('something failed') as SdkError & { readonly code: 'ERR_SDK' },
  ERR_SDK_INSTALL: () => new InstallError('install failed') as InstallError & { readonly code: 'ERR_SDK_INSTALL' },
  ERR_SDK_ABORTED: () => new RegistrationAbortedError('the enrollment was aborted', { cause: new Error('interrupted') }),
  ERR_SDK_REGISTRATION_REFUSED: () => new RegistrationRefusedError('the CA refused the registration: cancelled', 'cancelled', 'callback'),
  ERR_SDK_REGISTRATION_TIMEOUT: () => new RegistrationTimeoutError('the registration did not finish within 900000 ms', 900_000),
  ERR_SDK_TICKET_EXPIRED: () => new TicketExpiredError('the ticket expired'),
  ERR_SDK_REDEMPTION_REFUSED: () => new RedemptionRefusedError('the CA refused the one-time code: invalid_grant', 'invalid_grant', 400),
  ERR_SDK_CA_UNREACHABLE: () => new CaUnreachableError('the CA could not be reached after 5 attempts', 5, { cause: new Error('ECONNREFUSED') }),
  ERR_SDK_CA_PROTOCOL: () => new CaProtocolError('the CA answered 500', 500),
  ERR_SDK_OPENER_FAILED: () => new OpenerFailedError('the browser opener exited with status 3'),
  ERR_AGENT_LISTEN: () => new AgentListenError('the agent could not listen on 127.0.0.1:8123', { cause: new Error('EADDRINUSE') }),
  ERR_SDK_KEYCHAIN_UNAVAILABLE: () => new KeychainUnavailableError('no usable keychain'),
  ERR_SDK_CREDENTIALS_UNSAFE: () => new CredentialsUnsafeError('the credentials folder is a symbolic link', '/home/u/.cw', 'symlink'),
  ERR_SDK_CREDENTIALS_CORRUPT: () => new CredentialsCorruptError('the credentials file is not JSON', '/home/u/.cw/credentials.json'),
  ERR_SDK_CREDENTIAL_STORE_FAILED: () => new CredentialStoreError('the keychain refused to store the token', 'set'),
  ERR_SDK_ENROLL_REJECTED: () =>
    new EnrollmentRejectedError('the CA refused the request: discarded', { caCode: 'discarded', reason: 'discarded', status: 409 }),
  ERR_SDK_ENROLL_TIMEOUT: () => new EnrollmentTimeoutError('the request was still pending after 86400000 ms', 86_400_000, 'r-1'),
  ERR_SDK_ADDRESS_VERIFICATION: () => new AddressVerificationError('the CA refused to ping the address: too_many_requests', 'too_many_requests', 429),
  ERR_SDK_ADDRESS_TIMEOUT: () => new AddressVerificationTimeoutError('the address was not confirmed in time', 'you@example.org'),
  ERR_SDK_NAME_NOT_ALLOWED: () =>
    new NameNotAllowedError('not within a verified domain of this account: www.other.test', {
      names: ['www.other.test'],
      caCode: 'name_not_allowed',
      status: 403,
    }),
  ERR_SDK_DOMAIN_REFUSED: () =>
    new DomainRefusedError('the CA refused the domain example.org: another account holds it (domain_taken)', {
      domain: 'example.org',
      caCode: 'domain_taken',
      status: 409,
    }),
  ERR_SDK_DOMAIN_UNVERIFIED: () =>
    new DomainUnverifiedError('example.org was not verified within 600000 ms', {
      domain: 'example.org',
      method: 'dns',
      timeoutMs: 600_000,
      lastCheck: 'no TXT record at _certwizard-challenge.example.org',
    }),
  ERR_SDK_REVOKE_REFUSED: () =>
    new RevocationRefusedError('the CA refused to revoke: the account has no certificate with this serial (unknown_certificate)', {
      caCode: 'unknown_certificate',
      status: 404,
      serialHex: '7f3a',
    }),
  ERR_SDK_SCEP_CA_UNTRUSTED: () =>
    new ScepCaUntrustedError("the SCEP CA's certificate (SHA-256 " + 'ab'.repeat(32) + ') is not the pinned one; nothing was sent', {
      caSha256: 'ab'.repeat(32),
      raSha256: 'cd'.repeat(32),
    }),
  ERR_SDK_SCEP_KEY: () => new ScepKeyError("scep: SCEP needs an RSA key (the CA encrypts its answer to it); this one is EC P-256: use keyType 'rsa2048'"),
  ERR_SDK_SCEP_PROXY: () =>
    new ScepProxyError('no installation token for https://ca.example in the credential store: enroll once with the cacert method (certwizard enroll) first'),
  ERR_SDK_STATE_FILE: () => new StateFileError('the state file /var/cw/mail.json is not JSON'),
  ERR_SDK_STATE_MISMATCH: () => new StateMismatchError('the state file /var/cw/mail.json belongs to another CA'),
  ERR_SDK_ENROLLMENT_KEY: () => new EnrollmentKeyError('the key of the recorded request is missing'),
  ERR_SDK_NOT_ENROLLED: () => new NotEnrolledError('no enrollment named "mail" is tracked in /var/cw', 'mail'),
  ERR_SDK_NOT_INSTALLED: () => new NotInstalledError('the enrollment "mail" is not finished (next step: submit)', { enrollment: 'mail', step: 'submit' }),
  ERR_SDK_RENEWAL_NO_ACCOUNT: () => new RenewalAccountMissingError('the account "mail" was enrolled with is gone from the credential store', 'mail'),
  ERR_SDK_ENROLLMENT_LOCKED: () =>
    new EnrollmentLockedError('another run (pid 4242) works on this enrollment', { lockPath: '/var/cw/mail.lock', holderPid: 4242 }),
  ERR_SDK_INSTALL_CERTIFICATE: () => new InvalidCertificateError('the certificate does not parse'),
  ERR_SDK_INSTALL_KEY_MISMATCH: () => new InstallKeyMismatchError('the private key does not belong to the certificate'),
  ERR_SDK_INSTALL_EXPIRED: () => new CertificateExpiredError('the certificate expired', new Date('2020-01-01T00:00:00Z')),
  ERR_SDK_INSTALL_CHAIN: () => new InstallChainError('the chain does not lead to a trust anchor'),
  ERR_SDK_INSTALL_SYMLINK: () => new SymlinkRefusedError('a symbolic link sits at /etc/cw/live', '/etc/cw/live'),
  ERR_SDK_INSTALL_LAYOUT: () => new UnexpectedFileError('a directory sits at /etc/cw/live/mail', '/etc/cw/live/mail'),
  ERR_SDK_INSTALL_UNSAFE_FOLDER: () =>
    new UnsafeFolderError('/etc/cw/live belongs to uid 1001', { path: '/etc/cw/live', ownerUid: 1001, mode: 0o755, reason: 'owner' }),
  ERR_SDK_INSTALL_IO: () => new InstallIoError('install failed at step inspect on /etc/cw (EACCES)', 'inspect', '/etc/cw', undefined),
  ERR_SDK_INSTALL_POST_COMMAND: () =>
    new PostInstallCommandError('the post-install command exited with status 1', {
      exitCode: 1,
      signal: null,
      timedOut: false,
      stderr: '',
      rolledBack: false,
      liveVersion: 1,
    }),
};
