/**
 * The CAcert-style method and the pending loop of submit() against the real reference CA: issued
 * at once with a password, pending with an installation token until the owner approves on the
 * account page (while submit() polls), rejected, discarded, timed out, aborted; Retry-After and
 * the backoff asserted through the recorded waits of an injected clock. revoke with the
 * installation token: the account's certificate onto the CRL, a repeat already_revoked, another
 * holder's or a wrong token ERR_SDK_REVOKE_REFUSED, the token never in a URL.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCertificate, parseCertificateChain, verifyChain } from '@certwizard/pki';
import { afterEach, describe, expect, it } from 'vitest';
import { openFileStore } from '../../credentials/file-store.js';
import { cacertMethod } from './cacert-method.js';
import { installationTokenKey } from './credential-keys.js';
import { sslApiMethod } from '../ssl-api/ssl-api-method.js';
import type { EnrollmentEvent } from '../../enroll/enrollment-event.js';
import { createKeyAndCsr } from '../../enroll/key-and-csr.js';
import { submit } from '../../enroll/submit.js';
import { recordingClock } from '../../enroll/test-support/recording-clock.js';
import {
  accountWithToken,
  approveOnAccountPage,
  crlEntry,
  decideOnAccountPage,
  EMAIL,
  PASSWORD,
  rejectInStore,
  startTestCa,
  storedStatus,
  type TestCa,
} from '../../enroll/test-support/reference-ca.js';

let ca: TestCa | undefined;
afterEach(async () => {
  await ca?.dispose();
  ca = undefined;
});

const csr = async () => (await createKeyAndCsr({ names: { email: [EMAIL] } })).csrPem;

/** A fetch that records every URL it was given. */
function recordingFetch(): { fetch: typeof fetch; urls: string[] } {
  const urls: string[] = [];
  return {
    urls,
    fetch: (async (input: string | URL | Request, init?: RequestInit) => {
      urls.push(String(input));
      return fetch(input, init);
    }) as typeof fetch,
  };
}

describe('cacertMethod with the account password', () => {
  it('issues an S/MIME certificate for the account address at once, name taken from cemails', async () => {
    ca = await startTestCa();
    await accountWithToken(ca);
    const method = cacertMethod({ caUrl: ca.url, credentials: { username: EMAIL, password: PASSWORD } });
    expect(method.poll).toBeUndefined();
    const got = await submit(method, { csrPem: await csr() });
    const leaf = parseCertificate(got.certificatePem);
    expect(leaf.subjectAltNames.email).toEqual([EMAIL]);
    expect(leaf.extendedKeyUsage).toContain('emailProtection');
    expect(verifyChain(leaf, { intermediates: parseCertificateChain(got.chainPem), trustAnchors: [parseCertificate(ca.caCertPem)] })).toHaveLength(2);
    expect(await storedStatus(ca, got.requestId as string)).toBe('issued');
  });

  it('turns a wrong password into ERR_SDK_ENROLL_REJECTED (authentication_failed) without the password anywhere', async () => {
    ca = await startTestCa();
    await accountWithToken(ca);
    const secret = 'wrong horse battery';
    const rec = recordingFetch();
    const method = cacertMethod({ caUrl: ca.url, credentials: { username: EMAIL, password: secret }, name: 'Ada Lovelace', fetch: rec.fetch });
    const error = await submit(method, { csrPem: await csr() }).catch((e: unknown) => e as Error & Record<string, unknown>);
    expect(error).toMatchObject({ code: 'ERR_SDK_ENROLL_REJECTED', caCode: 'authentication_failed', status: 401 });
    expect(JSON.stringify({ ...error, message: error.message }) + rec.urls.join()).not.toContain(secret);
  });
});

describe('cacertMethod with an installation token', () => {
  it('answers pending, and submit() polls until the owner approves on the account page, honouring Retry-After', async () => {
    ca = await startTestCa({ retryAfterSeconds: 5 });
    const token = await accountWithToken(ca);
    const rec = recordingFetch();
    const method = cacertMethod({ caUrl: ca.url, credentials: { installationToken: token }, fetch: rec.fetch });
    let requestId = '';
    const clock = recordingClock(async (n) => {
      expect(await storedStatus(ca as TestCa, requestId)).toBe('pending');
      if (n === 2) await approveOnAccountPage(ca as TestCa, requestId);
    });
    const events: EnrollmentEvent[] = [];
    const got = await submit(
      method,
      { csrPem: await csr() },
      {
        clock,
        pollIntervalMs: 1000,
        onEvent: (e) => {
          events.push(e);
          if (e.type === 'pending') requestId = e.requestId;
        },
      },
    );
    // 202 carries no Retry-After: the first wait is the poll interval; then the CA's 5 s beats the 1.5 s backoff.
    expect(clock.waits).toEqual([1000, 5000]);
    expect(parseCertificate(got.certificatePem).subjectAltNames.email).toEqual([EMAIL]);
    expect(got.requestId).toBe(requestId);
    expect(await storedStatus(ca, requestId)).toBe('issued');
    expect(events.map((e) => e.type)).toEqual(['submitting', 'pending', 'waiting', 'polling', 'pending', 'waiting', 'polling', 'issued']);
    // The token travels in a header only.
    expect(JSON.stringify(events) + rec.urls.join()).not.toContain(token);
  });

  it.each([
    { name: 'rejected by an approver', to: 'rejected' as const, want: { caCode: 'rejected', reason: 'not our customer' } },
    { name: 'discarded by the owner', to: 'discarded' as const, want: { caCode: 'discarded' } },
  ])('ends with ERR_SDK_ENROLL_REJECTED for a request $name while polling', async ({ to, want }) => {
    ca = await startTestCa({ retryAfterSeconds: 1 });
    const token = await accountWithToken(ca);
    const method = cacertMethod({ caUrl: ca.url, credentials: { installationToken: token } });
    const pending = await method.submit({ csrPem: await csr() });
    expect(pending).toMatchObject({ status: 'pending' });
    const requestId = (pending as { requestId: string }).requestId;
    // An approver's rejection through the management server; the owner's discard on the account page.
    if (to === 'rejected') await rejectInStore(ca, requestId, 'not our customer');
    else await decideOnAccountPage(ca, requestId, 'discard');
    const poll = method.poll as NonNullable<typeof method.poll>;
    await expect(poll({ status: 'pending', requestId })).resolves.toMatchObject({ status: 'rejected', ...want });
  });

  it('rejects submit() with ERR_SDK_ENROLL_REJECTED when the request is rejected during polling', async () => {
    ca = await startTestCa({ retryAfterSeconds: 1 });
    const token = await accountWithToken(ca);
    let requestId = '';
    const clock = recordingClock(async (n) => {
      if (n === 1) await rejectInStore(ca as TestCa, requestId, 'not our customer');
    });
    const run = submit(
      cacertMethod({ caUrl: ca.url, credentials: { installationToken: token } }),
      { csrPem: await csr() },
      {
        clock,
        pollIntervalMs: 1000,
        onEvent: (e) => {
          if (e.type === 'pending') requestId = e.requestId;
        },
      },
    );
    await expect(run).rejects.toMatchObject({ code: 'ERR_SDK_ENROLL_REJECTED', caCode: 'rejected', reason: 'not our customer' });
    expect(clock.waits).toEqual([1000]);
  });

  it("times out with ERR_SDK_ENROLL_TIMEOUT and the request id, polling as the CA's Retry-After says", async () => {
    ca = await startTestCa({ retryAfterSeconds: 1 });
    const token = await accountWithToken(ca);
    const clock = recordingClock();
    const run = submit(
      cacertMethod({ caUrl: ca.url, credentials: { installationToken: token } }),
      { csrPem: await csr() },
      {
        clock,
        timeoutMs: 6500,
        pollIntervalMs: 1000,
        maxPollIntervalMs: 2000,
      },
    );
    const error = (await run.catch((e: unknown) => e)) as { code: string; requestId: string; timeoutMs: number };
    expect(error).toMatchObject({ code: 'ERR_SDK_ENROLL_TIMEOUT', timeoutMs: 6500 });
    // The CA asks for 1 s each time; the last wait is cut at the limit.
    expect(clock.waits).toEqual([1000, 1000, 1000, 1000, 1000, 1000, 500]);
    expect(await storedStatus(ca, error.requestId)).toBe('pending');
  });

  it('cuts the last wait at the time limit instead of sleeping past it', async () => {
    ca = await startTestCa({ retryAfterSeconds: 60 });
    const token = await accountWithToken(ca);
    const clock = recordingClock();
    const run = submit(
      cacertMethod({ caUrl: ca.url, credentials: { installationToken: token } }),
      { csrPem: await csr() },
      {
        clock,
        timeoutMs: 10_000,
        pollIntervalMs: 1000,
      },
    );
    await expect(run).rejects.toMatchObject({ code: 'ERR_SDK_ENROLL_TIMEOUT' });
    // The CA's 60 s Retry-After exceeds what is left: one wait to the limit, no poll after it.
    expect(clock.waits).toEqual([1000, 9000]);
  });

  it('stops at once with ERR_SDK_ABORTED when the caller aborts during a wait', async () => {
    ca = await startTestCa();
    const token = await accountWithToken(ca);
    const controller = new AbortController();
    const reason = new Error('user closed the wizard');
    let requestId = '';
    const clock = recordingClock(() => controller.abort(reason));
    const run = submit(
      cacertMethod({ caUrl: ca.url, credentials: { installationToken: token } }),
      { csrPem: await csr() },
      {
        clock,
        signal: controller.signal,
        onEvent: (e) => {
          if (e.type === 'pending') requestId = e.requestId;
        },
      },
    );
    await expect(run).rejects.toMatchObject({ code: 'ERR_SDK_ABORTED', cause: reason });
    expect(clock.waits).toHaveLength(1);
    expect(await storedStatus(ca, requestId)).toBe('pending');
  });

  it('refuses credentials of both kinds, or neither, as caller misuse', () => {
    const both = { installationToken: 'abc', username: EMAIL, password: PASSWORD } as never;
    expect(() => cacertMethod({ caUrl: 'https://ca.example', credentials: both })).toThrow(TypeError);
    expect(() => cacertMethod({ caUrl: 'https://ca.example', credentials: {} as never })).toThrow(TypeError);
    expect(() => cacertMethod({ caUrl: 'https://ca.example', credentials: { installationToken: 'a b\r\n' } })).toThrow(TypeError);
  });
});

describe('cacertMethod.revoke', () => {
  /** A certificate issued at once to the account (ccsr with its password), PEM, and its serial. */
  async function issued(c: TestCa): Promise<{ certificatePem: string; serialHex: string }> {
    const { certificatePem } = await submit(cacertMethod({ caUrl: c.url, credentials: { username: EMAIL, password: PASSWORD } }), { csrPem: await csr() });
    return { certificatePem, serialHex: parseCertificate(certificatePem).serialNumberHex };
  }

  /** A certificate requested with the installation token (the only ones it may revoke), approved by the owner. */
  async function issuedWithToken(c: TestCa, installationToken: string): Promise<{ certificatePem: string; serialHex: string }> {
    let approving: Promise<void> | undefined;
    const { certificatePem } = await submit(
      cacertMethod({ caUrl: c.url, credentials: { installationToken } }),
      { csrPem: await csr() },
      { pollIntervalMs: 100, onEvent: (e) => void (e.type === 'pending' && (approving ??= approveOnAccountPage(c, e.requestId))) },
    );
    await approving;
    return { certificatePem, serialHex: parseCertificate(certificatePem).serialNumberHex };
  }

  it("revokes a certificate of the token's installation with the token, never in a URL; the CRL lists it, and a repeat is already_revoked", async () => {
    ca = await startTestCa();
    const installationToken = await accountWithToken(ca);
    const { certificatePem, serialHex } = await issuedWithToken(ca, installationToken);
    const inits: RequestInit[] = [];
    const rec = recordingFetch();
    const method = cacertMethod({
      caUrl: ca.url,
      credentials: { installationToken },
      fetch: (async (input: string | URL | Request, init?: RequestInit) => {
        inits.push(init ?? {});
        return rec.fetch(input, init);
      }) as typeof fetch,
    });
    expect(await method.revoke?.({ certificatePem, reason: 'superseded' })).toEqual({ status: 'revoked', serialHex });
    expect(rec.urls).toEqual([`${ca.url}/api/crevoke.php`]);
    expect(inits[0]).toMatchObject({ method: 'POST', redirect: 'manual', headers: { authorization: `Bearer ${installationToken}` } });
    expect(String(inits[0]?.body)).not.toContain(installationToken);
    expect(await crlEntry(ca, serialHex)).toMatchObject({ reason: 'superseded' });
    const first = await ca.certificate(serialHex);
    await ca.advanceClock(60_000);
    expect(await method.revoke?.({ serialHex, reason: 'keyCompromise' })).toEqual({ status: 'already_revoked', serialHex });
    expect(await ca.certificate(serialHex)).toEqual(first);
  });

  it("refuses another holder's certificate (an ssl_api client's) and an unknown serial alike, leaving it valid", async () => {
    ca = await startTestCa();
    const method = cacertMethod({ caUrl: ca.url, credentials: { installationToken: await accountWithToken(ca) } });
    const { csrPem } = await createKeyAndCsr({ names: { dns: ['mail.example.org'] } });
    const clients = parseCertificate((await submit(sslApiMethod({ caUrl: ca.url, client: 'vendor1' }), { csrPem })).certificatePem).serialNumberHex;
    for (const serialHex of [clients, '7f'.repeat(16)]) {
      await expect(method.revoke?.({ serialHex, reason: 'keyCompromise' })).rejects.toMatchObject({
        code: 'ERR_SDK_REVOKE_REFUSED',
        caCode: 'unknown_certificate',
        status: 404,
      });
    }
    expect((await ca.certificate(clients))?.status).toBe('valid');
  });

  it('refuses a wrong token as ERR_SDK_REVOKE_REFUSED (authentication_failed) without the token in the error, leaving it valid', async () => {
    ca = await startTestCa();
    await accountWithToken(ca);
    const { serialHex } = await issued(ca);
    const wrong = 'W'.repeat(43);
    const error = await cacertMethod({ caUrl: ca.url, credentials: { installationToken: wrong } })
      .revoke?.({ serialHex, reason: 'keyCompromise' })
      .catch((e: unknown) => e as Error & Record<string, unknown>);
    expect(error).toMatchObject({ code: 'ERR_SDK_REVOKE_REFUSED', caCode: 'authentication_failed', status: 401 });
    expect(JSON.stringify({ ...error, message: error?.message })).not.toContain(wrong);
    expect((await ca.certificate(serialHex))?.status).toBe('valid');
  });

  it('reads the token from the credential store, as after enroll()', async () => {
    ca = await startTestCa();
    const installationToken = await accountWithToken(ca);
    const { serialHex } = await issuedWithToken(ca, installationToken);
    const dir = mkdtempSync(join(tmpdir(), 'cw-revoke-'));
    try {
      const credentials = await openFileStore({ dir });
      await credentials.set(installationTokenKey(new URL(ca.url).origin), installationToken);
      expect(await cacertMethod({ caUrl: ca.url }).revoke?.({ serialHex }, { credentials })).toEqual({ status: 'revoked', serialHex });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("refuses, with the token, the account's certificates its installation did not request (issued with the password), leaving them valid", async () => {
    ca = await startTestCa();
    const installationToken = await accountWithToken(ca);
    const { serialHex } = await issued(ca);
    await expect(cacertMethod({ caUrl: ca.url, credentials: { installationToken } }).revoke?.({ serialHex })).rejects.toMatchObject({
      code: 'ERR_SDK_REVOKE_REFUSED',
      caCode: 'unknown_certificate',
    });
    expect((await ca.certificate(serialHex))?.status).toBe('valid');
  });

  it('is absent with fixed password credentials: the method revokes with the installation token (the password form is for the owner)', () => {
    expect(cacertMethod({ caUrl: 'https://ca.example', credentials: { username: EMAIL, password: PASSWORD } }).revoke).toBeUndefined();
  });
});
