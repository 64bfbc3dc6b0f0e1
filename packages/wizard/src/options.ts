/**
 * The options of `startWizard()`, checked once, with the defaults applied.
 */
import { isAbsolute } from 'node:path';
import { KEY_TYPES, type KeyType } from '@certwizard/pki';
import { INSTALL_NAME_PATTERN, type CredentialStore, type EnrollOptions, type PostInstallCommand } from '@certwizard/sdk';
import { checkHostNames } from './host-names.js';
import type { DomainVerificationPlan, WizardCertificatePlan, WizardDetails, WizardProof } from './wire.js';

/** The vendor, as the wizard's pages show it. */
export interface WizardVendor {
  /** Shown in the banner and the page title: plain text, 1 to 100 characters. */
  readonly name: string;
  /**
   * The logo: a file path (`.png`, `.jpg`, `.jpeg`, `.gif`, `.webp`, `.svg`, `.ico`), a
   * `data:image/...;base64,...` URL, or the bytes with their media type. At most 512 KiB; read
   * once, when the wizard starts. Default: none.
   */
  readonly logo?: string | { readonly data: Uint8Array; readonly contentType: string };
}

/** Where the wizard writes what happens. Compatible with the reference CA's `Logger`. */
export interface WizardLogger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** Options of `startWizard()`. */
export interface StartWizardOptions {
  /** Name and logo shown on every page. */
  readonly vendor: WizardVendor;
  /** What the details step shows first; the person may change it. Default: empty fields. */
  readonly details?: Partial<WizardDetails>;
  /** The CA's base URL, e.g. `https://ca.example` (`enroll()`'s `caUrl`). */
  readonly caUrl: string;
  /** The CA certificate(s) the issued chain must lead to, PEM, shipped by the vendor (`enroll()`'s `trustAnchorsPem`). */
  readonly trustAnchorsPem: string;
  /** Where certificates are installed, an absolute path (`enroll()`'s `baseDir`). */
  readonly baseDir: string;
  /** The certificate's name: `live/<name>/` (`enroll()`'s `name`, `[a-z0-9][a-z0-9.-]{0,63}`). */
  readonly name: string;
  /** Where the installation token lives (`enroll()`'s `credentials`). */
  readonly credentials: CredentialStore;
  /** Run after the certificate went live, e.g. to reload the server (`enroll()`'s `postInstall`). */
  readonly postInstall?: PostInstallCommand;
  /**
   * Offer the person a PKCS #12 file of the installed key and certificate, protected by a
   * passphrase they type (built on request, never stored by the wizard). Default `false`.
   */
  readonly pkcs12Download?: boolean;
  /**
   * Every other option of `enroll()`, passed through as is (`emailPing` for the vendor's mail
   * hook, `stateDir`, `waiting`, `verification`, `method`, `pkcs12`, `registration` timeouts and
   * `installationLabel`, `fetch`, `clock`, and options `enroll()` gains later). The wizard sets `names.email`, `keyType`, the registration prefill,
   * opener and display, and `signal` itself: `names.email`, `registration.opener`,
   * `registration.display` and `registration.noBrowser` are refused here; `keyType` is the
   * default choice; `names.dns` makes it a server certificate for those host names (the
   * details step's prefill, which the person may edit; see `certifyAddress`); `onEvent` is
   * called too; `signal` aborts the run too.
   */
  readonly enroll?: Partial<EnrollOptions>;
  /**
   * Whether the person's address is certified too, when the certificate is a server certificate
   * (`enroll.names.dns` given): the certificate then carries the host names and the address
   * (server and S/MIME use). Without host names the address is always certified. Default `false`:
   * a server certificate for the host names only; the address is the CA account's.
   */
  readonly certifyAddress?: boolean;
  /**
   * A command that proves the installed certificate works, shown (never run) on the installed
   * step, e.g. `{ text: 'Check that ExampleMail serves it:', command: 'openssl s_client -starttls smtp ...' }`.
   * Plain text, `text` 1 to 500 characters, `command` 1 to 2000, no control characters. Default: none.
   */
  readonly proof?: WizardProof;
  /** Where the account owner approves pending requests, shown on the approval step. Default: `caUrl`. */
  readonly caAccountUrl?: string;
  /** TCP port on 127.0.0.1, 0 to 65535. Default 0: the system picks a free one. */
  readonly port?: number;
  /** Aborting it closes the wizard (as `close()`); `done` then rejects with `ERR_WIZARD_ABORTED`. */
  readonly signal?: AbortSignal;
  /** Where the wizard logs (never a token, cookie, URL with a secret, or passphrase). Default: nothing. */
  readonly logger?: WizardLogger;
  /** The built browser app. Default: `dist/` of the installed `@certwizard/wizard-ui`. */
  readonly uiDir?: string;
}

/** The options after checking, with defaults. */
export interface WizardSettings {
  readonly vendor: WizardVendor;
  readonly defaults: WizardDetails;
  readonly caUrl: string;
  readonly caOrigin: string;
  readonly caAccountUrl: string;
  readonly baseDir: string;
  readonly name: string;
  readonly pkcs12Download: boolean;
  /** What the certificate is for; `defaults.hostNames` holds the vendor's names for a server certificate. */
  readonly certificate: WizardCertificatePlan;
  readonly proof: WizardProof | undefined;
  readonly addressConfirmation: 'automatic' | 'person';
  readonly keyTypes: readonly KeyType[];
  readonly defaultKeyType: KeyType;
  /** Present when the vendor's method is SCEP: the CA certificate's pinned SHA-256 (hex), when the vendor pinned one. */
  readonly scep: { readonly caFingerprintSha256?: string } | undefined;
  /** The vendor's part of `enroll()`'s options: everything but the person's choices and the wizard's hooks. */
  readonly enroll: Partial<EnrollOptions> & Pick<EnrollOptions, 'caUrl' | 'trustAnchorsPem' | 'baseDir' | 'name' | 'credentials'>;
  readonly port: number;
  readonly signal: AbortSignal | undefined;
  readonly logger: WizardLogger;
  readonly uiDir: string | undefined;
}

const SILENT: WizardLogger = { info() {}, warn() {}, error() {} };

/** Options given both at the top level and in `enroll`: one place only, so that nobody wonders which wins. */
const TOP_LEVEL = ['caUrl', 'trustAnchorsPem', 'baseDir', 'name', 'credentials', 'postInstall'] as const;

/**
 * Checks the options of `startWizard()` and applies the defaults.
 * @throws {TypeError} naming the first option that is wrong.
 */
export function checkWizardOptions(options: StartWizardOptions): WizardSettings {
  if (options === null || typeof options !== 'object') throw new TypeError('options must be an object');
  const vendor = checkVendor(options.vendor);
  const caUrl = httpUrl('caUrl', options.caUrl);
  if (typeof options.trustAnchorsPem !== 'string' || !options.trustAnchorsPem.includes('-----BEGIN CERTIFICATE-----'))
    throw new TypeError('trustAnchorsPem must hold PEM certificates');
  if (typeof options.baseDir !== 'string' || !isAbsolute(options.baseDir)) throw new TypeError('baseDir must be an absolute path');
  if (typeof options.name !== 'string' || !INSTALL_NAME_PATTERN.test(options.name)) throw new TypeError(`name must match ${INSTALL_NAME_PATTERN}`);
  const { credentials } = options;
  if (credentials === null || typeof credentials !== 'object' || typeof credentials.get !== 'function' || typeof credentials.set !== 'function') {
    throw new TypeError('credentials must be a CredentialStore');
  }
  const passthrough = checkPassthrough(options.enroll);
  const certificate = checkCertificatePlan(passthrough, options.certifyAddress);
  const vendorHostNames = passthrough.names?.dns;
  const defaults = { ...checkDefaults(options.details), ...(vendorHostNames === undefined ? {} : { hostNames: vendorHostNames }) };
  const proof = checkProof(options.proof);
  const method = passthrough.method;
  // SCEP encrypts the CA's answer to the key: only RSA keys are offered (scepMethod's defaultKeyType).
  const rsaOnly = method?.defaultKeyType?.startsWith('rsa') === true;
  const defaultKeyType = passthrough.keyType ?? method?.defaultKeyType ?? 'p256';
  if (!KEY_TYPES.includes(defaultKeyType)) throw new TypeError(`enroll.keyType must be one of ${KEY_TYPES.join(', ')}`);
  if (rsaOnly && !defaultKeyType.startsWith('rsa')) throw new TypeError(`enroll.keyType must be an RSA key type for the method ${method?.name ?? ''}`);
  const pinned: unknown = method?.name === 'scep' ? Reflect.get(method, 'pinnedCaFingerprintSha256') : undefined;
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new TypeError('port must be an integer from 0 to 65535');
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) throw new TypeError('signal must be an AbortSignal');
  const logger = checkLogger(options.logger);
  if (options.uiDir !== undefined && (typeof options.uiDir !== 'string' || options.uiDir === '')) throw new TypeError('uiDir must be a path');
  if (options.pkcs12Download !== undefined && typeof options.pkcs12Download !== 'boolean') throw new TypeError('pkcs12Download must be a boolean');
  return {
    vendor,
    defaults,
    caUrl,
    caOrigin: new URL(caUrl).origin,
    caAccountUrl: options.caAccountUrl === undefined ? caUrl : httpUrl('caAccountUrl', options.caAccountUrl),
    baseDir: options.baseDir,
    name: options.name,
    pkcs12Download: options.pkcs12Download ?? false,
    certificate,
    proof,
    // What the welcome page expects; during the run the flow reports it (`address-confirmation`).
    addressConfirmation: passthrough.emailPing === undefined ? 'person' : 'automatic',
    keyTypes: [defaultKeyType, ...KEY_TYPES.filter((t) => t !== defaultKeyType && (!rsaOnly || t.startsWith('rsa')))],
    defaultKeyType,
    scep: method?.name === 'scep' ? (typeof pinned === 'string' ? { caFingerprintSha256: pinned } : {}) : undefined,
    enroll: {
      ...passthrough,
      caUrl,
      trustAnchorsPem: options.trustAnchorsPem,
      baseDir: options.baseDir,
      name: options.name,
      credentials,
      ...(options.postInstall === undefined ? {} : { postInstall: options.postInstall }),
    },
    port,
    signal: options.signal,
    logger,
    uiDir: options.uiDir,
  };
}

/**
 * The vendor's name and logo, as both wizards take them (the logo is read when the wizard starts).
 * @throws {TypeError} naming what is wrong.
 */
export function checkVendor(vendor: WizardVendor): WizardVendor {
  if (vendor === null || typeof vendor !== 'object') throw new TypeError('vendor must be an object');
  if (typeof vendor.name !== 'string' || vendor.name.trim() === '' || vendor.name.length > 100) throw new TypeError('vendor.name must be 1 to 100 characters');
  return vendor;
}

/**
 * The vendor's logger, or a silent one.
 * @throws {TypeError} when it lacks `info()`, `warn()` or `error()`.
 */
export function checkLogger(logger: WizardLogger | undefined): WizardLogger {
  if (logger === undefined) return SILENT;
  if (
    logger === null ||
    typeof logger !== 'object' ||
    !['info', 'warn', 'error'].every((level) => typeof (logger as unknown as Record<string, unknown>)[level] === 'function')
  ) {
    throw new TypeError('logger must have info(), warn() and error()');
  }
  return logger;
}

function checkPassthrough(enroll: Partial<EnrollOptions> | undefined): Partial<EnrollOptions> {
  if (enroll === undefined) return {};
  if (enroll === null || typeof enroll !== 'object') throw new TypeError('enroll must be an object');
  for (const key of TOP_LEVEL) {
    if (enroll[key] !== undefined) throw new TypeError(`give ${key} as an option of startWizard(), not in enroll`);
  }
  if (enroll.names?.email !== undefined) throw new TypeError('enroll.names.email is the address the person types; leave it out');
  const registration = enroll.registration;
  for (const key of ['opener', 'display', 'noBrowser'] as const) {
    if (registration?.[key] !== undefined) throw new TypeError(`enroll.registration.${key} is the wizard's own (the wizard is the browser); leave it out`);
  }
  if (enroll.onEvent !== undefined && typeof enroll.onEvent !== 'function') throw new TypeError('enroll.onEvent must be a function');
  if (enroll.signal !== undefined && !(enroll.signal instanceof AbortSignal)) throw new TypeError('enroll.signal must be an AbortSignal');
  return enroll;
}

/** What the certificate is for: the vendor's host names (checked as the CA reads them) and whether the address goes along. */
function checkCertificatePlan(enroll: Partial<EnrollOptions>, certifyAddress: boolean | undefined): WizardCertificatePlan {
  if (certifyAddress !== undefined && typeof certifyAddress !== 'boolean') throw new TypeError('certifyAddress must be a boolean');
  const dns = enroll.names?.dns;
  if (dns === undefined) {
    if (certifyAddress === false) throw new TypeError('certifyAddress: false needs enroll.names.dns (else the certificate would certify nothing)');
    return { address: true };
  }
  const checked = checkHostNames(dns, enroll.domains);
  if (!checked.ok) throw new TypeError(`enroll.names.dns: ${checked.message}`);
  return {
    server: { domainVerification: domainVerificationPlan(enroll), ...(enroll.domains === undefined ? {} : { domains: enroll.domains }) },
    address: certifyAddress ?? false,
  };
}

/** How the domains will be verified, as `enroll()` does it: its `domainVerification`, by default an email ping to postmaster@. */
function domainVerificationPlan(enroll: Partial<EnrollOptions>): DomainVerificationPlan {
  // The wizard only describes the vendor's choice; enroll() checks it.
  const chosen = enroll.domainVerification;
  if (chosen?.method === 'dns' || chosen?.method === 'http') return { method: chosen.method, automatic: true };
  return { method: 'email', localPart: chosen?.localPart ?? 'postmaster', automatic: enroll.emailPing !== undefined };
}

const PROOF_CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

function checkProof(proof: WizardProof | undefined): WizardProof | undefined {
  if (proof === undefined) return undefined;
  if (proof === null || typeof proof !== 'object') throw new TypeError('proof must be an object');
  const text = (key: keyof WizardProof, max: number): string => {
    const value = proof[key];
    if (typeof value !== 'string' || value.trim() === '' || value.length > max || PROOF_CONTROL.test(value))
      throw new TypeError(`proof.${key} must be 1 to ${max} characters without control characters`);
    return value;
  };
  return { text: text('text', 500), command: text('command', 2000) };
}

function checkDefaults(details: Partial<WizardDetails> | undefined): WizardDetails {
  if (details === undefined) return { firstName: '', lastName: '', email: '' };
  if (details === null || typeof details !== 'object') throw new TypeError('details must be an object');
  const text = (key: keyof WizardDetails): string => {
    const value = details[key] ?? '';
    if (typeof value !== 'string' || value.length > 254) throw new TypeError(`details.${key} must be a string of at most 254 characters`);
    return value;
  };
  return { firstName: text('firstName'), lastName: text('lastName'), email: text('email') };
}

function httpUrl(name: string, value: unknown): string {
  let url: URL;
  try {
    url = new URL(value as string);
  } catch {
    throw new TypeError(`${name} must be an absolute http(s) URL`);
  }
  if (typeof value !== 'string' || (url.protocol !== 'https:' && url.protocol !== 'http:')) throw new TypeError(`${name} must be an absolute http(s) URL`);
  return value;
}
