/**
 * enroll() against the real reference CA, a scripted person at the "browser" (plain HTTP as a
 * browser would send it), the file credential store and the real file system: from nothing to an
 * installed certificate; the address changed on the form (pending, approved); a refused request;
 * a registration interrupted and resumed; states that cannot be continued.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openFileStore } from '../credentials/file-store.js';
import type { CredentialStore } from '../credentials/credential-store.js';
import { accountWithToken, approveOnAccountPage, decideOnAccountPage, EMAIL, startTestCa, type TestCa } from '../enroll/test-support/reference-ca.js';
import { installationTokenKey, pendingRegistrationKey } from '../methods/cacert/credential-keys.js';
import { enroll, type EnrollOptions } from './default-method.js';
import type { EnrollFlowEvent } from './enroll.js';
import { StateFileError, StateMismatchError } from './errors.js';
import { confirmAddress, submitRegistration } from './test-support/person.js';

let ca: TestCa;
let dir: string;
let store: CredentialStore;

beforeEach(async () => {
  ca = await startTestCa({ retryAfterSeconds: 1 });
  dir = mkdtempSync(join(tmpdir(), 'certwizard-flow-'));
  store = await openFileStore({ dir: join(dir, 'secrets') });
});
afterEach(async () => {
  await ca.dispose();
  rmSync(dir, { recursive: true, force: true });
});

const counts = () => ca.counts();

function options(extra: Partial<EnrollOptions> = {}): EnrollOptions {
  return {
    caUrl: ca.url,
    name: 'mail',
    baseDir: join(dir, 'certs'),
    names: { email: [EMAIL] },
    credentials: store,
    trustAnchorsPem: ca.caCertPem,
    registration: {
      prefill: { emailAddress: { value: EMAIL, sure: true } },
      opener: (url) => submitRegistration(url),
      pollIntervalMs: 50,
    },
    waiting: { pollIntervalMs: 50, maxPollIntervalMs: 200, timeoutMs: 20_000 },
    ...extra,
  };
}

/** Every file under `root` with its content, for secret scans. */
function filesUnder(root: string): Array<{ path: string; text: string }> {
  const out: Array<{ path: string; text: string }> = [];
  for (const entry of readdirSync(root, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) out.push({ path: join(entry.parentPath, entry.name), text: readFileSync(join(entry.parentPath, entry.name), 'latin1') });
  }
  return out;
}

describe('enroll()', () => {
  it('goes from nothing to an installed certificate: the request sent with the registration is issued on confirmation', async () => {
    const events: EnrollFlowEvent[] = [];
    const result = await enroll(options({ onEvent: (e) => events.push(e) }));
    expect(result.resumed).toBe(false);
    expect(result.accountEmail).toBe(EMAIL);
    expect(result.installed.names).toContain(EMAIL);
    expect(events.filter((e) => e.type === 'step').map((e) => (e as { step: string }).step)).toEqual([
      'prepare-key',
      'register',
      'verify-email',
      'submit',
      'install',
      'done',
    ]);
    expect(events).toContainEqual({ type: 'request-found', status: 'issued' });
    expect(await counts()).toMatchObject({ accounts: 1, certificate_requests: 1, certificates: 1 });

    // The live set is what openssl calls a matching key, certificate and chain.
    const { paths } = result.installed;
    const modulus = (args: string[]) => execFileSync('openssl', args, { encoding: 'utf8' });
    expect(modulus(['pkey', '-in', paths.privkey, '-pubout'])).toBe(modulus(['x509', '-in', paths.cert, '-noout', '-pubkey']));
    expect(modulus(['verify', '-CAfile', paths.chain, paths.cert]).trim()).toBe(`${paths.cert}: OK`);
    expect(statSync(paths.privkey).mode & 0o777).toBe(0o600);

    // The token is in the credential store and nowhere else; the pending key is gone.
    const token = await store.get(installationTokenKey(new URL(ca.url).origin));
    expect(token).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    for (const file of filesUnder(join(dir, 'certs'))) expect(file.text).not.toContain(token);
    expect(readdirSync(join(dir, 'certs', 'enrollments'))).toEqual(['mail.json']);
    const state = JSON.parse(readFileSync(join(dir, 'certs', 'enrollments', 'mail.json'), 'utf8')) as Record<string, unknown>;
    expect(state).toMatchObject({
      version: 2,
      step: 'done',
      accountEmail: EMAIL,
      installedVersion: 1,
      method: { name: 'cacert', version: 1, state: { csrSentWithRegistration: true } },
    });
    expect(JSON.stringify(state)).not.toMatch(/PRIVATE KEY/);

    // Called again, it answers from disk without a word to the CA.
    let calls = 0;
    const again = await enroll(options({ fetch: (...args) => (calls++, fetch(...args)) }));
    expect(again).toMatchObject({ resumed: true, installed: { fingerprintSha256: result.installed.fingerprintSha256 } });
    expect(calls).toBe(0);
  });

  it('waits for the owner when the address was changed on the form, and installs once approved', async () => {
    const other = 'ada.other@example.org';
    let requestId: string | undefined;
    const events: EnrollFlowEvent[] = [];
    const result = await enroll(
      options({
        registration: {
          prefill: { emailAddress: { value: EMAIL, sure: true } },
          opener: (url) => submitRegistration(url, { email: other }),
          pollIntervalMs: 50,
        },
        onEvent: (event) => {
          events.push(event);
          if (event.type === 'enrollment' && event.event.type === 'polling' && requestId === undefined) {
            requestId = event.event.requestId;
            void approveOnAccountPage(ca, requestId, other);
          }
        },
      }),
    );
    expect(events).toContainEqual({ type: 'request-found', status: 'pending' });
    expect(result.accountEmail).toBe(other);
    expect(result.installed.names).toEqual([other]);
    expect(await counts()).toMatchObject({ accounts: 1, certificate_requests: 1, certificates: 1 });
  });

  it('drops a refused request with its key, and the next call starts a new one without registering again', async () => {
    let discarded = false;
    const refused = enroll(
      options({
        registration: {
          prefill: { emailAddress: { value: EMAIL, sure: true } },
          opener: (url) => submitRegistration(url, { email: 'changed@example.org' }),
          pollIntervalMs: 50,
        },
        onEvent: (event) => {
          if (event.type === 'enrollment' && event.event.type === 'polling' && !discarded) {
            discarded = true;
            void decideOnAccountPage(ca, event.event.requestId, 'discard', 'changed@example.org');
          }
        },
      }),
    );
    await expect(refused).rejects.toMatchObject({ code: 'ERR_SDK_ENROLL_REJECTED', caCode: 'discarded' });
    expect(readdirSync(join(dir, 'certs', 'enrollments'))).toEqual([]);

    let opened = 0;
    let approved = false;
    const result = await enroll(
      options({
        names: { email: ['changed@example.org'] },
        registration: { opener: async () => void opened++ },
        onEvent: (event) => {
          if (event.type === 'enrollment' && event.event.type === 'polling' && !approved) {
            approved = true;
            void approveOnAccountPage(ca, event.event.requestId, 'changed@example.org');
          }
        },
      }),
    );
    expect(opened).toBe(0);
    expect(result.installed.names).toEqual(['changed@example.org']);
    expect(await counts()).toMatchObject({ accounts: 1, certificate_requests: 2, certificates: 1 });
  });

  it('continues an interrupted registration on the same ticket: one account', async () => {
    const stop = new AbortController();
    const first = enroll(
      options({
        signal: stop.signal,
        registration: {
          prefill: { emailAddress: { value: EMAIL, sure: true } },
          // The person submits the form, the installer is stopped before the mail is answered.
          opener: async (url) => {
            await submitRegistration(url, { skipConfirmation: true });
            stop.abort(new Error('installer closed'));
          },
          pollIntervalMs: 50,
        },
      }),
    );
    await expect(first).rejects.toMatchObject({ code: 'ERR_SDK_ABORTED' });
    expect((await counts()).accounts).toBe(1);

    const shown: string[] = [];
    const result = await enroll(
      options({
        registration: {
          opener: () => Promise.reject(new Error('a resumed registration opens no new page')),
          display: async ({ url }) => {
            shown.push(url);
            // The person answers the confirmation mail they already had.
            await confirmAddress(ca.url, EMAIL);
          },
          pollIntervalMs: 50,
        },
      }),
    );
    expect(shown).toHaveLength(1);
    expect(result.resumed).toBe(true);
    expect(await counts()).toMatchObject({ accounts: 1, certificate_requests: 1, certificates: 1 });
  });

  it('drops a registration the CA refused, so the next call starts a new one instead of resuming it', async () => {
    await accountWithToken(ca); // EMAIL is registered already, by another installation
    const refused = enroll(
      options({
        registration: {
          prefill: { emailAddress: { value: EMAIL, sure: true } },
          opener: (url) => submitRegistration(url).catch(() => undefined),
          pollIntervalMs: 50,
        },
      }),
    );
    await expect(refused).rejects.toMatchObject({ code: 'ERR_SDK_REGISTRATION_REFUSED', reason: 'address_taken' });
    expect(await store.get(pendingRegistrationKey(new URL(ca.url).origin))).toBeUndefined();

    let opened = 0;
    let approving: Promise<void> | undefined;
    const result = await enroll(
      options({
        registration: {
          prefill: { emailAddress: { value: EMAIL, sure: true } },
          opener: (url) => (opened++, submitRegistration(url, { email: 'ada.second@example.org' })),
          pollIntervalMs: 50,
        },
        onEvent: (event) => {
          if (event.type === 'enrollment' && event.event.type === 'polling' && approving === undefined) {
            approving = approveOnAccountPage(ca, event.event.requestId, 'ada.second@example.org');
          }
        },
      }),
    );
    await approving;
    expect(opened).toBe(1);
    expect(result.accountEmail).toBe('ada.second@example.org');
  });

  it('refuses a state made for another CA or other names, and a corrupt one, changing nothing', async () => {
    const stateDir = join(dir, 'certs', 'enrollments');
    await enroll(options());
    const statePath = join(stateDir, 'mail.json');
    const before = readFileSync(statePath, 'utf8');
    await expect(enroll(options({ caUrl: 'http://127.0.0.1:1' }))).rejects.toBeInstanceOf(StateMismatchError);
    await expect(enroll(options({ names: { email: ['x@example.org'] } }))).rejects.toBeInstanceOf(StateMismatchError);
    expect(readFileSync(statePath, 'utf8')).toBe(before);

    writeFileSync(statePath, '{"version":1,"step":"install"');
    await expect(enroll(options())).rejects.toBeInstanceOf(StateFileError);
    writeFileSync(statePath, before.replace('"step": "done"', '"step": "install"').replace(/"certificatePem": "[^"]*",?/, ''));
    await expect(enroll(options())).rejects.toMatchObject({ code: 'ERR_SDK_STATE_FILE' });
    expect(await counts()).toMatchObject({ accounts: 1, certificates: 1 });
  });

  it('refuses bad options with TypeError before touching anything', async () => {
    for (const bad of [{ name: '../x' }, { names: {} }, { caUrl: 'not a url' }, { keyType: 'rsa1024' }, { trustAnchorsPem: '' }] as Array<
      Partial<EnrollOptions>
    >) {
      await expect(enroll(options(bad))).rejects.toBeInstanceOf(TypeError);
    }
    expect(readdirSync(dir)).toEqual(['secrets']);
  });
});
