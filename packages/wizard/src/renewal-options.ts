/**
 * The options of `startRenewalWizard()`, checked once, with the defaults applied.
 */
import { isAbsolute } from 'node:path';
import { INSTALL_NAME_PATTERN, type CredentialStore, type PostInstallCommand, type RenewOptions } from '@certwizard/sdk';
import type { WizardLogger, WizardVendor } from './options.js';
import { checkLogger, checkVendor } from './options.js';

/** Default wait for the person's answer to the names-dropped question before it answers `keep`: 10 minutes. */
export const DEFAULT_NAMES_DROPPED_TIMEOUT_MS = 10 * 60_000;

/** Longest wait accepted for `namesDroppedTimeoutMs`: one day (a `setTimeout` must stay far below 2^31 ms). */
const MAX_NAMES_DROPPED_TIMEOUT_MS = 86_400_000;

/** Options of `startRenewalWizard()`. */
export interface StartRenewalWizardOptions {
  /** Name and logo shown on the page. */
  readonly vendor: WizardVendor;
  /** The tracked certificate to renew: `live/<name>/` (`renew()`'s `name`). */
  readonly name: string;
  /** Where certificates are installed, an absolute path (`renew()`'s `baseDir`). */
  readonly baseDir: string;
  /** The pinned CA certificate(s), PEM (`renew()`'s `trustAnchorsPem`). */
  readonly trustAnchorsPem: string;
  /** Where the account's credentials live (`renew()`'s `credentials`). */
  readonly credentials: CredentialStore;
  /** The CA's base URL. Default: the origin the enrollment recorded (`renew()`'s `caUrl`). */
  readonly caUrl?: string;
  /** Run after the renewed certificate went live (`renew()`'s `postInstall`). */
  readonly postInstall?: PostInstallCommand;
  /**
   * Every other option of `renew()`, passed through as is (`force`, `method`, `stateDir`,
   * `waiting`, `verification`, `fetch`, `clock`, `keyType`, ...). `onNamesDropped` is the
   * wizard's own (the page asks) and refused here; `onEvent` is called too; `signal` aborts the
   * run too.
   */
  readonly renew?: Partial<Omit<RenewOptions, 'onNamesDropped'>>;
  /**
   * How long the names-dropped question waits for the person before it answers `keep`, in ms
   * (1 s to 1 day). Default {@link DEFAULT_NAMES_DROPPED_TIMEOUT_MS}.
   */
  readonly namesDroppedTimeoutMs?: number;
  /** Start `renew()` at once instead of when the page's Renew button is pressed. Default `false`. */
  readonly autoStart?: boolean;
  /** TCP port on 127.0.0.1, 0 to 65535. Default 0: the system picks a free one. */
  readonly port?: number;
  /** Aborting it closes the wizard (as `close()`). */
  readonly signal?: AbortSignal;
  /** Where the wizard logs (never a token, cookie or secret). Default: nothing. */
  readonly logger?: WizardLogger;
  /** The built browser app. Default: `dist/` of the installed `@certwizard/wizard-ui`. */
  readonly uiDir?: string;
}

/** The options after checking, with defaults. */
export interface RenewalWizardSettings {
  readonly vendor: WizardVendor;
  readonly caOrigin: string;
  /** `renew()`'s options but the wizard's hooks. */
  readonly renew: Omit<RenewOptions, 'onNamesDropped'>;
  readonly namesDroppedTimeoutMs: number;
  readonly autoStart: boolean;
  readonly port: number;
  readonly signal: AbortSignal | undefined;
  readonly logger: WizardLogger;
  readonly uiDir: string | undefined;
}

/** Options given both at the top level and in `renew`: one place only. */
const TOP_LEVEL = ['name', 'baseDir', 'trustAnchorsPem', 'credentials', 'caUrl', 'postInstall'] as const;

/**
 * Checks the options of `startRenewalWizard()` and applies the defaults. The CA's origin is the
 * given `caUrl`'s, else the one the enrollment recorded (`recordedCaOrigin`).
 * @throws {TypeError} naming the first option that is wrong.
 */
export function checkRenewalWizardOptions(options: StartRenewalWizardOptions): Omit<RenewalWizardSettings, 'caOrigin'> {
  if (options === null || typeof options !== 'object') throw new TypeError('options must be an object');
  const vendor = checkVendor(options.vendor);
  if (typeof options.name !== 'string' || !INSTALL_NAME_PATTERN.test(options.name)) throw new TypeError(`name must match ${INSTALL_NAME_PATTERN}`);
  if (typeof options.baseDir !== 'string' || !isAbsolute(options.baseDir)) throw new TypeError('baseDir must be an absolute path');
  if (typeof options.trustAnchorsPem !== 'string' || !options.trustAnchorsPem.includes('-----BEGIN CERTIFICATE-----'))
    throw new TypeError('trustAnchorsPem must hold PEM certificates');
  const { credentials } = options;
  if (credentials === null || typeof credentials !== 'object' || typeof credentials.get !== 'function' || typeof credentials.set !== 'function')
    throw new TypeError('credentials must be a CredentialStore');
  if (options.caUrl !== undefined) {
    const protocol = URL.canParse(options.caUrl) ? new URL(options.caUrl).protocol : '';
    if (protocol !== 'http:' && protocol !== 'https:') throw new TypeError('caUrl must be an absolute http(s) URL');
  }
  const passthrough = options.renew ?? {};
  if (passthrough === null || typeof passthrough !== 'object') throw new TypeError('renew must be an object');
  for (const key of TOP_LEVEL) {
    if (passthrough[key] !== undefined) throw new TypeError(`give ${key} as an option of startRenewalWizard(), not in renew`);
  }
  if ((passthrough as { onNamesDropped?: unknown }).onNamesDropped !== undefined)
    throw new TypeError('renew.onNamesDropped is the wizard\u2019s own (the page asks the person); leave it out');
  if (passthrough.onEvent !== undefined && typeof passthrough.onEvent !== 'function') throw new TypeError('renew.onEvent must be a function');
  if (passthrough.signal !== undefined && !(passthrough.signal instanceof AbortSignal)) throw new TypeError('renew.signal must be an AbortSignal');
  const timeoutMs = options.namesDroppedTimeoutMs ?? DEFAULT_NAMES_DROPPED_TIMEOUT_MS;
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1000 || timeoutMs > MAX_NAMES_DROPPED_TIMEOUT_MS)
    throw new TypeError(`namesDroppedTimeoutMs must be an integer from 1000 to ${MAX_NAMES_DROPPED_TIMEOUT_MS}`);
  if (options.autoStart !== undefined && typeof options.autoStart !== 'boolean') throw new TypeError('autoStart must be a boolean');
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new TypeError('port must be an integer from 0 to 65535');
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) throw new TypeError('signal must be an AbortSignal');
  if (options.uiDir !== undefined && (typeof options.uiDir !== 'string' || options.uiDir === '')) throw new TypeError('uiDir must be a path');
  return {
    vendor,
    renew: {
      ...passthrough,
      name: options.name,
      baseDir: options.baseDir,
      trustAnchorsPem: options.trustAnchorsPem,
      credentials,
      ...(options.caUrl === undefined ? {} : { caUrl: options.caUrl }),
      ...(options.postInstall === undefined ? {} : { postInstall: options.postInstall }),
    },
    namesDroppedTimeoutMs: timeoutMs,
    autoStart: options.autoStart ?? false,
    port,
    signal: options.signal,
    logger: checkLogger(options.logger),
    uiDir: options.uiDir,
  };
}
