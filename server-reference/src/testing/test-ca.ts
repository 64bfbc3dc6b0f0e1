/**
 * The one CA fixture of every suite (server-reference's own, the SDK's, the CLI's and wizard's,
 * Playwright's): a real reference CA on 127.0.0.1 port 0, a fresh identity and a SQLite database
 * in a temporary directory, its dev mailbox, and the test-only management server through which
 * tests read stored state, move the clock and set up what an operator would (an operator, an
 * account's code signing), never by opening the database file. Whoever starts one disposes of it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KeyType } from '@certwizard/pki';
import type { Account } from '../accounts/account-store.js';
import type { CaHooks } from '../ca/hooks.js';
import { buildServeConfig } from '../config.js';
import { createIdentity, loadIdentity } from '../identity.js';
import { type Logger, silentLogger } from '../log.js';
import { type RunningCa, startCa } from '../main.js';
import type { StoredCertificate } from '../store/certificate-store.js';

/** A mail as the dev mailbox lists it (`GET /dev/mailbox.json`), newest first. */
export interface TestMail {
  readonly id: number;
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  readonly createdAt: string;
}

/** Options of {@link startTestCa}; every one optional. */
export interface TestCaOptions {
  /** The CA key's type; default `p256`. */
  readonly keyType?: KeyType;
  /** The CA certificate's common name; default `Test CA`. */
  readonly commonName?: string;
  readonly hooks?: CaHooks;
  /** `--hooks MODULE`. */
  readonly hooksModule?: string;
  /** `--allow-origin` values. */
  readonly allowedHttpsOrigins?: readonly string[];
  /** `--ticket-lifetime-minutes`. */
  readonly ticketLifetimeMinutes?: number;
  /**
   * The CA's clock, in ms since the epoch, for a test that drives it itself. Without it the CA
   * runs on the system clock plus what {@link TestCa.advanceClock} added.
   */
  readonly now?: () => number;
  /** Per-client rate limits (tickets, isitdone, token endpoint, forms). */
  readonly rateLimit?: { readonly capacity?: number; readonly refillIntervalMs?: number };
  /** `--smtp HOST:PORT`: relay mail instead of keeping it in the dev mailbox. */
  readonly smtp?: string;
  /** `Retry-After` of pending request answers, in seconds. */
  readonly retryAfterSeconds?: number;
  /** `--ping-from ADDRESS`. */
  readonly pingFrom?: string;
  /** `--dkim-selector`, `--dkim-key FILE` and, optionally, `--dkim-domain`. */
  readonly dkim?: { readonly selector: string; readonly keyFile: string; readonly domain?: string };
  /** `--names-outside-domains`: `operator` holds server requests for unverified names for an operator; default `refuse`. */
  readonly namesOutsideDomains?: 'refuse' | 'operator';
  /** `--dns-resolver` values (the domain checks' resolvers, e.g. pebble-challtestsrv's). */
  readonly dnsResolvers?: readonly string[];
  /** `--http-challenge-port`. */
  readonly httpChallengePort?: number;
  /** `--allow-private-challenge-addresses`. */
  readonly allowPrivateChallengeAddresses?: boolean;
  /** `--domain-lapse-days`. */
  readonly domainLapseDays?: number;
  /** Where the CA logs (e.g. a logger that keeps the lines, to assert what was logged); silent by default. */
  readonly logger?: Logger;
  /** `--expiry-notice-days` (`30,7` by default; `none`). */
  readonly expiryNoticeDays?: string;
  /** `--expiry-notice-interval-minutes`. */
  readonly expiryNoticeIntervalMinutes?: number;
  /** `--validity DURATION` (`10m`, `12h`, `90d`): the lifetime of issued certificates; default 90 days. */
  readonly validity?: string;
  /**
   * Run on the identity and database of another test CA, as a second CA process on one data
   * directory would (each with its own clock and servers); disposing of this one leaves the
   * directory to the other.
   */
  readonly sharing?: Pick<TestCa, 'dir' | 'identityDir' | 'dataDir'>;
}

/** A started test CA. */
export interface TestCa extends RunningCa {
  readonly dir: string;
  readonly identityDir: string;
  readonly dataDir: string;
  /** The CA certificate, PEM, as `GET /ca.pem` serves it. */
  readonly caCertPem: string;
  /** The management server's URL (always present on a test CA). */
  readonly managementUrl: string;
  /** Row counts by table, from the management server. */
  counts(): Promise<Record<string, number>>;
  /** Every row of every table, from the management server. */
  rows(): Promise<Record<string, unknown[]>>;
  /** A stored certificate by serial (lower-case hex), or `undefined`. */
  certificate(serialHex: string): Promise<StoredCertificate | undefined>;
  /** A stored certificate request by id (`status`, `source`, ...), or `undefined`. */
  request(id: string): Promise<{ readonly status: string; readonly source: string; readonly accountId: number } | undefined>;
  /** Rejects a pending request with `reason`, as an approver would. */
  rejectRequest(id: string, reason: string): Promise<void>;
  /** Approves a pending request as its approver would (the certificate is signed); its serial. */
  approveRequest(id: string): Promise<string>;
  /** Moves the CA's clock forward (only without the `now` option). */
  advanceClock(ms: number): Promise<void>;
  /** Creates an operator as `certwizard-ca add-operator` does (with the test CA's cheap hash). */
  addOperator(email: string, password: string): Promise<void>;
  /** The account of an address (in any case), as the CA's services see it, or `undefined`. */
  account(email: string): Promise<Account | undefined>;
  /** Records an operator's code-signing decision (`CS=1`) for the account. */
  setCodeSigning(accountId: number, allowed: boolean): Promise<void>;
  /** Records `email` as a confirmed address of the account, as a confirmed email ping does. */
  addConfirmedAddress(accountId: number, email: string): Promise<void>;
  /** Forgets a confirmed address of the account (not its registration address), as when its owner gave it up. */
  removeConfirmedAddress(accountId: number, email: string): Promise<void>;
  /**
   * Overwrites free text of one stored row (`accounts` names, an installation token's `label`, a
   * request's `subject`), as a CA from before a validation rule could have stored it.
   */
  storeAsBeforeTheRules(table: 'accounts' | 'installation_tokens' | 'certificate_requests', id: number | string, values: Record<string, string>): Promise<void>;
  /** Runs one pass of the expiry notice job now, on the CA's clock; what it did. */
  runExpiryNotices(): Promise<{ sent: number; superseded: number; alreadyClaimed: number; failed: number }>;
  /** The dev mailbox's mails to `to` (all without it), newest first. */
  mailbox(to?: string): Promise<TestMail[]>;
  /** Closes the CA and deletes its directory. */
  dispose(): Promise<void>;
}

const PASSPHRASE = 'test-ca-passphrase';

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url} answered ${res.status}`);
  return (await res.json()) as T;
}

/** A JSON answer, or `undefined` for 404. */
async function getFound<T>(url: string, what: string): Promise<T | undefined> {
  const res = await fetch(url);
  if (res.status === 404) return undefined;
  if (!res.ok) throw new Error(`${what} answered ${res.status}`);
  return (await res.json()) as T;
}

/** POSTs (with a JSON body when given) and throws, with the server's reason, unless it answers `want`. */
async function post(url: string, what: string, body?: unknown, want = 204): Promise<void> {
  const res = await fetch(url, {
    method: 'POST',
    ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  if (res.status !== want) throw new Error(`${what} answered ${res.status}: ${await res.text()}`);
}

/**
 * Starts a test CA.
 * @example
 * const ca = await startTestCa();
 * try { expect((await ca.counts()).certificates).toBe(0); } finally { await ca.dispose(); }
 */
export async function startTestCa(options: TestCaOptions = {}): Promise<TestCa> {
  const shared = options.sharing;
  const dir = shared?.dir ?? mkdtempSync(join(tmpdir(), 'certwizard-test-ca-'));
  const identityDir = shared?.identityDir ?? join(dir, 'identity');
  const dataDir = shared?.dataDir ?? join(dir, 'data');
  // Only the CA that made the directory removes it.
  const removeDir = () => {
    if (shared === undefined) rmSync(dir, { recursive: true, force: true });
  };
  let offsetMs = 0;
  let running: RunningCa;
  try {
    if (shared === undefined) {
      await createIdentity(identityDir, {
        subject: [
          { type: 'O', value: 'certwizard tests' },
          { type: 'CN', value: options.commonName ?? 'Test CA' },
        ],
        validityYears: 5,
        keyType: options.keyType ?? 'p256',
        passphrase: PASSPHRASE,
      });
    }
    const config = buildServeConfig({
      identity: identityDir,
      data: dataDir,
      listen: '127.0.0.1:0',
      ...(options.hooksModule ? { hooks: options.hooksModule } : {}),
      ...(options.allowedHttpsOrigins ? { allowOrigins: options.allowedHttpsOrigins } : {}),
      ...(options.ticketLifetimeMinutes !== undefined ? { ticketLifetimeMinutes: String(options.ticketLifetimeMinutes) } : {}),
      ...(options.smtp ? { smtp: options.smtp } : {}),
      ...(options.pingFrom ? { pingFrom: options.pingFrom } : {}),
      ...(options.dkim
        ? { dkimSelector: options.dkim.selector, dkimKey: options.dkim.keyFile, ...(options.dkim.domain ? { dkimDomain: options.dkim.domain } : {}) }
        : {}),
      ...(options.namesOutsideDomains ? { namesOutsideDomains: options.namesOutsideDomains } : {}),
      ...(options.dnsResolvers ? { dnsResolvers: options.dnsResolvers } : {}),
      ...(options.httpChallengePort !== undefined ? { httpChallengePort: String(options.httpChallengePort) } : {}),
      ...(options.allowPrivateChallengeAddresses ? { allowPrivateChallengeAddresses: true } : {}),
      ...(options.domainLapseDays !== undefined ? { domainLapseDays: String(options.domainLapseDays) } : {}),
      ...(options.expiryNoticeDays !== undefined ? { expiryNoticeDays: options.expiryNoticeDays } : {}),
      ...(options.expiryNoticeIntervalMinutes !== undefined ? { expiryNoticeIntervalMinutes: String(options.expiryNoticeIntervalMinutes) } : {}),
      ...(options.validity !== undefined ? { validity: options.validity } : {}),
    });
    const given = options.now;
    running = await startCa(config, {
      identity: loadIdentity(identityDir, PASSPHRASE),
      logger: options.logger ?? silentLogger,
      ...(options.hooks ? { hooks: options.hooks } : {}),
      now: given ? () => new Date(given()) : () => new Date(Date.now() + offsetMs),
      ...(options.rateLimit ? { rateLimit: options.rateLimit } : {}),
      ...(options.retryAfterSeconds !== undefined ? { retryAfterSeconds: options.retryAfterSeconds } : {}),
      // Cheap hashes: a registration runs three scrypt hashes.
      scryptN: 2 ** 10,
      management: given ? {} : { advanceClock: (ms) => void (offsetMs += ms) },
    });
  } catch (err) {
    removeDir();
    throw err;
  }
  const managementUrl = running.managementUrl as string;
  const caCertPem = await (await fetch(`${running.url}/ca.pem`)).text();
  return {
    ...running,
    dir,
    identityDir,
    dataDir,
    caCertPem,
    managementUrl,
    counts: () => getJson(`${managementUrl}/counts`),
    rows: () => getJson(`${managementUrl}/rows`),
    certificate: (serialHex) => getFound(`${managementUrl}/certificates/${encodeURIComponent(serialHex)}`, 'certificate lookup'),
    request: (id) => getFound(`${managementUrl}/requests/${encodeURIComponent(id)}`, 'request lookup'),
    rejectRequest: (id, reason) => post(`${managementUrl}/requests/${encodeURIComponent(id)}/reject?reason=${encodeURIComponent(reason)}`, 'rejecting'),
    approveRequest: async (id) => {
      const res = await fetch(`${managementUrl}/requests/${encodeURIComponent(id)}/approve`, { method: 'POST' });
      if (res.status !== 200) throw new Error(`approving answered ${res.status}: ${await res.text()}`);
      return ((await res.json()) as { serialHex: string }).serialHex;
    },
    advanceClock: (ms) => post(`${managementUrl}/clock?advanceMs=${ms}`, 'moving the clock'),
    addOperator: (email, password) => post(`${managementUrl}/operators`, 'adding an operator', { email, password }, 201),
    account: (email) => getFound(`${managementUrl}/accounts?email=${encodeURIComponent(email)}`, 'account lookup'),
    setCodeSigning: (accountId, allowed) => post(`${managementUrl}/accounts/${accountId}/code-signing?allowed=${allowed}`, 'setting code signing'),
    addConfirmedAddress: (accountId, email) =>
      post(`${managementUrl}/accounts/${accountId}/addresses?email=${encodeURIComponent(email)}`, 'adding a confirmed address'),
    removeConfirmedAddress: (accountId, email) =>
      post(`${managementUrl}/accounts/${accountId}/addresses/remove?email=${encodeURIComponent(email)}`, 'removing a confirmed address'),
    storeAsBeforeTheRules: (table, id, values) => post(`${managementUrl}/rows/${table}/${encodeURIComponent(String(id))}`, 'overwriting stored text', values),
    runExpiryNotices: async () => {
      const res = await fetch(`${managementUrl}/expiry-notices/run`, { method: 'POST' });
      if (!res.ok) throw new Error(`running the expiry notices answered ${res.status}: ${await res.text()}`);
      return (await res.json()) as { sent: number; superseded: number; alreadyClaimed: number; failed: number };
    },
    mailbox: (to) => getJson(`${running.url}/dev/mailbox.json${to === undefined ? '' : `?to=${encodeURIComponent(to)}`}`),
    dispose: async () => {
      await running.close({ graceMs: 1000 });
      removeDir();
    },
  };
}
