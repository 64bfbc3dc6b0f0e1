/**
 * `enroll()` as the package exports it: the flow's core ({@link runEnrollment}, which imports no
 * method) with the CAcert method as the default, built from the options that configure it
 * (`registration`, `sendCsrWithRegistration`, `emailPing`, `verification`), so that a call
 * without `method` behaves as `enroll()` always did.
 */
import type { EnrollmentMethod } from '../enroll/enrollment-method.js';
import type { CacertMethodOptions } from '../methods/cacert/cacert-method.js';
import { cacertMethod } from '../methods/cacert/cacert-method.js';
import type { CacertRegistrationOptions } from '../methods/cacert/cacert-account.js';
import type { DomainVerification } from '../methods/cacert/domain-verification.js';
import { runEnrollment, type EnrollFlowOptions, type EnrollResult } from './enroll.js';

/** Registration options the default method passes through to `register()`. */
export type EnrollRegistrationOptions = CacertRegistrationOptions;

/** Options of {@link enroll}. */
export interface EnrollOptions extends Omit<EnrollFlowOptions, 'method'> {
  /**
   * How to get the certificate: an {@link EnrollmentMethod} (`sslApiMethod()`, `cacertMethod()`
   * with options of your own, or your own method). Default: `cacertMethod()` for `caUrl`,
   * configured by `registration`, `sendCsrWithRegistration`, `emailPing`, `verification`,
   * `domainVerification` and `domains` (which configure only that default: a method you pass brings its own).
   */
  readonly method?: EnrollmentMethod;
  /** Options of the browser registration (prefill, opener, noBrowser, display, timeouts...). Default method only. */
  readonly registration?: EnrollRegistrationOptions;
  /**
   * Send the request with the registration (the CA issues it once the address is confirmed).
   * Default: true when the names are exactly one address, the case the CA can issue that way. Default method only.
   */
  readonly sendCsrWithRegistration?: boolean;
  /**
   * The vendor's mail hook, when the product is a mail server for the addresses to certify: its
   * nonce book (`openNonceBook` of @certwizard/mail-hook fits) gives a nonce for each email ping,
   * and the mail server answers the pings by itself. Without it a person clicks the links. Default method only.
   */
  readonly emailPing?: CacertMethodOptions['emailPing'];
  /** Waiting for an address to be confirmed or a domain verified: time limit and poll intervals (see `verifyAddress()`). Default method only. */
  readonly verification?: CacertMethodOptions['verification'];
  /**
   * How the domains of `names.dns` are verified when the account does not hold them verified yet:
   * `{ method: 'email', localPart? }` (the default: a ping to `postmaster@<domain>`, answered by
   * the mail hook when `emailPing` is given), `{ method: 'dns', publish }` or `{ method: 'http',
   * publish }` (see {@link DomainVerification}). Default method only.
   */
  readonly domainVerification?: DomainVerification;
  /**
   * The domains to verify for `names.dns`, when not each name's registrable domain
   * (`registrableDomainOf`); every DNS name must lie within one. Default method only.
   */
  readonly domains?: readonly string[];
}

/**
 * Enrolls: makes the key and request, runs the method's account step (CAcert: registers in the
 * browser if needed) and verification, gets the certificate issued, installs it. Resumable: call
 * it again with the same options after a crash, a kill or an abort, and it continues where the
 * state file says, with no second account, no second request and the same key. When it finished
 * before, it returns the live certificate again without contacting the CA.
 *
 * @throws {TypeError} for bad options.
 * @throws {EnrollmentLockedError} `ERR_SDK_ENROLLMENT_LOCKED` when another run still works on this enrollment after `lockWaitMs`.
 * @throws {StateFileError} `ERR_SDK_STATE_FILE`, {@link StateMismatchError} `ERR_SDK_STATE_MISMATCH`,
 *   {@link EnrollmentKeyError} `ERR_SDK_ENROLLMENT_KEY` for a state that cannot be continued (a
 *   method slot of another method is a mismatch; one of a newer format, or that the method cannot
 *   read, is `ERR_SDK_STATE_FILE`). Nothing is written then.
 * @throws {EnrollmentRejectedError} `ERR_SDK_ENROLL_REJECTED` when the CA refused the request; the
 *   request and its key are dropped so that the next call starts with a new one.
 * @throws everything the method (`register()`, `verifyAddress()` for CAcert), `submit()`,
 *   `install()` and the credential store throw, with the state kept for the next call.
 * @example
 * const { installed } = await enroll({
 *   caUrl: 'https://ca.example', name: 'mail', baseDir: '/etc/examplemail/certs',
 *   names: { email: ['postmaster@example.org'] }, credentials: await openCredentialStore({ service: 'examplemail' }),
 *   trustAnchorsPem: readFileSync('/usr/share/examplemail/ca.pem', 'utf8'),
 *   registration: { prefill: { emailAddress: { value: 'postmaster@example.org', sure: true } } },
 * });
 * console.log(installed.paths.fullchain, installed.fingerprintSha256);
 */
export async function enroll(options: EnrollOptions): Promise<EnrollResult> {
  if (options === null || typeof options !== 'object') throw new TypeError('options must be an object');
  const { method, registration, sendCsrWithRegistration, emailPing, verification, domainVerification, domains, ...flow } = options;
  return runEnrollment({
    ...flow,
    method:
      method ??
      cacertMethod({
        caUrl: options.caUrl,
        ...(registration === undefined ? {} : { registration }),
        ...(sendCsrWithRegistration === undefined ? {} : { sendCsrWithRegistration }),
        ...(emailPing === undefined ? {} : { emailPing }),
        ...(verification === undefined ? {} : { verification }),
        ...(domainVerification === undefined ? {} : { domainVerification }),
        ...(domains === undefined ? {} : { domains }),
      }),
  });
}
