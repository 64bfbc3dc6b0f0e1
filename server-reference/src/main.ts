/**
 * Wires the reference CA by hand, as pebble's main does: store -> CA -> routes -> server.
 */
import { formatName } from '@certwizard/pki';
import { REQUEST_RETRY_AFTER_SECONDS_DEFAULT } from '@certwizard/protocol';
import { CertificateAuthority, type CaIdentity } from './ca/authority.js';
import { type CaHooks, loadHooks } from './ca/hooks.js';
import { mailedRequestNotices } from './ca/request-notices.js';
import { RequestService } from './ca/request-service.js';
import { ExpiryNoticeJob } from './ca/expiry-notices.js';
import { RenewalAdvisor } from './ca/renewal-advice.js';
import { ExpiryNoticeStore } from './store/expiry-notice-store.js';
import { RenewalWindowStore } from './store/renewal-window-store.js';
import { defaultPingFrom, type ServeConfig } from './config.js';
import { createLogger, type Logger } from './log.js';
import { CertificateRequestStore } from './store/certificate-requests.js';
import { CertificateStore } from './store/certificate-store.js';
import { openDatabase } from './store/database.js';
import { RateLimitStore } from './store/rate-limit-store.js';
import { createSqlDatabase } from './store/sqlite-dialect.js';
import { DataDirHealth } from './store/data-dir-health.js';
import { AccountAddressStore } from './accounts/account-addresses.js';
import { AddressPingService, PING_LIFETIME_MS_DEFAULT } from './accounts/address-ping-service.js';
import { AddressPingStore } from './accounts/address-pings.js';
import { PingNonceService } from './accounts/ping-nonce-service.js';
import { DOMAIN_PING_LIFETIME_MS_DEFAULT, DomainService } from './accounts/domain-service.js';
import { DomainStore } from './accounts/domain-store.js';
import { DnsTxtCheck } from './ca/dns-txt-check.js';
import { HttpFileCheck } from './ca/http-file-check.js';
import { PingNonceStore } from './accounts/ping-nonces.js';
import { AccountService } from './accounts/account-service.js';
import { AccountStore } from './accounts/account-store.js';
import { EnrollmentSecretService } from './accounts/enrollment-secret-service.js';
import { EnrollmentSecretStore } from './accounts/enrollment-secrets.js';
import { HandoffService } from './accounts/handoff-service.js';
import { HandoffStore } from './accounts/handoff-store.js';
import { InstallationTokenService } from './accounts/installation-token-service.js';
import { InstallationTokenStore } from './accounts/installation-tokens.js';
import { OperatorService } from './accounts/operator-service.js';
import { OperatorStore } from './accounts/operator-store.js';
import { RateLimiter, type RateLimiterOptions } from './accounts/rate-limiter.js';
import { SessionService } from './accounts/session-service.js';
import { SessionStore } from './accounts/session-store.js';
import { TicketService } from './accounts/ticket-service.js';
import { TicketStore } from './accounts/ticket-store.js';
import { DevMailbox } from './mail/dev-mailbox.js';
import { loadDkimKey } from './mail/dkim-key.js';
import type { DkimSigningKey, Mailer } from './mail/mailer.js';
import { createSmtpMailer } from './mail/smtp-mailer.js';
import { startManagementServer } from './wfe/management/management-server.js';
import { createApp } from './wfe/app.js';
import { listen } from './wfe/server.js';
import { namesLostPolicy } from './ca/names-lost.js';
import { RevocationSecrets } from './ca/revocation-secrets.js';
import { RevocationSecretStore } from './store/revocation-secret-store.js';
import { ScepService } from './ca/scep-service.js';
import { ScepHandleService } from './scep/scep-handle-service.js';
import { ScepPinService } from './scep/scep-pin-service.js';
import { ScepHandleStore, ScepPinStore } from './scep/scep-pin-store.js';
import { ScepTransactionStore } from './store/scep-transaction-store.js';

/** A running CA. */
export interface RunningCa {
  /** `http://HOST:PORT` as bound. */
  readonly url: string;
  /** The public URL certificates point at. */
  readonly publicUrl: string;
  readonly ca: CertificateAuthority;
  readonly store: CertificateStore;
  /** The development mailbox, when mail is not relayed over SMTP. */
  readonly devMailbox?: DevMailbox;
  /** The expiry notice job (started by startCa unless `--expiry-notice-days none`). */
  readonly expiryNotices: ExpiryNoticeJob;
  /** `http://127.0.0.1:PORT` of the test-only management server, when `deps.management` asked for it. */
  readonly managementUrl?: string;
  /** Finishes requests in flight (up to `graceMs`), closes the database. */
  close(options?: { graceMs?: number }): Promise<void>;
}

/** What {@link startCa} needs besides the config. */
export interface StartCaDependencies {
  readonly identity: CaIdentity;
  /** Hooks given directly (tests); otherwise loaded from `config.hooksModule`. */
  readonly hooks?: CaHooks;
  readonly logger?: Logger;
  readonly now?: () => Date;
  /** scrypt cost for new password hashes; tests pass 2^10 to stay fast. Default the services' (2^15). */
  readonly scryptN?: number;
  /** Overrides of the per-client rate limits (tickets, token endpoint, forms), for tests. */
  readonly rateLimit?: Pick<RateLimiterOptions, 'capacity' | 'refillIntervalMs'>;
  /** Mailer to use instead of SMTP or the dev mailbox (tests). */
  readonly mailer?: Mailer;
  /** Seconds a poller of a pending request is asked to wait; default {@link REQUEST_RETRY_AFTER_SECONDS_DEFAULT}. */
  readonly retryAfterSeconds?: number;
  /**
   * Tests only: also start the management server (wfe/management) on 127.0.0.1, port 0, through
   * which tests read stored state and move the clock (`advanceClock`, which must move `now`).
   * The `serve` and `dev` commands never set it.
   */
  readonly management?: { readonly advanceClock?: (ms: number) => void };
}

/** The address and DKIM key of the email pings. */
interface PingSender {
  readonly from: string;
  readonly dkim?: DkimSigningKey;
}

/** How often expired tickets, codes and sessions are purged, in ms (10 minutes). */
export const PURGE_INTERVAL_MS = 10 * 60_000;

/**
 * Starts the CA: opens the store, loads hooks and runs `boot`, listens.
 * @throws {HooksError} `ERR_CA_HOOKS`, {@link ConfigError} `ERR_CA_CONFIG`, or listen errors.
 */
export async function startCa(config: ServeConfig, deps: StartCaDependencies): Promise<RunningCa> {
  const logger = deps.logger ?? createLogger(process.stderr, { level: config.logLevel });
  const hooks = deps.hooks ?? (config.hooksModule ? await loadHooks(config.hooksModule) : {});
  // Read before anything is opened: a bad key file stops the start, with nothing to undo.
  const dkimKey = config.dkim ? loadDkimKey(config.dkim.keyFile) : undefined;
  const db = openDatabase(config.dataDir);
  const sql = createSqlDatabase(db);
  try {
    const store = new CertificateStore(sql, deps.now ? { now: () => (deps.now as () => Date)().getTime() } : {});
    // Listen first: the public URL (and so the CRL distribution point) may name the port bound.
    const server = await listen(config.listenHost, config.listenPort);
    const publicUrl = config.publicUrl ?? server.url;
    const ca = new CertificateAuthority({
      identity: deps.identity,
      store,
      hooks,
      logger,
      publicUrl,
      validityMs: config.validityMs,
      ...(deps.now ? { now: deps.now } : {}),
    });
    try {
      await hooks.boot?.({
        publicUrl,
        caSubject: formatName(deps.identity.certificate.subject),
        dataDir: config.dataDir,
      });
    } catch (err) {
      await server.close({ graceMs: 0 });
      throw err;
    }
    const nowMs = deps.now ? () => (deps.now as () => Date)().getTime() : Date.now;
    const clock = { now: nowMs };
    // Each service holds the rules (secrets, digests, lifetimes, the clock); its store only the rows.
    const tickets = new TicketService(new TicketStore(sql), clock);
    const sessions = new SessionService(new SessionStore(sql), clock);
    const ping = pingSender(config, publicUrl, dkimKey);
    const signing = ping.dkim ? { dkim: ping.dkim } : {};
    const smtp = config.smtp ? createSmtpMailer({ ...config.smtp, from: config.mailFrom, ...signing }) : undefined;
    const keepDevMailbox = deps.mailer === undefined && (smtp === undefined || config.devMailboxCopy === true);
    const devMailbox = keepDevMailbox ? new DevMailbox(sql, { from: config.mailFrom, now: nowMs, ...signing }) : undefined;
    // Buckets in the database: CA processes sharing it enforce one limit together.
    const rateLimits = new RateLimitStore(sql);
    const limiters: RateLimiter[] = [];
    const limiter = (name: string, defaults: Pick<RateLimiterOptions, 'capacity' | 'refillIntervalMs'> = {}) => {
      const made = new RateLimiter(rateLimits, { name, ...clock, ...defaults, ...deps.rateLimit });
      limiters.push(made);
      return made;
    };
    const scrypt = deps.scryptN !== undefined ? { scryptN: deps.scryptN } : {};
    const accounts = new AccountService(new AccountStore(sql), { ...clock, ...scrypt });
    const tokens = new InstallationTokenService(new InstallationTokenStore(sql), clock);
    const mailer = (deps.mailer ?? (smtp && devMailbox ? relayWithCopy(smtp, devMailbox) : (smtp ?? devMailbox))) as Mailer;
    const requests = new CertificateRequestStore(sql, clock);
    // Every protocol's requests go through this one service; only their policies differ.
    const service = new RequestService({
      ca,
      requests,
      certificates: store,
      logger,
      notices: mailedRequestNotices({ accounts, tokens, mailer, logger, publicUrl }),
      now: nowMs,
      revocationSecrets: new RevocationSecrets(new RevocationSecretStore(sql), clock),
    });
    const addresses = new AccountAddressStore(sql, clock);
    const pings = new AddressPingService(new AddressPingStore(sql), clock);
    const pingNonces = new PingNonceService(new PingNonceStore(sql), clock);
    const resolvers = config.dnsResolvers ? { servers: config.dnsResolvers } : {};
    const domains = new DomainService(new DomainStore(sql), {
      ...clock,
      lapseAfterMs: config.domainLapseDays * 24 * 60 * 60_000,
      // The revocation policy: the onNamesLost hook decides which certificates go with the domain.
      onRemoved: namesLostPolicy({ service, hooks, logger, now: nowMs }),
      checks: {
        dns: new DnsTxtCheck(resolvers),
        http: new HttpFileCheck({
          ...resolvers,
          port: config.httpChallengePort,
          ...(config.allowPrivateChallengeAddresses === true ? { allowPrivateAddresses: true } : {}),
        }),
      },
    });
    const secrets = new EnrollmentSecretService(new EnrollmentSecretStore(sql), clock);
    // SCEP (RFC 8894): one-time PINs, the personal URLs' handles, and the operations on the
    // request service; the RA identity decrypts and signs every message.
    const scepPins = new ScepPinService(new ScepPinStore(sql), {
      ...clock,
      ownerNames: {
        namesOutside: (accountId, names) => domains.namesOutside(accountId, names),
        addressesOf: async (accountId) => {
          const account = await accounts.get(accountId);
          return account === undefined ? [] : (await addresses.confirmedOf(account)).map((a) => a.toLowerCase());
        },
      },
    });
    const scepHandles = new ScepHandleService(new ScepHandleStore(sql), clock);
    const scep = new ScepService({
      service,
      requests,
      certificates: store,
      transactions: new ScepTransactionStore(sql),
      pins: scepPins,
      ca,
      logger,
      now: nowMs,
    });
    const operatorSessions = new SessionService(new SessionStore(sql, { table: 'operator_sessions' }), clock);
    const operators = new OperatorService(new OperatorStore(sql, clock), scrypt);
    // One context for /api/domains and the account page's Domains section: the same rules and bucket.
    const domainContext = {
      domains,
      tokens,
      pingNonces,
      mailer,
      publicUrl,
      pingFrom: ping.from,
      pingLifetimeMs: DOMAIN_PING_LIFETIME_MS_DEFAULT,
      // Per account: a check makes the CA resolve and fetch on the requester's word.
      limiter: limiter('domains'),
      logger,
    };
    const registration = {
      accounts,
      tickets,
      pingNonces,
      tokens,
      sessions,
      handoffs: new HandoffService(new HandoffStore(sql), clock),
      mailer,
      ...(devMailbox ? { devMailbox } : {}),
      logger,
      publicUrl,
      pingFrom: ping.from,
      allowedHttpsOrigins: config.allowedHttpsOrigins,
      ticketLifetimeMs: config.ticketLifetimeMs,
      // isitdone: installers poll every 2 to 15 s, several may share one address behind a NAT;
      // 30 at once and one a second bounds a client's reads without slowing a real one.
      limiters: {
        tickets: limiter('tickets'),
        polls: limiter('polls', { capacity: 30, refillIntervalMs: 1000 }),
        tokens: limiter('tokens'),
        forms: limiter('forms'),
      },
      now: nowMs,
      pendingRequests: { requests, service },
      enrollmentSecrets: secrets,
      scep: { pins: scepPins, handles: scepHandles },
      domains: domainContext,
    };
    if (devMailbox && !smtp) logger.warn('no --smtp relay: mail is kept in the dev mailbox at /dev/mailbox', { url: `${publicUrl}/dev/mailbox` });
    // Housekeeping off the request path; unref'd so it never keeps the process alive.
    const purge = setInterval(() => {
      void (async () => {
        const purged = await tickets.purgeExpired();
        const expiredSessions = (await sessions.purgeExpired()) + (await operatorSessions.purgeExpired());
        let rateLimitBuckets = 0;
        for (const l of limiters) rateLimitBuckets += await l.prune();
        logger.debug('purged expired rows', { ...purged, sessions: expiredSessions, rateLimitBuckets });
      })().catch((err: unknown) => logger.error('purge failed', { error: err }));
    }, PURGE_INTERVAL_MS);
    purge.unref();
    const expiryNotices = new ExpiryNoticeJob({
      notices: new ExpiryNoticeStore(sql, clock),
      certificates: store,
      accounts,
      mailer,
      logger,
      publicUrl,
      thresholdDays: config.expiryNoticeDays,
      now: nowMs,
    });
    // Only now, after boot, are requests served; until here they got 503.
    server.handle(
      createApp({
        ca,
        service,
        health: new DataDirHealth(db, config.dataDir, clock),
        logger,
        maxBodyBytes: config.maxBodyBytes,
        accessLog: config.logLevel === 'debug',
        registration,
        cacertApi: {
          service,
          accounts,
          addresses,
          domains,
          namesOutsideDomains: config.namesOutsideDomains,
          tokens,
          requests,
          secrets,
          logger,
          passwordLimiter: limiter('password'),
          retryAfterSeconds: deps.retryAfterSeconds ?? REQUEST_RETRY_AFTER_SECONDS_DEFAULT,
        },
        domains: domainContext,
        renewalInfo: { advisor: new RenewalAdvisor({ certificates: store, windows: new RenewalWindowStore(sql, clock) }) },
        holderRevocation: { service, publicUrl, now: nowMs, secretLimiter: limiter('revocation-secret'), logger },
        // Served when the identity has its RA (loadIdentity makes one on first start).
        ...(deps.identity.ra
          ? {
              scep: {
                scep,
                ra: { certificateDer: deps.identity.ra.certificateDer, privateKey: deps.identity.ra.privateKey },
                caCertificateDer: deps.identity.certificate.der,
                handles: scepHandles,
                logger,
                now: nowMs,
              },
            }
          : {}),
        operator: {
          operators,
          sessions: operatorSessions,
          requests,
          service,
          accounts,
          tokens,
          logger,
          publicUrl,
          loginLimiter: limiter('operator-login'),
          now: nowMs,
          domains,
          scepPins,
        },
        ping: {
          accounts,
          addresses,
          pings,
          domains,
          pingNonces,
          handoffs: registration.handoffs,
          tickets,
          tokens,
          pendingRequests: registration.pendingRequests,
          mailer,
          logger,
          publicUrl,
          pingFrom: ping.from,
          pingLifetimeMs: PING_LIFETIME_MS_DEFAULT,
          // The person's Confirm button counts with the CA's other forms.
          limiters: { confirmations: limiter('confirmations'), forms: registration.limiters.forms },
          now: nowMs,
        },
      }),
    );
    logger.info('ca started', {
      url: server.url,
      publicUrl,
      caSubject: formatName(deps.identity.certificate.subject),
      pingFrom: ping.from,
      dkimSigning: ping.dkim ? `${ping.dkim.keySelector}._domainkey.${ping.dkim.domainName}` : 'off',
    });
    const management =
      deps.management === undefined
        ? undefined
        : await startManagementServer({ db, store, requests, service, operators, accounts, addresses, expiryNotices, ...deps.management });
    // After the start line: its first pass (mail) runs while requests are already served.
    expiryNotices.start({ intervalMs: config.expiryNoticeIntervalMs });
    return {
      url: server.url,
      publicUrl,
      ca,
      store,
      ...(devMailbox ? { devMailbox } : {}),
      expiryNotices,
      ...(management ? { managementUrl: management.url } : {}),
      close: async (options) => {
        clearInterval(purge);
        await expiryNotices.stop();
        await management?.close({ graceMs: 0 });
        await server.close(options);
        smtp?.close();
        db.close();
        logger.info('ca stopped');
      },
    };
  } catch (err) {
    if (db.open) db.close();
    throw err;
  }
}

/** The ping address (given, or derived from the public URL) and the DKIM key with its domain and selector. */
function pingSender(config: ServeConfig, publicUrl: string, privateKey: DkimSigningKey['privateKey'] | undefined): PingSender {
  const from = config.pingFrom ?? defaultPingFrom(publicUrl);
  if (config.dkim === undefined || privateKey === undefined) return { from };
  return {
    from,
    dkim: { domainName: config.dkim.domain ?? from.slice(from.lastIndexOf('@') + 1), keySelector: config.dkim.selector, privateKey },
  };
}

/**
 * Relays each mail, then keeps a copy in the dev mailbox: the relay decides success (a mail it
 * refused is not reported as sent), the copy only lets a developer read what went out.
 */
function relayWithCopy(relay: Mailer, copy: Mailer): Mailer {
  return {
    async send(message) {
      await relay.send(message);
      await copy.send(message);
    },
  };
}
