/**
 * The one validated, frozen configuration of `certwizard-ca serve`, built from the command
 * line. Nothing else reads the environment, except the passphrase (passphrase.ts).
 */
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { normalizeEmailAddress } from '@certwizard/pki';
import { CSR_API_MAX_BODY_BYTES } from '@certwizard/protocol';
import { ConfigError } from './errors.js';
import type { LogLevel } from './log.js';
import { MAIL_FROM_DEFAULT } from './mail/mailer.js';

/** Everything `serve` needs. */
export interface ServeConfig {
  /** Directory holding the CA identity. */
  readonly identityDir: string;
  /** Directory holding the SQLite database. */
  readonly dataDir: string;
  readonly listenHost: string;
  /** 0 picks a free port. */
  readonly listenPort: number;
  /** Base URL clients reach the CA at; default `http://HOST:PORT` as bound. */
  readonly publicUrl?: string;
  /** Hooks module path or specifier. */
  readonly hooksModule?: string;
  /** Lifetime of issued certificates, in ms (`--validity DURATION` or `--validity-days N`). */
  readonly validityMs: number;
  /** Body limit of the CSR endpoint, in bytes. */
  readonly maxBodyBytes: number;
  readonly logLevel: LogLevel;
  /**
   * https origins (canonical, e.g. `https://vendor.example`) that registration `continue` and
   * `error` URLs may point at, besides loopback http. Default none.
   */
  readonly allowedHttpsOrigins: readonly string[];
  /** SMTP relay for outgoing mail; without one, mail goes to the dev mailbox. */
  readonly smtp?: { readonly host: string; readonly port: number };
  /**
   * Keep a copy of every mail in the dev mailbox (`/dev/mailbox`) even when `smtp` relays it:
   * what `certwizard-ca dev` does, so that a developer sees every mail the CA sent. Never for
   * `serve`: the dev mailbox shows confirmation links to anyone who can reach the CA.
   */
  readonly devMailboxCopy?: boolean;
  /** `From:` of the CA's mail. */
  readonly mailFrom: string;
  /** Lifetime of a ticket from `givemeaticket`, in ms. */
  readonly ticketLifetimeMs: number;
  /**
   * The ping address (`--ping-from`): `From:` and envelope sender of every email ping, plain
   * `local@domain`. Default {@link defaultPingFrom} of the public URL.
   */
  readonly pingFrom?: string;
  /**
   * DKIM signing of the pings (`--dkim-selector`, `--dkim-key`, `--dkim-domain`); off when absent.
   * The key file is read at start (mail/dkim-key.ts), never here, so the config holds no secret.
   */
  readonly dkim?: {
    /** `d=`; default the domain of the ping address. */
    readonly domain?: string;
    /** `s=`. */
    readonly selector: string;
    /** Absolute path of the PEM private key. */
    readonly keyFile: string;
  };
  /** How long a domain's verification holds, in days (`--domain-lapse-days`, default 396: 13 months). */
  readonly domainLapseDays: number;
  /**
   * What a server certificate request naming a DNS name outside the account's verified domains
   * gets (`--names-outside-domains`): `refuse` (default, `name_not_allowed`) or `operator` (held
   * in the operator queue).
   */
  readonly namesOutsideDomains: 'refuse' | 'operator';
  /** Resolvers of the domain checks, `HOST` or `HOST:PORT` (`--dns-resolver`, repeatable); default the system's. */
  readonly dnsResolvers?: readonly string[];
  /** Port of the HTTP file check (`--http-challenge-port`, default 80); another only for tests, as pebble's httpPort. */
  readonly httpChallengePort: number;
  /**
   * Let the HTTP file check connect to loopback, private and other non-public addresses
   * (`--allow-private-challenge-addresses`): tests and development only, never a public CA.
   */
  readonly allowPrivateChallengeAddresses?: boolean;
  /**
   * Days before a certificate's notAfter at which its account's owner is mailed
   * (`--expiry-notice-days 30,7`, the default; `none`: empty, no notices).
   */
  readonly expiryNoticeDays: readonly number[];
  /** How often the expiry notice job looks, in ms (`--expiry-notice-interval-minutes`, default 60). */
  readonly expiryNoticeIntervalMs: number;
}

/** Defaults of {@link ServeConfig}. */
export const SERVE_DEFAULTS = {
  listen: '127.0.0.1:8440',
  validityDays: 90,
  maxBodyBytes: CSR_API_MAX_BODY_BYTES,
  logLevel: 'info' as LogLevel,
  mailFrom: MAIL_FROM_DEFAULT,
  ticketLifetimeMinutes: 30,
  domainLapseDays: 396,
  httpChallengePort: 80,
  expiryNoticeDays: '30,7',
  expiryNoticeIntervalMinutes: 60,
};

/**
 * Parses `HOST:PORT` (IPv6 as `[::1]:PORT`).
 * @throws {ConfigError} `ERR_CA_CONFIG`.
 */
export function parseListen(value: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(value);
  const port = Number(m?.[3]);
  if (!m || port > 65535) throw new ConfigError(`--listen wants HOST:PORT (port 0 for any free one), not ${value}`);
  return { host: (m[1] ?? m[2]) as string, port };
}

/** One or more DNS labels separated by dots (RFC 1035 §2.3.1, digits allowed first): a selector or domain. */
const DNS_NAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/**
 * The ping address when `--ping-from` is not given: `ping@` and the host of the public URL, or
 * `ping@localhost` when that host is an IP address (an address literal is no mail domain).
 * @example
 * defaultPingFrom('https://ca.example.org'); // 'ping@ca.example.org'
 * defaultPingFrom('http://127.0.0.1:8440'); // 'ping@localhost'
 */
export function defaultPingFrom(publicUrl: string): string {
  const host = new URL(publicUrl).hostname.replace(/^\[(.*)\]$/, '$1');
  return `ping@${isIP(host) === 0 ? host : 'localhost'}`;
}

const MINUTE_MS = 60_000;
const DURATION_UNITS_MS: Readonly<Record<string, number>> = { d: 1440 * MINUTE_MS, h: 60 * MINUTE_MS, m: MINUTE_MS };
/** The longest lifetime of issued certificates, in days (either option). */
const MAX_VALIDITY_DAYS = 3650;

/**
 * The lifetime of issued certificates from `--validity DURATION` (whole days, hours or minutes,
 * so that tests and demos can issue short-lived certificates) or `--validity-days N`, never both.
 */
function certificateValidityMs(input: { validity?: string; validityDays?: string }): number {
  if (input.validity !== undefined && input.validityDays !== undefined) {
    throw new ConfigError('--validity and --validity-days both set the lifetime of issued certificates: give one');
  }
  if (input.validity !== undefined) {
    const m = /^([1-9][0-9]{0,6})([dhm])$/.exec(input.validity);
    const ms = m ? Number(m[1]) * (DURATION_UNITS_MS[m[2] as string] as number) : Number.NaN;
    if (!(ms <= MAX_VALIDITY_DAYS * 1440 * MINUTE_MS)) {
      throw new ConfigError(`--validity wants a duration such as 90d, 12h or 10m (whole days, hours or minutes, at most ${MAX_VALIDITY_DAYS}d)`);
    }
    return ms;
  }
  const validityDays = input.validityDays === undefined ? SERVE_DEFAULTS.validityDays : Number(input.validityDays);
  if (!Number.isInteger(validityDays) || validityDays < 1 || validityDays > MAX_VALIDITY_DAYS) {
    throw new ConfigError(`--validity-days must be a whole number from 1 to ${MAX_VALIDITY_DAYS}`);
  }
  return validityDays * 1440 * MINUTE_MS;
}

/**
 * Validates and freezes a configuration.
 * @throws {ConfigError} `ERR_CA_CONFIG` naming the bad option.
 */
export function buildServeConfig(input: {
  identity?: string;
  data?: string;
  listen?: string;
  publicUrl?: string;
  hooks?: string;
  /** `--validity DURATION`: `90d`, `12h`, `10m`. */
  validity?: string;
  validityDays?: string;
  logLevel?: string;
  /** `--allow-origin`, repeatable. */
  allowOrigins?: readonly string[];
  smtp?: string;
  /** Keep a dev-mailbox copy of relayed mail (the `dev` command only). */
  devMailboxCopy?: boolean;
  mailFrom?: string;
  ticketLifetimeMinutes?: string;
  pingFrom?: string;
  dkimDomain?: string;
  dkimSelector?: string;
  /** Path of the PEM private key file. */
  dkimKey?: string;
  domainLapseDays?: string;
  namesOutsideDomains?: string;
  /** `--dns-resolver`, repeatable. */
  dnsResolvers?: readonly string[];
  httpChallengePort?: string;
  allowPrivateChallengeAddresses?: boolean;
  /** `--expiry-notice-days`: days, comma-separated, or `none`. */
  expiryNoticeDays?: string;
  expiryNoticeIntervalMinutes?: string;
}): ServeConfig {
  if (!input.identity) throw new ConfigError('--identity DIR is required');
  if (!input.data) throw new ConfigError('--data DIR is required');
  const { host, port } = parseListen(input.listen ?? SERVE_DEFAULTS.listen);
  let publicUrl: string | undefined;
  if (input.publicUrl !== undefined) {
    let url: URL;
    try {
      url = new URL(input.publicUrl);
    } catch {
      throw new ConfigError(`--public-url is not a URL: ${input.publicUrl}`);
    }
    if (!/^https?:$/.test(url.protocol) || url.search || url.hash || url.username) {
      throw new ConfigError('--public-url must be an http(s) URL without query, fragment or user info');
    }
    publicUrl = url.href.replace(/\/$/, '');
  }
  const validityMs = certificateValidityMs(input);
  const logLevel = (input.logLevel ?? SERVE_DEFAULTS.logLevel) as LogLevel;
  if (!['debug', 'info', 'warn', 'error'].includes(logLevel)) {
    throw new ConfigError('--log-level must be debug, info, warn or error');
  }
  const allowedHttpsOrigins = (input.allowOrigins ?? []).map((origin) => {
    // Exact comparison with URL#origin only works for entries spelled canonically.
    if (!URL.canParse(origin) || new URL(origin).protocol !== 'https:' || new URL(origin).origin !== origin) {
      throw new ConfigError(`--allow-origin wants a canonical https origin such as https://vendor.example, not ${origin}`);
    }
    return origin;
  });
  const smtp = input.smtp === undefined ? undefined : parseSmtp(input.smtp);
  const mailFrom = input.mailFrom ?? SERVE_DEFAULTS.mailFrom;
  if (mailFrom.trim() === '' || /[\r\n]/.test(mailFrom)) throw new ConfigError('--mail-from wants an address such as "Example CA <ca@example.org>"');
  const minutes = input.ticketLifetimeMinutes === undefined ? SERVE_DEFAULTS.ticketLifetimeMinutes : Number(input.ticketLifetimeMinutes);
  if (!Number.isInteger(minutes) || minutes < 1 || minutes > 1440) {
    throw new ConfigError('--ticket-lifetime-minutes must be a whole number from 1 to 1440');
  }
  let pingFrom: string | undefined;
  if (input.pingFrom !== undefined) {
    try {
      pingFrom = normalizeEmailAddress(input.pingFrom);
    } catch {
      throw new ConfigError('--ping-from wants a plain address such as ping@ca.example (no display name)');
    }
  }
  const dkim = buildDkim(input);
  const domains = buildDomainChecks(input);
  return Object.freeze({
    identityDir: resolve(input.identity),
    dataDir: resolve(input.data),
    listenHost: host,
    listenPort: port,
    ...(publicUrl ? { publicUrl } : {}),
    ...(input.hooks ? { hooksModule: input.hooks } : {}),
    validityMs,
    maxBodyBytes: SERVE_DEFAULTS.maxBodyBytes,
    logLevel,
    allowedHttpsOrigins: Object.freeze(allowedHttpsOrigins),
    ...(smtp ? { smtp } : {}),
    ...(input.devMailboxCopy === true ? { devMailboxCopy: true } : {}),
    mailFrom,
    ticketLifetimeMs: minutes * 60_000,
    ...(pingFrom ? { pingFrom } : {}),
    ...(dkim ? { dkim: Object.freeze(dkim) } : {}),
    ...domains,
    ...buildExpiryNotices(input),
  });
}

function buildExpiryNotices(input: {
  expiryNoticeDays?: string;
  expiryNoticeIntervalMinutes?: string;
}): Pick<ServeConfig, 'expiryNoticeDays' | 'expiryNoticeIntervalMs'> {
  const text = (input.expiryNoticeDays ?? SERVE_DEFAULTS.expiryNoticeDays).trim();
  const days = text === 'none' ? [] : text.split(',').map((part) => (/^\s*\d{1,4}\s*$/.test(part) ? Number(part) : Number.NaN));
  if (days.some((d) => !Number.isInteger(d) || d < 1 || d > 3650) || new Set(days).size !== days.length) {
    throw new ConfigError('--expiry-notice-days wants distinct whole days from 1 to 3650, comma-separated (e.g. 30,7), or none');
  }
  const minutes = input.expiryNoticeIntervalMinutes === undefined ? SERVE_DEFAULTS.expiryNoticeIntervalMinutes : Number(input.expiryNoticeIntervalMinutes);
  if (!Number.isInteger(minutes) || minutes < 1 || minutes > 1440)
    throw new ConfigError('--expiry-notice-interval-minutes must be a whole number from 1 to 1440');
  return { expiryNoticeDays: Object.freeze(days.sort((a, b) => b - a)), expiryNoticeIntervalMs: minutes * 60_000 };
}

function buildDomainChecks(input: {
  domainLapseDays?: string;
  namesOutsideDomains?: string;
  dnsResolvers?: readonly string[];
  httpChallengePort?: string;
  allowPrivateChallengeAddresses?: boolean;
}): Pick<ServeConfig, 'domainLapseDays' | 'namesOutsideDomains' | 'dnsResolvers' | 'httpChallengePort' | 'allowPrivateChallengeAddresses'> {
  const days = input.domainLapseDays === undefined ? SERVE_DEFAULTS.domainLapseDays : Number(input.domainLapseDays);
  if (!Number.isInteger(days) || days < 1 || days > 3650) throw new ConfigError('--domain-lapse-days must be a whole number from 1 to 3650');
  const outside = input.namesOutsideDomains ?? 'refuse';
  if (outside !== 'refuse' && outside !== 'operator') throw new ConfigError('--names-outside-domains must be refuse or operator');
  const port = input.httpChallengePort === undefined ? SERVE_DEFAULTS.httpChallengePort : Number(input.httpChallengePort);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new ConfigError('--http-challenge-port must be a port from 1 to 65535');
  const resolvers = (input.dnsResolvers ?? []).map((server) => {
    const host = server.replace(/^\[(.*)\](?::\d{1,5})?$/, '$1').replace(/^([^:]+):\d{1,5}$/, '$1');
    if (isIP(host) === 0) throw new ConfigError(`--dns-resolver wants an IP address with an optional port, such as 127.0.0.1:8053, not ${server}`);
    return server;
  });
  return {
    domainLapseDays: days,
    namesOutsideDomains: outside,
    ...(resolvers.length > 0 ? { dnsResolvers: Object.freeze(resolvers) } : {}),
    httpChallengePort: port,
    ...(input.allowPrivateChallengeAddresses === true ? { allowPrivateChallengeAddresses: true } : {}),
  };
}

function buildDkim(input: { dkimDomain?: string; dkimSelector?: string; dkimKey?: string }): ServeConfig['dkim'] {
  const { dkimDomain, dkimSelector, dkimKey } = input;
  if (dkimSelector === undefined && dkimKey === undefined) {
    if (dkimDomain !== undefined) throw new ConfigError('--dkim-domain needs --dkim-selector and --dkim-key');
    return undefined;
  }
  if (dkimSelector === undefined || dkimKey === undefined) throw new ConfigError('DKIM signing needs both --dkim-selector and --dkim-key FILE');
  if (!DNS_NAME.test(dkimSelector)) throw new ConfigError(`--dkim-selector wants DNS labels such as ping2026, not ${dkimSelector}`);
  if (dkimDomain !== undefined && (!DNS_NAME.test(dkimDomain) || isIP(dkimDomain) !== 0)) {
    throw new ConfigError(`--dkim-domain wants a domain name such as ca.example, not ${dkimDomain}`);
  }
  if (dkimKey.trim() === '') throw new ConfigError('--dkim-key wants the path of a PEM private key file');
  return {
    ...(dkimDomain !== undefined ? { domain: dkimDomain.toLowerCase() } : {}),
    selector: dkimSelector,
    keyFile: resolve(dkimKey),
  };
}

function parseSmtp(value: string): { host: string; port: number } {
  try {
    const { host, port } = parseListen(value);
    if (port === 0) throw new ConfigError('port 0');
    return { host, port };
  } catch {
    throw new ConfigError(`--smtp wants HOST:PORT of a relay, not ${value}`);
  }
}
