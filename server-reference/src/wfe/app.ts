/**
 * The CA's HTTP front end (the "wfe", as pebble names it): routes only. Everything that
 * decides something lives in ca/: the request service (every request's lifecycle) and the
 * CertificateAuthority (signing, the CRL).
 */
import { CSR_API_REVOKE_ROUTE, CSR_API_ROUTE, encodeCsrApiError } from '@certwizard/protocol';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import type { CertificateAuthority } from '../ca/authority.js';
import type { RequestService } from '../ca/request-service.js';
import type { Logger } from '../log.js';
import type { HealthResult } from '../store/data-dir-health.js';
import { csrApiHandler } from './csr-api/csr-api-endpoint.js';
import { csrApiRevokeHandler } from './csr-api/csr-api-revoke-endpoint.js';
import { errorWriter } from './error-writer.js';
import { ocspRoutes } from './ocsp/ocsp-routes.js';
import { cacertApiRoutes } from './cacert-api/cacert-api-routes.js';
import type { CacertApiContext } from './cacert-api/context.js';
import type { OperatorContext } from './operator/context.js';
import { operatorArea } from './operator/operator-area.js';
import { type DomainContext, domainRoutes } from './domains/domain-routes.js';
import { type HolderRevocationContext, holderRevocationRoutes } from './holder-revocation/holder-revocation-routes.js';
import type { PingContext } from './ping/context.js';
import { pingRoutes } from './ping/ping-routes.js';
import type { RegistrationContext } from './registration/context.js';
import { type RenewalInfoContext, renewalInfoRoutes } from './renewal-info/renewal-info-endpoint.js';
import { registrationRoutes } from './registration/registration-routes.js';
import { type ScepContext, scepRoutes } from './scep/scep-routes.js';

/** Options of {@link createApp}. */
export interface AppOptions {
  /** The CA certificate, CRL and OCSP responder. */
  readonly ca: CertificateAuthority;
  /** Takes every certificate request and revocation (`PUT /api/csr/:client` and its `/revoke` here; the contexts below carry it too). */
  readonly service: RequestService;
  /** What `GET /healthz` reports (DataDirHealth). */
  readonly health: { check(): HealthResult };
  readonly logger: Logger;
  /** Write one log line per request (at debug level). */
  readonly accessLog?: boolean;
  readonly maxBodyBytes: number;
  /** The registration hand-off and account area; not served when absent. */
  readonly registration?: RegistrationContext;
  /** The CAcert-style request API (cemails, ccsr, request status); not served when absent. */
  readonly cacertApi?: CacertApiContext;
  /** The operator area (login, queue of requests for DNS names); not served when absent. */
  readonly operator?: OperatorContext;
  /** The email ping (`/ping/confirm`, `/api/ping/confirm`, `/api/addresses`); not served when absent. */
  readonly ping?: PingContext;
  /** The domains of an account (`/api/domains`, `/api/domains/check`); not served when absent. */
  readonly domains?: DomainContext;
  /** Renewal information (`GET /api/renewal-info/:certId`, RFC 9773 shape); not served when absent. */
  readonly renewalInfo?: RenewalInfoContext;
  /** Revocation by key possession and by revocation secret (`/api/revoke-by-key`, `/api/revoke-with-secret`); not served when absent. */
  readonly holderRevocation?: HolderRevocationContext;
  /** SCEP, RFC 8894 (`/scep`, `/cgi-bin/pkiclient.exe`, `/scep/u/:handle`); not served when absent. */
  readonly scep?: ScepContext;
}

/** Builds the express application of the reference CA. */
export function createApp(options: AppOptions): Express {
  const { ca, logger } = options;
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  if (options.accessLog) {
    app.use((req: Request, res: Response, next: NextFunction) => {
      const started = process.hrtime.bigint();
      res.once('finish', () => {
        // Route templates, never raw URLs: later endpoints carry tokens in query strings.
        logger.debug('http', {
          method: req.method,
          route: req.route?.path ?? 'unmatched',
          status: res.statusCode,
          ms: Number(process.hrtime.bigint() - started) / 1e6,
        });
      });
      next();
    });
  }
  app.use((_req: Request, res: Response, next: NextFunction) => {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Cache-Control', 'no-store');
    next();
  });

  // 503 with a reason when the CA cannot keep what it is asked to keep; load balancers and
  // operators' probes read the status, people the reason (docs/protocol.md, GET /healthz).
  app.get('/healthz', (_req, res) => {
    const health = options.health.check();
    if (health.ok) res.json({ status: 'ok' });
    else res.status(503).json({ status: 'unhealthy', reason: health.reason, message: health.message });
  });

  // RFC 5280 §5 CRL, DER, as the CRL distribution point of every certificate names it; made
  // afresh when the revocations in the database changed, by this process or another.
  app.get('/crl', async (_req, res) => {
    const crl = await ca.currentCrl();
    res.setHeader('Content-Type', 'application/pkix-crl');
    res.setHeader('Cache-Control', 'max-age=300');
    res.send(Buffer.from(crl));
  });

  // RFC 6960 OCSP, as the authorityInfoAccess of every certificate names it.
  app.use(ocspRoutes({ ca, logger }));

  app.get('/ca.pem', (_req, res) => {
    res.setHeader('Content-Type', 'application/x-pem-file');
    res.send(ca.certificate.pem);
  });

  app.put(CSR_API_ROUTE, csrApiHandler({ service: options.service, maxBodyBytes: options.maxBodyBytes }));
  app.all(CSR_API_ROUTE, (_req, res) => {
    res.setHeader('Allow', 'PUT');
    res.status(405).json(encodeCsrApiError('method_not_allowed', 'use PUT with the request as the body'));
  });
  // POST only: a GET (a link preview, a crawler) never revokes.
  app.post(CSR_API_REVOKE_ROUTE, csrApiRevokeHandler({ service: options.service }));
  app.all(CSR_API_REVOKE_ROUTE, (_req, res) => {
    res.setHeader('Allow', 'POST');
    res.status(405).json(encodeCsrApiError('method_not_allowed', 'use POST with the serial and reason as JSON'));
  });

  if (options.cacertApi) app.use(cacertApiRoutes(options.cacertApi));
  if (options.registration) app.use(registrationRoutes(options.registration));
  if (options.operator) app.use(operatorArea(options.operator));
  if (options.ping) app.use(pingRoutes(options.ping));
  if (options.domains) app.use(domainRoutes(options.domains));
  if (options.renewalInfo) app.use(renewalInfoRoutes(options.renewalInfo));
  if (options.holderRevocation) app.use(holderRevocationRoutes(options.holderRevocation));
  if (options.scep) app.use(scepRoutes(options.scep));

  app.use((_req, res) => {
    res.status(404).json(encodeCsrApiError('not_found', 'no such resource'));
  });
  app.use(errorWriter(logger));
  return app;
}
