/**
 * The test-only management server, as pebble's management API: a second listener on
 * 127.0.0.1 (never the CA's public port) through which tests read stored state and move the
 * CA's clock without opening its database file. `startCa` starts it only when its caller asks
 * (`deps.management`, which the `serve` and `dev` commands never set).
 *
 * - `GET /counts`: `{ "<table>": <rows> }`.
 * - `GET /rows`: every row of every table, by table name, in rowid order (secrets are stored as
 *   digests only, so nothing here is a live credential).
 * - `GET /certificates/:serial`: a stored certificate (`serialHex`, `pem`, `requester`,
 *   `status`, ...) or 404.
 * - `GET /requests/:id`: a stored certificate request (`status`, `source`, ...) or 404.
 * - `POST /requests/:id/reject?reason=R`: rejects a pending request as its approver would, through
 *   the request service (204; 409 when it is not pending), for a test of what a rejection does
 *   to its requester.
 * - `POST /clock?advanceMs=N`: moves the CA's clock forward by N ms (204), when the CA was started
 *   with a movable clock; else 404.
 */
import express from 'express';
import type { Db } from '../../store/database.js';
import type { RequestService } from '../../ca/request-service.js';
import type { CertificateRequestRepository } from '../../store/certificate-requests.js';
import type { CertificateRepository } from '../../store/certificate-store.js';
import { tableCounts, tableRows } from '../../store/table-rows.js';
import { listen, type RunningServer } from '../server.js';

/** What the management server reads and moves. */
export interface ManagementDeps {
  readonly db: Db;
  readonly store: Pick<CertificateRepository, 'get'>;
  readonly requests: Pick<CertificateRequestRepository, 'get'>;
  readonly service: Pick<RequestService, 'reject'>;
  /** Moves the CA's clock forward; absent when the CA runs on a clock nobody moves. */
  readonly advanceClock?: (ms: number) => void;
}

/**
 * Starts the management server on 127.0.0.1, port 0.
 * @example
 * const management = await startManagementServer({ db, store });
 * await fetch(`${management.url}/counts`);
 */
export async function startManagementServer(deps: ManagementDeps): Promise<RunningServer> {
  const app = express();
  app.disable('x-powered-by');
  app.use((_req, res, next) => {
    res.setHeader('Cache-Control', 'no-store');
    next();
  });
  app.get('/counts', (_req, res) => void res.json(tableCounts(deps.db)));
  app.get('/rows', (_req, res) => void res.json(tableRows(deps.db)));
  app.get('/certificates/:serial', async (req, res) => {
    const found = await deps.store.get(req.params.serial);
    if (found === undefined) res.status(404).json({ error: 'no such certificate' });
    else res.json(found);
  });
  app.get('/requests/:id', async (req, res) => {
    const found = await deps.requests.get(req.params.id);
    if (found === undefined) res.status(404).json({ error: 'no such request' });
    else res.json(found);
  });
  app.post('/requests/:id/reject', async (req, res) => {
    const found = await deps.requests.get(req.params.id);
    if (found === undefined) return void res.status(404).json({ error: 'no such request' });
    const reason = typeof req.query.reason === 'string' ? req.query.reason : 'rejected';
    // As the request's own approver: its owner, or an operator (id 0: the test's).
    const by = found.approver === 'owner' ? { owner: found.accountId } : { operator: 0 };
    const outcome = await deps.service.reject(found.id, by, reason);
    if (outcome.status !== 'rejected') return void res.status(409).json({ error: `not rejected: ${outcome.status}` });
    res.status(204).end();
  });
  app.post('/clock', (req, res) => {
    const advanceMs = Number(req.query.advanceMs);
    if (deps.advanceClock === undefined) return void res.status(404).json({ error: 'this CA runs on a clock nobody moves' });
    if (!Number.isSafeInteger(advanceMs) || advanceMs < 0) return void res.status(400).json({ error: 'advanceMs must be a non-negative integer' });
    deps.advanceClock(advanceMs);
    res.status(204).end();
  });
  app.use((_req, res) => void res.status(404).json({ error: 'no such resource' }));
  const server = await listen('127.0.0.1', 0);
  server.handle(app);
  return server;
}
