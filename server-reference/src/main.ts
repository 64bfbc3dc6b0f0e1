/**
 * Wires the reference CA by hand, as pebble's main does: store -> CA -> routes -> server.
 */
import { formatName } from '@certwizard/pki';
import { CertificateAuthority, type CaIdentity } from './ca/authority.js';
import { type CaHooks, loadHooks } from './ca/hooks.js';
import type { ServeConfig } from './config.js';
import { createLogger, type Logger } from './log.js';
import { CertificateStore } from './store/certificate-store.js';
import { openDatabase } from './store/database.js';
import { createApp } from './wfe/app.js';
import { listen } from './wfe/server.js';

/** A running CA. */
export interface RunningCa {
  /** `http://HOST:PORT` as bound. */
  readonly url: string;
  /** The public URL certificates point at. */
  readonly publicUrl: string;
  readonly ca: CertificateAuthority;
  readonly store: CertificateStore;
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
}

/**
 * Starts the CA: opens the store, loads hooks and runs `boot`, listens.
 * @throws {HooksError} `ERR_CA_HOOKS`, {@link ConfigError} `ERR_CA_CONFIG`, or listen errors.
 */
export async function startCa(config: ServeConfig, deps: StartCaDependencies): Promise<RunningCa> {
  const logger = deps.logger ?? createLogger(process.stderr, { level: config.logLevel });
  const hooks = deps.hooks ?? (config.hooksModule ? await loadHooks(config.hooksModule) : {});
  const db = openDatabase(config.dataDir);
  try {
    const store = new CertificateStore(db, deps.now ? { now: () => (deps.now as () => Date)().getTime() } : {});
    // Listen first: the public URL (and so the CRL distribution point) may name the port bound.
    const server = await listen(config.listenHost, config.listenPort);
    const publicUrl = config.publicUrl ?? server.url;
    const ca = new CertificateAuthority({
      identity: deps.identity,
      store,
      hooks,
      logger,
      publicUrl,
      validityDays: config.validityDays,
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
    // Only now, after boot, are requests served; until here they got 503.
    server.handle(createApp({ ca, store, logger, maxBodyBytes: config.maxBodyBytes, accessLog: config.logLevel === 'debug' }));
    logger.info('ca started', { url: server.url, publicUrl, caSubject: formatName(deps.identity.certificate.subject) });
    return {
      url: server.url,
      publicUrl,
      ca,
      store,
      close: async (options) => {
        await server.close(options);
        db.close();
        logger.info('ca stopped');
      },
    };
  } catch (err) {
    if (db.open) db.close();
    throw err;
  }
}
