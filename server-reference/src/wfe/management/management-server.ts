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
 * - `POST /requests/:id/approve`: approves a pending request as its approver would, through the
 *   request service (the certificate is signed); 200 with `{ "serialHex" }`, 409 when not pending.
 * - `POST /clock?advanceMs=N`: moves the CA's clock forward by N ms (204), when the CA was started
 *   with a movable clock; else 404.
 * - `POST /operators` with JSON `{ "email", "password" }`: creates an operator through the
 *   `OperatorService` that `certwizard-ca add-operator` uses (201 `{ id, email }`; 409 when the
 *   address is an operator's already; 400 for a malformed one). The command itself is a process
 *   start of about a second, too slow for the many tests that need an operator; one test runs it.
 * - `GET /accounts?email=E`: the account of an address (in any case), as the CA's services see it
 *   (`id`, `status`, `codeSigning`, names; never a hash), or 404.
 * - `POST /accounts/:id/code-signing?allowed=true|false`: an operator's code-signing decision,
 *   through the account service (204; 404 for no such account).
 * - `POST /accounts/:id/addresses?email=E`: records a confirmed address of the account, through
 *   the address repository the email ping writes with (204; 404 for no such account; 400 for a
 *   malformed address), for tests of what a confirmed address allows.
 * - `POST /accounts/:id/addresses/remove?email=E`: forgets a confirmed address of the account
 *   (its owner gave it up), through the same repository (204; 404 for no such account, or an
 *   address the account has not recorded), for tests of what a renewal does when `cemails` no
 *   longer lists an address.
 * - `POST /rows/:table/:id` with JSON `{ "<column>": "<text>" }`: overwrites free text of one row as
 *   a CA from before a validation rule could have stored it (`stored-text.ts` lists the columns);
 *   the one write below the CA's policy, since today's policy refuses such text (204; 404 for no
 *   such row; 400 for a column not in the list).
 * - `POST /expiry-notices/run`: one pass of the expiry notice job now, on the CA's clock (200 with
 *   what it did: `{ sent, superseded, alreadyClaimed, failed }`), so that a test that moved the
 *   clock need not wait for the job's timer.
 *
 * Request bodies are JSON, at most 16 KiB. A state change is always a POST.
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import { InvalidNameError } from '@certwizard/pki';
import type { AccountAddressRepository } from '../../accounts/account-addresses.js';
import type { AccountService } from '../../accounts/account-service.js';
import { OperatorExistsError } from '../../accounts/errors.js';
import type { OperatorService } from '../../accounts/operator-service.js';
import type { Db } from '../../store/database.js';
import type { RequestService } from '../../ca/request-service.js';
import type { CertificateRequestRepository } from '../../store/certificate-requests.js';
import type { CertificateRepository } from '../../store/certificate-store.js';
import { tableCounts, tableRows } from '../../store/table-rows.js';
import type { ExpiryNoticeJob } from '../../ca/expiry-notices.js';
import { listen, type RunningServer } from '../server.js';
import { overwriteStoredText } from './stored-text.js';

/** What the management server reads and moves. */
export interface ManagementDeps {
  readonly db: Db;
  readonly store: Pick<CertificateRepository, 'get'>;
  readonly requests: Pick<CertificateRequestRepository, 'get'>;
  readonly service: Pick<RequestService, 'reject' | 'approve'>;
  readonly operators: Pick<OperatorService, 'create'>;
  readonly accounts: Pick<AccountService, 'get' | 'findByEmail' | 'setCodeSigning'>;
  readonly addresses: Pick<AccountAddressRepository, 'addConfirmed' | 'removeConfirmed'>;
  readonly expiryNotices: Pick<ExpiryNoticeJob, 'runOnce'>;
  /** Moves the CA's clock forward; absent when the CA runs on a clock nobody moves. */
  readonly advanceClock?: (ms: number) => void;
}

/**
 * Starts the management server on 127.0.0.1, port 0.
 * @example
 * const management = await startManagementServer({ db, store, requests, service, operators, accounts, addresses, expiryNotices });
 * await fetch(`${management.url}/counts`);
 */
export async function startManagementServer(deps: ManagementDeps): Promise<RunningServer> {
  const app = express();
  app.disable('x-powered-by');
  app.use((_req, res, next) => {
    res.setHeader('Cache-Control', 'no-store');
    next();
  });
  app.use(express.json({ limit: '16kb' }));
  /** The id of the account `:id` names, or `undefined` after answering 404. */
  const accountOf = async (req: Request, res: Response): Promise<number | undefined> => {
    const id = Number(req.params.id);
    if (Number.isSafeInteger(id) && (await deps.accounts.get(id)) !== undefined) return id;
    res.status(404).json({ error: 'no such account' });
    return undefined;
  };
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
    const by = found.approver === 'owner' && found.accountId !== undefined ? { owner: found.accountId } : { operator: 0 };
    const outcome = await deps.service.reject(found.id, by, reason);
    if (outcome.status !== 'rejected') return void res.status(409).json({ error: `not rejected: ${outcome.status}` });
    res.status(204).end();
  });
  app.post('/requests/:id/approve', async (req, res) => {
    const found = await deps.requests.get(req.params.id);
    if (found === undefined) return void res.status(404).json({ error: 'no such request' });
    const by = found.approver === 'owner' && found.accountId !== undefined ? { owner: found.accountId } : { operator: 0 };
    const outcome = await deps.service.approve(found.id, by);
    if (outcome.status !== 'issued') return void res.status(409).json({ error: `not approved: ${outcome.status}` });
    res.status(200).json({ serialHex: outcome.serialHex });
  });
  app.post('/clock', (req, res) => {
    const advanceMs = Number(req.query.advanceMs);
    if (deps.advanceClock === undefined) return void res.status(404).json({ error: 'this CA runs on a clock nobody moves' });
    if (!Number.isSafeInteger(advanceMs) || advanceMs < 0) return void res.status(400).json({ error: 'advanceMs must be a non-negative integer' });
    deps.advanceClock(advanceMs);
    res.status(204).end();
  });
  app.post('/operators', async (req, res) => {
    const { email, password } = (req.body ?? {}) as { email?: unknown; password?: unknown };
    if (typeof email !== 'string' || typeof password !== 'string') return void res.status(400).json({ error: 'email and password are required strings' });
    const operator = await deps.operators.create(email, password);
    res.status(201).json({ id: operator.id, email: operator.email });
  });
  app.get('/accounts', async (req, res) => {
    const email = req.query.email;
    if (typeof email !== 'string') return void res.status(400).json({ error: 'email is required, once' });
    const found = await deps.accounts.findByEmail(email);
    if (found === undefined) res.status(404).json({ error: 'no such account' });
    else res.json(found);
  });
  app.post('/accounts/:id/code-signing', async (req, res) => {
    const allowed = req.query.allowed;
    if (allowed !== 'true' && allowed !== 'false') return void res.status(400).json({ error: 'allowed must be true or false' });
    const account = await accountOf(req, res);
    if (account === undefined) return;
    await deps.accounts.setCodeSigning(account, allowed === 'true');
    res.status(204).end();
  });
  app.post('/accounts/:id/addresses', async (req, res) => {
    const email = req.query.email;
    if (typeof email !== 'string') return void res.status(400).json({ error: 'email is required, once' });
    const account = await accountOf(req, res);
    if (account === undefined) return;
    await deps.addresses.addConfirmed(account, email);
    res.status(204).end();
  });
  app.post('/accounts/:id/addresses/remove', async (req, res) => {
    const email = req.query.email;
    if (typeof email !== 'string') return void res.status(400).json({ error: 'email is required, once' });
    const account = await accountOf(req, res);
    if (account === undefined) return;
    if (!(await deps.addresses.removeConfirmed(account, email))) return void res.status(404).json({ error: 'no such recorded address' });
    res.status(204).end();
  });
  app.post('/rows/:table/:id', (req, res) => {
    const values = (req.body ?? {}) as Record<string, unknown>;
    if (!overwriteStoredText(deps.db, req.params.table as string, req.params.id as string, values)) return void res.status(404).json({ error: 'no such row' });
    res.status(204).end();
  });
  app.post('/expiry-notices/run', async (_req, res) => void res.json(await deps.expiryNotices.runOnce()));
  app.use((_req, res) => void res.status(404).json({ error: 'no such resource' }));
  // Refusals of the services become 4xx, so that a test sees why; anything else stays a 500.
  app.use((err: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(err);
    const parserStatus = (err as { status?: unknown }).status;
    const status =
      err instanceof OperatorExistsError
        ? 409
        : err instanceof TypeError || err instanceof InvalidNameError
          ? 400
          : typeof parserStatus === 'number' && parserStatus >= 400 && parserStatus < 500
            ? parserStatus
            : 500;
    res.status(status).json({ error: err instanceof Error ? err.message : String(err) });
  });
  const server = await listen('127.0.0.1', 0);
  server.handle(app);
  return server;
}
