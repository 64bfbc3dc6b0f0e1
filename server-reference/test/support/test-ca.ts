/**
 * Test fixture: a real reference CA on 127.0.0.1 port 0 with a fresh identity and a SQLite
 * database in a temporary directory. Every test that starts one closes it (use `afterEach`).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KeyType } from '@certwizard/pki';
import {
  buildServeConfig,
  type CaHooks,
  createIdentity,
  loadIdentity,
  type RunningCa,
  silentLogger,
  startCa,
} from '@certwizard/server-reference';

/** A started CA and where its files are. */
export interface TestCa extends RunningCa {
  readonly dir: string;
  readonly identityDir: string;
  readonly dataDir: string;
  /** Closes the CA and deletes its directory. */
  dispose(): Promise<void>;
}

const PASSPHRASE = 'test-ca-passphrase';

/** Starts a CA with a new identity of `keyType` (default p256). */
export async function startTestCa(
  options: {
    keyType?: KeyType;
    hooks?: CaHooks;
    hooksModule?: string;
    /** `--allow-origin` values. */
    allowedHttpsOrigins?: readonly string[];
    /** `--ticket-lifetime-minutes`. */
    ticketLifetimeMinutes?: number;
    /** Clock of the stores, in ms since the epoch, so expiry is tested without sleeping. */
    now?: () => number;
    /** Per-client rate limits (tickets, token endpoint, forms). */
    rateLimit?: { capacity?: number; refillIntervalMs?: number };
    /** `--smtp HOST:PORT`: relay mail instead of keeping it in the dev mailbox. */
    smtp?: string;
    /** `Retry-After` of pending request answers, in seconds. */
    retryAfterSeconds?: number;
    /** `--ping-from ADDRESS`. */
    pingFrom?: string;
    /** `--dkim-selector`, `--dkim-key FILE` and, optionally, `--dkim-domain`. */
    dkim?: { selector: string; keyFile: string; domain?: string };
  } = {},
): Promise<TestCa> {
  const dir = mkdtempSync(join(tmpdir(), 'certwizard-ca-test-'));
  const identityDir = join(dir, 'identity');
  const dataDir = join(dir, 'data');
  await createIdentity(identityDir, {
    subject: [
      { type: 'O', value: 'certwizard tests' },
      { type: 'CN', value: 'Test CA' },
    ],
    validityYears: 5,
    keyType: options.keyType ?? 'p256',
    passphrase: PASSPHRASE,
  });
  const config = buildServeConfig({
    identity: identityDir,
    data: dataDir,
    listen: '127.0.0.1:0',
    ...(options.hooksModule ? { hooks: options.hooksModule } : {}),
    ...(options.allowedHttpsOrigins ? { allowOrigins: options.allowedHttpsOrigins } : {}),
    ...(options.ticketLifetimeMinutes !== undefined ? { ticketLifetimeMinutes: String(options.ticketLifetimeMinutes) } : {}),
    ...(options.smtp ? { smtp: options.smtp } : {}),
    ...(options.pingFrom ? { pingFrom: options.pingFrom } : {}),
    ...(options.dkim ? { dkimSelector: options.dkim.selector, dkimKey: options.dkim.keyFile, ...(options.dkim.domain ? { dkimDomain: options.dkim.domain } : {}) } : {}),
  });
  const clock = options.now;
  let running: RunningCa;
  try {
    running = await startCa(config, {
      identity: loadIdentity(identityDir, PASSPHRASE),
      logger: silentLogger,
      ...(options.hooks ? { hooks: options.hooks } : {}),
      ...(clock ? { now: () => new Date(clock()) } : {}),
      ...(options.rateLimit ? { rateLimit: options.rateLimit } : {}),
      ...(options.retryAfterSeconds !== undefined ? { retryAfterSeconds: options.retryAfterSeconds } : {}),
      // Cheap hashes: a registration runs three scrypt hashes.
      scryptN: 2 ** 10,
    });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    ...running,
    close: running.close,
    dir,
    identityDir,
    dataDir,
    dispose: async () => {
      await running.close({ graceMs: 1000 });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Sends a request body to `PUT /api/csr/:client`. */
export async function putCsr(
  ca: { url: string },
  body: string | Uint8Array,
  options: { client?: string; contentType?: string | null } = {},
): Promise<{ status: number; json: Record<string, unknown> }> {
  const headers: Record<string, string> = {};
  const contentType = options.contentType === undefined ? 'application/x-pem-file' : options.contentType;
  if (contentType !== null) headers['content-type'] = contentType;
  const res = await fetch(`${ca.url}/api/csr/${options.client ?? 'testclient'}`, {
    method: 'PUT',
    headers,
    body: typeof body === 'string' ? body : Buffer.from(body),
  });
  const text = await res.text();
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    json = { unparsed: text };
  }
  return { status: res.status, json };
}
