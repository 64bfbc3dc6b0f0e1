/**
 * The wizard's HTTP front end: the guard (Host, Origin, Fetch Metadata), the token-for-cookie
 * exchange, the JSON API, the event stream and the app's files. Everything that decides lives
 * in the runner, the guard and the session; this file only maps them to HTTP.
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import { KEY_TYPES, type KeyType } from '@certwizard/pki';
import { checkDetails } from '../details.js';
import type { EnrollmentRunner } from '../enrollment-runner.js';
import { checkHostName, HOST_NAMES_MAX } from '../host-names.js';
import type { WizardLogger } from '../options.js';
import { buildPkcs12 } from '../pkcs12-bundle.js';
import type { VendorLogo } from '../vendor-logo.js';
import { API_ERRORS, type ApiErrorBody, type ApiErrorCode, type HostNamesCheckAnswer, type RenewalWizardConfig, type WizardConfig } from '../wire.js';
import type { EventStreams } from './event-streams.js';
import { REFUSAL_CSS, REFUSAL_CSS_PATH, refusalPage } from './refusal-page.js';
import { guardRequest } from './request-guard.js';
import { LOGO_CSP, SECURITY_HEADERS } from './security-headers.js';
import type { WizardSession } from './session.js';
import type { StaticUi } from './static-ui.js';

/** Longest PKCS #12 passphrase accepted, in characters. */
const PKCS12_PASSPHRASE_MAX_LENGTH = 1024;

/** What every wizard's front end serves: the guard, the session, the config, the logo, the events, the app's files. */
export interface WizardShellParts {
  readonly port: number;
  readonly session: WizardSession;
  /** `GET /api/config`'s answer. */
  readonly config: WizardConfig | RenewalWizardConfig;
  readonly streams: EventStreams;
  readonly ui: StaticUi;
  readonly logo: VendorLogo | undefined;
  readonly logger: WizardLogger;
}

/** What the enrollment wizard's front end maps to HTTP. */
export interface WizardAppParts extends WizardShellParts {
  readonly config: WizardConfig;
  readonly runner: EnrollmentRunner;
  /** The person pressed Finish. */
  readonly onFinish: () => void;
}

/**
 * Builds the request handler of the enrollment wizard.
 * @example
 * const app = createWizardApp({ port, session, config, streams, runner, ui, logo, logger, onFinish });
 */
export function createWizardApp(parts: WizardAppParts): express.Express {
  const { config, runner, logger } = parts;
  return createWizardShell(parts, (api) => {
    api.post('/details', (req, res) => {
      const server = config.certificate.server;
      const checked = checkDetails(req.body, { hostNames: server !== undefined, ...(server?.domains === undefined ? {} : { domains: server.domains }) });
      if (!checked.ok) return apiError(res, 'invalid_input', 'some details need changing', checked.fields);
      switch (runner.saveDetails(checked.details)) {
        case 'saved':
          return res.status(204).end();
        case 'busy':
          return apiError(res, 'busy', 'the enrollment is running; wait for it to stop first');
        case 'installed':
          return apiError(res, 'already_installed', 'the certificate is installed');
      }
    });
    // The page's live check of the host names as typed: each with the domain the CA will verify.
    api.post('/host-names', (req, res) => {
      const names = (req.body as { hostNames?: unknown } | undefined)?.hostNames;
      const server = config.certificate.server;
      if (server === undefined) return apiError(res, 'not_allowed', 'this certificate is not for host names');
      if (!Array.isArray(names) || names.length > HOST_NAMES_MAX * 2 || !names.every((n) => typeof n === 'string' && n.length <= 300)) {
        return apiError(res, 'invalid_input', 'send the host names as a list', { hostNames: `Enter at most ${HOST_NAMES_MAX} host names.` });
      }
      const answer: HostNamesCheckAnswer = { checked: (names as string[]).filter((n) => n.trim() !== '').map((n) => checkHostName(n, server.domains)) };
      res.json(answer);
    });
    api.post('/enroll', (req, res) => {
      const keyType = (req.body as { keyType?: unknown } | undefined)?.keyType;
      if (typeof keyType !== 'string' || !(KEY_TYPES as readonly string[]).includes(keyType) || !config.keyTypes.includes(keyType as KeyType)) {
        return apiError(res, 'invalid_input', 'choose one of the key types offered', { keyType: `Choose one of ${config.keyTypes.join(', ')}.` });
      }
      switch (runner.start(keyType as KeyType)) {
        case 'started':
          return res.status(202).json({ started: true });
        case 'busy':
          return apiError(res, 'busy', 'the enrollment is already running');
        case 'installed':
          return apiError(res, 'already_installed', 'the certificate is installed');
        case 'no-details':
          return apiError(res, 'out_of_order', 'send your details first');
      }
    });
    api.post('/pkcs12', async (req, res) => {
      if (config.pkcs12Download === undefined) return apiError(res, 'not_allowed', 'the installer does not offer a PKCS #12 file');
      const installed = runner.installed;
      if (installed === undefined) return apiError(res, 'out_of_order', 'the certificate is not installed yet');
      const passphrase = (req.body as { passphrase?: unknown } | undefined)?.passphrase;
      const min = config.pkcs12Download.minPassphraseLength;
      if (typeof passphrase !== 'string' || [...passphrase].length < min || passphrase.length > PKCS12_PASSPHRASE_MAX_LENGTH) {
        return apiError(res, 'invalid_input', 'the passphrase is not acceptable', { passphrase: `Use ${min} to ${PKCS12_PASSPHRASE_MAX_LENGTH} characters.` });
      }
      const der = await buildPkcs12(installed, passphrase);
      logger.info('PKCS #12 file handed out', { name: installed.name, version: installed.version });
      res.setHeader('Content-Disposition', `attachment; filename="${installed.name}.p12"`);
      res.type('application/x-pkcs12').send(Buffer.from(der));
    });
    api.post('/finish', (_req, res) => {
      if (runner.installed === undefined) return apiError(res, 'out_of_order', 'the certificate is not installed yet');
      parts.onFinish();
      res.status(204).end();
    });
  });
}

/**
 * Builds a wizard's request handler: the guard (Host, Origin, Fetch Metadata), the token-for-cookie
 * exchange, the session check, `GET /api/config`, `/api/logo`, `/api/events`, then the routes
 * `mountApi` adds under `/api`, then the app's files. Both wizards (enrollment and renewal) use it.
 * @example
 * const app = createWizardShell({ port, session, config, streams, ui, logo, logger }, (api) => api.post('/x', handler));
 */
export function createWizardShell(parts: WizardShellParts, mountApi: (api: express.Router) => void): express.Express {
  const { session, config, streams, ui, logo, logger } = parts;
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', false);

  app.use((req: Request, res: Response, next: NextFunction) => {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
    const decision = guardRequest(
      {
        method: req.method,
        target: req.url,
        hosts: req.headersDistinct.host ?? [],
        origins: req.headersDistinct.origin ?? [],
        fetchSite: req.headers['sec-fetch-site'],
      },
      parts.port,
    );
    if (decision.ok) return next();
    logger.warn('request refused', { reason: decision.reason, status: decision.status, method: req.method });
    res.status(decision.status).type('text/plain').send(`${decision.status} ${decision.reason}\n`);
  });

  // The refusal page's stylesheet: static, the same for everyone, needed before any session.
  app.get(REFUSAL_CSS_PATH, (_req: Request, res: Response) => {
    res.type('text/css').send(REFUSAL_CSS);
  });

  // The token exchange: the first use of the installer's URL sets the session cookie and drops
  // the token from the address bar; every later use is refused (unless this browser already has
  // the session, e.g. the person pressed Back).
  app.get('/', (req: Request, res: Response, next: NextFunction) => {
    const tokens = new URLSearchParams(req.url.slice(req.path.length + 1)).getAll('t');
    // Only a GET spends the token: a HEAD (a link checker, a preview) must not use it up.
    if (tokens.length === 0 || req.method !== 'GET') return next();
    if (session.accepts(req.headers.cookie)) return res.redirect(303, '/');
    const cookie = tokens.length === 1 ? session.redeem(tokens[0] as string) : undefined;
    if (cookie === undefined) {
      logger.warn('wizard link refused (used before, or wrong)');
      return res.status(403).type('html').send(refusalPage('link-used'));
    }
    logger.info('session opened');
    res.setHeader('Set-Cookie', cookie);
    res.redirect(303, '/');
  });

  app.use((req: Request, res: Response, next: NextFunction) => {
    if (session.accepts(req.headers.cookie)) return next();
    if (req.path.startsWith('/api/')) return apiError(res, 'no_session', 'open the wizard from the installer first');
    res.status(403).type('html').send(refusalPage('no-session'));
  });

  const api = express.Router();
  api.use(express.json({ limit: '16kb', strict: true, type: 'application/json' }));
  api.use((req: Request, res: Response, next: NextFunction) => {
    if (req.method === 'POST' && !req.is('application/json')) return apiError(res, 'unsupported_media_type', 'send application/json');
    next();
  });

  api.get('/config', (_req, res) => {
    res.json(config);
  });
  api.get('/logo', (_req, res) => {
    if (logo === undefined) return apiError(res, 'not_found', 'no logo');
    res.setHeader('Content-Security-Policy', LOGO_CSP);
    res.type(logo.contentType).send(logo.bytes);
  });
  api.get('/events', (req, res) => {
    streams.serve(req, res);
  });
  mountApi(api);
  api.use((_req: Request, res: Response) => {
    apiError(res, 'not_found', 'no such endpoint');
  });
  app.use('/api', api);

  app.use((req: Request, res: Response) => {
    const file = ui.get(req.path);
    if (file === undefined) return res.status(404).type('text/plain').send('404 not found\n');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return res.status(405).type('text/plain').send('405 method not allowed\n');
    }
    res.type(file.contentType).send(file.body);
  });

  app.use((error: unknown, req: Request, res: Response, _next: NextFunction) => {
    const status = (error as { status?: unknown } | null)?.status;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      // body-parser: malformed JSON (400) or a body over the limit (413).
      return apiError(res, 'invalid_request', status === 413 ? 'the body is too large' : 'the body is not valid JSON');
    }
    logger.error('request failed', { path: req.path, name: (error as Error | null)?.name, code: (error as { code?: unknown } | null)?.code });
    if (res.headersSent) return res.destroy();
    apiError(res, 'internal_error', 'the installer could not do this; its log says why');
  });
  return app;
}

/**
 * Answers an API error as JSON with its code's status.
 * @example
 * apiError(res, 'busy', 'the renewal is running');
 */
export function apiError(res: Response, code: ApiErrorCode, message: string, fields?: Readonly<Record<string, string>>): void {
  const body: ApiErrorBody = { error: { code, message, ...(fields === undefined ? {} : { fields }) } };
  res.status(API_ERRORS[code]).json(body);
}
